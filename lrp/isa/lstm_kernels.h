// lrp/isa/lstm_kernels.h — the hot loops of the LSTM layer (lrp/layers/lstm.h) behind a raw-pointer
// interface: no Eigen or std types cross it, so that lstm_kernels.cpp can be compiled once per
// instruction-set level (x86-64-v2, v3 = AVX2 + FMA, v4 = AVX-512) into one binary, each copy in a
// namespace of its own, and the best level the CPU has is chosen once at start-up.
//
// lstm_kernels.isa.cpp is compiled once per level by cmake/textlrp_isa.cmake (namespace
// textlrp::isa_<level>, each defining lstm_kernels_f64() and lstm_kernels_f32());
// lrp/layers/lstm_kernels_dispatch.cpp picks the level's tables through core/cpu_isa.h
// (TEXTLRP_ISA=generic|v2|v3|v4 lowers it). This header declares plain structs and functions only
// (no inline code), so the per-level file may include it.
//
// Matrices are row-major with explicit leading dimensions (elements between rows). The weights the
// kernels multiply by are first "packed" into column panels of a width that suits the level's
// vector registers (pack_panels): panel p holds the columns [p·P, p·P + P) of W [n_in x n_out] as
// one contiguous [n_in x P] block (zero-padded), 64-byte aligned when `out` is; a matrix product
// then streams each panel once.
#pragma once

#include <cstddef>

