// lrp/isa/lstm_kernels.isa.cpp — the LSTM kernels (lstm_kernels.h) but the relevance pass: packing, the
// matrix product, the cells, the LRP cell and the fused recurrent step, and the kernel tables (with
// lstm_relevance.isa.cpp's entry points, declared in lstm_parts.isa.h); written once with GCC/Clang
// vector extensions and compiled once per instruction-set level by cmake/textlrp_isa.cmake (all of it in
// textlrp::isa_<level>; chosen at run time through core/cpu_isa.h, see lrp/layers/lstm_kernels_dispatch.cpp).
// The vector types, loads and stores, e^v and the gates are lrp/isa/simd.isa.h (the width follows the
// level: 64 bytes with AVX-512, 32 registers; 32 with AVX; else 16).
//
// Rules of this file (it is compiled for CPUs the program may not run on): no Eigen, no std::
// function or template (their inline copies would be shared with generic code), only builtins,
// vector extensions, gnu_inline intrinsics and this namespace's own functions.
#include <cstddef>
#include <cstdint>
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>  // only gnu_inline always-inline intrinsics: never emitted as shared functions
#endif

#include "lrp/isa/lstm_kernels.h"
#include "lrp/isa/lstm_parts.isa.h"
#include "lrp/isa/simd.isa.h"

#ifndef TEXTLRP_ISA_NS
#error "compile this file through textlrp_isa_kernels (cmake/textlrp_isa.cmake)"
#endif

