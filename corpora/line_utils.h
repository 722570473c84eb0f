// corpora/line_utils.h — small helpers shared by the line-oriented readers (jsonl, text, tsv, sst).
//
// Internal to corpora/: not part of the public API, but header-only and harmless to include.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"
#include "core/utf8.h"
#include "corpora/corpus.h"

namespace textlrp::corpora::detail {

// Throws FormatError "NAME:LINE:COL: expected UTF-8, got invalid byte 0xE9" (COL = 1-based byte
// column) when `line` is not valid UTF-8.
inline void check_utf8_line(std::string_view name, std::size_t line_no, std::string_view line) {
  if (const auto bad = find_invalid_utf8(line)) {
    throw FormatError(fmt::format(
        "{}:{}:{}: expected UTF-8, got invalid byte 0x{:02X} (byte column {}); "
        "--encoding latin-1 or --encoding replace reads such files",
        name, line_no, *bad + 1, static_cast<unsigned>(static_cast<unsigned char>(line[*bad])), *bad + 1));
  }
}

// Decodes the lines of one line-format file by CorpusOptions::encoding: kUtf8 checks (FormatError
// as check_utf8_line), kLatin1 decodes every byte as a Latin-1 code point, kReplace substitutes
// U+FFFD for invalid sequences and counts them; finish() then reports the count once through warn:
// "corpus: replaced N invalid byte sequence(s) in FILE with U+FFFD".
class LineDecoder {
 public:
  LineDecoder(Encoding encoding, std::function<void(std::string_view)> warn)
      : encoding_(encoding), warn_(std::move(warn)) {}
  void decode(std::string_view name, std::size_t line_no, std::string& line) {
    switch (encoding_) {
      case Encoding::kUtf8: check_utf8_line(name, line_no, line); break;
      case Encoding::kLatin1: line = latin1_to_utf8(line); break;
      case Encoding::kReplace:
        if (!is_valid_utf8(line)) {
          line = replace_invalid_utf8(line, &replaced_);
          if (first_line_ == 0) first_line_ = line_no;
        }
        break;
    }
  }
  // Call once at the end of the file (later calls do nothing).
  void finish(std::string_view name) {
    if (finished_) return;
    finished_ = true;
    if (replaced_ > 0 && warn_) {
      warn_(fmt::format("corpus: replaced {} invalid byte sequence{} in {} with U+FFFD (first on line {})",
                        replaced_, replaced_ == 1 ? "" : "s", name, first_line_));
    }
  }
  std::size_t replaced() const { return replaced_; }

 private:
  Encoding encoding_;
  std::function<void(std::string_view)> warn_;
  std::size_t replaced_ = 0;
  std::size_t first_line_ = 0;
  bool finished_ = false;
};

// True when the line is empty or holds only spaces, tabs, '\r', '\v' or '\f'.
inline bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r\v\f") == std::string_view::npos;
}

// The id of a document that has none: "<line>-<8 hex digits>", the line number and a 32-bit FNV-1a
// hash of the document text, e.g. "3-9e1b27c4". Two inputs numbered from 1 thus give different ids
// to different documents (explanations of several runs concatenate without merging documents), while
// the same text on the same line keeps its id from run to run.
inline std::string generated_id(std::size_t line_no, std::string_view text) {
  std::uint32_t h = 2166136261u;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return fmt::format("{}-{:08x}", line_no, h);
}

}  // namespace textlrp::corpora::detail