namespace textlrp::lrp::lstm_kernels {

using Size = std::ptrdiff_t;

enum GateRuleCode : int { kRuleSignalTakeAll = 0, kRuleHalf = 1, kRuleProportional = 2 };

// One sequence's relevance pass through one LSTM layer for Table::lrp_sta_steps.
template <class T>
struct LrpStaJob {
  Size n_steps = 0, H = 0;
  const T* a = nullptr;  // the gates [n_steps x 4H] (blocks i, g, f, o), row stride ldg
  const T* z = nullptr;  // the pre-activations [n_steps x 4H], row stride ldg
  Size ldg = 0;
  const T* c = nullptr;  // c [n_steps x H], row stride ldh
  const T* h = nullptr;  // h [n_steps x H], row stride ldh
  Size ldh = 0;
  const T* w_hh = nullptr;  // W_hh [4H x H] in panels (pack_panels with n_in = 4H, n_out = H)
  T* rh = nullptr;          // [H] in: R(h_{n_steps−1}); out: R(h_{−1}) (zero)
  T* rc = nullptr;          // [H] in: zero; out: R(c_{−1})
  T* q = nullptr;           // [n_steps x H] out: step t's ratios of the g rows, row stride ldq
  Size ldq = 0;
};

template <class T>
struct Table {
  const char* isa;  // "v4", "v3", "v2" or "generic"
  // Elements of the packed form of an [n_in x n_out] matrix (a multiple of 64 bytes per panel).
  Size (*panels_size)(Size n_in, Size n_out);
  // out = W in panels, W(k, j) = w[k·rs + j·cs] (rs, cs: strides; cs = 1 for row-major W, rs = 1
  // for W given as its transpose).
  void (*pack_panels)(const T* w, Size rs, Size cs, Size n_in, Size n_out, T* out);
  // y[r, 0..n_out) += Σ_{k in [k0, k1)} x[r, k − k0] · W(k, ·) for r < n_rows; W packed from
  // n_in rows. reverse != 0 walks the panels and k backwards (for a recurrence: what the previous
  // step read last is still in L1); each y is summed in a fixed order for a given reverse, whatever
  // n_rows, so that a row's result does not depend on the batch it is in.
  void (*gemm)(const T* x, Size ldx, Size n_rows, const T* panels, Size n_in, Size k0, Size k1, Size n_out,
               T* y, Size ldy, int reverse);
  // One LSTM cell step for n_rows rows, from the pre-activations z [n x 4H] (blocks i, g, f, o):
  //   a = σ(z_i), tanh(z_g), σ(z_f), σ(z_o) (one exponential: a = s·σ(s·z) − (s − 1), s = 2 on g)
  //   c = f ⊙ c_prev + i ⊙ g   (c_prev = nullptr: zero)    tc = tanh(c)    h = o ⊙ tc
  void (*cell)(const T* z, Size ldz, Size n_rows, Size H, T* a, Size lda, const T* c_prev, Size ldcp, T* c,
               Size ldc, T* tc, Size ldtc, T* h, Size ldh);
  // Backward through one cell step: given dh = ∂/∂h_t [n x H] and dc = ∂/∂c_t from the later step
  // (already times f_{t+1}; in/out [n x H]), writes dz [n x 4H] and replaces dc by ∂/∂c_{t−1}
  // (= (dc + dh ⊙ o ⊙ (1 − tc²)) ⊙ f). c_prev = nullptr: zero (dz_f = 0).
  void (*cell_backward)(const T* a, Size lda, const T* tc, Size ldtc, const T* c_prev, Size ldcp, const T* dh,
                        Size lddh, Size n_rows, Size H, T* dc, Size lddc, T* dz, Size lddz);
  // The ratios of one lrp_linear map: q_j = r_j / (y_j + ε σ_j), σ_j = sign(y_j) (+1 at 0), q_j = 0
  // where that is 0. Returns Σ_j (b_j + ε σ_j) q_j (b = nullptr: no bias), summed in double.
  double (*lrp_ratios)(const T* y, const T* r, const T* b, T eps, T* q, Size n);
  // LRP through one cell step (lstm.h): from R(h_t) = rh and R(c_t) from the later step = rc (both
  // [H]; rc is overwritten with R(c_{t−1})), writes R of the gates rz [4H] (blocks i, g, f, o)
  // with the gate rule; cell_share = bias_factor / (2H).
  void (*lrp_cell)(int rule, const T* a, const T* c, const T* c_prev, const T* tc, const T* rh, T* rc, T* rz,
                   Size H, T eps, double cell_share);
  // One recurrent step of one sequence, the product and the cell fused: W_hhᵀ [H x 4H] packed by
  // pack_step gate-interleaved (panel p: the i, g, f, o columns of the hidden units of two vector
  // widths, so that a panel's accumulators are the four gates of its units and the cell of those
  // units runs while the next panel's products do; with AVX-512 the last, partly filled chunk of n
  // units is packed into ⌈4n/L⌉ vectors, not 4, and its cell runs interleaved with the next panel's
  // product loop). z = zx + h_prev W_hhᵀ (h_prev = nullptr: z = zx,
  // and c_prev = nullptr: zero), each z summed in the order of gemm (from zx, k ascending, or
  // descending with reverse != 0, which also walks the panels backwards), then the cell exactly as
  // cell(): bit for bit gemm() + cell() on one row. Writes z, a [4H] and c, tc, h [H]. step is nullptr
  // at the levels where it is not faster than gemm + cell (the packing is always there).
  Size (*step_panels_size)(Size H);
  void (*pack_step)(const T* w_hh, Size H, T* out);  // w_hh [4H x H] row-major (gate blocks i, g, f, o)
  void (*step)(const T* zx, const T* h_prev, const T* c_prev, const T* panels, Size H, int reverse, T* z,
               T* a, T* c, T* tc, T* h);
  // The whole backward recurrence of lrp_cell + lrp_ratios + the R(h_{t−1}) product for the
  // default rule (signal-take-all, bias factor 0), fused into one pass per step, for n_jobs (1 or 2)
  // independent sequences whose steps are interleaved (job j runs its steps jobs[j].n_steps − 1 down
  // to 0; the steps of different jobs alternate, so their dependency chains overlap). Per step t:
  //   R(c_t) += R(h_t);  q_c = R(c_t)/(c_t + εσ);  R(c_{t−1}) = f c_{t−1} q_c;  R(g) = i g q_c;
  //   q_t = R(g)/(z_g + εσ) (q = 0 where a denominator is 0);
  //   R(h_{t−1}) = (q_t · W_hh[g rows]) ⊙ h_{t−1}  (0 at t = 0).
  // The factors that do not depend on the relevance, A = i g / ((c + εσ)(z_g + εσ)) and
  // B = f c_{t−1} / (c + εσ), are computed within each step, off the recurrence's dependency chain
  // (with AVX-512 from one division 1/((c + εσ)(z_g + εσ)) per lane, within an ulp or two of the
  // quotients; a vector where that is not a normal number by the two divisions), so that a step is
  // q_t = R(c_t)·A, R(c_{t−1}) = R(c_t)·B and the product, whose sum over the g rows is split into
  // partial sums (latency). The rounding differs from lrp_cell + lrp_ratios + gemm by a few ulps per
  // step; two interleaved jobs give the bits of each alone.
  void (*lrp_sta_steps)(const LrpStaJob<T>* jobs, Size n_jobs, T eps);
  // The inputs' relevance of a relevance pass (lstm.h's lrp_end): for t < n_rows,
  // out[t'] = x[t'] ⊙ pr[t] + gamma[t] (E columns), t' = n_rows − 1 − t with reverse, else t.
  void (*lrp_input_rows)(const T* pr, Size ldpr, const T* gamma, const T* x, Size ldx, Size n_rows, Size E,
                         int reverse, T* out, Size ldout);
  // The same summed over each input's E components, from the input projections instead of x and pr
  // (lstm.h's LstmLrpJob::r_tokens): for t < n_rows, out[t'] = Σ_{j<n} q[t, j]·(zx[r, j] − b[j])
  // + E·gamma[t] (t' as above; r = rows[t'], or t' when rows is nullptr), summed in T (as pr is) in
  // vector partial sums.
  void (*lrp_input_sums)(const T* q, Size ldq, const T* gamma, const T* zx, Size ldzx, const Size* rows,
                         const T* b, Size n, Size n_rows, Size E, int reverse, double* out);
};

// The tables of the level in use (core/cpu_isa.h's cpu_isa()).
const Table<double>& table_f64();
const Table<float>& table_f32();
// The level in use ("v4", "v3", "v2", "generic", "native").
const char* isa_in_use();
// The tables of a given level ("generic", "v2", "v3", "v4"), or nullptr when this build or this CPU
// does not have it (for tests that compare the levels).
const Table<double>* table_f64_of(const char* level);
const Table<float>* table_f32_of(const char* level);

}  // namespace textlrp::lrp::lstm_kernels
