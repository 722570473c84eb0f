// corpora/sst.h — `sst:PATH`: Stanford Sentiment Treebank trees in PTB format, one per line.
//
// Each non-blank line is a tree such as
//   (3 (2 (2 The) (2 Rock)) (4 (3 (2 is) (4 great)) (2 .)))
// Grammar (spaces and tabs separate items; any amount is accepted):
//   tree := '(' LABEL ' ' (WORD | tree+) ')'      LABEL := [0-9]+      WORD := bytes other than
//   space, tab, '(' and ')'
// One Example per line: id = the 1-based line number, label = the root label ("0".."4" in SST),
// tokens = the leaves in order, text = the leaves joined by single spaces, line = line number.
// Leaves are kept exactly as in the file: "-LRB-"/"-RRB-" stay, and the PTB escapes "\/" and "\*"
// are NOT undone, because the published SST models (e.g. the Arras et al. 2017 bi-LSTM
// vocabulary) contain "writer\/director" and "\*" verbatim. (SST leaves may contain U+00A0
// no-break spaces, as in "8\u00a01\/2"; they stay inside the token.)
// With CorpusOptions::sst_phrases, each sentence is followed by one Example per other node of
// its tree, in pre-order (parents before children, left to right), id "<line>.<k>" with k = 1,
// 2, ... the node's pre-order index (the root is k = 0 and is the sentence itself); single-word
// nodes are included; duplicates across sentences are not removed.
// `sst-binary:PATH` (open_sst_binary_corpus) reads the same files for the binary task of Socher et
// al. (2013): labels "0" and "1" become "negative", "3" and "4" become "positive", and neutral ("2")
// sentences and phrases are skipped (with sst_phrases, the non-neutral phrases of a neutral sentence
// are still yielded). Ids stay those of the five-class reader. Any other label is a FormatError.
// Parsing is iterative (an explicit stack), so adversarial nesting cannot overflow the call stack,
// and linear in the line length. Errors are FormatError "PATH:LINE:COL: expected ..., got ...",
// COL being the 1-based byte column.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "corpora/corpus.h"

namespace textlrp::corpora {

// One node of a parsed tree: its label and the half-open range of leaves it spans.
struct SstNode {
  std::string label;
  std::size_t begin = 0;
  std::size_t end = 0;
};

// A parsed tree: nodes in pre-order (nodes[0] is the root), leaves left to right.
struct SstTree {
  std::vector<SstNode> nodes;
  std::vector<std::string> leaves;
};

// Parses one line (precondition: valid UTF-8, not blank). `name` and `line_no` are used in
// messages only. Throws FormatError "NAME:LINE:COL: expected ..., got ..." on malformed input.
SstTree parse_sst_tree(std::string_view line, std::string_view name, std::size_t line_no);

// Throws IoError if PATH cannot be opened; next() throws FormatError on invalid UTF-8 (with the
// default CorpusOptions::encoding; latin-1 and replace decode instead) or a malformed tree. A
// leading byte-order mark is skipped; an invisible character in a message is shown as <U+FEFF>.
std::unique_ptr<CorpusReader> open_sst_corpus(const std::filesystem::path& path,
                                              const CorpusOptions& options);

// The binary variant (see above); format() is "sst-binary". Throws as open_sst_corpus; next() also
// throws FormatError "PATH:LINE: ..." for a label outside 0..4.
std::unique_ptr<CorpusReader> open_sst_binary_corpus(const std::filesystem::path& path,
                                                     const CorpusOptions& options);

}  // namespace textlrp::corpora
