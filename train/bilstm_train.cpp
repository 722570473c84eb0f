// train/bilstm_train.cpp — mini-batch training of the bidirectional LSTM (see bilstm_train.h).
//
// Layout of a shard (the sentences of one batch that one thread handles), as in PyTorch's
// PackedSequence: the B sentences are sorted by length, longest first; n_t = the number of
// sentences with length > t (non-increasing in t); time step t occupies the packed rows
// [offset_t, offset_t + n_t), row offset_t + b holding sentence b. The right-to-left direction
// packs each sentence reversed, so in both directions sentence b's last state is at step len_b - 1,
// and the sentences that end at step t are exactly the rows [n_{t+1}, n_t) of that step.
//
// Backward through one direction (per step, ⊙ elementwise; gates i, g, f, o are the activations):
//   dh_t = dh_t^final (sentences ending at t)  or  dz_{t+1} · W_hh (the others)
//   dc_t = dh_t ⊙ o ⊙ (1 - tanh²c_t) + dc_{t+1} ⊙ f_{t+1}
//   dz_o = dh_t ⊙ tanh c_t ⊙ o(1-o)    dz_i = dc_t ⊙ g ⊙ i(1-i)
//   dz_g = dc_t ⊙ i ⊙ (1-g²)           dz_f = dc_t ⊙ c_{t-1} ⊙ f(1-f)   (0 at t = 0)
// then dW_ih = dzᵀ·X, dW_hh = dzᵀ·H_prev, db = Σ_rows dz, dX = dz·W_ih over all packed rows at once.
// The forward and backward passes of a direction are lrp/layers/lstm.h's (the classifier's own layer).
#include "train/bilstm_train.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "core/error.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "lrp/layers/lstm.h"

namespace textlrp::train {
using namespace lrp;  // the classifiers, layers and kernels trained here
namespace {

// "[R x C]" (fmt rather than core/tensor.h's string concatenation, on which g++ 12 -O3 gives a false
// -Wrestrict warning).
std::string shape_of(Index rows, Index cols) { return fmt::format("[{} x {}]", rows, cols); }

template <class T>
using MatT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using Blk = Eigen::Block<MatT<T>>;
template <class T>
using CBlk = Eigen::Block<const MatT<T>>;

// ---------------------------------------------------------------------------------------------
// Parameters (and gradients, in the same layout).

template <class T>
struct Dir {
  MatT<T> w_ih;  // [4H x E]
  MatT<T> w_hh;  // [4H x H]
  MatT<T> b;     // [1 x 4H]  (b_ih + b_hh)
};

template <class T>
struct Params {
  MatT<T> emb;                // [V x E]; unused in gradients (embedding gradients are sparse)
  std::array<Dir<T>, 2> dir;  // 0: left to right, 1: right to left
  MatT<T> fc;                 // [C x 2H] = [fc_left | fc_right]
  MatT<T> fc_b;               // [1 x C], or [1 x 0] without an output bias

  // Every block but the embedding, in a fixed order (used by the optimisers and the norm).
  std::vector<MatT<T>*> dense() {
    return {&dir[0].w_ih, &dir[0].w_hh, &dir[0].b, &dir[1].w_ih, &dir[1].w_hh, &dir[1].b, &fc, &fc_b};
  }
  // Whether dense()[k] is a weight matrix (weight decay applies) rather than a bias.
  static bool is_weight(std::size_t k) { return k == 0 || k == 1 || k == 3 || k == 4 || k == 6; }

