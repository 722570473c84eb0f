#include "core/json_write.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <cmath>
#include <cstring>

namespace textlrp {
namespace {

// fmt's own Dragonbox gives the digits (fmt::detail::dragonbox::to_decimal, the function behind
// fmt::format("{}", v), exported by libfmt since 8.x); the layout below is the one fmt's
// do_write_float uses for "{}" (tests/core/json_write_test.cpp compares the two on random bit
// patterns and the edge cases). Another fmt falls back to fmt's compiled "{}", the same text.
#if FMT_VERSION >= 90000 && FMT_VERSION < 120000
// "00".."99".
constexpr char kPairs[] =
    "0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849"
    "5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

template <class U>
int count_digits(U v) {
  int n = 1;
  while (v >= 10000) {
    v /= 10000;
    n += 4;
  }
  return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

// The n digits of v into [p, p + n), written from the right two at a time.
template <class U>
void put_digits(char* p, U v, int n) {
  char* q = p + n;
  while (v >= 100) {
    q -= 2;
    std::memcpy(q, kPairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    q -= 2;
    std::memcpy(q, kPairs + 2 * v, 2);
  } else {
    *--q = static_cast<char>('0' + v);
  }
}

template <class T>
char* shortest(char* p, T v) {
  if (std::signbit(v)) {
    *p++ = '-';
    v = -v;
  }
  const auto dec = fmt::detail::dragonbox::to_decimal(v);
  const int n = count_digits(dec.significand);
  const int e = dec.exponent;       // of the last digit
  const int first = e + n - 1;      // of the first digit
  if (first < -4 || first >= 16) {  // d[.ddd]e±XX (at least two exponent digits)
    if (n == 1) {
      *p++ = static_cast<char>('0' + dec.significand);
    } else {  // the digits one place to the right, then the first moves left over the point
      put_digits(p + 1, dec.significand, n);
      p[0] = p[1];
      p[1] = '.';
      p += n + 1;
    }
    *p++ = 'e';
    int a = first;
    if (a < 0) {
      *p++ = '-';
      a = -a;
    } else {
      *p++ = '+';
    }
    if (a >= 100) {
      *p++ = static_cast<char>('0' + a / 100);
      a %= 100;
    }
    std::memcpy(p, kPairs + 2 * a, 2);
    return p + 2;
  }
  if (e >= 0) {  // 1234e2 -> 123400
    put_digits(p, dec.significand, n);
    p += n;
    for (int k = 0; k < e; ++k) *p++ = '0';
    return p;
  }
  if (first >= 0) {  // 1234e-2 -> 12.34: the digits one place to the right, the whole part moves left
    const int whole = first + 1;
    put_digits(p + 1, dec.significand, n);
    for (int k = 0; k < whole; ++k) p[k] = p[k + 1];
    p[whole] = '.';
    return p + n + 1;
  }
  *p++ = '0';  // 1234e-6 -> 0.001234
  *p++ = '.';
  for (int k = 0; k < -first - 1; ++k) *p++ = '0';
  put_digits(p, dec.significand, n);
  return p + n;
}
#else
template <class T>
char* shortest(char* p, T v) {
  return fmt::format_to(p, FMT_COMPILE("{}"), v);
}
#endif

}  // namespace

char* write_shortest(char* dst, double v) { return shortest(dst, v); }
char* write_shortest(char* dst, float v) { return shortest(dst, v); }

}  // namespace textlrp