namespace textlrp::TEXTLRP_ISA_NS {
namespace {

using lrp::lstm_kernels::kRuleHalf;
using lrp::lstm_kernels::kRuleProportional;
using lrp::lstm_kernels::kRuleSignalTakeAll;
using lrp::lstm_kernels::Table;

// Rows x vectors of the multi-row micro-kernel: accumulators + W vectors + broadcasts fit the registers.
constexpr int kRows = kRegisters >= 32 ? 4 : 2;
constexpr int kSubVectors = 4;

// ---- Packing and the matrix product.

template <class T>
Size panels_size_impl(Size n_in, Size n_out) {
  const Size P = panel_width<T>(n_out);
  return (n_out + P - 1) / P * P * n_in;
}

template <class T>
void pack_panels_impl(const T* w, Size rs, Size cs, Size n_in, Size n_out, T* out) {
  const Size P = panel_width<T>(n_out);
  for (Size j0 = 0; j0 < n_out; j0 += P) {
    for (Size k = 0; k < n_in; ++k) {
      for (Size j = 0; j < P; ++j) *out++ = j0 + j < n_out ? w[k * rs + (j0 + j) * cs] : T(0);
    }
  }
}

// acc[r][m] += Σ_k x[r][k] · W(k, m-th vector of the block), k over [0, nk) forwards or backwards;
// w points at the block's first column in row k = 0 of the panel (row stride P).
template <class T, int R, int M, bool Rev>
[[gnu::always_inline]] inline void micro(const T* x, Size ldx, const T* w, Size P, Size nk, T* y, Size ldy,
                                         Size n_cols) {
  using V = typename Simd<T>::V;
  constexpr int L = Simd<T>::kLanes;
  V acc[R][M];
  const bool full = n_cols >= M * L;
  for (int r = 0; r < R; ++r) {
    for (int m = 0; m < M; ++m) {
      const Size left = n_cols - m * L;
      acc[r][m] = full || left >= L ? load(y + r * ldy + m * L)
                                    : (left > 0 ? load_part(y + r * ldy + m * L, left) : V{});
    }
  }
  for (Size i = 0; i < nk; ++i) {
    const Size k = Rev ? nk - 1 - i : i;
    const T* wk = w + k * P;
    V wv[M];
    for (int m = 0; m < M; ++m) wv[m] = load(wk + m * L);
    for (int r = 0; r < R; ++r) {
      const V xv = splat(x[r * ldx + k]);
      for (int m = 0; m < M; ++m) acc[r][m] += xv * wv[m];
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int m = 0; m < M; ++m) {
      const Size left = n_cols - m * L;
      if (full || left >= L) {
        store(y + r * ldy + m * L, acc[r][m]);
      } else if (left > 0) {
        store_part(y + r * ldy + m * L, acc[r][m], left);
      }
    }
  }
}

// micro<T, R, m, Rev> with m = nv (1 <= nv <= M), the vectors that hold the n_cols columns: the
// zero padding of a panel past them (the last panel of W_hh's and W_ih's transposes, 4H = 240
// columns in panels of 64 or 128) is neither loaded nor multiplied. Each column is summed in the
// same order whatever m, so the results are bit for bit those of the full width.
template <class T, int R, int M, bool Rev>
[[gnu::always_inline]] inline void micro_upto(int nv, const T* x, Size ldx, const T* w, Size P, Size nk, T* y,
                                              Size ldy, Size n_cols) {
  if constexpr (M > 1) {
    if (nv < M) {
      micro_upto<T, R, M - 1, Rev>(nv, x, ldx, w, P, nk, y, ldy, n_cols);
      return;
    }
  }
  micro<T, R, M, Rev>(x, ldx, w, P, nk, y, ldy, n_cols);
}

// One panel (its columns [j0, j0 + n_cols), n_cols <= P) for all rows.
template <class T, bool Rev>
[[gnu::always_inline]] inline void gemm_panel(const T* x, Size ldx, Size n_rows, const T* panel, Size P,
                                              Size nk, T* y, Size ldy, Size n_cols) {
  constexpr int L = Simd<T>::kLanes;
  if (n_rows == 1) {
    const int nv = static_cast<int>((n_cols + L - 1) / L);
    if (P == kPanelVectors * L) {
      micro_upto<T, 1, kPanelVectors, Rev>(nv, x, ldx, panel, P, nk, y, ldy, n_cols);
    } else {
      micro_upto<T, 1, 4, Rev>(nv, x, ldx, panel, P, nk, y, ldy, n_cols);
    }
    return;
  }
  for (Size c = 0; c < n_cols; c += kSubVectors * L) {
    const Size nc = n_cols - c < kSubVectors * L ? n_cols - c : kSubVectors * L;
    const int nv = static_cast<int>((nc + L - 1) / L);
    Size r = 0;
    for (; r + kRows <= n_rows; r += kRows) {
      micro_upto<T, kRows, kSubVectors, Rev>(nv, x + r * ldx, ldx, panel + c, P, nk, y + r * ldy + c, ldy,
                                             nc);
    }
    for (; r < n_rows; ++r)
      micro_upto<T, 1, kSubVectors, Rev>(nv, x + r * ldx, ldx, panel + c, P, nk, y + r * ldy + c, ldy, nc);
  }
}

template <class T>
void gemm_impl(const T* x, Size ldx, Size n_rows, const T* panels, Size n_in, Size k0, Size k1, Size n_out,
               T* y, Size ldy, int reverse) {
  const Size P = panel_width<T>(n_out);
  const Size n_panels = (n_out + P - 1) / P;
  const Size nk = k1 - k0;
  if (nk <= 0 || n_rows <= 0) return;
  for (Size i = 0; i < n_panels; ++i) {
    const Size p = reverse ? n_panels - 1 - i : i;
    const Size j0 = p * P;
    const Size n_cols = n_out - j0 < P ? n_out - j0 : P;
    const T* panel = panels + p * P * n_in + k0 * P;
    if (reverse) {
      gemm_panel<T, true>(x, ldx, n_rows, panel, P, nk, y + j0, ldy, n_cols);
    } else {
      gemm_panel<T, false>(x, ldx, n_rows, panel, P, nk, y + j0, ldy, n_cols);
    }
  }
}

template <class T>
void cell_impl(const T* z, Size ldz, Size n_rows, Size H, T* a, Size lda, const T* c_prev, Size ldcp, T* c,
               Size ldc, T* tc, Size ldtc, T* h, Size ldh) {
  using V = typename Simd<T>::V;
  using I = typename Simd<T>::I;
  constexpr int L = Simd<T>::kLanes;
  I lane;
  for (int l = 0; l < L; ++l) lane[l] = static_cast<typename Simd<T>::IE>(l);
  const Size G = 4 * H;
  for (Size r = 0; r < n_rows; ++r) {
    const T* zr = z + r * ldz;
    T* ar = a + r * lda;
    // The gates: one exponential over all 4H, s = 2 on the g block [H, 2H).
    Size j = 0;
    for (; j + L <= G; j += L) {
      const I idx = lane + static_cast<typename Simd<T>::IE>(j);
      const V s =
          (idx >= static_cast<typename Simd<T>::IE>(H)) & (idx < static_cast<typename Simd<T>::IE>(2 * H))
              ? splat<T>(2)
              : splat<T>(1);
      store(ar + j, activate<T>(load(zr + j), s));
    }
    if (j < G) {
      const I idx = lane + static_cast<typename Simd<T>::IE>(j);
      const V s =
          (idx >= static_cast<typename Simd<T>::IE>(H)) & (idx < static_cast<typename Simd<T>::IE>(2 * H))
              ? splat<T>(2)
              : splat<T>(1);
      store_part(ar + j, activate<T>(load_part(zr + j, G - j), s), G - j);
    }
    // c = f ⊙ c_prev + i ⊙ g, tc = tanh(c), h = o ⊙ tc.
    const T* cp = c_prev != nullptr ? c_prev + r * ldcp : nullptr;
    T* cr = c + r * ldc;
    T* tr = tc + r * ldtc;
    T* hr = h + r * ldh;
    for (Size k = 0; k < H; k += L) {
      const Size n = H - k < L ? H - k : L;
      const V i = load_n<T>(ar + k, n), g = load_n<T>(ar + H + k, n), f = load_n<T>(ar + 2 * H + k, n),
              o = load_n<T>(ar + 3 * H + k, n);
      V cv = i * g;
      if (cp != nullptr) cv = f * load_n<T>(cp + k, n) + cv;
      const V t = vtanh<T>(cv);
      const V hv = o * t;
      store_n<T>(cr + k, cv, n);
      store_n<T>(tr + k, t, n);
      store_n<T>(hr + k, hv, n);
    }
  }
}

template <class T>
void cell_backward_impl(const T* a, Size lda, const T* tc, Size ldtc, const T* c_prev, Size ldcp, const T* dh,
                        Size lddh, Size n_rows, Size H, T* dc, Size lddc, T* dz, Size lddz) {
  using V = typename Simd<T>::V;
  constexpr int L = Simd<T>::kLanes;
  for (Size r = 0; r < n_rows; ++r) {
    const T* ar = a + r * lda;
    const T* tr = tc + r * ldtc;
    const T* cp = c_prev != nullptr ? c_prev + r * ldcp : nullptr;
    const T* dhr = dh + r * lddh;
    T* dcr = dc + r * lddc;
    T* g = dz + r * lddz;
    for (Size k = 0; k < H; k += L) {
      const Size n = H - k < L ? H - k : L;
      const V i = load_n<T>(ar + k, n), gg = load_n<T>(ar + H + k, n), f = load_n<T>(ar + 2 * H + k, n),
              o = load_n<T>(ar + 3 * H + k, n);
      const V t = load_n<T>(tr + k, n), d_h = load_n<T>(dhr + k, n);
      const V d_o = d_h * t;
      const V d_c = load_n<T>(dcr + k, n) + d_h * o * (T(1) - t * t);
      store_n<T>(g + k, d_c * gg * i * (T(1) - i), n);       // ∂z_i
      store_n<T>(g + H + k, d_c * i * (T(1) - gg * gg), n);  // ∂z_g
      if (cp != nullptr) {  // ∂z_f (an explicit branch: never a load from a null c_prev)
        store_n<T>(g + 2 * H + k, d_c * load_n<T>(cp + k, n) * f * (T(1) - f), n);
      } else {
        store_n<T>(g + 2 * H + k, V{}, n);
      }
      store_n<T>(g + 3 * H + k, d_o * o * (T(1) - o), n);  // ∂z_o
      store_n<T>(dcr + k, d_c * f, n);
    }
  }
}

// ---- LRP.

template <class T>
double lrp_ratios_impl(const T* y, const T* r, const T* b, T eps, T* q, Size n) {
  using V = typename Simd<T>::V;
  constexpr int L = Simd<T>::kLanes;
  const V zero = V{}, one = splat<T>(1), minus_one = splat<T>(-1);
  V acc = zero;
  Size j = 0;
  for (; j + L <= n; j += L) {
    const V yv = load(y + j);
    const V s = yv >= 0 ? one : minus_one;
    const V den = yv + eps * s;
    const V qv = den == 0 ? zero : load(r + j) / den;
    store(q + j, qv);
    acc += (b != nullptr ? load(b + j) + eps * s : eps * s) * qv;
  }
  double sum = static_cast<double>(lane_sum<T>(acc));
  for (; j < n; ++j) {
    const T s = y[j] >= 0 ? T(1) : T(-1);
    const T den = y[j] + eps * s;
    q[j] = den == 0 ? T(0) : r[j] / den;
    sum += static_cast<double>(((b != nullptr ? b[j] : T(0)) + eps * s) * q[j]);
  }
  return sum;
}

// The gate rule on p = gate ⊙ signal with relevance rv: the gate's share (the signal gets rv − it).
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V gate_share(int rule, typename Simd<T>::V gate,
                                                             typename Simd<T>::V signal,
                                                             typename Simd<T>::V rv) {
  using V = typename Simd<T>::V;
  if (rule == kRuleSignalTakeAll) return V{};
  if (rule == kRuleHalf) return T(0.5) * rv;
  const V ug = vabs<T>(gate), us = vabs<T>(signal);
  const V sum = ug + us;
  const V share = sum > 0 ? ug / (sum > 0 ? sum : splat<T>(1)) : splat<T>(0.5);
  return share * rv;
}

template <class T>
void lrp_cell_impl(int rule, const T* a, const T* c, const T* c_prev, const T* tc, const T* rh, T* rc, T* rz,
                   Size H, T eps, double cell_share) {
  using V = typename Simd<T>::V;
  constexpr int L = Simd<T>::kLanes;
  const V zero = V{}, one = splat<T>(1), minus_one = splat<T>(-1);
  // Pass 1: h_t = o ⊙ tanh(c_t) -> R(o) into rz_o, the signal's part joins R(c_t); the ratios
  // q_j = R(c_t)_j / (c_j + εσ_j) of the identity map c_t = f⊙c_{t−1} + i⊙g go into rz_i (scratch).
  V acc = zero;
  for (Size k = 0; k < H; k += L) {
    const Size n = H - k < L ? H - k : L;
    const V rhv = load_n<T>(rh + k, n);
    const V ro = gate_share<T>(rule, load_n<T>(a + 3 * H + k, n), load_n<T>(tc + k, n), rhv);
    store_n<T>(rz + 3 * H + k, ro, n);
    const V rcv = load_n<T>(rc + k, n) + (rhv - ro);
    const V cv = load_n<T>(c + k, n);
    const V s = cv >= 0 ? one : minus_one;
    const V den = cv + eps * s;
    const V qv = den == 0 ? zero : rcv / (den == 0 ? one : den);
    store_n<T>(rz + k, qv, n);
    // Lanes past H are 0 (load_part), so they add nothing.
    acc += eps * s * qv;
  }
  // (Bias factor 0, the default: no share, and the sum stays off the recurrence's critical path.)
  const T beta = cell_share == 0 ? T(0) : static_cast<T>(cell_share * static_cast<double>(lane_sum<T>(acc)));
  // Pass 2: R(f⊙c_{t−1}) = f c_{t−1} q + β, R(i⊙g) = i g q + β, each split by the gate rule.
  for (Size k = 0; k < H; k += L) {
    const Size n = H - k < L ? H - k : L;
    const V qv = load_n<T>(rz + k, n);
    const V i = load_n<T>(a + k, n), g = load_n<T>(a + H + k, n), f = load_n<T>(a + 2 * H + k, n);
    const V cp = c_prev != nullptr ? load_n<T>(c_prev + k, n) : zero;
    const V ra = f * cp * qv + beta;
    const V rb = i * g * qv + beta;
    const V rf = gate_share<T>(rule, f, cp, ra);
    store_n<T>(rz + 2 * H + k, rf, n);
    store_n<T>(rc + k, ra - rf, n);
    const V ri = gate_share<T>(rule, i, g, rb);
    store_n<T>(rz + k, ri, n);
    store_n<T>(rz + H + k, rb - ri, n);
  }
}

// The end of a fused step's cell for the n (<= L) units at u0: c = f ⊙ c_prev + i ⊙ g (as cell_impl),
// tc = tanh(c), h = o ⊙ tc, stored.
template <class T>
[[gnu::always_inline]] inline void cell_out(typename Simd<T>::V i, typename Simd<T>::V g,
                                            typename Simd<T>::V f, typename Simd<T>::V o, const T* cp,
                                            Size u0, Size n, T* c, T* tc, T* h) {
  typename Simd<T>::V cv = i * g;
  if (cp != nullptr) cv = f * load_n<T>(cp + u0, n) + cv;
  const typename Simd<T>::V t = vtanh<T>(cv);
  store_n<T>(c + u0, cv, n);
  store_n<T>(tc + u0, t, n);
  store_n<T>(h + u0, o * t, n);
}

// ---- One fused recurrent step (Table::step).
//
// W_hhᵀ gate-interleaved: the hidden units in chunks of one vector width L (the last one zero-padded,
// or compact with AVX-512, see kCompactStep), two chunks to a panel; row k of panel p holds, for each
// of its chunks, the vectors W_hh(i rows, k), W_hh(g rows, k), W_hh(f rows, k), W_hh(o rows, k) of the
// chunk's units. A panel's 4 or 8 accumulators are then whole gates of its units, and their cell can
// run while the next panel's products do (kDeferCell).

// Chunks per panel: 8 accumulators in flight (16 with AVX-512's 32 registers measured slower: the
// cell then spills; 12 and 4, with the deferred cell below, slower too). The fused step is offered
// with AVX and up only: with 16-byte vectors it measured 3-11 % slower than gemm + cell (one 20-step
// sequence, H = 20 and 60), with AVX2 5-20 % faster and with AVX-512 1-9 % (float64 is bound by
// streaming W_hh from L2 either way).
constexpr int kStepChunks = 2;
#if defined(__AVX__)
constexpr bool kFusedStep = true;
#else
constexpr bool kFusedStep = false;
#endif

// With AVX-512 a last chunk of n < L units is packed compact: its 4 gates' n columns one after the
// other (gate q's unit l at position q·n + l of ⌈4n/L⌉ vectors, not 4: H = 60 is 3 vectors instead of
// 4 in float32, 2 instead of 4 in float64), so no step loads or multiplies the zero padding; masked
// loads and stores move its z and a to and from the gate blocks, and two-source permutes line the
// gates up for the cell. Elsewhere (no cheap two-source permute) the chunk is padded to 4 vectors.
#if defined(__AVX512F__)
constexpr bool kCompactStep = true;
#else
constexpr bool kCompactStep = false;
#endif

// Vectors of the last chunk's part of a panel row: 4, or ⌈4n/L⌉ when it is compact.
template <class T>
constexpr Size step_last_vectors(Size H) {
  constexpr Size L = Simd<T>::kLanes;
  const Size n = H - (H - 1) / L * L;
  return kCompactStep && n < L ? (4 * n + L - 1) / L : 4;
}

template <class T>
Size step_panels_size_impl(Size H) {
  constexpr Size L = Simd<T>::kLanes;
  const Size n_chunks = (H + L - 1) / L;
  return H * ((n_chunks - 1) * 4 + step_last_vectors<T>(H)) * L;
}

template <class T>
void pack_step_impl(const T* w_hh, Size H, T* out) {
  constexpr Size L = Simd<T>::kLanes;
  const Size n_chunks = (H + L - 1) / L;
  const Size n_last = H - (n_chunks - 1) * L;
  const bool compact = kCompactStep && n_last < L;
  for (Size c0 = 0; c0 < n_chunks; c0 += kStepChunks) {
    const Size nc = n_chunks - c0 < kStepChunks ? n_chunks - c0 : kStepChunks;
    for (Size k = 0; k < H; ++k) {
      for (Size ci = 0; ci < nc; ++ci) {
        const Size u0 = (c0 + ci) * L;
        if (compact && c0 + ci == n_chunks - 1) {
          const Size width = step_last_vectors<T>(H) * L;
          for (Size f = 0; f < width; ++f) {
            *out++ = f < 4 * n_last ? w_hh[((f / n_last) * H + u0 + f % n_last) * H + k] : T(0);
          }
          continue;
        }
        for (Size q = 0; q < 4; ++q) {
          for (Size l = 0; l < L; ++l) {
            const Size u = u0 + l;
            *out++ = u < H ? w_hh[(q * H + u) * H + k] : T(0);
          }
        }
      }
    }
  }
}

#if defined(__AVX512F__)
// Lanes [lo, hi) of a vector (0 <= lo <= hi <= L) as a mask.
[[gnu::always_inline]] inline unsigned lane_mask(Size lo, Size hi) {
  return ((hi >= 32 ? 0u : (1u << hi)) - 1u) & ~((1u << lo) - 1u);
}
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V mask_load(typename Simd<T>::V src, unsigned m, const T* p) {
  using V = typename Simd<T>::V;
  if constexpr (sizeof(T) == 8) {
    return reinterpret_cast<V>(_mm512_mask_loadu_pd(reinterpret_cast<__m512d>(src), static_cast<__mmask8>(m),
                                                    reinterpret_cast<const double*>(p)));
  } else {
    return reinterpret_cast<V>(_mm512_mask_loadu_ps(reinterpret_cast<__m512>(src), static_cast<__mmask16>(m),
                                                    reinterpret_cast<const float*>(p)));
  }
}
template <class T>
[[gnu::always_inline]] inline void mask_store(T* p, unsigned m, typename Simd<T>::V v) {
  if constexpr (sizeof(T) == 8) {
    _mm512_mask_storeu_pd(reinterpret_cast<double*>(p), static_cast<__mmask8>(m),
                          reinterpret_cast<__m512d>(v));
  } else {
    _mm512_mask_storeu_ps(reinterpret_cast<float*>(p), static_cast<__mmask16>(m),
                          reinterpret_cast<__m512>(v));
  }
}
// Lanes off, off + 1, ... of the concatenation a:b (indices taken mod 2L).
template <class T>
[[gnu::always_inline]] inline typename Simd<T>::V lanes_from(typename Simd<T>::V a, typename Simd<T>::V b,
                                                             typename Simd<T>::I idx) {
  using V = typename Simd<T>::V;
  if constexpr (sizeof(T) == 8) {
    return reinterpret_cast<V>(_mm512_permutex2var_pd(
        reinterpret_cast<__m512d>(a), reinterpret_cast<__m512i>(idx), reinterpret_cast<__m512d>(b)));
  } else {
    return reinterpret_cast<V>(_mm512_permutex2var_ps(
        reinterpret_cast<__m512>(a), reinterpret_cast<__m512i>(idx), reinterpret_cast<__m512>(b)));
  }
}
// The n lanes from position start of the compact vectors v[0, NV) (start < NV·L), in lanes [0, n).
template <class T, int NV>
[[gnu::always_inline]] inline typename Simd<T>::V compact_gate(const typename Simd<T>::V (&v)[NV],
                                                               Size start) {
  using V = typename Simd<T>::V;
  using I = typename Simd<T>::I;
  constexpr int L = Simd<T>::kLanes;
  I idx;
  for (int l = 0; l < L; ++l) idx[l] = static_cast<typename Simd<T>::IE>(l);
  idx += static_cast<typename Simd<T>::IE>(start % L);
  const Size j = start / L;
  V r = lanes_from<T>(v[0], v[NV > 1 ? 1 : 0], idx);
  if constexpr (NV > 1) {
    if (j == 1) r = lanes_from<T>(v[1], v[NV > 2 ? 2 : 1], idx);
  }
  if constexpr (NV > 2) {
    if (j == 2) r = lanes_from<T>(v[2], v[NV > 3 ? 3 : 2], idx);
  }
  if constexpr (NV > 3) {
    if (j == 3) r = lanes_from<T>(v[3], v[3], idx);
  }
  return r;
}
#endif

// The deferred cell of a panel whose z is in memory (chunk at unit u0 of n units: its 4 gates' n units
// at z + q·H + u0), in parts: gate q's activation to a, and then (cell_tail) c, tanh(c), h from a.
// Exactly the arithmetic of cell_impl (and of step_panel's cell below). Masked loads and stores
// (AVX-512: no branch on n, the same cost as whole vectors).
template <class T, int Q>
[[gnu::always_inline]] inline void cell_gate(Size u0, Size n, Size H, const T* z, T* a) {
  const typename Simd<T>::V s = splat<T>(Q == 1 ? T(2) : T(1));
  store_part<T>(a + Q * H + u0, activate<T>(load_part<T>(z + Q * H + u0, n), s), n);
}
template <class T>
[[gnu::always_inline]] inline void cell_tail(Size u0, Size n, Size H, const T* cp, const T* a, T* c, T* tc,
                                             T* h) {
  using V = typename Simd<T>::V;
  const V i = load_part<T>(a + u0, n), g = load_part<T>(a + H + u0, n), f = load_part<T>(a + 2 * H + u0, n),
          o = load_part<T>(a + 3 * H + u0, n);
  V cv = i * g;
  if (cp != nullptr) cv = f * load_part<T>(cp + u0, n) + cv;
  const V t = vtanh<T>(cv);
  store_part<T>(c + u0, cv, n);
  store_part<T>(tc + u0, t, n);
  store_part<T>(h + u0, o * t, n);
}

// acc[m] += Σ_k hp[k] · w(k, m-th vector) over the loop's iterations [i0, i1) (k = i or H − 1 − i).
template <class T, int M, bool Rev>
[[gnu::always_inline]] inline void step_products(typename Simd<T>::V (&acc)[M], const T* hp, const T* w,
                                                 Size H, Size i0, Size i1) {
  using V = typename Simd<T>::V;
  constexpr int L = Simd<T>::kLanes;
  for (Size i = i0; i < i1; ++i) {
    const Size k = Rev ? H - 1 - i : i;
    const T* wk = w + k * (M * L);
    V wv[M];
    for (int m = 0; m < M; ++m) wv[m] = load(wk + m * L);
    const V xv = splat(hp[k]);
    for (int m = 0; m < M; ++m) acc[m] += xv * wv[m];
  }
}

// One part of a deferred cell: the products of the next `stride` iterations from i (up to end), then
// gate Q's activation of the n units at u0 (s = 2 for g is a constant: no multiply by s). Returns the
// next iteration.
template <class T, int M, bool Rev, int Q>
[[gnu::always_inline]] inline Size gate_part(typename Simd<T>::V (&acc)[M], const T* hp, const T* w, Size H,
                                             Size i, Size stride, Size end, Size u0, Size n, const T* z,
                                             T* a) {
  const Size i1 = i + stride < end ? i + stride : end;
  step_products<T, M, Rev>(acc, hp, w, H, i, i1);
  cell_gate<T, Q>(u0, n, H, z, a);
  return i1;
}

// The deferred cell of the chunks [pc0, pc0 + pnc) runs inside the next panel's product loop, one part
// evenly spread over the loop (one every H/(6·pnc) iterations: measured best, against 2 to 8, and 5 before
// the shorter activations of stop 17): the 4
// activations of each chunk, then their c, tanh(c), h.

// The last panel's cell of a step in the order of its dependences (all activations first, the full
// chunks' o last, then c, tanh(c), h, then the stores of z and a) or chunk by chunk (as before stop
// 17). By dependence measured 0.985× in float32 and 1.10× in float64, where the compiler then keeps
// accumulators of 12 product loops in memory (register pressure: the float64 exponential's 12
// coefficients stay in registers across the loops).
template <class T>
constexpr bool kCellByDependence = sizeof(T) == 4;

// The chunks [c0, c0 + NC) of one step; w = their panel, row stride M·L. NVL > 0: the last of them is
// the compact last chunk (NVL vectors; AVX-512 only). Cell: their cell at the end (else only z is
// stored, for a later deferred cell); pnc > 0: the deferred cell of the chunks [pc0, pc0 + pnc), whose
// z is in memory, runs inside the product loop.
template <class T, int NC, bool Rev, int NVL, bool Cell>
[[gnu::always_inline]] inline void step_panel(const T* zx, const T* hp, const T* cp, const T* w, Size H,
                                              Size c0, T* z, T* a, T* c, T* tc, T* h,
                                              [[maybe_unused]] Size pc0, Size pnc) {
  using V = typename Simd<T>::V;
  constexpr int L = Simd<T>::kLanes;
  constexpr int NF = NVL > 0 ? NC - 1 : NC;  // chunks of 4 vectors
  constexpr int M = 4 * NF + NVL;
  V acc[M];
  for (int ci = 0; ci < NF; ++ci) {
    const Size u0 = (c0 + ci) * L;
    const Size n = H - u0 < L ? H - u0 : L;
    for (int q = 0; q < 4; ++q) acc[ci * 4 + q] = load_n<T>(zx + q * H + u0, n);
  }
#if defined(__AVX512F__)
  const Size uc = (c0 + NF) * L, nl = H - uc;  // the compact chunk's units [uc, H)
  if constexpr (NVL > 0) {
    // Lane p of compact vector v is gate q = (vL + p)/nl's unit vL + p − q·nl.
    for (int v = 0; v < NVL; ++v) {
      acc[4 * NF + v] = V{};
      for (Size q = 0; q < 4; ++q) {
        const Size lo = q * nl - v * L, hi = lo + nl;
        if (hi <= 0 || lo >= L) continue;
        acc[4 * NF + v] =
            mask_load<T>(acc[4 * NF + v], lane_mask(lo < 0 ? 0 : lo, hi > L ? L : hi), zx + q * H + uc - lo);
      }
    }
  }
#endif
  Size i = 0;
  if (pnc > 0) {
#if defined(__AVX512F__)
    const Size end = hp != nullptr ? H : 0;
    const Size stride = H / (6 * pnc) > 0 ? H / (6 * pnc) : 1;
    for (Size ci = 0; ci < pnc; ++ci) {
      const Size u0 = (pc0 + ci) * L, n = H - u0 < L ? H - u0 : L;
      i = gate_part<T, M, Rev, 0>(acc, hp, w, H, i, stride, end, u0, n, z, a);
      i = gate_part<T, M, Rev, 1>(acc, hp, w, H, i, stride, end, u0, n, z, a);
      i = gate_part<T, M, Rev, 2>(acc, hp, w, H, i, stride, end, u0, n, z, a);
      i = gate_part<T, M, Rev, 3>(acc, hp, w, H, i, stride, end, u0, n, z, a);
    }
    for (Size ci = 0; ci < pnc; ++ci) {
      const Size u0 = (pc0 + ci) * L, n = H - u0 < L ? H - u0 : L;
      const Size i1 = i + stride < end ? i + stride : end;
      step_products<T, M, Rev>(acc, hp, w, H, i, i1);
      i = i1;
      cell_tail<T>(u0, n, H, cp, a, c, tc, h);
    }
#endif
  }
  if (hp != nullptr) step_products<T, M, Rev>(acc, hp, w, H, i, H);
  if constexpr (!Cell) {
    for (int ci = 0; ci < NF; ++ci) {
      const Size u0 = (c0 + ci) * L;
      const Size n = H - u0 < L ? H - u0 : L;
      for (int q = 0; q < 4; ++q) store_n<T>(z + q * H + u0, acc[ci * 4 + q], n);
    }
#if defined(__AVX512F__)
    if constexpr (NVL > 0) {
      for (int v = 0; v < NVL; ++v) {
        for (Size q = 0; q < 4; ++q) {
          const Size lo = q * nl - v * L, hi = lo + nl;
          if (hi <= 0 || lo >= L) continue;
          mask_store<T>(z + q * H + uc - lo, lane_mask(lo < 0 ? 0 : lo, hi > L ? L : hi), acc[4 * NF + v]);
        }
      }
    }
#endif
    return;
  }
  if constexpr (kCellByDependence<T>) {
    // The cell, in the order of its dependences (this part of the last panel is what the next step
    // waits for): all activations, the compact chunk's first (its gates still need permutes), the full
    // chunks' o last (needed only for h); then c, tanh(c), h; the stores of z and a last.
    const V one = splat<T>(1), two = splat<T>(2);
#if defined(__AVX512F__)
    using I = typename Simd<T>::I;
    using IE = typename Simd<T>::IE;
    V av[NVL > 0 ? NVL : 1];
    if constexpr (NVL > 0) {
      I lane;
      for (int l = 0; l < L; ++l) lane[l] = static_cast<IE>(l);
      for (int v = 0; v < NVL; ++v) {
        const I pos = lane + static_cast<IE>(v * L);  // s = 2 on the g gate's positions [nl, 2nl)
        const V s = (pos >= static_cast<IE>(nl)) & (pos < static_cast<IE>(2 * nl)) ? two : one;
        av[v] = activate<T>(acc[4 * NF + v], s);
      }
    }
#endif
    V act[NF > 0 ? NF : 1][4];
    for (int ci = 0; ci < NF; ++ci) {
      act[ci][0] = activate<T>(acc[ci * 4], one);
      act[ci][1] = activate<T>(acc[ci * 4 + 1], two);
      act[ci][2] = activate<T>(acc[ci * 4 + 2], one);
    }
    for (int ci = 0; ci < NF; ++ci) act[ci][3] = activate<T>(acc[ci * 4 + 3], one);
#if defined(__AVX512F__)
    if constexpr (NVL > 0) {
      const V i = compact_gate<T, NVL>(av, 0), g = compact_gate<T, NVL>(av, nl);
      const V f = compact_gate<T, NVL>(av, 2 * nl), o = compact_gate<T, NVL>(av, 3 * nl);
      cell_out<T>(i, g, f, o, cp, uc, nl, c, tc, h);
    }
#endif
    for (int ci = 0; ci < NF; ++ci) {
      const Size u0 = (c0 + ci) * L;
      const Size n = H - u0 < L ? H - u0 : L;
      cell_out<T>(act[ci][0], act[ci][1], act[ci][2], act[ci][3], cp, u0, n, c, tc, h);
    }
    for (int ci = 0; ci < NF; ++ci) {
      const Size u0 = (c0 + ci) * L;
      const Size n = H - u0 < L ? H - u0 : L;
      for (int q = 0; q < 4; ++q) {
        store_n<T>(z + q * H + u0, acc[ci * 4 + q], n);
        store_n<T>(a + q * H + u0, act[ci][q], n);
      }
    }
#if defined(__AVX512F__)
    if constexpr (NVL > 0) {
      for (int v = 0; v < NVL; ++v) {
        for (Size q = 0; q < 4; ++q) {
          const Size lo = q * nl - v * L, hi = lo + nl;
          if (hi <= 0 || lo >= L) continue;
          const unsigned m = lane_mask(lo < 0 ? 0 : lo, hi > L ? L : hi);
          mask_store<T>(z + q * H + uc - lo, m, acc[4 * NF + v]);
          mask_store<T>(a + q * H + uc - lo, m, av[v]);
        }
      }
    }
#endif
  } else {
    const V one = splat<T>(1), two = splat<T>(2);
    for (int ci = 0; ci < NF; ++ci) {
      const Size u0 = (c0 + ci) * L;
      const Size n = H - u0 < L ? H - u0 : L;
      const V i = activate<T>(acc[ci * 4], one), g = activate<T>(acc[ci * 4 + 1], two);
      const V f = activate<T>(acc[ci * 4 + 2], one), o = activate<T>(acc[ci * 4 + 3], one);
      for (int q = 0; q < 4; ++q) store_n<T>(z + q * H + u0, acc[ci * 4 + q], n);
      store_n<T>(a + u0, i, n);
      store_n<T>(a + H + u0, g, n);
      store_n<T>(a + 2 * H + u0, f, n);
      store_n<T>(a + 3 * H + u0, o, n);
      cell_out<T>(i, g, f, o, cp, u0, n, c, tc, h);
    }
#if defined(__AVX512F__)
    if constexpr (NVL > 0) {
      using I = typename Simd<T>::I;
      using IE = typename Simd<T>::IE;
      I lane;
      for (int l = 0; l < L; ++l) lane[l] = static_cast<IE>(l);
      V av[NVL], zv[NVL];
      for (int v = 0; v < NVL; ++v) {
        zv[v] = acc[4 * NF + v];
        const I pos = lane + static_cast<IE>(v * L);  // s = 2 on the g gate's positions [nl, 2nl)
        const V s = (pos >= static_cast<IE>(nl)) & (pos < static_cast<IE>(2 * nl)) ? two : one;
        av[v] = activate<T>(zv[v], s);
        for (Size q = 0; q < 4; ++q) {
          const Size lo = q * nl - v * L, hi = lo + nl;
          if (hi <= 0 || lo >= L) continue;
          const unsigned m = lane_mask(lo < 0 ? 0 : lo, hi > L ? L : hi);
          mask_store<T>(z + q * H + uc - lo, m, zv[v]);
          mask_store<T>(a + q * H + uc - lo, m, av[v]);
        }
      }
      const V i = compact_gate<T, NVL>(av, 0), g = compact_gate<T, NVL>(av, nl);
      const V f = compact_gate<T, NVL>(av, 2 * nl), o = compact_gate<T, NVL>(av, 3 * nl);
      cell_out<T>(i, g, f, o, cp, uc, nl, c, tc, h);
    }
#endif
  }
}

// step_panel with NC = nc (1 <= nc <= kStepChunks) and NVL = nvl (0: no compact chunk; else 1..4).
template <class T, bool Rev, bool Cell, int NC = kStepChunks, int NVL = 4>
[[gnu::always_inline]] inline void step_panel_upto(Size nc, Size nvl, const T* zx, const T* hp, const T* cp,
                                                   const T* w, Size H, Size c0, T* z, T* a, T* c, T* tc, T* h,
                                                   Size pc0, Size pnc) {
  if constexpr (NC > 1) {
    if (nc < NC) {
      step_panel_upto<T, Rev, Cell, NC - 1, NVL>(nc, nvl, zx, hp, cp, w, H, c0, z, a, c, tc, h, pc0, pnc);
      return;
    }
  }
  if constexpr (NVL > 0) {
    if (nvl < NVL) {
      step_panel_upto<T, Rev, Cell, NC, NVL - 1>(nc, nvl, zx, hp, cp, w, H, c0, z, a, c, tc, h, pc0, pnc);
      return;
    }
  }
  step_panel<T, NC, Rev, NVL, Cell>(zx, hp, cp, w, H, c0, z, a, c, tc, h, pc0, pnc);
}

// With AVX-512 each panel's cell but the last one's runs inside the next panel's product loop
// (cell_gate and cell_tail between the products; see docs/figures.md "Stop 16: the fused forward
// step"); elsewhere each panel's cell follows its products.
#if defined(__AVX512F__)
constexpr bool kDeferCell = true;
#else
constexpr bool kDeferCell = false;
#endif

template <class T, bool Rev>
[[gnu::always_inline]] inline void step_dir(const T* zx, const T* hp, const T* cp, const T* panels, Size H,
                                            T* z, T* a, T* c, T* tc, T* h) {
  constexpr Size L = Simd<T>::kLanes;
  const Size n_chunks = (H + L - 1) / L;
  const Size n_panels = (n_chunks + kStepChunks - 1) / kStepChunks;
  const bool compact = kCompactStep && H - (n_chunks - 1) * L < L;
  const Size nvl = compact ? step_last_vectors<T>(H) : 0;
  Size pc0 = 0, pnc = 0;
  for (Size i = 0; i < n_panels; ++i) {
    const Size p = Rev ? n_panels - 1 - i : i;
    const Size c0 = kStepChunks * p;
    const Size nc = n_chunks - c0 < kStepChunks ? n_chunks - c0 : kStepChunks;
    const Size v = p == n_panels - 1 ? nvl : 0;
    const T* w = panels + c0 * H * 4 * L;
    if (kDeferCell && i + 1 < n_panels) {
      step_panel_upto<T, Rev, false>(nc, v, zx, hp, cp, w, H, c0, z, a, c, tc, h, pc0, pnc);
      pc0 = c0;
      pnc = nc;
    } else {
      step_panel_upto<T, Rev, true>(nc, v, zx, hp, cp, w, H, c0, z, a, c, tc, h, pc0, pnc);
    }
  }
}

template <class T>
void step_impl(const T* zx, const T* hp, const T* cp, const T* panels, Size H, int reverse, T* z, T* a, T* c,
               T* tc, T* h) {
  if (reverse) {
    step_dir<T, true>(zx, hp, cp, panels, H, z, a, c, tc, h);
  } else {
    step_dir<T, false>(zx, hp, cp, panels, H, z, a, c, tc, h);
  }
}

// ---- Entry points.

template <class T>
Size panels_size_entry(Size n_in, Size n_out) {
  return panels_size_impl<T>(n_in, n_out);
}

constexpr Table<double> kTableF64 = {TEXTLRP_ISA_LEVEL_NAME,
                                     &panels_size_entry<double>,
                                     &pack_panels_impl<double>,
                                     &gemm_impl<double>,
                                     &cell_impl<double>,
                                     &cell_backward_impl<double>,
                                     &lrp_ratios_impl<double>,
                                     &lrp_cell_impl<double>,
                                     &step_panels_size_impl<double>,
                                     &pack_step_impl<double>,
                                     kFusedStep ? &step_impl<double> : nullptr,
                                     &lstm_relevance::lrp_sta_steps<double>,
                                     &lstm_relevance::lrp_input_rows<double>,
                                     &lstm_relevance::lrp_input_sums<double>};
constexpr Table<float> kTableF32 = {TEXTLRP_ISA_LEVEL_NAME,
                                    &panels_size_entry<float>,
                                    &pack_panels_impl<float>,
                                    &gemm_impl<float>,
                                    &cell_impl<float>,
                                    &cell_backward_impl<float>,
                                    &lrp_ratios_impl<float>,
                                    &lrp_cell_impl<float>,
                                    &step_panels_size_impl<float>,
                                    &pack_step_impl<float>,
                                    kFusedStep ? &step_impl<float> : nullptr,
                                    &lstm_relevance::lrp_sta_steps<float>,
                                    &lstm_relevance::lrp_input_rows<float>,
                                    &lstm_relevance::lrp_input_sums<float>};

}  // namespace

const lrp::lstm_kernels::Table<double>& lstm_kernels_f64() { return kTableF64; }
const lrp::lstm_kernels::Table<float>& lstm_kernels_f32() { return kTableF32; }

}  // namespace textlrp::TEXTLRP_ISA_NS
