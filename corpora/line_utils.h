// corpora/line_utils.h — small helpers shared by the line-oriented readers (jsonl, text, tsv, sst).
//
// Internal to corpora/: not part of the public API, but header-only and harmless to include.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "core/error.h"
#include "core/utf8.h"

namespace textlrp::corpora::detail {

// Throws FormatError "NAME:LINE:COL: expected UTF-8, got invalid byte 0xE9" (COL = 1-based byte
// column) when `line` is not valid UTF-8.
inline void check_utf8_line(std::string_view name, std::size_t line_no, std::string_view line) {
  if (const auto bad = find_invalid_utf8(line)) {
    throw FormatError(fmt::format("{}:{}:{}: expected UTF-8, got invalid byte 0x{:02X} (byte column {})",
                                  name, line_no, *bad + 1,
                                  static_cast<unsigned>(static_cast<unsigned char>(line[*bad])),
                                  *bad + 1));
  }
}

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
