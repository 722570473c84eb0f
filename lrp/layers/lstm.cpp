#include "lrp/layers/lstm.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_map>

#include "core/cpu_isa.h"
#include "core/error.h"

namespace textlrp::lrp {
namespace {

template <class T>
const lstm_kernels::Table<T>& table();
template <>
const lstm_kernels::Table<double>& table<double>() {
  return lstm_kernels::table_f64();
}
template <>
const lstm_kernels::Table<float>& table<float>() {
  return lstm_kernels::table_f32();
}

int rule_code(LstmGateRule rule) {
  switch (rule) {
    case LstmGateRule::kSignalTakeAll: return lstm_kernels::kRuleSignalTakeAll;
    case LstmGateRule::kHalf: return lstm_kernels::kRuleHalf;
    case LstmGateRule::kProportional: return lstm_kernels::kRuleProportional;
  }
  return lstm_kernels::kRuleSignalTakeAll;
}

// The sigmoid gates' rows (blocks i, f, o of the gate map) under half and proportional: the ratio
// q_j that passes their relevance R_j = R(σ(z_j)) on to the inputs (R_i = x_i w_ji q_j). Not the
// ε-rule's q_j = R_j/(z_j + εσ_j): that assumes a unit whose value, and so its relevance, vanishes
// with its pre-activation (as tanh(z) and the identity do), but σ(0) = 1/2, so R_j does not vanish
// where z_j crosses 0 and q_j reached R_j/ε: with ε = 0.001 one gate's inputs got ±1000·R_j that
// cancel, compounded over the time steps (up to 2.9e8 on SST for a score of 0.99). Instead the
// gate's value is split into its constant σ(0) = 1/2 and the part the inputs move, u_j = σ(z_j) − 1/2
// (the sign of z_j), and R_j is shared between the two in proportion to their magnitudes, as the
// proportional gate rule shares a product:
//   the inputs (through z_j, as the ε-rule shares z_j):  |u_j|/(|u_j| + 1/2)·R_j,
//       q_j = |u_j|/(|u_j| + 1/2) / z_j · R_j = |t_j| / ((1 + |t_j|)·z_j) · R_j,  t_j = tanh(z_j/2) = 2u_j
//   the constant 1/2 keeps the rest, 1/(2|u_j| + 1)·R_j (>= R_j/2), like a bias.
// |q_j| <= |R_j|/2 for every z_j (|t_j|/|z_j| <= 1/2; at z_j = 0 q_j = R_j/2, sign(0) = +1), so no
// denominator amplifies anything, and the inputs' total z_j·q_j is a fraction in [0, 1/2) of R_j.
// Arithmetic in float64 in either precision. Returns Σ_j (R_j − (z_j − b_j)·q_j) over these rows:
// what the biases and the constants keep, for the bias-factor share (so that bias factor 1 still
// conserves relevance exactly).
template <class T>
double sigmoid_gate_ratios(const T* z, const T* r, const T* b, T* q, Index H) {
  double kept = 0;
  for (const Index block : {Index(0), 2 * H, 3 * H}) {
    for (Index k = block; k < block + H; ++k) {
      const double zk = z[k], rk = r[k];
      const double t = std::abs(std::tanh(0.5 * zk));
      const double ratio = std::abs(zk) > 1e-8 ? t / ((1 + t) * zk) : 0.5;  // t/z -> 1/2 as z -> 0
      q[k] = static_cast<T>(ratio * rk);
      kept += rk - (zk - static_cast<double>(b[k])) * static_cast<double>(q[k]);
    }
  }
  return kept;
}

}  // namespace

LstmBatch LstmBatch::packed(std::vector<Index> lengths_desc) {
  LstmBatch b;
  b.len = std::move(lengths_desc);
  for (std::size_t i = 0; i < b.len.size(); ++i) {
    if (b.len[i] < 0 || (i > 0 && b.len[i] > b.len[i - 1])) {
      throw InvalidArgument("LstmBatch: the lengths must be >= 0 and sorted longest first");
    }
  }
  const Index n_steps = b.len.empty() ? 0 : b.len.front();
  b.n_at.assign(static_cast<std::size_t>(n_steps), 0);
  for (const Index l : b.len) {
    for (Index t = 0; t < l; ++t) ++b.n_at[static_cast<std::size_t>(t)];
  }
  b.offset.assign(static_cast<std::size_t>(n_steps) + 1, 0);
  for (std::size_t t = 0; t < b.n_at.size(); ++t) b.offset[t + 1] = b.offset[t] + b.n_at[t];
  return b;
}

LstmBatch LstmBatch::equal(Index batch, Index steps) {
  return packed(std::vector<Index>(static_cast<std::size_t>(batch), steps));
}

bool LstmBatch::equal_lengths() const {
  for (const Index l : len) {
    if (l != len.front()) return false;
  }
  return true;
}

template <class T>
Lstm<T>::Lstm(const LstmMat<double>& w_ih, const LstmMat<double>& w_hh,
              const Eigen::Matrix<double, Eigen::Dynamic, 1>& bias) {
  init(w_ih, w_hh, bias);
}
template <class T>
Lstm<T>::Lstm(const LstmMat<float>& w_ih, const LstmMat<float>& w_hh,
              const Eigen::Matrix<float, Eigen::Dynamic, 1>& bias) {
  init(w_ih, w_hh, bias);
}

template <class T>
template <class S>
void Lstm<T>::init(const LstmMat<S>& w_ih, const LstmMat<S>& w_hh,
                   const Eigen::Matrix<S, Eigen::Dynamic, 1>& bias) {
  const Index H = w_hh.cols(), E = w_ih.cols();
  if (H < 1 || E < 1 || w_ih.rows() != 4 * H || w_hh.rows() != 4 * H || bias.size() != 4 * H) {
    throw InvalidArgument(fmt::format("lstm: w_ih {}, w_hh {} and bias [{}] do not fit together",
                                      shape_string(w_ih.rows(), w_ih.cols()),
                                      shape_string(w_hh.rows(), w_hh.cols()), bias.size()));
  }
  k_ = &table<T>();
  n_in_ = E;
  n_hidden_ = H;
  w_ih_ = w_ih.template cast<T>();
  w_hh_ = w_hh.template cast<T>();
  bias_ = bias.template cast<T>();
  w_ih_t_p_ = pack(w_ih_, true);
  w_hh_t_p_ = pack(w_hh_, true);
  w_ih_p_ = pack(w_ih_, false);
  w_hh_p_ = pack(w_hh_, false);
  w_hh_step_ = detail::AlignedArray<T>(k_->step_panels_size(H));
  k_->pack_step(w_hh_.data(), H, w_hh_step_.data());
}

template <class T>
detail::AlignedArray<T> Lstm<T>::pack(const LstmMat<T>& w, bool transpose) const {
  // transpose: the panels of wᵀ [cols x rows], element (k, j) = w(j, k).
  const Index n_in = transpose ? w.cols() : w.rows();
  const Index n_out = transpose ? w.rows() : w.cols();
  detail::AlignedArray<T> out(k_->panels_size(n_in, n_out));
  if (transpose) {
    k_->pack_panels(w.data(), 1, w.cols(), n_in, n_out, out.data());
  } else {
    k_->pack_panels(w.data(), w.cols(), 1, n_in, n_out, out.data());
  }
  return out;
}

template <class T>
void Lstm<T>::project(const T* x, Index ldx, Index n_rows, T* zx, Index ldzx) const {
  const Index G = 4 * n_hidden_;
  for (Index r = 0; r < n_rows; ++r) {
    T* row = zx + r * ldzx;
    for (Index j = 0; j < G; ++j) row[j] = bias_[j];
  }
  k_->gemm(x, ldx, n_rows, w_ih_t_p_.data(), n_in_, 0, n_in_, G, zx, ldzx, 0);
}

template <class T>
void Lstm<T>::resize_cache(Index N, LstmCache<T>* cache) const {
  const Index H = n_hidden_, G = 4 * H;
  cache->z.resize(N, G);
  cache->a.resize(N, G);
  cache->c.resize(N, H);
  cache->tc.resize(N, H);
  cache->h.resize(N, H);
}

template <class T>
void Lstm<T>::forward_step(const LstmBatch& batch, Index t, const T* zx, Index ldzx, bool reverse_steps,
                           LstmCache<T>* cache, const Index* rows) const {
  const Index H = n_hidden_, G = 4 * H, n_steps = batch.n_steps();
  const Index r = batch.offset[static_cast<std::size_t>(t)];
  const Index n = batch.n_at[static_cast<std::size_t>(t)];
  const Index src = reverse_steps ? batch.offset[static_cast<std::size_t>(n_steps - 1 - t)] : r;
  T* z = cache->z.row(r).data();
  if (n == 1 && k_->step != nullptr) {
    // One sequence (an explanation): the product and the cell fused, panel by panel, bit for bit
    // the gemm + cell below (same sums in the same order, the same cell).
    const Index rp = t > 0 ? batch.offset[static_cast<std::size_t>(t - 1)] : 0;
    k_->step(zx + (rows != nullptr ? rows[src] : src) * ldzx, t > 0 ? cache->h.row(rp).data() : nullptr,
             t > 0 ? cache->c.row(rp).data() : nullptr, w_hh_step_.data(), H, static_cast<int>(t & 1), z,
             cache->a.row(r).data(), cache->c.row(r).data(), cache->tc.row(r).data(), cache->h.row(r).data());
    return;
  }
  for (Index b = 0; b < n; ++b) {
    const T* in = zx + (rows != nullptr ? rows[src + b] : src + b) * ldzx;
    T* out = z + b * G;
    for (Index j = 0; j < G; ++j) out[j] = in[j];
  }
  const T* c_prev = nullptr;
  if (t > 0) {
    // The first n rows of the previous step are the same sequences (sorted longest first). The
    // panels are walked backwards on odd steps: what the last step read last is still in L1.
    const Index rp = batch.offset[static_cast<std::size_t>(t - 1)];
    k_->gemm(cache->h.row(rp).data(), H, n, w_hh_t_p_.data(), H, 0, H, G, z, G, static_cast<int>(t & 1));
    c_prev = cache->c.row(rp).data();
  }
  k_->cell(z, G, n, H, cache->a.row(r).data(), G, c_prev, H, cache->c.row(r).data(), H,
           cache->tc.row(r).data(), H, cache->h.row(r).data(), H);
}

namespace {
// Reads one byte of every cache line of the batch's gathered rows of zx (4H values each), all up
// front: rows of a large table (a projected-embedding table: tens of MB, read at random, one row per
// token) then come from memory together instead of one step at a time, each step waiting for its
// own. Measured on 4096 documents over a 19538-word vocabulary: as fast as copying the rows out
// first, where software prefetches (a step ahead, or all up front) left the forward pass ~4 us
// (float32) slower per 20-token document. The bytes are or-ed into one value that is stored to a
// volatile, so that the loads are kept. Rows this thread read in the last few passes (RecentRows:
// the frequent words of a corpus, the rows of a document explained again) are skipped: they are in L2.
thread_local volatile unsigned char touched_rows;
thread_local detail::RecentRows recent_rows;
template <class T>
void touch_rows(const LstmBatch& batch, const T* zx, Index ldzx, const Index* rows, Index n_hidden) {
  const std::size_t bytes = static_cast<std::size_t>(4 * n_hidden) * sizeof(T);
  // At most ~1 MiB of rows (half of L2 here): the first rows of a longer document would be evicted
  // again before their step.
  const Index n = std::min(batch.n_rows(), static_cast<Index>((std::size_t{1} << 20) / bytes) + 1);
  detail::RecentRows& recent = recent_rows;
  recent.next_round();
  unsigned char acc = 0;
  for (Index r = 0; r < n; ++r) {
    const auto* p = reinterpret_cast<const unsigned char*>(zx + rows[r] * ldzx);
    if (recent.seen(p)) continue;
    for (std::size_t off = 0; off < bytes; off += 64) acc |= p[off];
  }
  touched_rows = acc;
}
}  // namespace

template <class T>
void Lstm<T>::forward(const LstmBatch& batch, const T* zx, Index ldzx, bool reverse_steps,
                      LstmCache<T>* cache, const Index* rows) const {
  TEXTLRP_ASSERT(!reverse_steps || batch.equal_lengths());
  resize_cache(batch.n_rows(), cache);
  const Index n_steps = batch.n_steps();
  if (rows != nullptr) touch_rows(batch, zx, ldzx, rows, n_hidden_);
  if (batch.size() == 1 && k_->step != nullptr) {
    // One sequence (an explanation): forward_step()'s fused step, its rows t of the cache in turn.
    const Index H = n_hidden_, G = 4 * H;
    T *z = cache->z.data(), *a = cache->a.data(), *c = cache->c.data(), *tc = cache->tc.data();
    T* h = cache->h.data();
    for (Index t = 0; t < n_steps; ++t) {
      const Index src = reverse_steps ? n_steps - 1 - t : t;
      k_->step(zx + (rows != nullptr ? rows[src] : src) * ldzx, t > 0 ? h + (t - 1) * H : nullptr,
               t > 0 ? c + (t - 1) * H : nullptr, w_hh_step_.data(), H, static_cast<int>(t & 1), z + t * G,
               a + t * G, c + t * H, tc + t * H, h + t * H);
    }
    return;
  }
  for (Index t = 0; t < n_steps; ++t) forward_step(batch, t, zx, ldzx, reverse_steps, cache, rows);
}

template <class T>
void Lstm<T>::backward(const LstmBatch& batch, const LstmCache<T>& cache, const LstmMat<T>& dh_final,
                       LstmMat<T>* dz) const {
  const Index N = batch.n_rows(), H = n_hidden_, G = 4 * H, B = batch.size(), n_steps = batch.n_steps();
  TEXTLRP_ASSERT(dh_final.rows() == B && dh_final.cols() == H);
  dz->resize(N, G);
  LstmMat<T> dh(B, H), dc = LstmMat<T>::Zero(B, H), dh_rec = LstmMat<T>::Zero(B, H);
  for (Index t = n_steps - 1; t >= 0; --t) {
    const auto ts = static_cast<std::size_t>(t);
    const Index r = batch.offset[ts], n = batch.n_at[ts];
    const Index n1 = t + 1 < n_steps ? batch.n_at[ts + 1] : 0;
    // Rows [0, n1) go on to step t + 1; rows [n1, n) end at step t: their gradient comes from above.
    if (n1 > 0) dh.topRows(n1) = dh_rec.topRows(n1);
    dh.middleRows(n1, n - n1) = dh_final.middleRows(n1, n - n1);
    dc.middleRows(n1, n - n1).setZero();
    const T* c_prev = t > 0 ? cache.c.row(batch.offset[ts - 1]).data() : nullptr;
    k_->cell_backward(cache.a.row(r).data(), G, cache.tc.row(r).data(), H, c_prev, H, dh.data(), H, n, H,
                      dc.data(), H, dz->row(r).data(), G);
    if (t > 0) {
      dh_rec.topRows(n).setZero();
      // dz_t W_hh, the panels walked backwards on odd steps as in forward().
      k_->gemm(dz->row(r).data(), G, n, w_hh_p_.data(), G, 0, G, H, dh_rec.data(), H,
               static_cast<int>(t & 1));
    }
  }
}

template <class T>
void Lstm<T>::input_gradient(const LstmMat<T>& dz, LstmMat<T>* dx) const {
  const Index G = 4 * n_hidden_;
  dx->setZero(dz.rows(), n_in_);
  k_->gemm(dz.data(), G, dz.rows(), w_ih_p_.data(), G, 0, G, n_in_, dx->data(), n_in_, 0);
}

template <class T>
void Lstm<T>::add_weight_gradient(const LstmBatch& batch, const LstmCache<T>& cache, const LstmMat<T>& x,
                                  const LstmMat<T>& dz, LstmMat<T>* g_w_ih, LstmMat<T>* g_w_hh,
                                  LstmMat<T>* g_b) const {
  const Index N = batch.n_rows(), H = n_hidden_;
  LstmMat<T> h_prev = LstmMat<T>::Zero(N, H);  // the state each row started from (zero at step 0)
  for (Index t = 1; t < batch.n_steps(); ++t) {
    const auto ts = static_cast<std::size_t>(t);
    h_prev.middleRows(batch.offset[ts], batch.n_at[ts]) =
        cache.h.middleRows(batch.offset[ts - 1], batch.n_at[ts]);
  }
  g_w_ih->noalias() += dz.transpose() * x;       // [4H x E]
  g_w_hh->noalias() += dz.transpose() * h_prev;  // [4H x H]
  *g_b += dz.colwise().sum();                    // [1 x 4H]
}

// The settings of a relevance pass, as the kernels take them.
namespace {
struct LrpParams {
  int rule;
  bool sta;            // signal-take-all: only the g rows of the gate map carry relevance
  Index row0, n_rows;  // those rows: [row0, row0 + n_rows) of the 4H
  double cell_share, gate_share;
  LrpParams(const LstmLrpSettings& st, Index H, Index E)
      : rule(rule_code(st.gate_rule)),
        sta(st.gate_rule == LstmGateRule::kSignalTakeAll),
        row0(sta ? H : 0),
        n_rows(sta ? H : 4 * H),
        cell_share(st.bias_factor / static_cast<double>(2 * H)),
        gate_share(st.bias_factor / static_cast<double>(E + H)) {}
};

// The default rule (signal-take-all, bias factor 0) goes through the fused kernel lrp_sta_steps
// (one pass per step, no bias shares to sum); half, proportional and bias factor != 0 step by step.
bool fused_lrp(const LstmLrpSettings& st) {
  return st.gate_rule == LstmGateRule::kSignalTakeAll && st.bias_factor == 0;
}
// What two layers' relevance passes may stream together from L1, with room for the rest: two thirds of
// this core's L1 data cache (32 kB of a 48 kB one; 21 kB of a 32 kB one, where H = 60 in float32,
// 2 x 15 kB, measured slower interleaved than one after the other: docs/figures.md "Stop 18"), 32 kB
// where the system does not say.
Index pair_bytes() {
  const std::size_t l1 = l1_data_cache_bytes();
  return l1 > 0 ? static_cast<Index>(l1 / 3 * 2) : Index(32 * 1024);
}
}  // namespace

template <class T>
lstm_kernels::LrpStaJob<T> Lstm<T>::lrp_sta_job(const LstmLrpJob<T>& job, LstmLrpScratch<T>* s) const {
  const LstmCache<T>& cache = *job.cache;
  lstm_kernels::LrpStaJob<T> j;
  j.n_steps = cache.z.rows();
  j.H = n_hidden_;
  j.a = cache.a.data();
  j.z = cache.z.data();
  j.ldg = 4 * n_hidden_;
  j.c = cache.c.data();
  j.h = cache.h.data();
  j.ldh = n_hidden_;
  j.w_hh = w_hh_p_.data();
  j.rh = s->rh.data();
  j.rc = s->rc.data();
  j.q = s->q.data();
  j.ldq = n_hidden_;
  return j;
}

template <class T>
void Lstm<T>::lrp_begin(LstmLrpJob<T>* job, LstmLrpScratch<T>* s) const {
  const Index H = n_hidden_;
  s->rh.resize(H);
  for (Index k = 0; k < H; ++k) s->rh[k] = job->r_h_last[k];  // R(h_t)
  s->rc.setZero(H);                                           // R(c_t) from step t+1, then R(c_{t-1})
  s->rz.resize(4 * H);                                        // R(z_t), gate blocks i, g, f, o
}

template <class T>
void Lstm<T>::lrp_step(Index t, const LstmLrpSettings& st, LstmLrpJob<T>* job, LstmLrpScratch<T>* s) const {
  const LstmCache<T>& cache = *job->cache;
  const Index H = n_hidden_, G = 4 * H;
  const LrpParams p(st, H, n_in_);
  const T eps = static_cast<T>(st.eps);
  const T* bias = bias_.data();
  const T* a = cache.a.row(t).data();
  const T* z = cache.z.row(t).data();
  const T* c_prev = t > 0 ? cache.c.row(t - 1).data() : nullptr;
  T* rh = s->rh.data();
  T* rz = s->rz.data();
  // h_t = o ⊙ tanh(c_t), then c_t = f⊙c_{t-1} + i⊙g (lrp_linear with the identity, N = 2H, in
  // closed form), each product split by the gate rule.
  k_->lrp_cell(p.rule, a, cache.c.row(t).data(), c_prev, cache.tc.row(t).data(), rh, s->rc.data(), rz, H, eps,
               p.cell_share);
  // z_t = W_ih x_t + W_hh h_{t-1} + b: lrp_linear, N = E + H. The g rows (tanh, 0 at 0) by the
  // ε-rule; under half and proportional the sigmoid rows i, f, o carry relevance too and go
  // through sigmoid_gate_ratios (see there: not the ε-rule).
  T* qt = s->q.row(t).data();
  double kept = k_->lrp_ratios(z + H, rz + H, bias + H, eps, qt + H - p.row0, H);  // Σ_j (b_j + εσ_j) q_j
  if (!p.sta) kept += sigmoid_gate_ratios(z, rz, bias, qt, H);
  // Bias factor 0 (the default): gamma is 0 whatever was kept, and R(h_{t-1}) need not wait for the sum.
  const T gamma = p.gate_share == 0 ? T(0) : static_cast<T>(p.gate_share * kept);
  s->gamma[t] = gamma;
  if (t > 0) {
    for (Index k = 0; k < H; ++k) rh[k] = T(0);
    k_->gemm(qt, p.n_rows, 1, w_hh_p_.data(), G, p.row0, p.row0 + p.n_rows, H, rh, H,
             static_cast<int>(t & 1));
    const T* h_prev = cache.h.row(t - 1).data();
    for (Index k = 0; k < H; ++k) rh[k] = rh[k] * h_prev[k] + gamma;  // R(h_{t-1})
  } else {
    for (Index k = 0; k < H; ++k) rh[k] = gamma;  // h_{-1} = 0
  }
}

template <class T>
void Lstm<T>::lrp_end(const LstmLrpSettings& st, LstmLrpJob<T>* job, LstmLrpScratch<T>* s) const {
  const Index T_ = job->cache->z.rows(), H = n_hidden_, E = n_in_, G = 4 * H;
  const LrpParams p(st, H, E);
  double r_rest = 0;  // R(h_{-1}) + R(c_{-1})
  if (job->sum_rest) {
    T sh = 0, sc = 0;
    for (Index k = 0; k < H; ++k) sh += s->rh[k];
    for (Index k = 0; k < H; ++k) sc += s->rc[k];
    r_rest = static_cast<double>(sh) + static_cast<double>(sc);
  }
  if (job->r_tokens != nullptr) {
    k_->lrp_input_sums(s->q.data(), p.n_rows, s->gamma.data(), job->zx + p.row0, job->ldzx, job->zx_rows,
                       bias_.data() + p.row0, p.n_rows, T_, E, job->reverse_steps ? 1 : 0, job->r_tokens);
  } else {
    s->pr.setZero(T_, E);  // [T x E] q · W_ih[rows], reading order
    k_->gemm(s->q.data(), p.n_rows, T_, w_ih_p_.data(), G, p.row0, p.row0 + p.n_rows, E, s->pr.data(), E, 0);
    k_->lrp_input_rows(s->pr.data(), E, s->gamma.data(), job->x, job->ldx, T_, E, job->reverse_steps ? 1 : 0,
                       job->r_x, job->ldrx);
  }
  job->r_rest = r_rest;
}

template <class T>
double Lstm<T>::relevance(const LstmCache<T>& cache, const T* r_h_last, const LstmLrpSettings& st, const T* x,
                          Index ldx, bool reverse_steps, T* r_x, Index ldrx,
                          LstmLrpScratch<T>* scratch) const {
  LstmLrpJob<T> job;
  job.cache = &cache;
  job.r_h_last = r_h_last;
  job.x = x;
  job.ldx = ldx;
  job.reverse_steps = reverse_steps;
  job.r_x = r_x;
  job.ldrx = ldrx;
  job.scratch = scratch;
  return relevance(&job, st);
}

template <class T>
double Lstm<T>::relevance(LstmLrpJob<T>* job_in, const LstmLrpSettings& st) const {
  LstmLrpJob<T>& job = *job_in;
  const LstmCache<T>& cache = *job.cache;
  LstmLrpScratch<T> local;
  LstmLrpScratch<T>* s = job.scratch != nullptr ? job.scratch : &local;
  const Index T_ = cache.z.rows();
  const LrpParams p(st, n_hidden_, n_in_);
  s->q.resize(T_, p.n_rows);
  s->gamma.resize(T_);
  lrp_begin(&job, s);
  if (fused_lrp(st)) {
    s->gamma.setZero();
    const lstm_kernels::LrpStaJob<T> j = lrp_sta_job(job, s);
    k_->lrp_sta_steps(&j, 1, static_cast<T>(st.eps));
  } else {
    for (Index t = T_ - 1; t >= 0; --t) lrp_step(t, st, &job, s);
  }
  lrp_end(st, &job, s);
  return job.r_rest;
}

template <class T>
void Lstm<T>::relevance_pair(const Lstm& a, LstmLrpJob<T>* job_a, const Lstm& b, LstmLrpJob<T>* job_b,
                             const LstmLrpSettings& st) {
  LstmLrpScratch<T> local_a, local_b;
  LstmLrpScratch<T>* sa = job_a->scratch != nullptr ? job_a->scratch : &local_a;
  LstmLrpScratch<T>* sb = job_b->scratch != nullptr ? job_b->scratch : &local_b;
  const Index Ta = job_a->cache->z.rows(), Tb = job_b->cache->z.rows();
  const LrpParams pa(st, a.n_hidden_, a.n_in_), pb(st, b.n_hidden_, b.n_in_);
  sa->q.resize(Ta, pa.n_rows);
  sa->gamma.resize(Ta);
  sb->q.resize(Tb, pb.n_rows);
  sb->gamma.resize(Tb);
  a.lrp_begin(job_a, sa);
  b.lrp_begin(job_b, sb);
  // The two passes interleaved step by step (independent chains hide each other's latency) when the
  // rows of W_hh that each step streams (those of the rows that carry relevance: the g rows, H x H
  // padded, under signal-take-all, all 4H x H under half and proportional) fit in L1 together (H = 60
  // in float32 signal-take-all: 2 x 15 kB), else one after the other (the same results: the passes
  // share nothing): in float64 (2 x 31 kB) interleaving streamed them from L2, 30 % slower.
  const auto streamed_bytes = [](const Lstm& l, const LrpParams& p) {
    return l.k_->panels_size(p.n_rows, l.n_hidden_) * static_cast<Index>(sizeof(T));
  };
  const bool interleave = streamed_bytes(a, pa) + streamed_bytes(b, pb) <= pair_bytes();
  if (fused_lrp(st)) {
    sa->gamma.setZero();
    sb->gamma.setZero();
    const lstm_kernels::LrpStaJob<T> jobs[2] = {a.lrp_sta_job(*job_a, sa), b.lrp_sta_job(*job_b, sb)};
    if (interleave && a.k_ == b.k_) {
      a.k_->lrp_sta_steps(jobs, 2, static_cast<T>(st.eps));
    } else {
      a.k_->lrp_sta_steps(&jobs[0], 1, static_cast<T>(st.eps));
      b.k_->lrp_sta_steps(&jobs[1], 1, static_cast<T>(st.eps));
    }
  } else if (interleave) {
    for (Index t = std::max(Ta, Tb) - 1; t >= 0; --t) {
      if (t < Ta) a.lrp_step(t, st, job_a, sa);
      if (t < Tb) b.lrp_step(t, st, job_b, sb);
    }
  } else {
    for (Index t = Ta - 1; t >= 0; --t) a.lrp_step(t, st, job_a, sa);
    for (Index t = Tb - 1; t >= 0; --t) b.lrp_step(t, st, job_b, sb);
  }
  a.lrp_end(st, job_a, sa);
  b.lrp_end(st, job_b, sb);
}

template class Lstm<double>;
template class Lstm<float>;

// ---- LstmPrefixForward

template <class T>
LstmPrefixForward<T>::LstmPrefixForward(const Lstm<T>& lstm) : k_(&table<T>()), n_hidden_(lstm.n_hidden()) {
  const Index H = n_hidden_, G = 4 * H;
  w_hh_t_p_ = detail::AlignedArray<T>(k_->panels_size(H, G));
  k_->pack_panels(lstm.w_hh().data(), 1, H, H, G, w_hh_t_p_.data());  // as Lstm::pack(w_hh, transpose)
}

template <class T>
Index LstmPrefixForward<T>::final_states(const T* zx, Index ldzx, const std::vector<Index>& idx,
                                         const std::vector<Index>& start, bool reverse,
                                         LstmMat<T>* h_final) const {
  TEXTLRP_ASSERT(k_ != nullptr && !start.empty() && start.front() == 0 &&
                 start.back() == static_cast<Index>(idx.size()));
  const Index H = n_hidden_, G = 4 * H, B = static_cast<Index>(start.size()) - 1;
  h_final->setZero(B, H);
  // The tree, level by level: node = (parent node, input row); a level's nodes are contiguous.
  std::vector<Index> node(static_cast<std::size_t>(B), -1);  // each sequence's node at the current step
  std::vector<Index> parent, input, level{0};
  Index n_steps = 0;
  for (Index b = 0; b < B; ++b) n_steps = std::max(n_steps, start[b + 1] - start[b]);
  std::unordered_map<std::uint64_t, Index> children;  // (parent + 1, input) -> node, per level
  for (Index t = 0; t < n_steps; ++t) {
    children.clear();
    for (Index b = 0; b < B; ++b) {
      const Index len = start[b + 1] - start[b];
      if (len <= t) continue;
      const Index u = idx[static_cast<std::size_t>(reverse ? start[b + 1] - 1 - t : start[b] + t)];
      auto& nb = node[static_cast<std::size_t>(b)];
      TEXTLRP_ASSERT(u >= 0 && u < (Index(1) << 32) && nb + 1 < (Index(1) << 31));
      const std::uint64_t key = (static_cast<std::uint64_t>(nb + 1) << 32) | static_cast<std::uint64_t>(u);
      const auto [it, fresh] = children.try_emplace(key, static_cast<Index>(parent.size()));
      if (fresh) {
        parent.push_back(nb);
        input.push_back(u);
      }
      nb = it->second;
    }
    level.push_back(static_cast<Index>(parent.size()));
  }
  // The recurrence, one level (step) at a time, as Lstm::forward.
  const Index n_nodes = static_cast<Index>(parent.size());
  LstmMat<T> h(n_nodes, H), c(n_nodes, H), z, a, tc, h_prev, c_prev;
  for (Index t = 0; t < n_steps; ++t) {
    const Index r0 = level[static_cast<std::size_t>(t)], n = level[static_cast<std::size_t>(t) + 1] - r0;
    z.resize(n, G);
    a.resize(n, G);
    tc.resize(n, H);
    for (Index i = 0; i < n; ++i) {
      const T* in = zx + input[static_cast<std::size_t>(r0 + i)] * ldzx;
      std::copy(in, in + G, z.row(i).data());
    }
    const T* cp = nullptr;
    if (t > 0) {
      h_prev.resize(n, H);
      c_prev.resize(n, H);
      for (Index i = 0; i < n; ++i) {
        const Index p = parent[static_cast<std::size_t>(r0 + i)];
        h_prev.row(i) = h.row(p);
        c_prev.row(i) = c.row(p);
      }
      k_->gemm(h_prev.data(), H, n, w_hh_t_p_.data(), H, 0, H, G, z.data(), G, static_cast<int>(t & 1));
      cp = c_prev.data();
    }
    k_->cell(z.data(), G, n, H, a.data(), G, cp, H, c.row(r0).data(), H, tc.data(), H, h.row(r0).data(), H);
  }
  for (Index b = 0; b < B; ++b) {
    if (node[static_cast<std::size_t>(b)] >= 0) h_final->row(b) = h.row(node[static_cast<std::size_t>(b)]);
  }
  return n_nodes;
}

template class LstmPrefixForward<double>;
template class LstmPrefixForward<float>;

}  // namespace textlrp::lrp
