// core/json_write: write_shortest prints exactly what fmt::format("{}", v) prints (the text every
// JSON writer of textlrp produced before the hand-rolled JSONL writer), for floats and doubles.
#include "core/json_write.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/utf8.h"
#include "tests/catch.h"

using namespace textlrp;

namespace {

template <class T>
std::string shortest(T v) {
  char buf[kShortestNumberBound];
  return std::string(buf, write_shortest(buf, v));
}

}  // namespace

TEST_CASE("json_write: write_shortest equals fmt's {} on edge cases", "[core][json]") {
  const double doubles[] = {0.0,
                            -0.0,
                            1.0,
                            -1.0,
                            0.1,
                            1.0 / 3,
                            100.0,
                            1e15,
                            1e16,
                            9999999999999998.0,
                            123456789012345680.0,
                            1e-4,
                            1.5e-4,
                            1e-5,
                            0.00012345,
                            1e21,
                            1e100,
                            1e-100,
                            std::numeric_limits<double>::max(),
                            std::numeric_limits<double>::min(),
                            std::numeric_limits<double>::denorm_min(),
                            -std::numeric_limits<double>::max(),
                            5e-324,
                            2.2250738585072014e-308,
                            12.5,
                            1234.5678,
                            0.5,
                            3e38,
                            4e38};
  for (const double d : doubles) {
    CAPTURE(d);
    REQUIRE(shortest(d) == fmt::format("{}", d));
    const auto f = static_cast<float>(d);
    if (std::isfinite(f)) REQUIRE(shortest(f) == fmt::format("{}", f));
  }
  REQUIRE(shortest(0.0) == "0");
  REQUIRE(shortest(-0.0f) == "-0");
  REQUIRE(shortest(1e-5) == "1e-05");
  REQUIRE(shortest(1e16) == "1e+16");
  REQUIRE(shortest(1e15) == "1000000000000000");
  REQUIRE(shortest(0.1f) == "0.1");
  REQUIRE(shortest(12.5) == "12.5");
  REQUIRE(shortest(-2.2250738585072014e-308) == "-2.2250738585072014e-308");
  REQUIRE(shortest(-2.2250738585072014e-308).size() <= kShortestNumberBound);
}

TEST_CASE("json_write: write_shortest equals fmt's {} on random values", "[core][json]") {
  std::mt19937_64 rng(20261206);
  std::uniform_int_distribution<std::uint64_t> bits;
  std::uniform_real_distribution<double> exponent(-45, 40);
  std::normal_distribution<double> normal;
  std::size_t checked = 0;
  for (int i = 0; i < 100000; ++i) {
    // Every bit pattern (all exponents, subnormals) and relevance-like values (every magnitude).
    const std::uint64_t b = bits(rng);
    double d;
    std::memcpy(&d, &b, sizeof d);
    const auto b32 = static_cast<std::uint32_t>(b >> 17);
    float f;
    std::memcpy(&f, &b32, sizeof f);
    const double r = normal(rng) * std::pow(10.0, exponent(rng));
    const auto rf = static_cast<float>(r);
    if (std::isfinite(d)) REQUIRE(shortest(d) == fmt::format("{}", d));
    if (std::isfinite(f)) REQUIRE(shortest(f) == fmt::format("{}", f));
    REQUIRE(shortest(r) == fmt::format("{}", r));
    if (std::isfinite(rf)) REQUIRE(shortest(rf) == fmt::format("{}", rf));
    // Every printed number reads back as the same value.
    REQUIRE(std::stod(shortest(r)) == r);
    checked += 4;
  }
  REQUIRE(checked == 400000);
}

TEST_CASE("json_write: write_json_string_within writes write_json_string's bytes", "[core][json]") {
  // Short strings inside a larger one, with bytes that need an escape inside the string, right
  // after it (read, but not part of it) and nowhere; every length 0..20 and every readable size.
  std::mt19937_64 rng(1712);
  const std::string alphabet = std::string("abcXYZ019 .-_") + "\xc3\xa9" + "\"\\<>&\n\t\x01\x7f";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> plain(0, 3);
  std::size_t fast = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string doc(40, ' ');
    for (char& c : doc) c = plain(rng) > 0 ? alphabet[pick(rng) % 13] : alphabet[pick(rng)];
    const std::size_t begin = i % 17, n = static_cast<std::size_t>(i / 17) % 21;
    const std::string_view text = std::string_view(doc).substr(begin, n);
    for (const std::size_t readable : {n, n + 1, std::size_t{16}, doc.size() - begin}) {
      if (readable < n || readable > doc.size() - begin) continue;
      char expected[json_string_bound(21)], got[json_string_bound(21) + kShortJsonStringRoom];
      const std::string want(expected, write_json_string(expected, text));
      const std::string have(got, write_json_string_within(got, text, readable));
      CAPTURE(text, readable);
      REQUIRE(have == want);
      fast += readable >= 16 && n <= 16 && want.size() == n + 2;
    }
  }
  REQUIRE(fast > 1000);  // many cases for the 16-byte path (no escape within 16 readable bytes)
}

TEST_CASE("json_write: ShortestCache writes write_shortest's bytes, again and again", "[core][json]") {
  // Values written more than once (the cache's hits), many distinct values (its collisions and
  // overwrites), floats and doubles of the same value (kept apart), 0 and -0.
  std::mt19937_64 rng(99);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> exponent(-45, 40);
  std::vector<double> values = {0.0, -0.0, 1.0, 0.1, 1e-5, 3e38, 4e38, -2.2250738585072014e-308};
  for (int i = 0; i < 3000; ++i) values.push_back(normal(rng) * std::pow(10.0, exponent(rng)));
  ShortestCache cache;
  std::uniform_int_distribution<std::size_t> pick(0, values.size() - 1);
  for (int i = 0; i < 60000; ++i) {
    const double v =
        i < 3008 ? values[static_cast<std::size_t>(i)] : values[pick(rng) % (i % 2 ? 40 : values.size())];
    const bool as_float = i % 3 != 0 && std::abs(v) <= static_cast<double>(std::numeric_limits<float>::max());
    char buf[kShortestNumberBound];
    const std::string got(buf, cache.write(buf, v, as_float));
    CAPTURE(v, as_float);
    REQUIRE(got == (as_float ? shortest(static_cast<float>(v)) : shortest(v)));
  }
  // Another thread has its own table.
  std::string other;
  std::thread t([&] {
    ShortestCache c;
    char buf[kShortestNumberBound];
    other.assign(buf, c.write(buf, 0.1, true));
  });
  t.join();
  REQUIRE(other == "0.1");
}
