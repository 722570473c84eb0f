// core/rng.h — the project's one seeded random generator: SplitMix64 (Steele, Lea & Flood 2014,
// the generator Java's SplittableRandom and xoshiro's seeding use).
//
// Everything that draws random numbers from a user's --seed uses these functions, so a seed gives
// the same numbers on every platform and compiler (std:: distributions and std::shuffle do not
// promise that). Users: the random baseline (lrp/models/classifier.cpp), k-fold splits and random
// deletion orders (analysis/knn.cpp), dropout seeds (train/bilstm_train.cpp), random embedding
// rows (embeddings/embedding_table.cpp). Header-only, constexpr where possible.
#pragma once

#include <cstdint>

namespace textlrp {

// The golden-ratio increment of SplitMix64: 2^64 / phi, odd.
inline constexpr std::uint64_t kSplitMix64Gamma = 0x9E3779B97F4A7C15ull;

// SplitMix64's output function: a bijective 64-bit mix (every input bit affects every output bit).
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Stateless: the first output of a SplitMix64 stream started at `x` (mix64(x + gamma)). Good for
// deriving independent seeds from a seed and a counter: splitmix64(seed + k).
constexpr std::uint64_t splitmix64(std::uint64_t x) { return mix64(x + kSplitMix64Gamma); }

// Advances `state` by one step and returns the next output of its SplitMix64 stream.
constexpr std::uint64_t splitmix64_next(std::uint64_t& state) {
  state += kSplitMix64Gamma;
  return mix64(state);
}

// A double uniform in [0, 1) from the top 53 bits of `bits`.
constexpr double uniform01(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

// A SplitMix64 stream as an object (a UniformRandomBitGenerator, so it also drives std:: algorithms
// when portability does not matter).
class SplitMix64 {
 public:
  using result_type = std::uint64_t;
  constexpr explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  constexpr result_type operator()() { return splitmix64_next(state_); }
  // Uniform in [0, 1).
  constexpr double uniform() { return uniform01((*this)()); }
  constexpr std::uint64_t state() const { return state_; }
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }

 private:
  std::uint64_t state_;
};

}  // namespace textlrp
