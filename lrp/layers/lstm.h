// lrp/layers/lstm.h — one LSTM layer (one direction): forward over a batch of sequences, backward
// (gradients with respect to the inputs and the weights) and LRP, in float64 or float32. Used by the
// BiLSTM classifier (lrp/models/bilstm_classifier.h, which has the equations of the forward pass and
// of LRP) and by its trainer (train/bilstm_train.h).
//
// Gate blocks in the order i, g, f, o (the classifier's; PyTorch's nn.LSTM stores i, f, g, o and the
// importer swaps f and g):
//   z_t = W_ih x_t + W_hh h_{t-1} + b        [4H]   (b = b_ih + b_hh)
//   i = σ(z_i)  g = tanh(z_g)  f = σ(z_f)  o = σ(z_o)
//   c_t = f ⊙ c_{t-1} + i ⊙ g      h_t = o ⊙ tanh(c_t)      h_{-1} = c_{-1} = 0
//
// Batches (LstmBatch): B sequences sorted by length, longest first, packed as PyTorch's
// PackedSequence: step t holds the n_t sequences with length > t in rows [offset_t, offset_t + n_t)
// (row offset_t + b = sequence b), so there is no padding; equal lengths are the special case
// n_t = B. The input projection x_t W_ihᵀ + b of all rows is one matrix product (project()); each
// time step is one [n_t x H]·[H x 4H] product and one pass of the cell over its rows. The hot loops
// are lstm_kernels.h (vectorised, one copy per instruction-set level). A row's results do not depend
// on the batch it is in (the same operations in the same order), so a batch gives bit for bit the
// scores of its sequences one by one.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

#include "core/tensor.h"
#include "lrp/isa/lstm_kernels.h"

namespace textlrp::lrp {

template <class T>
using LstmMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Sequences of a batch, packed (see above).
struct LstmBatch {
  std::vector<Index> len;     // [B] lengths, non-increasing
  std::vector<Index> n_at;    // [n_steps] sequences still running at step t (non-increasing)
  std::vector<Index> offset;  // [n_steps + 1] first row of step t; offset.back() = n_rows()
  // From lengths sorted longest first (throws InvalidArgument otherwise).
  static LstmBatch packed(std::vector<Index> lengths_desc);
  // B sequences of T steps: row t·B + b.
  static LstmBatch equal(Index batch, Index steps);
  Index size() const { return static_cast<Index>(len.size()); }
  Index n_rows() const { return offset.empty() ? 0 : offset.back(); }
  Index n_steps() const { return static_cast<Index>(n_at.size()); }
  bool equal_lengths() const;
};

// What a forward pass leaves behind, rows in the batch's packed order (the direction's reading
// order): z = the gate pre-activations, a = the gates σ(z_i), tanh(z_g), σ(z_f), σ(z_o), c, tanh(c), h.
template <class T>
struct LstmCache {
  LstmMat<T> z;   // [N x 4H]
  LstmMat<T> a;   // [N x 4H]
  LstmMat<T> c;   // [N x H]
  LstmMat<T> tc;  // [N x H]
  LstmMat<T> h;   // [N x H]
};

enum class LstmGateRule { kSignalTakeAll, kHalf, kProportional };

// Scratch of the relevance pass (caller-owned and reused between calls, so that a warm explanation
// allocates nothing).
template <class T>
struct LstmLrpScratch {
  LstmMat<T> q;   // [T x rows] R(z_t)/(z_t + εσ) of the rows that carry relevance
  LstmMat<T> pr;  // [T x E] q · W_ih[rows]
  Eigen::Matrix<T, Eigen::Dynamic, 1> gamma;       // [T] the bias-factor share of the gate map per step
  Eigen::Matrix<T, Eigen::Dynamic, 1> rh, rc, rz;  // [H] R(h_t), [H] R(c_t), [4H] R(z_t)
};

// One relevance pass of relevance() or relevance_pair(); r_rest is its result. The inputs' relevance
// goes either to r_x (r_tokens = nullptr) or, summed over each input's components, to r_tokens.
template <class T>
struct LstmLrpJob {
  const LstmCache<T>* cache = nullptr;
  const T* r_h_last = nullptr;
  const T* x = nullptr;
  Index ldx = 0;
  bool reverse_steps = false;
  T* r_x = nullptr;
  Index ldrx = 0;
  // Per input instead of per component: r_tokens[t] = Σ_e R(x_t)_e [T], in the row order of x, from
  // the forward pass's input projections zx = W_ih x + b (row stride ldzx, the same row order):
  // Σ_e x_e Σ_j q_j W_ih(j, e) = Σ_j q_j (zx_j − b_j), a dot product of 4H (or H) terms per step
  // instead of the [T x rows]·[rows x E] product of r_x and a sum over E. x and r_x are not read.
  const T* zx = nullptr;
  Index ldzx = 0;
  const Index* zx_rows = nullptr;  // non-null: input t's row of zx is zx_rows[t] (as forward()'s rows)
  double* r_tokens = nullptr;
  LstmLrpScratch<T>* scratch = nullptr;  // nullptr: a temporary one
  // false: r_rest is not summed (left 0), for a caller that does not read it (explain()'s word
  // relevances: two sums of H terms in a chain, ~0.1 us per direction).
  bool sum_rest = true;
  double r_rest = 0;
};

// LRP settings of one layer (the rule of every linear map inside it; see bilstm_classifier.h).
struct LstmLrpSettings {
  double eps = 0.001;      // ε of the lrp_linear rule (0 = LRP-0)
  double bias_factor = 0;  // B
  LstmGateRule gate_rule = LstmGateRule::kSignalTakeAll;
};

namespace detail {
// A 64-byte aligned array (the kernels stream packed weights; an aligned panel is one cache line
// per vector load instead of two).
template <class T>
class AlignedArray {
 public:
  AlignedArray() = default;
  explicit AlignedArray(Index n) : n_(n), p_(n > 0 ? alloc(n) : nullptr) {}
  AlignedArray(const AlignedArray& o) : AlignedArray(o.n_) {
    for (Index i = 0; i < n_; ++i) p_.get()[i] = o.p_.get()[i];
  }
  AlignedArray(AlignedArray&&) noexcept = default;
  AlignedArray& operator=(AlignedArray o) noexcept {
    n_ = o.n_;
    p_ = std::move(o.p_);
    return *this;
  }
  T* data() { return p_.get(); }
  const T* data() const { return p_.get(); }
  Index size() const { return n_; }

