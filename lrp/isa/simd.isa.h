// lrp/isa/simd.isa.h — the vector primitives of the per-level kernels: the vector types of the level
// (GCC/Clang vector extensions, 64 bytes with AVX-512, 32 with AVX, else 16), loads and stores (whole,
// partial, masked), 1/d, e^v and the gates' σ and tanh. Included by *.isa.cpp files only (compiled once
// per instruction-set level by cmake/textlrp_isa.cmake): everything is in textlrp::TEXTLRP_ISA_NS's
// anonymous namespace, so each level's copy is its own and no inline function is shared between
// levels (the rules of cmake/textlrp_isa.cmake hold for this file too: builtins, vector extensions and
// gnu_inline intrinsics only).
#pragma once

#include <cstddef>
#include <cstdint>
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>  // only gnu_inline always-inline intrinsics: never emitted as shared functions
#endif

#ifndef TEXTLRP_ISA_NS
#error "include this file from a *.isa.cpp compiled through textlrp_isa_kernels (cmake/textlrp_isa.cmake)"
#endif

namespace textlrp::TEXTLRP_ISA_NS {
namespace {

using Size = std::ptrdiff_t;

#if defined(__AVX512F__)
constexpr int kBytes = 64, kRegisters = 32;
#elif defined(__AVX__)
constexpr int kBytes = 32, kRegisters = 16;
#else
constexpr int kBytes = 16, kRegisters = 16;
#endif

template <class T>
struct Simd;
template <>
struct Simd<double> {
  typedef double V __attribute__((vector_size(kBytes)));
  typedef double Vu __attribute__((vector_size(kBytes), aligned(8), may_alias));
  typedef std::int64_t IE;
  typedef std::int64_t I __attribute__((vector_size(kBytes)));
  static constexpr int kLanes = kBytes / 8;
};
template <>
struct Simd<float> {
  typedef float V __attribute__((vector_size(kBytes)));
  typedef float Vu __attribute__((vector_size(kBytes), aligned(4), may_alias));
  typedef std::int32_t IE;
  typedef std::int32_t I __attribute__((vector_size(kBytes)));
  static constexpr int kLanes = kBytes / 4;
};

template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V load(const T* p) {
  return *reinterpret_cast<const typename Simd<T>::Vu*>(p);
}
template <class T>
[[gnu::always_inline]] inline void store(T* p, typename Simd<T>::V v) {
  *reinterpret_cast<typename Simd<T>::Vu*>(p) = v;
}
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V splat(T x) {
  return x - typename Simd<T>::V{};  // x − 0 = x exactly (also −0), folded to a broadcast
}

// 1/d for d >= 1 (the activations' denominators): with AVX-512 the 14-bit estimate and two Newton
// steps (relative error ~1e-16 in float64, a few times float's 6e-8 in float32: within the exp's
// own error) instead of a division that takes 16 cycles per vector; elsewhere a division.
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V recip(typename Simd<T>::V d) {
#if defined(__AVX512F__)
  typename Simd<T>::V r;
  if constexpr (sizeof(T) == 8) {
    r = reinterpret_cast<typename Simd<T>::V>(_mm512_maskz_rcp14_pd(0xFF, reinterpret_cast<__m512d>(d)));
    r = r * (T(2) - d * r);
  } else {
    r = reinterpret_cast<typename Simd<T>::V>(_mm512_maskz_rcp14_ps(0xFFFF, reinterpret_cast<__m512>(d)));
  }
  return r * (T(2) - d * r);
#else
  return T(1) / d;
#endif
}
// The first n (< lanes) values of p, the rest 0; and the first n lanes of v to p. Masked loads and
// stores with AVX-512 and AVX2 (no memory is touched past n, and no store-forwarding stall of a
// vector load from scalar stores sits in the recurrence's chain); elsewhere through a buffer.
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V load_part(const T* p, Size n) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 8) {
    return reinterpret_cast<typename Simd<T>::V>(
        _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << n) - 1), reinterpret_cast<const double*>(p)));
  } else {
    return reinterpret_cast<typename Simd<T>::V>(
        _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), reinterpret_cast<const float*>(p)));
  }
#elif defined(__AVX2__)
  typename Simd<T>::I idx;
  for (int i = 0; i < Simd<T>::kLanes; ++i) idx[i] = static_cast<typename Simd<T>::IE>(i);
  const typename Simd<T>::I mask = idx < static_cast<typename Simd<T>::IE>(n);
  if constexpr (sizeof(T) == 8) {
    return reinterpret_cast<typename Simd<T>::V>(
        _mm256_maskload_pd(reinterpret_cast<const double*>(p), reinterpret_cast<__m256i>(mask)));
  } else {
    return reinterpret_cast<typename Simd<T>::V>(
        _mm256_maskload_ps(reinterpret_cast<const float*>(p), reinterpret_cast<__m256i>(mask)));
  }
#else
  T buf[Simd<T>::kLanes] = {};
  for (int i = 0; i < Simd<T>::kLanes; ++i) {
    if (i < n) buf[i] = p[i];
  }
  return load(buf);
