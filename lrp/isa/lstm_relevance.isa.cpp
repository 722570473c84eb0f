// lrp/isa/lstm_relevance.isa.cpp — the LSTM kernels of the relevance pass (lstm_kernels.h: Table::
// lrp_sta_steps, lrp_input_rows, lrp_input_sums), compiled once per instruction-set level as
// lstm_kernels.isa.cpp is (whose tables point at the entry points at the end of this file, declared in
// lstm_parts.isa.h). The vector types, loads and stores are lrp/isa/simd.isa.h.
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

// ---- The fused relevance pass (signal-take-all, bias factor 0).

// y[0, n_cols) = (Σ_k x[k] · W(k, ·)) ⊙ hp for the nk rows of one panel (w: row 0 of its block, row
// stride P; M vectors hold its n_cols columns), for NJ independent (x, w, hp, y) at once (arrays of
// NJ; NJ = 2: two layers' products interleaved instruction by instruction, each summed in the same
// order as alone, so the same bits). The sum over k is split into S partial sums (k ≡ s mod S),
// added at the end: S·M independent chains instead of M, so a one-row product is not bound by the
// multiply-add latency.
template <class T, int M, int S, int NJ>
[[gnu::always_inline]] inline void rowvec_scaled(const T* const* x, Size nk, const T* const* w, Size P,
                                                 const T* const* hp, T* const* y, Size n_cols) {
  using V = typename Simd<T>::V;
  constexpr int L = Simd<T>::kLanes;
  V acc[NJ][S][M];
  for (int i = 0; i < NJ; ++i) {
    for (int s = 0; s < S; ++s) {
      for (int m = 0; m < M; ++m) acc[i][s][m] = V{};
    }
  }
  Size k = 0;
  for (; k + S <= nk; k += S) {
    for (int s = 0; s < S; ++s) {
      for (int i = 0; i < NJ; ++i) {
        const V xv = splat(x[i][k + s]);
        const T* wk = w[i] + (k + s) * P;
        for (int m = 0; m < M; ++m) acc[i][s][m] += xv * load(wk + m * L);
      }
    }
  }
  for (; k < nk; ++k) {
    for (int i = 0; i < NJ; ++i) {
      const V xv = splat(x[i][k]);
      const T* wk = w[i] + k * P;
      for (int m = 0; m < M; ++m) acc[i][0][m] += xv * load(wk + m * L);
    }
  }
  for (int i = 0; i < NJ; ++i) {
    for (int m = 0; m < M; ++m) {
      V sum = acc[i][0][m];
      if constexpr (S == 4) {
        sum = (acc[i][0][m] + acc[i][1][m]) + (acc[i][2][m] + acc[i][3][m]);
      } else if constexpr (S == 2) {
        sum = acc[i][0][m] + acc[i][1][m];
      }
      const Size left = n_cols - m * L;
      if (left >= L) {
        store(y[i] + m * L, sum * load(hp[i] + m * L));
      } else if (left > 0) {
        store_part(y[i] + m * L, sum * load_part(hp[i] + m * L, left), left);
      }
    }
  }
}

// Partial sums of rowvec_scaled for M vectors: accumulators + the loaded W vectors within the
// register file, two layers' (NJ = 2) too where M <= 4 (the pair's product, see lrp_sta_steps_impl).
template <int M>
constexpr int kPartialSums = kRegisters >= 32 ? 2 : (M <= 4 ? 2 : 1);

// rowvec_scaled with M = nv (1 <= nv <= MaxM).
template <class T, int MaxM, int NJ>
[[gnu::always_inline]] inline void rowvec_scaled_upto(int nv, const T* const* x, Size nk, const T* const* w,
                                                      Size P, const T* const* hp, T* const* y, Size n_cols) {
  if constexpr (MaxM > 1) {
    if (nv < MaxM) {
      rowvec_scaled_upto<T, MaxM - 1, NJ>(nv, x, nk, w, P, hp, y, n_cols);
      return;
    }
  }
  rowvec_scaled<T, MaxM, kPartialSums<MaxM>, NJ>(x, nk, w, P, hp, y, n_cols);
}