 private:
  struct Free {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t(64)); }
  };
  static T* alloc(Index n) {
    return static_cast<T*>(::operator new[](static_cast<std::size_t>(n) * sizeof(T), std::align_val_t(64)));
  }
  Index n_ = 0;
  std::unique_ptr<T, Free> p_;
};

// The rows of a large table (a projected-embedding table) that this thread read recently, by address:
// Lstm::forward loads a document's rows up front (so that rows from memory arrive together), and a
// row read within the last kMaxAge rounds (a round = one such forward pass) is most likely still in
// L2, where loading it again only costs (~0.35 us of a 23 us float32 explanation for 40 rows).
// Direct-mapped, kSlots entries (16 kB per thread; fewer let the 80 row halves of two 20-token
// documents collide often): a row whose slot another row took since is treated as not read.
// A heuristic for speed only: no result depends on it.
class RecentRows {
 public:
  static constexpr int kSlots = 1024;
  static constexpr std::uint32_t kMaxAge = 16;
  void next_round() { ++round_; }
  // Whether p was recorded within the last kMaxAge rounds (this one included); records it in this one.
  bool seen(const void* p) {
    const auto u = reinterpret_cast<std::uintptr_t>(p);
    Slot& s = slots_[static_cast<std::size_t>((static_cast<std::uint64_t>(u) * 0x9E3779B97F4A7C15ull) >> 54)];
    const bool hit = s.key == u && round_ - s.round < kMaxAge;
    s.key = u;
    s.round = round_;
    return hit;
  }

 private:
  struct Slot {  // 16 bytes: one cache line holds 4 slots, a look-up reads one
    std::uintptr_t key = 0;
    std::uint32_t round = 0;
  };
  Slot slots_[kSlots];
  std::uint32_t round_ = 0;
};
}  // namespace detail

