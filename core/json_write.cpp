#include "core/json_write.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/utf8.h"

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

namespace {

// The high bit of every byte of x that write_json_string escapes (a byte below 0x20, 0x7F, or one
// of " \\ < > &), and possibly of bytes above (more significant than) the lowest such byte: "has a
// byte below n" is (v - n·ones) & ~v, whose borrows run upwards only. So the lowest flagged byte is
// always a true one, and masking the bytes of a prefix keeps the answer right for that prefix.
constexpr std::uint64_t escape_bits(std::uint64_t x) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  auto below = [](std::uint64_t v, std::uint64_t n) { return (v - kOnes * n) & ~v; };
  auto equal = [&](unsigned char c) { return below(x ^ (kOnes * c), 1); };
  return (below(x, 0x20) | equal('"') | equal('\\') | equal('<') | equal('>') | equal('&') | equal(0x7F)) &
         kHigh;
}
static_assert(escape_bits(0x6867666564636261ull) == 0);  // "abcdefgh"
static_assert(escape_bits(0xA9C3A9C3A9C3A9C3ull) == 0);  // "éééé"
static_assert(escape_bits(0x68676665640A6261ull) != 0);  // a newline
static_assert(escape_bits(0x6867666564263E3Cull) != 0);  // < > &

// The low n bytes (n <= 8) of a little-endian word.
constexpr std::uint64_t low_bytes(std::size_t n) {
  return n >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * n)) - 1;
}

}  // namespace

char* write_json_string_within(char* dst, std::string_view text, std::size_t readable) {
  const std::size_t n = text.size();
  if constexpr (std::endian::native == std::endian::little) {
    if (n <= 16 && readable >= 16) {
      std::uint64_t a, b;
      std::memcpy(&a, text.data(), 8);
      std::memcpy(&b, text.data() + 8, 8);
      const std::uint64_t escapes =
          (escape_bits(a) & low_bytes(n)) | (escape_bits(b) & low_bytes(n > 8 ? n - 8 : 0));
      if (escapes == 0) {
        dst[0] = '"';
        std::memcpy(dst + 1, &a, 8);
        std::memcpy(dst + 9, &b, 8);
        dst[n + 1] = '"';
        return dst + n + 2;
      }
    }
  }
  return write_json_string(dst, text);
}

// A value's bits and its text (at most 23 bytes: a float's is at most 17, "-1.23456789e-38" or
// "-1234567800000000"; a double's at most 24, which then is not kept). len 0 = empty.
struct ShortestCache::Entry {
  std::uint64_t bits;
  std::uint8_t len;
  bool as_float;
  char text[22];
};
static_assert(sizeof(ShortestCache::Entry) == 32);

namespace {
constexpr int kCacheBits = 9;
thread_local ShortestCache::Entry t_cache[std::size_t{1} << kCacheBits];  // zero: every entry empty
}  // namespace

ShortestCache::ShortestCache() : table_(t_cache) {}

char* ShortestCache::write(char* dst, double v, bool as_float) {
  const auto bits = std::bit_cast<std::uint64_t>(v);
  Entry& e = table_[(bits * 0x9E3779B97F4A7C15ull) >> (64 - kCacheBits)];
  if (e.len != 0 && e.bits == bits && e.as_float == as_float) {
    std::memcpy(dst, e.text, sizeof e.text);  // dst has room for kShortestNumberBound bytes
    return dst + e.len;
  }
  char* end = as_float ? write_shortest(dst, static_cast<float>(v)) : write_shortest(dst, v);
  const auto len = static_cast<std::size_t>(end - dst);
  if (len <= sizeof e.text) {
    e.bits = bits;
    e.len = static_cast<std::uint8_t>(len);
    e.as_float = as_float;
    std::memcpy(e.text, dst, len);
  }
  return end;
}

}  // namespace textlrp
