// core/json_write.h — numbers for the hand-rolled JSON writers (apps' JSONL writer): shortest
// round-trip decimal text straight into raw memory, without a format string or a std::string.
//
// The text is exactly what fmt::format("{}", v) gives, the way textlrp has always printed numbers:
// the shortest digits that read back as the same value (Dragonbox), in fixed notation when the
// decimal exponent of the first digit is in [-4, 16) ("0.00012", "1234.5", "100") and as
// d[.ddd]e±XX otherwise ("1.5e-05", "1e+16", "-2.2250738585072014e-308"). A float prints the
// shortest digits of the float ("0.1", not the double 0.100000001490116...). Strings: write_json_string
// in core/utf8.h, the one escaper.
#pragma once

#include <cstddef>
#include <string_view>

namespace textlrp {

// The most bytes write_shortest writes: "-2.2250738585072014e-308" is 24.
inline constexpr std::size_t kShortestNumberBound = 32;

// Writes v at dst (room for kShortestNumberBound bytes) and returns the end. Precondition: v is
// finite (JSON has no NaN or infinity; callers decide what to write instead).
char* write_shortest(char* dst, double v);
char* write_shortest(char* dst, float v);

// write_json_string (core/utf8.h), the same bytes, faster for a short string that lies inside a
// larger one (a token inside its document): a string of at most 16 bytes that needs no escape is
// checked and copied 16 bytes at a time, reading past its end. `readable` is how many bytes from
// text.data() may be read (>= text.size()); dst has room for max(json_string_bound(text.size()),
// kShortJsonStringRoom) bytes.
inline constexpr std::size_t kShortJsonStringRoom = 18;
char* write_json_string_within(char* dst, std::string_view text, std::size_t readable);

// write_shortest through a small per-thread table of the texts of recent values: a value written
// again (a relevance shared by every occurrence of a term) is copied, not formatted. The same bytes
// as write_shortest(dst, v) for a double (as_float false) or write_shortest(dst, float(v)) (as_float
// true). Precondition: v is finite.
class ShortestCache {
 public:
  ShortestCache();
  char* write(char* dst, double v, bool as_float);

  struct Entry;  // (defined in json_write.cpp)

 private:
  Entry* table_;  // the calling thread's
};

}  // namespace textlrp