// The rows of step t of one job that its elementwise part reads and writes (see
// Table::lrp_sta_steps): the gates a (blocks i, g, f, o), z_g, c_t and c_{t−1} (nullptr at t = 0) in,
// q_t out, R(h_t) in and R(c_t) in / R(c_{t−1}) out.
template <class T>
struct StaRow {
  const T* a;
  const T* zg;
  const T* c;
  const T* cp;
  T* q;
  const T* rh;
  T* rc;
  Size H;
  [[gnu::always_inline]] StaRow(const lrp::lstm_kernels::LrpStaJob<T>& j, Size t)
      : a(j.a + t * j.ldg),
        zg(j.z + t * j.ldg + j.H),
        c(j.c + t * j.ldh),
        cp(t > 0 ? j.c + (t - 1) * j.ldh : nullptr),
        q(j.q + t * j.ldq),
        rh(j.rh),
        rc(j.rc),
        H(j.H) {}
};

// The values of v at p: a whole vector (Full) or the first n lanes, the rest 0; and the store.
template <class T, bool Full>
[[gnu::always_inline]] inline typename Simd<T>::V sta_load(const T* p, Size n) {
  if constexpr (Full) {
    return load(p);
  } else {
    return load_part(p, n);
  }
}
template <class T, bool Full>
[[gnu::always_inline]] inline void sta_store(T* p, typename Simd<T>::V v, Size n) {
  if constexpr (Full) {
    store(p, v);
  } else {
    store_part(p, v, n);
  }
}

// The denominators d_c = c_t + εσ, d_g = z_g + εσ and the numerators i g, f c_{t−1} (0 at t = 0) of
// lanes [k, k + n) of a step's factors (see lrp_sta_lanes).
template <class T, bool Full>
[[gnu::always_inline]] inline void sta_terms(const StaRow<T>& r, Size k, Size n, typename Simd<T>::V ve,
                                             typename Simd<T>::V nve, typename Simd<T>::V* dc,
                                             typename Simd<T>::V* dg, typename Simd<T>::V* ig,
                                             typename Simd<T>::V* fcp) {
  using V = typename Simd<T>::V;
  const Size H = r.H;
  const V cv = sta_load<T, Full>(r.c + k, n), zv = sta_load<T, Full>(r.zg + k, n);
  *dc = cv + (cv >= 0 ? ve : nve);
  *dg = zv + (zv >= 0 ? ve : nve);
  *ig = sta_load<T, Full>(r.a + k, n) * sta_load<T, Full>(r.a + H + k, n);
  *fcp = r.cp != nullptr ? sta_load<T, Full>(r.a + 2 * H + k, n) * sta_load<T, Full>(r.cp + k, n) : V{};
}
// The factors by divisions: A = i g / (d_c d_g), B = f c_{t−1} / d_c, 0 where a denominator is 0.
template <class T>
[[gnu::always_inline]] inline void sta_factors_exact(typename Simd<T>::V dc, typename Simd<T>::V dg,
                                                     typename Simd<T>::V ig, typename Simd<T>::V fcp,
                                                     typename Simd<T>::V* A, typename Simd<T>::V* B) {
  using V = typename Simd<T>::V;
  const V zero = V{}, one = splat<T>(1);
  const V ic = dc == 0 ? zero : one / (dc == 0 ? one : dc);
  const V igr = dg == 0 ? zero : one / (dg == 0 ? one : dg);
  *A = ig * ic * igr;
  *B = fcp * ic;
}
#if defined(__AVX512F__)
// The same out of line, from the rows again (nothing kept live across the call in the hot loop): the
// rare vector whose reciprocal is not a normal number (see lrp_sta_lanes).
template <class T, bool Full>
[[gnu::noinline, gnu::cold]] void sta_factors_slow(const StaRow<T>& r, Size k, Size n, T eps,
                                                   typename Simd<T>::V* A, typename Simd<T>::V* B) {
  typename Simd<T>::V dc, dg, ig, fcp;
  sta_terms<T, Full>(r, k, n, splat<T>(eps), splat<T>(-eps), &dc, &dg, &ig, &fcp);
  sta_factors_exact<T>(dc, dg, ig, fcp, A, B);
}
#endif