#endif
}
template <class T>
[[gnu::always_inline]] inline void store_part(T* p, typename Simd<T>::V v, Size n) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 8) {
    _mm512_mask_storeu_pd(reinterpret_cast<double*>(p), static_cast<__mmask8>((1u << n) - 1),
                          reinterpret_cast<__m512d>(v));
  } else {
    _mm512_mask_storeu_ps(reinterpret_cast<float*>(p), static_cast<__mmask16>((1u << n) - 1),
                          reinterpret_cast<__m512>(v));
  }
#elif defined(__AVX2__)
  typename Simd<T>::I idx;
  for (int i = 0; i < Simd<T>::kLanes; ++i) idx[i] = static_cast<typename Simd<T>::IE>(i);
  const typename Simd<T>::I mask = idx < static_cast<typename Simd<T>::IE>(n);
  if constexpr (sizeof(T) == 8) {
    _mm256_maskstore_pd(reinterpret_cast<double*>(p), reinterpret_cast<__m256i>(mask),
                        reinterpret_cast<__m256d>(v));
  } else {
    _mm256_maskstore_ps(reinterpret_cast<float*>(p), reinterpret_cast<__m256i>(mask),
                        reinterpret_cast<__m256>(v));
  }
#else
  T buf[Simd<T>::kLanes];
  store(buf, v);
  for (int i = 0; i < Simd<T>::kLanes; ++i) {
    if (i < n) p[i] = buf[i];
  }
#endif
}
template <class T>
[[gnu::always_inline]] inline T lane_sum(typename Simd<T>::V v) {
  T s = 0;
  for (int l = 0; l < Simd<T>::kLanes; ++l) s += v[l];
  return s;
}
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V vabs(typename Simd<T>::V v) {
  return v < 0 ? -v : v;
}
// The first n (1 <= n <= lanes) values at p: a whole vector when n is the lane count, else load_part;
// and the first n lanes of v to p.
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V load_n(const T* p, Size n) {
  return n == Simd<T>::kLanes ? load(p) : load_part(p, n);
}
template <class T>
[[gnu::always_inline]] inline void store_n(T* p, typename Simd<T>::V v, Size n) {
  if (n == Simd<T>::kLanes) {
    store(p, v);
  } else {
    store_part(p, v, n);
  }
}

// ---- e^v and the gates.

// e^v, lane by lane: v = n·ln2 + r with |r| <= ln2/2 (Cody-Waite, with a two-part ln2), e^r by a
// minimax polynomial on [−ln2/2, ln2/2] (float64: degree 11, approximation error 3e-18 relative;
// float32: degree 6, 1.9e-9; both found by the Remez exchange in 50-digit arithmetic and rounded to
// the type; evaluated in the type (exp_poly below), the error is that of the rounding: by Horner's
// rule at most 2.0e-16 in float64, 7.7e-8 in float32, against 2.1e-16 and 6.9e-8 of the Taylor
// polynomials of degree 13 and 7 used before, at two multiply-adds less in float64 and one in
// float32; the test "the cell's activations ... over the whole range" bounds σ and tanh), 2^n written
// into the exponent bits. n = round(v/ln2) comes from adding 1.5·2^m (m = the mantissa width), which
// leaves n in the low bits of the sum. v is clamped to where 2^n is a normal number.
template <class T>
struct ExpConstants;
template <>
struct ExpConstants<double> {
  static constexpr double kLo = -708, kHi = 709, kRound = 0x1.8p52;
  static constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  static constexpr int kMantissa = 52;
  static constexpr std::int64_t kOneBits = 0x3FF0000000000000;
  static constexpr int kDegree = 11;
  static constexpr double kCoeffs[] = {2.4994293345730463e-08,
                                       2.7632308224452543e-07,
                                       2.7557622652024487e-06,
                                       2.48014864812835e-05,
                                       0.00019841269432434438,
                                       0.0013888888951261204,
                                       0.008333333333559451,
                                       0.04166666666649263,
                                       0.1666666666666617,
                                       0.5000000000000018,
                                       1.0,
                                       1.0};
};
template <>
struct ExpConstants<float> {
  static constexpr float kLo = -87, kHi = 88, kRound = 0x1.8p23f;
  static constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  static constexpr int kMantissa = 23;
  static constexpr std::int32_t kOneBits = 0x3F800000;
  static constexpr int kDegree = 6;
  static constexpr float kCoeffs[] = {0.0013836835742475305f, 0.008374824050589383f, 0.04166822618929449f,
                                      0.16666420072125315f,   0.4999999207508873f,   1.000000036344721f,
                                      1.0000000005546077f};
};

// a < b ? b : a and a > b ? b : a, lane by lane (a NaN lane of a stays a): with AVX one max/min
// instruction each (their second operand is returned when either is NaN), elsewhere a compare and a blend.
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V vmax(typename Simd<T>::V b, typename Simd<T>::V a) {
#if defined(__AVX512F__) || defined(__AVX2__)
  using V = typename Simd<T>::V;
#endif
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 8) {
    return reinterpret_cast<V>(_mm512_max_pd(reinterpret_cast<__m512d>(b), reinterpret_cast<__m512d>(a)));
  } else {
    return reinterpret_cast<V>(_mm512_max_ps(reinterpret_cast<__m512>(b), reinterpret_cast<__m512>(a)));
  }