template <class T>
class Lstm {
 public:
  Lstm() = default;
  // w_ih [4H x E], w_hh [4H x H], bias [4H] (b_ih + b_hh), any floating type (rounded to T).
  Lstm(const LstmMat<double>& w_ih, const LstmMat<double>& w_hh,
       const Eigen::Matrix<double, Eigen::Dynamic, 1>& bias);
  Lstm(const LstmMat<float>& w_ih, const LstmMat<float>& w_hh,
       const Eigen::Matrix<float, Eigen::Dynamic, 1>& bias);

  Index n_in() const { return n_in_; }
  Index n_hidden() const { return n_hidden_; }
  const LstmMat<T>& w_ih() const { return w_ih_; }  // [4H x E]
  const LstmMat<T>& w_hh() const { return w_hh_; }  // [4H x H]
  const Eigen::Matrix<T, Eigen::Dynamic, 1>& bias() const { return bias_; }

  // zx[r] = x[r] W_ihᵀ + b for n_rows rows of x [n_rows x E] (row stride ldx): one matrix product.
  void project(const T* x, Index ldx, Index n_rows, T* zx, Index ldzx) const;
  // The recurrence over a batch from its projected inputs: step t reads the rows of step t of zx
  // (row stride ldzx), or those of step n_steps − 1 − t with reverse_steps (equal lengths only: a
  // direction that reads the sequences backwards). rows non-null: row r of the batch is row rows[r]
  // of zx (rows gathered in place, e.g. from a projected-embedding table). Fills *cache.
  void forward(const LstmBatch& batch, const T* zx, Index ldzx, bool reverse_steps, LstmCache<T>* cache,
               const Index* rows = nullptr) const;
  // Backward through the recurrence: dh_final [B x H] (row b: ∂/∂ of sequence b's last hidden
  // state) -> dz [N x 4H] = ∂/∂z of every row.
  void backward(const LstmBatch& batch, const LstmCache<T>& cache, const LstmMat<T>& dh_final,
                LstmMat<T>* dz) const;
  // dx [N x E] = dz W_ih (one matrix product).
  void input_gradient(const LstmMat<T>& dz, LstmMat<T>* dx) const;
  // Adds ∂/∂W_ih = dzᵀ X, ∂/∂W_hh = dzᵀ H_prev and ∂/∂b = Σ_rows dz to the three (shapes of w_ih,
  // w_hh and [1 x 4H]); x [N x E] are the inputs in packed order.
  void add_weight_gradient(const LstmBatch& batch, const LstmCache<T>& cache, const LstmMat<T>& x,
                           const LstmMat<T>& dz, LstmMat<T>* g_w_ih, LstmMat<T>* g_w_hh,
                           LstmMat<T>* g_b) const;

  // LRP of one sequence (a batch of 1 whose cache holds its T steps): from R(h_{T-1}) = r_h_last
  // [H] to the inputs: r_x [T x E] (row stride ldrx) in the row order of x (x [T x E], row stride
  // ldx: step t's input is row t, or row T − 1 − t with reverse_steps, as in forward()). Returns
  // what reaches h_{-1} and c_{-1} (0 unless bias_factor != 0). The equations are in
  // bilstm_classifier.h.
  double relevance(const LstmCache<T>& cache, const T* r_h_last, const LstmLrpSettings& settings, const T* x,
                   Index ldx, bool reverse_steps, T* r_x, Index ldrx,
                   LstmLrpScratch<T>* scratch = nullptr) const;
  // relevance() of one job (its inputs' relevance per component or per input, see LstmLrpJob); sets
  // and returns job->r_rest.
  double relevance(LstmLrpJob<T>* job, const LstmLrpSettings& settings) const;
  // relevance() of two layers (the two directions of a bidirectional LSTM): their backward
  // recurrences interleaved step by step when the rows of W_hh each step reads fit in L1 together
  // (pair_bytes() in lstm.cpp), else one after the other; bit for bit relevance() on each either way.
  // Sets job_a.r_rest, job_b.r_rest.
  static void relevance_pair(const Lstm& a, LstmLrpJob<T>* job_a, const Lstm& b, LstmLrpJob<T>* job_b,
                             const LstmLrpSettings& settings);

