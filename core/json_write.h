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

namespace textlrp {

// The most bytes write_shortest writes: "-2.2250738585072014e-308" is 24.
inline constexpr std::size_t kShortestNumberBound = 32;

// Writes v at dst (room for kShortestNumberBound bytes) and returns the end. Precondition: v is
// finite (JSON has no NaN or infinity; callers decide what to write instead).
char* write_shortest(char* dst, double v);
char* write_shortest(char* dst, float v);

}  // namespace textlrp