// Lanes [k, k + n) of step t of one job (n = L when Full): its factors A = i g / (d_c d_g) and
// B = f c_{t−1} / d_c (0 at t = 0; d = y + εσ, q = 0 where a denominator is 0, as lrp_cell and
// lrp_ratios), then q_t = R(c_t)·A and R(c_{t−1}) = R(c_t)·B with R(c_t) += R(h_t).
// The factors do not depend on the relevance: computed here, next to their use and right after the
// previous step's product in program order, the out-of-order core runs them while that product
// drains. (A pass over all steps first, as before, streamed the trace through L1, ~70 kB in float64,
// evicting the W_hh rows the steps then read, and its work did not overlap the recurrence's.)
// With AVX-512 one division per lane, r = 1/(d_c d_g) (its unit runs beside the multiply-adds: in
// slots of the vector ports it costs less than recip()'s estimate and Newton steps did),
// A = i g r, B = f c_{t−1} (d_g r): within an ulp or two of the two quotients while r is a normal
// number; a vector with a lane where it is not (a denominator at or near 0 with LRP-0, d_c d_g out of
// range, a NaN) takes the two divisions instead. Elsewhere the two divisions (a division per vector
// and the range test measured slower at v3 and v2).
template <class T, bool Full>
[[gnu::always_inline]] inline void lrp_sta_lanes(const StaRow<T>& r, Size k, Size n, T eps,
                                                 typename Simd<T>::V ve, typename Simd<T>::V nve) {
  using V = typename Simd<T>::V;
  V dc, dg, ig, fcp, A, B;
  sta_terms<T, Full>(r, k, n, ve, nve, &dc, &dg, &ig, &fcp);
#if defined(__AVX512F__)
  const V rd = T(1) / (dc * dg);
  bool fast;  // rd is a normal number in every lane (vfpclass 0xBF: NaN, ±0, ±inf or denormal)
  if constexpr (sizeof(T) == 8) {
    const __mmask8 m = Full ? static_cast<__mmask8>(0xFF) : static_cast<__mmask8>((1u << n) - 1);
    fast = _mm512_mask_fpclass_pd_mask(m, reinterpret_cast<__m512d>(rd), 0xBF) == 0;
  } else {
    const __mmask16 m = Full ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1);
    fast = _mm512_mask_fpclass_ps_mask(m, reinterpret_cast<__m512>(rd), 0xBF) == 0;
  }
  if (__builtin_expect(fast, 1)) {
    A = ig * rd;
    B = fcp * (dg * rd);
  } else {
    sta_factors_slow<T, Full>(r, k, n, eps, &A, &B);
  }
#else
  (void)eps;
  sta_factors_exact<T>(dc, dg, ig, fcp, &A, &B);
#endif
  // h_t = o ⊙ tanh(c_t): all of R(h_t) to the signal, R(c_t) += it; then c_t's ε-rule and z_g's.
  const V rcv = sta_load<T, Full>(r.rc + k, n) + sta_load<T, Full>(r.rh + k, n);
  sta_store<T, Full>(r.q + k, rcv * A, n);
  sta_store<T, Full>(r.rc + k, rcv * B, n);
}

// The elementwise part of step t of one job (see Table::lrp_sta_steps): q_t and R(c_{t−1}) from R(h_t)
// and R(c_t).
template <class T>
[[gnu::always_inline]] inline void lrp_sta_cell(const lrp::lstm_kernels::LrpStaJob<T>& j, Size t, T eps) {
  using V = typename Simd<T>::V;
  constexpr int L = Simd<T>::kLanes;
  const StaRow<T> r(j, t);
  const V ve = splat<T>(eps), nve = splat<T>(-eps);
  Size k = 0;
  for (; k + L <= r.H; k += L) lrp_sta_lanes<T, true>(r, k, L, eps, ve, nve);
  if (k < r.H) lrp_sta_lanes<T, false>(r, k, r.H - k, eps, ve, nve);
}