  // A zero gradient of the same shapes (without the embedding).
  Params zeros_like() const {
    Params g;
    for (std::size_t d = 0; d < 2; ++d) {
      g.dir[d].w_ih = MatT<T>::Zero(dir[d].w_ih.rows(), dir[d].w_ih.cols());
      g.dir[d].w_hh = MatT<T>::Zero(dir[d].w_hh.rows(), dir[d].w_hh.cols());
      g.dir[d].b = MatT<T>::Zero(1, dir[d].b.cols());
    }
    g.fc = MatT<T>::Zero(fc.rows(), fc.cols());
    g.fc_b = MatT<T>::Zero(1, fc_b.cols());
    return g;
  }
};

// Sparse embedding gradient: one row per token occurrence, in a fixed order.
template <class T>
struct EmbGrad {
  std::vector<TokenId> ids;
  std::vector<T> rows;  // ids.size() x E, row-major
};

template <class T>
struct Grads {
  Params<T> dense;
  EmbGrad<T> emb;
  bool want_emb = false;
  double loss = 0;
};

void check_weights(const BiLstmWeights& w) {
  const Index E = w.embedding.cols();
  const Index H = w.left.w_hh.cols();
  const Index C = w.fc_left.rows();
  auto fail = [](const std::string& what) { throw InvalidArgument(fmt::format("bilstm weights: {}", what)); };
  if (w.embedding.rows() < 1 || E < 1) fail("the embedding table is empty");
  if (H < 1 || C < 1) fail("no hidden units or no classes");
  for (const LstmWeights* d : {&w.left, &w.right}) {
    if (d->w_ih.rows() != 4 * H || d->w_ih.cols() != E || d->w_hh.rows() != 4 * H || d->w_hh.cols() != H ||
        d->b_ih.size() != 4 * H || d->b_hh.size() != 4 * H) {
      fail(fmt::format("LSTM shapes do not fit E = {}, H = {} (w_ih {}, w_hh {})", E, H,
                       shape_of(d->w_ih.rows(), d->w_ih.cols()), shape_of(d->w_hh.rows(), d->w_hh.cols())));
    }
  }
  if (w.fc_left.cols() != H || w.fc_right.rows() != C || w.fc_right.cols() != H) {
    fail(fmt::format("output shapes {} and {} do not fit H = {}",
                     shape_of(w.fc_left.rows(), w.fc_left.cols()),
                     shape_of(w.fc_right.rows(), w.fc_right.cols()), H));
  }
  if (w.fc_bias.size() != 0 && w.fc_bias.size() != C)
    fail(fmt::format("fc_bias has {} entries, expected 0 or {}", w.fc_bias.size(), C));
}

template <class T>
Params<T> from_weights(const BiLstmWeights& w) {
  check_weights(w);
  const Index H = w.left.w_hh.cols();
  const Index C = w.fc_left.rows();
  Params<T> p;
  p.emb = w.embedding.cast<T>();
  const std::array<const LstmWeights*, 2> src = {&w.left, &w.right};
  for (std::size_t d = 0; d < 2; ++d) {
    p.dir[d].w_ih = src[d]->w_ih.cast<T>();
    p.dir[d].w_hh = src[d]->w_hh.cast<T>();
    p.dir[d].b = (src[d]->b_ih + src[d]->b_hh).transpose().cast<T>();
  }
  p.fc.resize(C, 2 * H);
  p.fc.leftCols(H) = w.fc_left.cast<T>();
  p.fc.rightCols(H) = w.fc_right.cast<T>();
  p.fc_b = MatT<T>(1, w.fc_bias.size());
  if (w.fc_bias.size() > 0) p.fc_b.row(0) = w.fc_bias.transpose().cast<T>();
  return p;
}

// Parameters -> model weights (b_ih = the bias, b_hh = 0; for a gradient, bias_grad_both gives both
// the bias gradient). `emb` replaces p.emb (gradients keep no embedding in Params).
template <class T>
BiLstmWeights to_weights(const Params<T>& p, const MatT<T>& emb, bool bias_grad_both = false) {
  const Index H = p.dir[0].w_hh.cols();
  BiLstmWeights w;
  w.embedding = emb.template cast<double>();
  const std::array<LstmWeights*, 2> dst = {&w.left, &w.right};
  for (std::size_t d = 0; d < 2; ++d) {
    dst[d]->w_ih = p.dir[d].w_ih.template cast<double>();
    dst[d]->w_hh = p.dir[d].w_hh.template cast<double>();
    dst[d]->b_ih = p.dir[d].b.row(0).transpose().template cast<double>();
    dst[d]->b_hh = bias_grad_both ? dst[d]->b_ih : VecD(VecD::Zero(4 * H));
  }
  w.fc_left = p.fc.leftCols(H).template cast<double>();
  w.fc_right = p.fc.rightCols(H).template cast<double>();
  w.fc_bias = p.fc_b.cols() > 0 ? VecD(p.fc_b.row(0).transpose().template cast<double>()) : VecD();
  return w;
}

// ---------------------------------------------------------------------------------------------
// Packed batches and the LSTM layers (lrp/layers/lstm.h: forward, backward, weight gradients).

using Packing = LstmBatch;

Packing pack(std::vector<Index> lengths_desc) { return LstmBatch::packed(std::move(lengths_desc)); }

// One direction's inputs and forward cache, in packed order.
template <class T>
struct DirCache {
  MatT<T> x;           // [N x E] inputs
  MatT<T> zx;          // [N x 4H] x W_ihᵀ + b
  LstmCache<T> cache;  // z, gates, c, tanh(c), h
};

// Scratch of one thread, reused across batches.
template <class T>
struct Workspace {
  std::array<DirCache<T>, 2> dir;
  MatT<T> emb_mask;               // [N x E] dropout mask of the embeddings (left packed order)
  MatT<T> dz;                     // [N x 4H]
  std::array<MatT<T>, 2> dx_dir;  // [N x E] input gradients of each direction
};

// The two directions' layers for the current parameters.
template <class T>
std::array<Lstm<T>, 2> make_layers(const Params<T>& p) {
  std::array<Lstm<T>, 2> out;
  for (std::size_t d = 0; d < 2; ++d) {
    out[d] = Lstm<T>(p.dir[d].w_ih, p.dir[d].w_hh,
                     Eigen::Matrix<T, Eigen::Dynamic, 1>(p.dir[d].b.row(0).transpose()));
  }
  return out;
}

// Forward pass of one direction over k.x (already filled).
template <class T>
void lstm_forward(const Lstm<T>& lstm, const Packing& pk, DirCache<T>& k) {
  const Index N = pk.n_rows(), G = 4 * lstm.n_hidden();
  k.zx.resize(N, G);
  lstm.project(k.x.data(), k.x.cols(), N, k.zx.data(), G);
  lstm.forward(pk, k.zx.data(), G, false, &k.cache);
}

// Backward pass of one direction. d_final: [B x H] gradient on each sentence's last hidden state.
// Adds the parameter gradients to g and writes the input gradient [N x E] to dx.
template <class T>
void lstm_backward(const Lstm<T>& lstm, const Packing& pk, const DirCache<T>& k, const MatT<T>& d_final,
                   Dir<T>& g, Workspace<T>& ws, MatT<T>& dx) {
  lstm.backward(pk, k.cache, d_final, &ws.dz);
  lstm.add_weight_gradient(pk, k.cache, k.x, ws.dz, &g.w_ih, &g.w_hh, &g.b);
  lstm.input_gradient(ws.dz, &dx);
}

// Uniform in [0, 1) from 53 random bits (portable, unlike std::uniform_real_distribution).
inline double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1p-53; }

struct ShardInput {
  std::vector<const std::vector<TokenId>*> docs;
  std::vector<int> labels;           // empty: forward only
  std::vector<std::uint64_t> seeds;  // dropout seed per sentence; empty: no dropout
};

// Forward (and, when grad is not null, backward) over one shard. Returns the summed cross-entropy
// (0 without labels); the gradient is that of scale · the summed cross-entropy. scores (optional)
// receives [B x C] in the order of in.docs.
template <class T>
double run_shard(const Params<T>& p, const std::array<Lstm<T>, 2>& lstm, const ShardInput& in,
                 double dropout_e, double dropout_h, T scale, MatT<T>* scores, Grads<T>* grad,
                 Workspace<T>& ws) {
  const auto B = static_cast<Index>(in.docs.size());
  const Index E = p.emb.cols();
  const Index H = p.dir[0].w_hh.cols();
  const Index C = p.fc.rows();
  const Index V = p.emb.rows();
  if (scores) scores->resize(B, C);
  if (B == 0) return 0;
  std::vector<std::size_t> ord(static_cast<std::size_t>(B));
  std::iota(ord.begin(), ord.end(), 0);
  std::stable_sort(ord.begin(), ord.end(),
                   [&](std::size_t a, std::size_t b) { return in.docs[a]->size() > in.docs[b]->size(); });
  std::vector<Index> lens(ord.size());
  for (std::size_t b = 0; b < ord.size(); ++b) lens[b] = static_cast<Index>(in.docs[ord[b]]->size());
  const Packing pk = pack(std::move(lens));
  const Index N = pk.n_rows();
  const bool dropout = !in.seeds.empty();
  const bool drop_e = dropout && dropout_e > 0;
  const bool drop_h = dropout && dropout_h > 0;
  std::vector<std::mt19937_64> rngs;
  if (dropout) {
    for (const std::size_t i : ord) rngs.emplace_back(in.seeds[i]);
  }

  // Embedding lookup (with dropout) into both directions' packed inputs.
  ws.dir[0].x.setZero(N, E);
  ws.dir[1].x.setZero(N, E);
  if (drop_e) ws.emb_mask.resize(N, E);
  const T keep_e_scale = drop_e ? T(1.0 / (1.0 - dropout_e)) : T(1);
  for (Index b = 0; b < B; ++b) {
    const auto& ids = *in.docs[ord[static_cast<std::size_t>(b)]];
    const Index L = pk.len[static_cast<std::size_t>(b)];
    for (Index t = 0; t < L; ++t) {
      const Index row_l = pk.offset[static_cast<std::size_t>(t)] + b;
      const Index row_r = pk.offset[static_cast<std::size_t>(L - 1 - t)] + b;
      if (drop_e) {
        std::mt19937_64& rng = rngs[static_cast<std::size_t>(b)];
        for (Index j = 0; j < E; ++j)
          ws.emb_mask(row_l, j) = uniform01(rng) < dropout_e ? T(0) : keep_e_scale;
      }
      const TokenId id = ids[static_cast<std::size_t>(t)];
      if (id < 0 || id >= V) continue;
      if (drop_e) {
        ws.dir[0].x.row(row_l) = p.emb.row(id).cwiseProduct(ws.emb_mask.row(row_l));
      } else {
        ws.dir[0].x.row(row_l) = p.emb.row(id);
      }
      ws.dir[1].x.row(row_r) = ws.dir[0].x.row(row_l);
    }
  }
  for (std::size_t d = 0; d < 2; ++d) lstm_forward(lstm[d], pk, ws.dir[d]);

  // Final states [hL | hR] per sentence (zero for an empty sentence), then dropout and the output layer.
  MatT<T> hcat = MatT<T>::Zero(B, 2 * H);  // [B x 2H]
  for (Index b = 0; b < B; ++b) {
    const Index L = pk.len[static_cast<std::size_t>(b)];
    if (L == 0) continue;
    const Index row = pk.offset[static_cast<std::size_t>(L - 1)] + b;
    hcat.block(b, 0, 1, H) = ws.dir[0].cache.h.row(row);
    hcat.block(b, H, 1, H) = ws.dir[1].cache.h.row(row);
  }
  MatT<T> hmask;
  if (drop_h) {
    hmask.resize(B, 2 * H);
    const T s = T(1.0 / (1.0 - dropout_h));
    for (Index b = 0; b < B; ++b) {
      std::mt19937_64& rng = rngs[static_cast<std::size_t>(b)];
      for (Index j = 0; j < 2 * H; ++j) hmask(b, j) = uniform01(rng) < dropout_h ? T(0) : s;
    }
    hcat.array() *= hmask.array();
  }
  MatT<T> s(B, C);  // [B x C]
  s.noalias() = hcat * p.fc.transpose();
  if (p.fc_b.cols() > 0) s.rowwise() += p.fc_b.row(0);
  if (scores) {
    for (Index b = 0; b < B; ++b)
      scores->row(static_cast<Index>(ord[static_cast<std::size_t>(b)])) = s.row(b);
  }
  if (in.labels.empty()) return 0;

  // Softmax cross-entropy: dL/ds = softmax(s) - onehot(label).
  double loss = 0;
  MatT<T> ds(B, C);  // [B x C]
  for (Index b = 0; b < B; ++b) {
    const int y = in.labels[ord[static_cast<std::size_t>(b)]];
    const double mx = static_cast<double>(s.row(b).maxCoeff());
    double z = 0;
    for (Index j = 0; j < C; ++j) z += std::exp(static_cast<double>(s(b, j)) - mx);
    loss += -(static_cast<double>(s(b, y)) - mx - std::log(z));
    for (Index j = 0; j < C; ++j) {
      const double pj = std::exp(static_cast<double>(s(b, j)) - mx) / z;
      ds(b, j) = scale * static_cast<T>(pj - (j == y ? 1.0 : 0.0));
    }
  }
  if (!grad) return loss;
  grad->dense.fc.noalias() += ds.transpose() * hcat;  // [C x 2H]
  if (p.fc_b.cols() > 0) grad->dense.fc_b += ds.colwise().sum();
  MatT<T> dhcat(B, 2 * H);  // [B x 2H]
  dhcat.noalias() = ds * p.fc;
  if (drop_h) dhcat.array() *= hmask.array();
  for (std::size_t d = 0; d < 2; ++d) {
    const MatT<T> d_final = dhcat.middleCols(static_cast<Index>(d) * H, H);  // [B x H]
    lstm_backward(lstm[d], pk, ws.dir[d], d_final, grad->dense.dir[d], ws, ws.dx_dir[d]);
  }
  if (grad->want_emb) {
    EmbGrad<T>& eg = grad->emb;
    for (Index b = 0; b < B; ++b) {
      const auto& ids = *in.docs[ord[static_cast<std::size_t>(b)]];
      const Index L = pk.len[static_cast<std::size_t>(b)];
      for (Index t = 0; t < L; ++t) {
        const TokenId id = ids[static_cast<std::size_t>(t)];
        if (id < 0 || id >= V) continue;
        const Index row_l = pk.offset[static_cast<std::size_t>(t)] + b;
        const Index row_r = pk.offset[static_cast<std::size_t>(L - 1 - t)] + b;
        const std::size_t at = eg.rows.size();
        eg.ids.push_back(id);
        eg.rows.resize(at + static_cast<std::size_t>(E));
        for (Index j = 0; j < E; ++j) {
          T v = ws.dx_dir[0](row_l, j) + ws.dx_dir[1](row_r, j);
          if (drop_e) v *= ws.emb_mask(row_l, j);
          eg.rows[at + static_cast<std::size_t>(j)] = v;
        }
      }
    }
  }
  return loss;
}

// Forward pass over many documents: scores [n_docs x C], documents k ≡ w (mod threads) on thread
// w, in chunks of 256.
template <class T>
MatT<T> batch_scores(const Params<T>& p, const std::vector<std::vector<TokenId>>& docs, ThreadPool& pool) {
  const std::array<Lstm<T>, 2> lstm = make_layers(p);
  MatT<T> out(static_cast<Index>(docs.size()), p.fc.rows());
  const auto n_threads = static_cast<std::size_t>(pool.size());
  pool.parallel_for(n_threads, [&](std::size_t w) {
    Workspace<T> ws;
    ShardInput in;
    std::vector<std::size_t> where;
    MatT<T> s;
    auto flush = [&] {
      run_shard<T>(p, lstm, in, 0, 0, T(1), &s, nullptr, ws);
      for (std::size_t i = 0; i < where.size(); ++i)
        out.row(static_cast<Index>(where[i])) = s.row(static_cast<Index>(i));
      in.docs.clear();
      where.clear();
    };
    for (std::size_t k = w; k < docs.size(); k += n_threads) {
      in.docs.push_back(&docs[k]);
      where.push_back(k);
      if (in.docs.size() == 256) flush();
    }
    if (!in.docs.empty()) flush();
  });
  return out;
}

template <class T>
double accuracy(const Params<T>& p, const std::vector<std::vector<TokenId>>& docs,
                const std::vector<int>& labels, ThreadPool& pool) {
  if (docs.empty()) return 0;
  const MatT<T> s = batch_scores(p, docs, pool);
  std::size_t correct = 0;
  for (Index k = 0; k < s.rows(); ++k) {
    Index best = 0;
    for (Index j = 1; j < s.cols(); ++j) {
      if (s(k, j) > s(k, best)) best = j;  // first maximum on ties, as argmax()
    }
    correct += best == labels[static_cast<std::size_t>(k)];
  }
  return static_cast<double>(correct) / static_cast<double>(docs.size());
}

// Per-block optimiser state.
template <class T>
struct OptSlot {
  MatT<T> m, v;  // Adam moments, or v = Adagrad's sum of squares
};

template <class T>
BiLstmWeights train_impl(const std::vector<std::vector<TokenId>>& docs, const std::vector<int>& labels,
                         const std::vector<std::vector<TokenId>>& dev_docs,
                         const std::vector<int>& dev_labels, Index C, const MatD& embedding,
                         const BiLstmTrainOptions& o, BiLstmTrainReport* report) {
  const Index V = embedding.rows();
  const Index E = embedding.cols();
  const Index H = o.n_hidden;
  std::mt19937_64 rng(o.seed);
  auto uniform = [&](Index rows, Index cols, double bound) {
    MatT<T> m(rows, cols);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<T>((2 * uniform01(rng) - 1) * bound);
    return m;
  };
  // Initialisation: U(-1/√H, 1/√H) for the LSTM weights (PyTorch's nn.LSTM), biases 0 except the
  // forget gates (forget_bias), U(-1/√(2H), 1/√(2H)) for the output weights, output bias 0.
  Params<T> p;
  p.emb = embedding.cast<T>();
  const double bound = 1.0 / std::sqrt(static_cast<double>(H));
  for (std::size_t d = 0; d < 2; ++d) {
    p.dir[d].w_ih = uniform(4 * H, E, bound);
    p.dir[d].w_hh = uniform(4 * H, H, bound);
    p.dir[d].b = MatT<T>::Zero(1, 4 * H);
    p.dir[d].b.middleCols(2 * H, H).setConstant(static_cast<T>(o.forget_bias));
  }
  p.fc = uniform(C, 2 * H, 1.0 / std::sqrt(static_cast<double>(2 * H)));
  p.fc_b = MatT<T>::Zero(1, o.output_bias ? C : 0);

  const bool adam = o.optimizer == BiLstmOptimizer::kAdam;
  const double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8, adagrad_eps = 1e-8;
  std::vector<OptSlot<T>> slots;
  for (MatT<T>* blk : p.dense()) {
    slots.push_back({MatT<T>::Zero(blk->rows(), blk->cols()), MatT<T>::Zero(blk->rows(), blk->cols())});
  }
  OptSlot<T> emb_slot;
  std::vector<long> emb_step;  // per-row step count (lazy Adam)
  MatT<T> emb_acc;             // [V x E] merged embedding gradient of a batch (touched rows only)
  std::vector<char> touched;
  std::vector<TokenId> touched_ids;
  if (o.finetune_embeddings) {
    emb_slot.m = adam ? MatT<T>::Zero(V, E) : MatT<T>();
    emb_slot.v = MatT<T>::Zero(V, E);
    emb_step.assign(static_cast<std::size_t>(V), 0);
    emb_acc = MatT<T>::Zero(V, E);
    touched.assign(static_cast<std::size_t>(V), 0);
  }

  ThreadPool pool(o.threads);
  const auto n_threads = static_cast<std::size_t>(o.threads);
  std::vector<Workspace<T>> workspaces(n_threads);
  std::vector<Grads<T>> grads(n_threads);
  std::vector<ShardInput> shards(n_threads);
  for (auto& g : grads) {
    g.dense = p.zeros_like();
    g.want_emb = o.finetune_embeddings;
  }

  EarlyStopping<Params<T>> stopping(p, o.patience, !dev_docs.empty(), o.epoch_done);
  long step = 0;
  std::vector<std::size_t> order(docs.size());
  std::iota(order.begin(), order.end(), 0);
  const auto batch = static_cast<std::size_t>(o.batch_size);
  for (int epoch = 1; epoch <= o.max_epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    std::shuffle(order.begin(), order.end(), rng);
    double epoch_loss = 0;
    for (std::size_t start = 0; start < order.size(); start += batch) {
      const std::size_t end = std::min(order.size(), start + batch);
      const std::uint64_t batch_seed = rng();
      const bool dropout = o.dropout_embedding > 0 || o.dropout_hidden > 0;
      for (std::size_t w = 0; w < n_threads; ++w) {
        ShardInput& in = shards[w];
        in.docs.clear();
        in.labels.clear();
        in.seeds.clear();
        for (std::size_t k = start + w; k < end; k += n_threads) {
          in.docs.push_back(&docs[order[k]]);
          in.labels.push_back(labels[order[k]]);
          if (dropout) in.seeds.push_back(splitmix64(batch_seed + (k - start)));
        }
        for (MatT<T>* blk : grads[w].dense.dense()) blk->setZero();
        grads[w].emb.ids.clear();
        grads[w].emb.rows.clear();
        grads[w].loss = 0;
      }
      const std::array<Lstm<T>, 2> lstm = make_layers(p);
      const T scale = static_cast<T>(1.0 / static_cast<double>(end - start));
      pool.parallel_for(n_threads, [&](std::size_t ws) {
        grads[ws].loss = run_shard<T>(p, lstm, shards[ws], o.dropout_embedding, o.dropout_hidden, scale,
                                      nullptr, &grads[ws], workspaces[ws]);
      });
      // Sum in thread order (deterministic).
      std::vector<MatT<T>*> g = grads[0].dense.dense();
      for (std::size_t w = 1; w < n_threads; ++w) {
        const std::vector<MatT<T>*> gw = grads[w].dense.dense();
        for (std::size_t i = 0; i < g.size(); ++i) *g[i] += *gw[i];
      }
      double batch_loss = 0;
      for (const auto& gr : grads) batch_loss += gr.loss;
      if (o.finetune_embeddings) {
        for (const auto& gr : grads) {
          for (std::size_t i = 0; i < gr.emb.ids.size(); ++i) {
            const TokenId id = gr.emb.ids[i];
            if (!touched[static_cast<std::size_t>(id)]) {
              touched[static_cast<std::size_t>(id)] = 1;
              touched_ids.push_back(id);
            }
            emb_acc.row(id) += Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(
                gr.emb.rows.data() + i * static_cast<std::size_t>(E), E);
          }
        }
      }
      // Weight decay, then clipping by the global norm.
      std::vector<MatT<T>*> params = p.dense();
      if (o.weight_decay > 0) {
        for (std::size_t i = 0; i < g.size(); ++i) {
          if (Params<T>::is_weight(i)) *g[i] += static_cast<T>(o.weight_decay) * *params[i];
        }
      }
      if (o.clip_norm > 0) {
        double sq = 0;
        for (const MatT<T>* gi : g) sq += static_cast<double>(gi->squaredNorm());
        for (const TokenId id : touched_ids) sq += static_cast<double>(emb_acc.row(id).squaredNorm());
        const double norm = std::sqrt(sq);
        if (norm > o.clip_norm) {
          const auto f = static_cast<T>(o.clip_norm / norm);
          for (MatT<T>* gi : g) *gi *= f;
          for (const TokenId id : touched_ids) emb_acc.row(id) *= f;
        }
      }
      ++step;
      const auto lr = static_cast<T>(o.learning_rate);
      if (adam) {
        const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
        const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
        const auto b1 = static_cast<T>(beta1), b2 = static_cast<T>(beta2);
        const auto step_size = static_cast<T>(o.learning_rate / bc1);
        const auto inv_bc2 = static_cast<T>(1.0 / bc2);
        for (std::size_t i = 0; i < g.size(); ++i) {
          OptSlot<T>& s = slots[i];
          s.m = b1 * s.m + (T(1) - b1) * *g[i];
          s.v = b2 * s.v + (T(1) - b2) * g[i]->cwiseProduct(*g[i]);
          params[i]->array() -=
              step_size * s.m.array() / ((s.v.array() * inv_bc2).sqrt() + static_cast<T>(adam_eps));
        }
      } else {
        for (std::size_t i = 0; i < g.size(); ++i) {
          OptSlot<T>& s = slots[i];
          s.v += g[i]->cwiseProduct(*g[i]);
          params[i]->array() -= lr * g[i]->array() / (s.v.array().sqrt() + static_cast<T>(adagrad_eps));
        }
      }
      if (o.finetune_embeddings) {
        for (const TokenId id : touched_ids) {
          if (adam) {
            const long t = ++emb_step[static_cast<std::size_t>(id)];
            const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(t));
            const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(t));
            emb_slot.m.row(id) =
                static_cast<T>(beta1) * emb_slot.m.row(id) + static_cast<T>(1 - beta1) * emb_acc.row(id);
            emb_slot.v.row(id) = static_cast<T>(beta2) * emb_slot.v.row(id) +
                                 static_cast<T>(1 - beta2) * emb_acc.row(id).cwiseProduct(emb_acc.row(id));
            p.emb.row(id).array() -=
                static_cast<T>(o.learning_rate / bc1) * emb_slot.m.row(id).array() /
                ((emb_slot.v.row(id).array() * static_cast<T>(1.0 / bc2)).sqrt() + static_cast<T>(adam_eps));
          } else {
            emb_slot.v.row(id) += emb_acc.row(id).cwiseProduct(emb_acc.row(id));
            p.emb.row(id).array() -= lr * emb_acc.row(id).array() /
                                     (emb_slot.v.row(id).array().sqrt() + static_cast<T>(adagrad_eps));
          }
          emb_acc.row(id).setZero();
          touched[static_cast<std::size_t>(id)] = 0;
        }
        touched_ids.clear();
      }
      epoch_loss += batch_loss;
      if (o.progress) o.progress(epoch, end, order.size(), epoch_loss / static_cast<double>(end));
    }
    const double train_loss = epoch_loss / static_cast<double>(order.size());
    const double acc = accuracy(p, dev_docs, dev_labels, pool);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!stopping.end_epoch(epoch, train_loss, acc, secs, p)) break;
  }
  if (report) *report = stopping.report();
  const Params<T>& best = stopping.best();
  return to_weights(best, best.emb);
}

}  // namespace

