// core/rng.h: SplitMix64 against the reference outputs of Vigna's splitmix64.c (seed 1234567),
// and the stateless and stateful forms agree.
#include "core/rng.h"

#include <cstdint>

#include "tests/catch.h"

using namespace textlrp;

TEST_CASE("rng: splitmix64 matches the reference generator", "[core][rng]") {
  // http://prng.di.unimi.it/splitmix64.c with x = 1234567: the first five outputs.
  std::uint64_t state = 1234567;
  CHECK(splitmix64_next(state) == 6457827717110365317ull);
  CHECK(splitmix64_next(state) == 3203168211198807973ull);
  CHECK(splitmix64_next(state) == 9817491932198370423ull);
  CHECK(splitmix64_next(state) == 4593380528125082431ull);
  CHECK(splitmix64_next(state) == 16408922859458223821ull);
  CHECK(state == 1234567 + 5 * kSplitMix64Gamma);
}

TEST_CASE("rng: the stateless form, the stream object and uniform01 agree", "[core][rng]") {
  std::uint64_t state = 42;
  SplitMix64 g(42);
  for (int k = 0; k < 10; ++k) {
    const std::uint64_t expected = splitmix64(42 + static_cast<std::uint64_t>(k) * kSplitMix64Gamma);
    CHECK(splitmix64_next(state) == expected);
    CHECK(g() == expected);
  }
  CHECK(g.state() == state);
  static_assert(splitmix64(0) == mix64(kSplitMix64Gamma));
  CHECK(uniform01(0) == 0.0);
  CHECK(uniform01(~std::uint64_t{0}) < 1.0);
  CHECK(uniform01(std::uint64_t{1} << 63) == 0.5);
  SplitMix64 u(7);
  for (int k = 0; k < 1000; ++k) {
    const double x = u.uniform();
    CHECK((x >= 0.0 && x < 1.0));
  }
}
