// corpora/example.h — one document of a corpus, as every corpus reader yields it.
//
// The readers in corpora/ (folder trees, SpamAssassin, JSONL, plain text, TSV, SST trees) all
// produce Examples; the CLI's `corpus`, `train`, `evaluate` and `explain` commands consume them.
// Text is always valid UTF-8: readers decode or reject bytes before an Example is made.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace textlrp::corpora {

struct Example {
  // Stable identifier within the corpus: "<label>/<file>" for folder trees, "<line>-<hash>" for
  // line formats (the 1-based line number and the FNV-1a hash of the text, detail::generated_id;
  // unless a JSONL object gives its own "id"), the line number for SST sentences and "<line>.<k>"
  // for SST phrases.
  std::string id;
  // The document text, UTF-8. For pre-tokenized input it is the tokens joined by single spaces.
  std::string text;
  // The gold label as written in the source (folder name, TSV field, SST digit, ...), if any.
  std::optional<std::string> label;
  // Pre-tokenized input (JSONL "tokens", SST leaves): use these instead of tokenizing `text`.
  std::optional<std::vector<std::string>> tokens;
  // 1-based source line for line-oriented formats; 0 when not meaningful (one file per document).
  std::size_t line = 0;
};

}  // namespace textlrp::corpora