BiLstmWeights train_bilstm_weights(const std::vector<std::vector<TokenId>>& docs,
                                   const std::vector<int>& labels,
                                   const std::vector<std::vector<TokenId>>& dev_docs,
                                   const std::vector<int>& dev_labels, Index n_classes, MatD embedding,
                                   const BiLstmTrainOptions& o, BiLstmTrainReport* report) {
  if (docs.empty()) throw InvalidArgument("cannot train on an empty training set");
  if (docs.size() != labels.size() || dev_docs.size() != dev_labels.size()) {
    throw InvalidArgument("train_bilstm: documents and labels differ in length");
  }
  if (n_classes < 2)
    throw InvalidArgument(fmt::format("train_bilstm: {} classes; a classifier needs two or more", n_classes));
  for (const auto* ys : {&labels, &dev_labels}) {
    for (const int y : *ys) {
      if (y < 0 || y >= n_classes)
        throw InvalidArgument(fmt::format("label index {} is out of range [0, {})", y, n_classes));
    }
  }
  if (embedding.rows() < 1 || embedding.cols() < 1) {
    throw InvalidArgument(fmt::format("train_bilstm: the initial embedding table is {}",
                                      shape_of(embedding.rows(), embedding.cols())));
  }
  auto bad = [](const char* what) {
    throw InvalidArgument(fmt::format("train_bilstm: invalid option: {}", what));
  };
  if (o.n_hidden < 1) bad("hidden size must be at least 1");
  if (o.max_epochs < 1) bad("epochs must be at least 1");
  if (o.patience < 1) bad("patience must be at least 1");
  if (o.batch_size < 1) bad("batch size must be at least 1");
  if (!(o.learning_rate > 0)) bad("learning rate must be positive");
  if (!(o.dropout_embedding >= 0 && o.dropout_embedding < 1)) bad("embedding dropout must be in [0, 1)");
  if (!(o.dropout_hidden >= 0 && o.dropout_hidden < 1)) bad("hidden dropout must be in [0, 1)");
  if (!(o.clip_norm >= 0)) bad("clip norm must be >= 0");
  if (!(o.weight_decay >= 0)) bad("weight decay must be >= 0");
  if (!std::isfinite(o.forget_bias)) bad("forget bias must be finite");
  if (o.threads < 1 || o.threads > 256) bad("threads must be in [1, 256]");
  if (o.max_tokens < 1) bad("max tokens must be at least 1");
  // The model reads only the first max_tokens tokens (BiLstmClassifier): train and early-stop on
  // what it will read. Copies only when some document is longer.
  const auto cap = static_cast<std::size_t>(o.max_tokens);
  auto longer = [&](const std::vector<std::vector<TokenId>>& d) {
    return std::any_of(d.begin(), d.end(), [&](const std::vector<TokenId>& ids) { return ids.size() > cap; });
  };
  auto truncated = [&](const std::vector<std::vector<TokenId>>& d) {
    std::vector<std::vector<TokenId>> out;
    out.reserve(d.size());
    for (const auto& ids : d)
      out.emplace_back(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), cap)));
    return out;
  };
  if (longer(docs) || longer(dev_docs)) {
    const auto tx = truncated(docs), tdx = truncated(dev_docs);
    if (o.float64) return train_impl<double>(tx, labels, tdx, dev_labels, n_classes, embedding, o, report);
    return train_impl<float>(tx, labels, tdx, dev_labels, n_classes, embedding, o, report);
  }
  if (o.float64)
    return train_impl<double>(docs, labels, dev_docs, dev_labels, n_classes, embedding, o, report);
  return train_impl<float>(docs, labels, dev_docs, dev_labels, n_classes, embedding, o, report);
}