// Step t of one job: the cell, then R(h_{t−1}) = (q · W_hh[g rows]) ⊙ h_{t−1} (rows [H, 2H) of the
// packed W_hh, panel by panel), 0 at t = 0.
template <class T>
[[gnu::always_inline]] inline void lrp_sta_step(const lrp::lstm_kernels::LrpStaJob<T>& j, Size t, T eps) {
  constexpr int L = Simd<T>::kLanes;
  const Size H = j.H;
  lrp_sta_cell<T>(j, t, eps);
  if (t == 0) {  // h_{−1} = 0
    for (Size k = 0; k < H; ++k) j.rh[k] = T(0);
    return;
  }
  const T* q = j.q + t * j.ldq;
  const Size P = panel_width<T>(H), n_in = 4 * H;
  for (Size j0 = 0; j0 < H; j0 += P) {
    const Size n_cols = H - j0 < P ? H - j0 : P;
    const int nv = static_cast<int>((n_cols + L - 1) / L);
    const T* x[1] = {q};
    const T* w[1] = {j.w_hh + j0 * n_in + H * P};
    const T* hp[1] = {j.h + (t - 1) * j.ldh + j0};
    T* y[1] = {j.rh + j0};
    if (P == kPanelVectors * L) {
      rowvec_scaled_upto<T, kPanelVectors, 1>(nv, x, H, w, P, hp, y, n_cols);
    } else {
      rowvec_scaled_upto<T, 4, 1>(nv, x, H, w, P, hp, y, n_cols);
    }
  }
}

template <class T>
void lrp_sta_steps_impl(const lrp::lstm_kernels::LrpStaJob<T>* jobs, Size n_jobs, T eps) {
  constexpr int L = Simd<T>::kLanes;
  Size n_steps = 0;
  for (Size i = 0; i < n_jobs; ++i) n_steps = jobs[i].n_steps > n_steps ? jobs[i].n_steps : n_steps;
  // Two layers of the same H whose W_hh rows fit one panel of at most 4 vectors (H = 60 in float32
  // with AVX-512): their products in one loop (rowvec_scaled with NJ = 2), the same bits as apart.
  const Size H = n_jobs == 2 ? jobs[0].H : 0;
  const bool fuse_pair =
      kRegisters >= 32 && n_jobs == 2 && jobs[1].H == H && panel_width<T>(H) == 4 * L && H <= 4 * L;
  for (Size t = n_steps - 1; t >= 0; --t) {
    if (fuse_pair && t > 0 && t < jobs[0].n_steps && t < jobs[1].n_steps) {
      lrp_sta_cell<T>(jobs[0], t, eps);
      lrp_sta_cell<T>(jobs[1], t, eps);
      const int nv = static_cast<int>((H + L - 1) / L);
      const Size P = 4 * L;
      const T* x[2] = {jobs[0].q + t * jobs[0].ldq, jobs[1].q + t * jobs[1].ldq};
      const T* w[2] = {jobs[0].w_hh + H * P, jobs[1].w_hh + H * P};
      const T* hp[2] = {jobs[0].h + (t - 1) * jobs[0].ldh, jobs[1].h + (t - 1) * jobs[1].ldh};
      T* y[2] = {jobs[0].rh, jobs[1].rh};
      rowvec_scaled_upto<T, 4, 2>(nv, x, H, w, P, hp, y, H);
      continue;
    }
    for (Size i = 0; i < n_jobs; ++i) {
      if (t < jobs[i].n_steps) lrp_sta_step<T>(jobs[i], t, eps);
    }
  }
}