 private:
  template <class S>
  void init(const LstmMat<S>& w_ih, const LstmMat<S>& w_hh, const Eigen::Matrix<S, Eigen::Dynamic, 1>& bias);
  detail::AlignedArray<T> pack(const LstmMat<T>& w, bool transpose) const;
  void forward_step(const LstmBatch& batch, Index t, const T* zx, Index ldzx, bool reverse_steps,
                    LstmCache<T>* cache, const Index* rows) const;
  void resize_cache(Index n_rows, LstmCache<T>* cache) const;
  // relevance() in three parts, so that relevance_pair() can interleave two layers' steps.
  void lrp_begin(LstmLrpJob<T>* job, LstmLrpScratch<T>* s) const;
  void lrp_step(Index t, const LstmLrpSettings& st, LstmLrpJob<T>* job, LstmLrpScratch<T>* s) const;
  void lrp_end(const LstmLrpSettings& st, LstmLrpJob<T>* job, LstmLrpScratch<T>* s) const;
  // The arguments of the fused kernel lstm_kernels::Table::lrp_sta_steps for one job.
  lstm_kernels::LrpStaJob<T> lrp_sta_job(const LstmLrpJob<T>& job, LstmLrpScratch<T>* s) const;

  const lstm_kernels::Table<T>* k_ = nullptr;
  Index n_in_ = 0, n_hidden_ = 0;
  LstmMat<T> w_ih_, w_hh_;
  Eigen::Matrix<T, Eigen::Dynamic, 1> bias_;
  detail::AlignedArray<T> w_ih_t_p_;   // W_ihᵀ [E x 4H] in panels (project)
  detail::AlignedArray<T> w_hh_t_p_;   // W_hhᵀ [H x 4H] in panels (forward)
  detail::AlignedArray<T> w_ih_p_;     // W_ih [4H x E] in panels (input gradient, relevance)
  detail::AlignedArray<T> w_hh_p_;     // W_hh [4H x H] in panels (backward, relevance)
  detail::AlignedArray<T> w_hh_step_;  // W_hhᵀ gate-interleaved (forward steps of one sequence: Table::step)
};

extern template class Lstm<double>;
extern template class Lstm<float>;

// ---- Many sequences that share prefixes, forward only (the batched baselines and deletion curves).
//
// LstmPrefixForward runs a layer's recurrence over a prefix tree. The sequences' inputs are given as
// indices into a table of projected rows zx (Lstm::project of the distinct inputs, each projected
// once), and a prefix (the same rows in the same order from step 0) that several sequences share is
// computed once: one tree node per step. The variants of a word-deletion curve share everything
// before their first deleted position (read backwards, everything after the last one), occlusion's
// shortened inputs everything before the removed token, and the same variant reached by two
// orderings is computed once. Level t of the tree (its n_t nodes at step t) is one
// [n_t x H]·[H x 4H] product and one cell pass, through the same kernels with the same operations
// in the same order as Lstm::forward at step t, so every state is bit for bit the one Lstm::forward
// gives for its sequence alone.
template <class T>
class LstmPrefixForward {
 public:
  LstmPrefixForward() = default;
  explicit LstmPrefixForward(const Lstm<T>& lstm);  // packs the layer's W_hhᵀ (the layer need not outlive it)

  // h_final [B x H], B = start.size() − 1: row b = the last hidden state of sequence b, which reads
  // zx[idx[start[b]]], zx[idx[start[b] + 1]], ..., zx[idx[start[b + 1] − 1]] (rows of zx [U x 4H],
  // row stride ldzx; every idx < U), or those in the opposite order with `reverse`. An empty
  // sequence gives a zero row. Returns the number of tree nodes computed (≤ idx.size()).
  Index final_states(const T* zx, Index ldzx, const std::vector<Index>& idx, const std::vector<Index>& start,
                     bool reverse, LstmMat<T>* h_final) const;

 private:
  const lstm_kernels::Table<T>* k_ = nullptr;
  Index n_hidden_ = 0;
  detail::AlignedArray<T> w_hh_t_p_;  // W_hhᵀ [H x 4H] in panels, as Lstm's
};

extern template class LstmPrefixForward<double>;
extern template class LstmPrefixForward<float>;

}  // namespace textlrp::lrp
