// corpora/line_utils.h — small helpers shared by the line-oriented readers (jsonl, text, tsv, sst).
//
// Internal to corpora/: not part of the public API, but header-only and harmless to include.
#pragma once

#include <cstddef>
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

}  // namespace textlrp::corpora::detail