template <class T>
void lrp_input_rows_impl(const T* pr, Size ldpr, const T* gamma, const T* x, Size ldx, Size n_rows, Size E,
                         int reverse, T* out, Size ldout) {
  using V = typename Simd<T>::V;
  constexpr int L = Simd<T>::kLanes;
  for (Size t = 0; t < n_rows; ++t) {
    const Size src = reverse ? n_rows - 1 - t : t;
    const T* p = pr + t * ldpr;
    const T* xs = x + src * ldx;
    T* o = out + src * ldout;
    const V g = splat<T>(gamma[t]);
    Size e = 0;
    for (; e + L <= E; e += L) store(o + e, load(xs + e) * load(p + e) + g);
    if (e < E) store_part(o + e, load_part(xs + e, E - e) * load_part(p + e, E - e) + g, E - e);
  }
}

// The sum of v's lanes, in halves (a few shuffles instead of a lane-by-lane chain).
template <class T>
[[gnu::always_inline]] inline T tree_sum(typename Simd<T>::V v) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 8) {
    return _mm512_reduce_add_pd(reinterpret_cast<__m512d>(v));
  } else {
    return _mm512_reduce_add_ps(reinterpret_cast<__m512>(v));
  }
#else
  return lane_sum<T>(v);
#endif
}

template <class T>
void lrp_input_sums_impl(const T* q, Size ldq, const T* gamma, const T* zx, Size ldzx, const Size* rows,
                         const T* b, Size n, Size n_rows, Size E, int reverse, double* out) {
  using V = typename Simd<T>::V;
  constexpr int L = Simd<T>::kLanes;
  for (Size t = 0; t < n_rows; ++t) {
    const Size src = reverse ? n_rows - 1 - t : t;
    const T* qt = q + t * ldq;
    const T* z = zx + (rows != nullptr ? rows[src] : src) * ldzx;
    V acc = V{};
    for (Size j = 0; j < n; j += L) {
      const Size m = n - j < L ? n - j : L;
      acc += load_n<T>(qt + j, m) * (load_n<T>(z + j, m) - load_n<T>(b + j, m));
    }
    out[src] = static_cast<double>(tree_sum<T>(acc)) + static_cast<double>(E) * static_cast<double>(gamma[t]);
  }
}

}  // namespace

namespace lstm_relevance {

template <class T>
void lrp_sta_steps(const lrp::lstm_kernels::LrpStaJob<T>* jobs, Size n_jobs, T eps) {
  lrp_sta_steps_impl<T>(jobs, n_jobs, eps);
}
template <class T>
void lrp_input_rows(const T* pr, Size ldpr, const T* gamma, const T* x, Size ldx, Size n_rows, Size E,
                    int reverse, T* out, Size ldout) {
  lrp_input_rows_impl<T>(pr, ldpr, gamma, x, ldx, n_rows, E, reverse, out, ldout);
}
template <class T>
void lrp_input_sums(const T* q, Size ldq, const T* gamma, const T* zx, Size ldzx, const Size* rows,
                    const T* b, Size n, Size n_rows, Size E, int reverse, double* out) {
  lrp_input_sums_impl<T>(q, ldq, gamma, zx, ldzx, rows, b, n, n_rows, E, reverse, out);
}

template void lrp_sta_steps<double>(const lrp::lstm_kernels::LrpStaJob<double>*, Size, double);
template void lrp_sta_steps<float>(const lrp::lstm_kernels::LrpStaJob<float>*, Size, float);
template void lrp_input_rows<double>(const double*, Size, const double*, const double*, Size, Size, Size, int,
                                     double*, Size);
template void lrp_input_rows<float>(const float*, Size, const float*, const float*, Size, Size, Size, int,
                                    float*, Size);
template void lrp_input_sums<double>(const double*, Size, const double*, const double*, Size, const Size*,
                                     const double*, Size, Size, Size, int, double*);
template void lrp_input_sums<float>(const float*, Size, const float*, const float*, Size, const Size*,
                                    const float*, Size, Size, Size, int, double*);

}  // namespace lstm_relevance
}  // namespace textlrp::TEXTLRP_ISA_NS
