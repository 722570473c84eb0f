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