#elif defined(__AVX2__)
  if constexpr (sizeof(T) == 8) {
    return reinterpret_cast<V>(_mm256_max_pd(reinterpret_cast<__m256d>(b), reinterpret_cast<__m256d>(a)));
  } else {
    return reinterpret_cast<V>(_mm256_max_ps(reinterpret_cast<__m256>(b), reinterpret_cast<__m256>(a)));
  }
#else
  return a < b ? b : a;
#endif
}
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V vmin(typename Simd<T>::V b, typename Simd<T>::V a) {
#if defined(__AVX512F__) || defined(__AVX2__)
  using V = typename Simd<T>::V;
#endif
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 8) {
    return reinterpret_cast<V>(_mm512_min_pd(reinterpret_cast<__m512d>(b), reinterpret_cast<__m512d>(a)));
  } else {
    return reinterpret_cast<V>(_mm512_min_ps(reinterpret_cast<__m512>(b), reinterpret_cast<__m512>(a)));
  }
#elif defined(__AVX2__)
  if constexpr (sizeof(T) == 8) {
    return reinterpret_cast<V>(_mm256_min_pd(reinterpret_cast<__m256d>(b), reinterpret_cast<__m256d>(a)));
  } else {
    return reinterpret_cast<V>(_mm256_min_ps(reinterpret_cast<__m256>(b), reinterpret_cast<__m256>(a)));
  }
#else
  return a > b ? b : a;
#endif
}

// The polynomial of e^r, evaluated in fewer dependent steps than Horner's rule (6 multiply-adds in
// float32, 11 in float64, one after the other): the cell's activations are chains of dependent
// operations the products do not hide (docs/figures.md, "Stop 17: the fused step (c1)"). float32 by
// Estrin's scheme (pairs a_2j + a_2j+1·r, then pairs of those by r², then by r⁴: 3 steps after r², 2
// operations more than Horner), float64 by Horner's rule in r² on the even and on the odd
// coefficients, then even + r·odd (6 steps after r², one operation more; Estrin's 3 more operations
// measured slower there, where the products leave fewer idle slots).
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V exp_poly(typename Simd<T>::V r) {
  using V = typename Simd<T>::V;
  using K = ExpConstants<T>;
  constexpr int D = K::kDegree;
  const auto a = [](int j) { return K::kCoeffs[D - j]; };
  const V r2 = r * r;
  if constexpr (D == 6) {
    const V p01 = r * a(1) + a(0), p23 = r * a(3) + a(2), p45 = r * a(5) + a(4);
    const V r4 = r2 * r2;
    const V q0 = p23 * r2 + p01, q1 = r2 * a(6) + p45;
    return q1 * r4 + q0;
  } else {
    static_assert(D % 2 == 1, "exp_poly: an odd degree (as many even as odd coefficients)");
    V even = splat<T>(a(D - 1)), odd = splat<T>(a(D));
    for (int j = D - 3; j >= 0; j -= 2) {
      even = even * r2 + a(j);
      odd = odd * r2 + a(j + 1);
    }
    return odd * r + even;
  }
}

// e^(−x), lane by lane: bit for bit e^v of v = −x by the method above (v's clamp, v·log2(e) and
// v − n·ln2 are those of −x, written with x so that no negation is computed).
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V vexp_neg(typename Simd<T>::V x) {
  using V = typename Simd<T>::V;
  using I = typename Simd<T>::I;
  using K = ExpConstants<T>;
  x = vmin<T>(splat<T>(-K::kLo), x);                                // v < lo
  x = vmax<T>(splat<T>(-K::kHi), x);                                // v > hi
  const V t = x * static_cast<T>(-1.4426950408889634) + K::kRound;  // v·log2(e) + round
  const V n = t - K::kRound;
  const V r = (-(n * K::kLn2Hi) - x) - n * K::kLn2Lo;  // (v − n·ln2hi) − n·ln2lo
  const V p = exp_poly<T>(r);
  const I bits = (__builtin_bit_cast(I, t) << K::kMantissa) + K::kOneBits;  // 2^n
  return p * __builtin_bit_cast(V, bits);
}
// s·σ(s·z) − (s − 1): σ(z) for s = 1, tanh(z) = 2σ(2z) − 1 for s = 2.
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V activate(typename Simd<T>::V z, typename Simd<T>::V s) {
  const typename Simd<T>::V e = vexp_neg<T>(s * z);
  return s * recip<T>(T(1) + e) - (s - T(1));
}
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V vtanh(typename Simd<T>::V z) {
  const typename Simd<T>::V e = vexp_neg<T>(z + z);
  return T(2) * recip<T>(T(1) + e) - T(1);
}

}  // namespace
}  // namespace textlrp::TEXTLRP_ISA_NS