std::vector<VecD> bilstm_batch_scores(const BiLstmWeights& weights,
                                      const std::vector<std::vector<TokenId>>& docs, int threads) {
  const Params<double> p = from_weights<double>(weights);
  ThreadPool pool(std::clamp(threads, 1, 256));
  const MatT<double> s = batch_scores(p, docs, pool);
  std::vector<VecD> out;
  out.reserve(docs.size());
  for (Index k = 0; k < s.rows(); ++k) out.emplace_back(s.row(k).transpose());
  return out;
}

double bilstm_accuracy(const BiLstmWeights& weights, const std::vector<std::vector<TokenId>>& docs,
                       const std::vector<int>& labels, int threads) {
  if (docs.size() != labels.size())
    throw InvalidArgument("bilstm_accuracy: documents and labels differ in length");
  const Params<double> p = from_weights<double>(weights);
  ThreadPool pool(std::clamp(threads, 1, 256));
  return accuracy(p, docs, labels, pool);
}

double bilstm_loss_and_gradient(const BiLstmWeights& weights, const std::vector<std::vector<TokenId>>& docs,
                                const std::vector<int>& labels, BiLstmWeights* grad) {
  if (docs.size() != labels.size())
    throw InvalidArgument("bilstm_loss_and_gradient: documents and labels differ in length");
  if (docs.empty()) throw InvalidArgument("bilstm_loss_and_gradient: no documents");
  const Params<double> p = from_weights<double>(weights);
  for (const int y : labels) {
    if (y < 0 || y >= p.fc.rows()) throw InvalidArgument(fmt::format("label index {} is out of range", y));
  }
  ShardInput in;
  for (std::size_t k = 0; k < docs.size(); ++k) {
    in.docs.push_back(&docs[k]);
    in.labels.push_back(labels[k]);
  }
  const std::array<Lstm<double>, 2> lstm = make_layers(p);
  Workspace<double> ws;
  Grads<double> g;
  g.dense = p.zeros_like();
  g.want_emb = grad != nullptr;
  const double n = static_cast<double>(docs.size());
  const double loss = run_shard<double>(p, lstm, in, 0, 0, 1.0 / n, nullptr, grad ? &g : nullptr, ws) / n;
  if (grad) {
    MatT<double> emb = MatT<double>::Zero(p.emb.rows(), p.emb.cols());
    const Index E = p.emb.cols();
    for (std::size_t i = 0; i < g.emb.ids.size(); ++i) {
      emb.row(g.emb.ids[i]) += Eigen::Map<const Eigen::Matrix<double, 1, Eigen::Dynamic>>(
          g.emb.rows.data() + i * static_cast<std::size_t>(E), E);
    }
    g.dense.emb = MatT<double>();
    *grad = to_weights(g.dense, emb, /*bias_grad_both=*/true);
  }
  return loss;
}

}  // namespace textlrp::train
