// corpora/newsgroups.h — scikit-learn's 20 Newsgroups clean-up: strip headers, footers, quotes.
//
// These reproduce sklearn.datasets._twenty_newsgroups (strip_newsgroup_header / _footer /
// _quoting) so that results on 20 Newsgroups are comparable with the literature that uses
// fetch_20newsgroups(remove=('headers', 'footers', 'quotes')). The folder and SpamAssassin
// readers apply them when CorpusOptions asks, in scikit-learn's order: header, footer, quoting.
// Input and output are UTF-8; "whitespace" means what Python's str.strip() removes (ASCII
// whitespace, U+001C..U+001F, U+0085, U+00A0 and the other Unicode spaces).
#pragma once

#include <string>
#include <string_view>

namespace textlrp::corpora {

// Returns everything after the first blank line ("\n\n"); an empty string when there is none
// (Python: text.partition('\n\n')[2]).
std::string strip_newsgroup_header(std::string_view text);

// Splits text.strip() at '\n' and finds the LAST line that is empty or only '-' after stripping
// whitespace (a signature separator such as "--" — or simply the last blank line). If that line
// is not the first one, returns the lines before it joined with '\n'; otherwise returns the text
// unchanged.
std::string strip_newsgroup_footer(std::string_view text);

// Removes every line that contains "writes in", "writes:", "wrote:", "says:" or "said:", or that
// starts with "In article", "Quoted from", "|" or ">". Lines are split at '\n' only (a '\r'
// stays part of its line).
std::string strip_newsgroup_quoting(std::string_view text);

// Python's str.strip() on UTF-8 text: removes leading and trailing Unicode whitespace.
std::string_view python_strip(std::string_view text);

}  // namespace textlrp::corpora
