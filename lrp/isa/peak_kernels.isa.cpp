// lrp/isa/peak_kernels.isa.cpp — the peak multiply-add rate of one core at this file's instruction-set
// level (peak_kernels.h), compiled once per level by cmake/textlrp_isa.cmake (namespace
// textlrp::isa_<level>). Rules as for every *.isa.cpp: no Eigen, no std:: template, no project header
// with inline code; only builtins, vector extensions and gnu_inline intrinsics.
#include <cstdint>
#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>  // only gnu_inline always-inline intrinsics: never emitted as shared functions
#endif

#include "lrp/isa/peak_kernels.h"

#ifndef TEXTLRP_ISA_NS
#error "compile this file through textlrp_isa_kernels (cmake/textlrp_isa.cmake)"
#endif

namespace textlrp::TEXTLRP_ISA_NS {
namespace {

#if defined(__AVX512F__)
constexpr int kBytes = 64, kChains = 24;  // 32 zmm registers: 24 chains + the constant
#elif defined(__AVX__)
constexpr int kBytes = 32, kChains = 14;  // 16 ymm registers: 14 chains + the constant, none spilled
#else
constexpr int kBytes = 16, kChains = 14;  // 16 xmm registers
#endif

template <class T>
struct Vec {
  typedef T V __attribute__((vector_size(kBytes)));
  static constexpr int kLanes = kBytes / static_cast<int>(sizeof(T));
};

// a·a + c: one FMA instruction where the level has FMA, else a multiply and an add (two
// instructions for one multiply-add: that is the peak of such a CPU).
template <class T>
[[gnu::always_inline]] inline typename Vec<T>::V madd(typename Vec<T>::V a, typename Vec<T>::V c) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 8) {
    return reinterpret_cast<typename Vec<T>::V>(_mm512_fmadd_pd(
        reinterpret_cast<__m512d>(a), reinterpret_cast<__m512d>(a), reinterpret_cast<__m512d>(c)));
  } else {
    return reinterpret_cast<typename Vec<T>::V>(_mm512_fmadd_ps(
        reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(c)));
  }
#elif defined(__FMA__) && defined(__AVX__)
  if constexpr (sizeof(T) == 8) {
    return reinterpret_cast<typename Vec<T>::V>(_mm256_fmadd_pd(
        reinterpret_cast<__m256d>(a), reinterpret_cast<__m256d>(a), reinterpret_cast<__m256d>(c)));
  } else {
    return reinterpret_cast<typename Vec<T>::V>(_mm256_fmadd_ps(
        reinterpret_cast<__m256>(a), reinterpret_cast<__m256>(a), reinterpret_cast<__m256>(c)));
  }
#else
  return a * a + c;
#endif
}

template <class T>
double peak_impl(std::int64_t iterations, std::int64_t* macs) {
  using V = typename Vec<T>::V;
  constexpr int L = Vec<T>::kLanes;
  // 3/16: a -> a² + 3/16 has the attracting fixed point 1/4 (derivative 1/2 there) and the
  // repelling one 3/4; from the different starts i/64 in [0, 3/8) every value stays in [0, 3/8).
  // (Equal starts would let the compiler merge the chains into one.)
  const V c = T(0.1875) - V{};
  V a[kChains];
#pragma GCC unroll 32
  for (int i = 0; i < kChains; ++i) a[i] = T(i) / T(64) - V{};
  for (std::int64_t n = 0; n < iterations; ++n) {
#pragma GCC unroll 32
    for (int i = 0; i < kChains; ++i) a[i] = madd<T>(a[i], c);
  }
  double sum = 0;
  for (int i = 0; i < kChains; ++i) {
    for (int l = 0; l < L; ++l) sum += static_cast<double>(a[i][l]);
  }
  if (macs != nullptr) *macs = (iterations > 0 ? iterations : 0) * kChains * L;
  return sum;
}

}  // namespace

double fma_peak_f64(std::int64_t iterations, std::int64_t* macs) {
  return peak_impl<double>(iterations, macs);
}
double fma_peak_f32(std::int64_t iterations, std::int64_t* macs) {
  return peak_impl<float>(iterations, macs);
}

}  // namespace textlrp::TEXTLRP_ISA_NS
