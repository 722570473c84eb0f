// corpora/text.h — line-oriented plain-text corpora: `text:PATH` and `tsv:PATH`.
//
//   text:PATH  one document per line, no label. id = "<line>-<hash>" (the 1-based line number and
//              the FNV-1a hash of the text, corpora/line_utils.h generated_id).
//   tsv:PATH   "label<TAB>text" per line (the UCI SMS Spam Collection). The label is everything
//              before the first tab, the text everything after it (further tabs stay in the
//              text). id = "<line>-<hash>" as for text.
// Both: PATH "-" reads stdin (named "<stdin>" in messages); a trailing "\r" is dropped; blank
// lines (empty or only whitespace) are skipped, so line numbers in ids may have gaps; a leading
// UTF-8 byte-order mark is skipped. Bytes are decoded by CorpusOptions::encoding: by default a line
// that is not valid UTF-8 is a FormatError "PATH:LINE:COL: ..." (no silent Latin-1 fallback: a line
// file with mixed encodings is almost always a mistake worth reporting; --encoding latin-1 or
// replace reads it on purpose). Example::line = line number.
#pragma once

#include <filesystem>
#include <memory>

#include "corpora/corpus.h"

namespace textlrp::corpora {

// Throws IoError if PATH cannot be opened; next() throws FormatError on invalid UTF-8.
std::unique_ptr<CorpusReader> open_text_corpus(const std::filesystem::path& path,
                                               const CorpusOptions& options);

// As open_text_corpus; next() also throws FormatError "PATH:LINE: expected 'label<TAB>text', got
// a line without a tab" and "PATH:LINE: expected a label before the tab, got an empty field".
std::unique_ptr<CorpusReader> open_tsv_corpus(const std::filesystem::path& path,
                                              const CorpusOptions& options);

}  // namespace textlrp::corpora
