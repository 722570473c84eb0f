// lrp/models/bert_classifier.cpp — BERT / DistilBERT forward pass and modified backward passes.
#include "lrp/models/bert_classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/cpu_isa.h"
#include "core/error.h"
#include "lrp/isa/bert_kernels.h"
#include "lrp/isa/dense_kernels.h"

namespace textlrp::lrp {

namespace {

// ---------------------------------------------------------------------------------------------
// Numerics: matrix products through the per-ISA sgemm (lrp/isa/dense_kernels.h), the element-wise
// passes between them through the per-ISA kernels of lrp/isa/bert_kernels.h.

// LXT identity_rule_implicit: f(x) / (x + 1e-10) (the tanh of BERT's pooler; GELU's is in the kernel).
constexpr float kIdentityEps = 1e-10f;

// C = alpha · op(A) · op(B) + beta · C through the runtime-dispatched float32 GEMM (lrp/isa/dense_kernels.h).
// A, B and C are row-major float blocks: whole matrices or middleCols blocks, whose leading dimension is
// the row stride of the full matrix (outerStride). beta == 0 overwrites C.
template <class A, class B, class C>
void gemm(const A& a, bool trans_a, const B& b, bool trans_b, C&& c, float alpha = 1.0f, float beta = 0.0f) {
  const Index m = trans_a ? a.cols() : a.rows();
  const Index k = trans_a ? a.rows() : a.cols();
  const Index n = trans_b ? b.rows() : b.cols();
  TEXTLRP_ASSERT((trans_b ? b.cols() : b.rows()) == k && c.rows() == m && c.cols() == n);
  TEXTLRP_ISA_DISPATCH(sgemm(trans_a, trans_b, m, n, k, alpha, a.data(), a.outerStride(), b.data(),
                             b.outerStride(), beta, c.data(), c.outerStride()));
}

// y = x Wᵀ (+ b unless add_bias is false), y resized (no reallocation when the size is unchanged).
void linear(const Mat& x, const BertLinear& l, Mat& y, bool add_bias = true) {
  y.resize(x.rows(), l.w.rows());
  gemm(x, false, l.w, true, y);
  if (add_bias) TEXTLRP_ISA_DISPATCH(bert_add_bias(y.data(), l.b.data(), y.rows(), y.cols()));
}

struct LnCache {
  Mat xhat;  // (x - mu) / s
  Vec s;     // per row
};

// y = LN(x + bias + res) (bias, res optional); the cache (xhat, s) is filled when given.
void add_layer_norm(const Mat& x, const Vec* bias, const Mat* res, const BertLayerNorm& ln, float eps, Mat& y,
                    LnCache* c) {
  const Index T = x.rows(), H = x.cols();
  TEXTLRP_ASSERT(res == nullptr || (res->rows() == T && res->cols() == H));
  if (c != nullptr) {
    c->xhat.resize(T, H);
    c->s.resize(T);
  }
  y.resize(T, H);
  TEXTLRP_ISA_DISPATCH(bert_add_layer_norm(
      x.data(), bias ? bias->data() : nullptr, res ? res->data() : nullptr, T, H, ln.gamma.data(),
      ln.beta.data(), eps, y.data(), c ? c->xhat.data() : nullptr, c ? c->s.data() : nullptr));
}

// LRP (normaliser constant) or true gradient of LayerNorm, into gx (resized; gx may be gy).
void layer_norm_backward(const Mat& gy, const BertLayerNorm& ln, const LnCache& c, bool lrp, Mat& gx) {
  const Index T = gy.rows(), H = gy.cols();
  if (&gx != &gy) gx.resize(T, H);
  TEXTLRP_ISA_DISPATCH(
      bert_layer_norm_backward(gy.data(), ln.gamma.data(), c.xhat.data(), c.s.data(), T, H, lrp, gx.data()));
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string_view bert_method_name(BertMethod m) {
  switch (m) {
    case BertMethod::kAttnLrp: return "attnlrp";
    case BertMethod::kCpLrp: return "cp-lrp";
    case BertMethod::kGradientInput: return "gi";
    case BertMethod::kSensitivity: return "sa";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------

// The activations one explanation keeps, and the working buffers of a pass. One Cache per thread is
// reused from call to call (cache() below), so that a pass allocates nothing once the sizes are set:
// fresh buffers of this size come from the kernel as new pages, and faulting them in cost more than
// all the element-wise work.
struct BertClassifier::Cache {
  struct Layer {
    Mat q, k, v;         // [T x H]
    std::vector<Mat> a;  // per head [T x T]
    LnCache ln1, ln2;
    Mat u;  // pre-activation of the FF [T x F] (GELU(u) is recomputed in the backward pass)
  };
  Mat e;  // embedding sum [T x H]
  LnCache ln_emb;
  std::vector<Layer> layers;  // all layers (keep) or one slot reused by every layer (forward only)
  Vec z;                      // head pre-activation [H]
  Vec pooled;                 // activation of z
  Vec logits;
  // Working buffers of the forward pass.
  Mat h, ctx, pre, att, m;
  // Working buffers of the backward pass.
  Mat g_h, g_pre, g_u, g_a, g_ctx, g_q, g_k, g_v, g_att;
};

namespace {
// This thread's Cache (the methods are const and thread-safe: each thread has its own buffers).
// It keeps the largest explanation's buffers of this thread (about 4.4 MB per layer for 128
// pieces at BERT-base size) until the thread ends.
template <class Cache>
Cache& thread_cache() {
  thread_local Cache c;
  return c;
}
}  // namespace

void BertClassifier::check_ids(std::span<const TokenId> ids) const {
  if (ids.empty()) throw InvalidArgument("a BERT input needs at least one piece ([CLS])");
  if (static_cast<Index>(ids.size()) > config_.max_positions) {
    throw InvalidArgument(
        fmt::format("{} pieces, but the model has only {} positions", ids.size(), config_.max_positions));
  }
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (ids[t] < 0 || ids[t] >= config_.vocab_size) {
      throw InvalidArgument(
          fmt::format("piece {}: id {} is outside the vocabulary [0, {})", t, ids[t], config_.vocab_size));
    }
  }
}

void BertClassifier::forward(std::span<const TokenId> ids, Cache& c, bool keep) const {
  check_ids(ids);
  const Index T = static_cast<Index>(ids.size()), H = config_.hidden;
  c.e.resize(T, H);
  for (Index t = 0; t < T; ++t) c.e.row(t) = weights_.word.row(ids[static_cast<std::size_t>(t)]);
  forward_embedded(c, keep);
}

void BertClassifier::forward_rows(const Mat& word, Cache& c, bool keep) const {
  const Index T = word.rows(), H = config_.hidden;
  if (T < 1 || T > config_.max_positions || word.cols() != H) {
    throw InvalidArgument(fmt::format("a BERT input of {} x {} embedding rows; expected 1..{} rows of {}", T,
                                      word.cols(), config_.max_positions, H));
  }
  c.e = word;
  forward_embedded(c, keep);
}

// c.e holds the word-embedding rows; adds the position (and type) rows and runs the encoder.
void BertClassifier::forward_embedded(Cache& c, bool keep) const {
  const BertWeights& w = weights_;
  const Index T = c.e.rows(), H = config_.hidden;
  const Index n_heads = config_.heads, d = H / n_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const float eps = config_.layer_norm_eps;
  c.e += w.position.topRows(T);
  if (config_.architecture == BertArchitecture::kBert) c.e.rowwise() += w.type.row(0);
  add_layer_norm(c.e, nullptr, nullptr, w.ln_embeddings, eps, c.h, keep ? &c.ln_emb : nullptr);
  // Never shrunk: a forward-only call between two explanations keeps their buffers.
  if (c.layers.size() < (keep ? w.layers.size() : 1)) c.layers.resize(keep ? w.layers.size() : 1);
  c.ctx.resize(T, H);
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const BertLayer& L = w.layers[l];
    Cache::Layer& cl = c.layers[keep ? l : 0];
    linear(c.h, L.q, cl.q);
    linear(c.h, L.k, cl.k);
    linear(c.h, L.v, cl.v);
    cl.a.resize(static_cast<std::size_t>(n_heads));
    for (Index j = 0; j < n_heads; ++j) {
      Mat& a = cl.a[static_cast<std::size_t>(j)];
      a.resize(T, T);
      gemm(cl.q.middleCols(j * d, d), false, cl.k.middleCols(j * d, d), true, a);
      TEXTLRP_ISA_DISPATCH(bert_softmax_rows(a.data(), T, T, T, scale));
      gemm(a, false, cl.v.middleCols(j * d, d), false, c.ctx.middleCols(j * d, d));
    }
    // att = LN1(o(ctx) + b_o + h)
    linear(c.ctx, L.o, c.pre, false);
    add_layer_norm(c.pre, &L.o.b, &c.h, L.ln_attention, eps, c.att, keep ? &cl.ln1 : nullptr);
    // h = LN2(ff2(GELU(ff1(att))) + b_2 + att)
    linear(c.att, L.ff1, cl.u, false);
    c.m.resize(cl.u.rows(), cl.u.cols());
    TEXTLRP_ISA_DISPATCH(bert_bias_gelu(cl.u.data(), L.ff1.b.data(), cl.u.rows(), cl.u.cols(), c.m.data()));
    linear(c.m, L.ff2, c.pre, false);
    add_layer_norm(c.pre, &L.ff2.b, &c.att, L.ln_output, eps, c.h, keep ? &cl.ln2 : nullptr);
  }
  c.z = w.head.w * c.h.row(0).transpose() + w.head.b;
  if (config_.architecture == BertArchitecture::kBert) {
    c.pooled = c.z.array().tanh();
  } else {
    c.pooled = c.z.cwiseMax(0.0f);
  }
  c.logits = w.classifier.w * c.pooled + w.classifier.b;
}

Vec BertClassifier::logits(std::span<const TokenId> ids) const {
  Cache& c = thread_cache<Cache>();
  forward(ids, c, false);
  return c.logits;
}

Vec BertClassifier::logits_of_rows(const Mat& word) const {
  Cache& c = thread_cache<Cache>();
  forward_rows(word, c, false);
  return c.logits;
}

Mat BertClassifier::embedding_gradient(std::span<const TokenId> ids, BertMethod method, int target,
                                       Vec* logits, int* used_target) const {
  Cache& c = thread_cache<Cache>();
  forward(ids, c, true);
  return gradient_of(c, method, target, logits, used_target);
}

Mat BertClassifier::gradient_of_rows(const Mat& word, BertMethod method, int target, Vec* logits) const {
  Cache& c = thread_cache<Cache>();
  forward_rows(word, c, true);
  return gradient_of(c, method, target, logits, nullptr);
}

Mat BertClassifier::gradient_of(Cache& c, BertMethod method, int target, Vec* logits,
                                int* used_target) const {
  const Index n_classes = c.logits.size();
  if (target < -1 || target >= n_classes) {
    throw InvalidArgument(fmt::format("target class {} is out of range [0, {})", target, n_classes));
  }
  if (target < 0) {
    Index best = 0;
    c.logits.maxCoeff(&best);
    target = static_cast<int>(best);
  }
  if (logits) *logits = c.logits;
  if (used_target) *used_target = target;
  const bool lrp = method == BertMethod::kAttnLrp || method == BertMethod::kCpLrp;
  const bool cp = method == BertMethod::kCpLrp;
  const BertWeights& w = weights_;
  const Index T = c.e.rows(), H = config_.hidden, F = config_.intermediate;
  const Index n_heads = config_.heads, d = H / n_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const float half = method == BertMethod::kAttnLrp ? 0.5f : 1.0f;  // uniform rule for A V and Q Kᵀ

  // Head: logits = W_cls act(z) + b; z = W_head h_0 + b.
  const Vec g_pooled = w.classifier.w.row(target).transpose();
  Vec g_z(H);
  for (Index k = 0; k < H; ++k) {
    const float z = c.z[k], p = c.pooled[k];
    float f;
    if (config_.architecture == BertArchitecture::kBert) {
      f = lrp ? p / (z + kIdentityEps) : 1.0f - p * p;
    } else {
      f = z > 0 ? 1.0f : 0.0f;  // ReLU: the gradient is the identity rule exactly
    }
    g_z[k] = g_pooled[k] * f;
  }
  Mat& g_h = c.g_h;
  g_h.setZero(T, H);
  g_h.row(0) = (w.head.w.transpose() * g_z).transpose();
  c.g_u.resize(T, F);
  c.g_a.resize(T, H);
  c.g_ctx.resize(T, H);
  c.g_q.resize(T, H);
  c.g_k.resize(T, H);
  c.g_v.resize(T, H);
  c.g_att.resize(T, T);

  for (std::size_t l = w.layers.size(); l-- > 0;) {
    const BertLayer& L = w.layers[l];
    const Cache::Layer& cl = c.layers[l];
    // h' = LN2(ff2(GELU(ff1(a))) + a)
    layer_norm_backward(g_h, L.ln_output, cl.ln2, lrp, c.g_pre);
    gemm(c.g_pre, false, L.ff2.w, false, c.g_u);  // g_m
    TEXTLRP_ISA_DISPATCH(bert_gelu_backward(c.g_u.data(), cl.u.data(), c.g_u.size(), lrp));
    c.g_a = c.g_pre;
    gemm(c.g_u, false, L.ff1.w, false, c.g_a, 1.0f, 1.0f);
    // a = LN1(o(C) + h)
    layer_norm_backward(c.g_a, L.ln_attention, cl.ln1, lrp, c.g_pre);
    gemm(c.g_pre, false, L.o.w, false, c.g_ctx);
    for (Index j = 0; j < n_heads; ++j) {
      const Mat& a = cl.a[static_cast<std::size_t>(j)];
      const auto g_c = c.g_ctx.middleCols(j * d, d);
      if (cp) {
        gemm(a, true, g_c, false, c.g_v.middleCols(j * d, d));
        continue;
      }
      // (half ·) g_c flows to A (as g_c Vᵀ) and to V (as Aᵀ g_c).
      gemm(g_c, false, cl.v.middleCols(j * d, d), true, c.g_att, half);
      gemm(a, true, g_c, false, c.g_v.middleCols(j * d, d), half);
      // softmax: g_Z = A ⊙ (g_A − rowsum(g_A ⊙ A)), times the 1/sqrt(d) scaling and (half ·) for Q Kᵀ
      TEXTLRP_ISA_DISPATCH(
          bert_softmax_backward(c.g_att.data(), a.data(), T, T, scale * half, c.g_att.data()));
      gemm(c.g_att, false, cl.k.middleCols(j * d, d), false, c.g_q.middleCols(j * d, d));
      gemm(c.g_att, true, cl.q.middleCols(j * d, d), false, c.g_k.middleCols(j * d, d));
    }
    g_h = c.g_pre;  // residual
    gemm(c.g_v, false, L.v.w, false, g_h, 1.0f, 1.0f);
    if (!cp) {
      gemm(c.g_q, false, L.q.w, false, g_h, 1.0f, 1.0f);
      gemm(c.g_k, false, L.k.w, false, g_h, 1.0f, 1.0f);
    }
  }
  Mat g_e;
  layer_norm_backward(g_h, w.ln_embeddings, c.ln_emb, lrp, g_e);
  return g_e;
}

BertExplanation BertClassifier::explain(std::span<const TokenId> ids, BertMethod method, int target) const {
  BertExplanation out;
  const BertMethod gradient_method =
      method == BertMethod::kSensitivity || method == BertMethod::kGradientInput ? BertMethod::kGradientInput
                                                                                 : method;
  const Mat g = embedding_gradient(ids, gradient_method, target, &out.logits, &out.target);
  const Index T = g.rows(), H = g.cols();
  out.relevance.resize(static_cast<std::size_t>(T));
  double word_sum = 0, other = 0;
  for (Index t = 0; t < T; ++t) {
    const auto word = weights_.word.row(ids[static_cast<std::size_t>(t)]);
    double r = 0, sq = 0, pt = 0;
    for (Index k = 0; k < H; ++k) {
      const double gk = g(t, k);
      r += static_cast<double>(word[k]) * gk;
      sq += gk * gk;
      double shift = weights_.position(t, k);
      if (config_.architecture == BertArchitecture::kBert) shift += weights_.type(0, k);
      pt += shift * gk;
    }
    out.relevance[static_cast<std::size_t>(t)] = method == BertMethod::kSensitivity ? sq : r;
    word_sum += r;
    other += pt;
  }
  out.position_type_share = method == BertMethod::kSensitivity ? 0.0 : other;
  out.bias_relevance =
      method == BertMethod::kSensitivity ? 0.0 : static_cast<double>(out.logits[out.target]) - word_sum;
  return out;
}

}  // namespace textlrp::lrp
