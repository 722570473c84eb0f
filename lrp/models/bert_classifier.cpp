// lrp/models/bert_classifier.cpp — BERT / DistilBERT forward pass and modified backward passes.
#include "lrp/models/bert_classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/cpu_isa.h"
#include "core/error.h"
#include "lrp/isa/dense_kernels.h"

namespace textlrp::lrp {

namespace {

// ---------------------------------------------------------------------------------------------
// Numerics

inline float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f)); }
inline float gelu_derivative(float x) {
  constexpr float kInvSqrt2Pi = 0.39894228040143268f;
  return 0.5f * (1.0f + std::erf(x * 0.70710678118654752f)) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
}
// LXT identity_rule_implicit: f(x) / (x + 1e-10).
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
  TEXTLRP_ISA_DISPATCH(sgemm(trans_a, trans_b, m, n, k, alpha, a.data(), a.outerStride(), b.data(), b.outerStride(),
                             beta, c.data(), c.outerStride()));
}

Mat linear(const Mat& x, const BertLinear& l) {
  Mat y(x.rows(), l.w.rows());
  gemm(x, false, l.w, true, y);
  y.rowwise() += l.b.transpose();
  return y;
}

struct LnCache {
  Mat xhat;  // (x - mu) / s
  Vec s;     // per row
};

Mat layer_norm(const Mat& x, const BertLayerNorm& ln, float eps, LnCache& c) {
  const Index T = x.rows(), H = x.cols();
  c.xhat.resize(T, H);
  c.s.resize(T);
  Mat y(T, H);
  for (Index t = 0; t < T; ++t) {
    const float mu = x.row(t).mean();
    c.xhat.row(t) = x.row(t).array() - mu;
    const float var = c.xhat.row(t).squaredNorm() / static_cast<float>(H);
    c.s[t] = std::sqrt(var + eps);
    c.xhat.row(t) /= c.s[t];
    y.row(t) = c.xhat.row(t).cwiseProduct(ln.gamma.transpose()) + ln.beta.transpose();
  }
  return y;
}

// LRP (normaliser constant) or true gradient of LayerNorm.
Mat layer_norm_backward(const Mat& gy, const BertLayerNorm& ln, const LnCache& c, bool lrp) {
  const Index T = gy.rows(), H = gy.cols();
  Mat gx(T, H);
  for (Index t = 0; t < T; ++t) {
    const Eigen::Matrix<float, 1, Eigen::Dynamic> gh = gy.row(t).cwiseProduct(ln.gamma.transpose());
    const float m = gh.mean();
    if (lrp) {
      gx.row(t) = (gh.array() - m) / c.s[t];
    } else {
      const float mx = gh.dot(c.xhat.row(t)) / static_cast<float>(H);
      gx.row(t) = (gh.array() - m - c.xhat.row(t).array() * mx) / c.s[t];
    }
  }
  return gx;
}

void softmax_rows(Mat& z) {
  for (Index t = 0; t < z.rows(); ++t) {
    const float m = z.row(t).maxCoeff();
    z.row(t) = (z.row(t).array() - m).exp();
    z.row(t) /= z.row(t).sum();
  }
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

struct BertClassifier::Cache {
  struct Layer {
    Mat h;                // input [T x H]
    Mat q, k, v;          // [T x H]
    std::vector<Mat> a;   // per head [T x T]
    LnCache ln1, ln2;
    Mat u;                // pre-activation of the FF [T x F]
    Mat m;                // GELU(u)
  };
  Mat e;  // embedding sum
  LnCache ln_emb;
  std::vector<Layer> layers;
  Vec z;       // head pre-activation [H]
  Vec pooled;  // activation of z
  Vec logits;
};

void BertClassifier::check_ids(std::span<const TokenId> ids) const {
  if (ids.empty()) throw InvalidArgument("a BERT input needs at least one piece ([CLS])");
  if (static_cast<Index>(ids.size()) > config_.max_positions) {
    throw InvalidArgument(fmt::format("{} pieces, but the model has only {} positions", ids.size(), config_.max_positions));
  }
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (ids[t] < 0 || ids[t] >= config_.vocab_size) {
      throw InvalidArgument(fmt::format("piece {}: id {} is outside the vocabulary [0, {})", t, ids[t], config_.vocab_size));
    }
  }
}

void BertClassifier::forward(std::span<const TokenId> ids, Cache& c) const {
  check_ids(ids);
  Mat word(static_cast<Index>(ids.size()), config_.hidden);  // [T x H]
  for (std::size_t t = 0; t < ids.size(); ++t) word.row(static_cast<Index>(t)) = weights_.word.row(ids[t]);
  forward_rows(word, c);
}

void BertClassifier::forward_rows(const Mat& word, Cache& c) const {
  const BertWeights& w = weights_;
  const Index T = word.rows(), H = config_.hidden;
  if (T < 1 || T > config_.max_positions || word.cols() != H) {
    throw InvalidArgument(fmt::format("a BERT input of {} x {} embedding rows; expected 1..{} rows of {}", T,
                                      word.cols(), config_.max_positions, H));
  }
  const Index n_heads = config_.heads, d = H / n_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const float eps = config_.layer_norm_eps;
  c.e.resize(T, H);
  for (Index t = 0; t < T; ++t) {
    c.e.row(t) = word.row(t) + w.position.row(t);
    if (config_.architecture == BertArchitecture::kBert) c.e.row(t) += w.type.row(0);
  }
  Mat h = layer_norm(c.e, w.ln_embeddings, eps, c.ln_emb);
  c.layers.resize(w.layers.size());
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const BertLayer& L = w.layers[l];
    Cache::Layer& cl = c.layers[l];
    cl.h = std::move(h);
    cl.q = linear(cl.h, L.q);
    cl.k = linear(cl.h, L.k);
    cl.v = linear(cl.h, L.v);
    Mat ctx(T, H);
    cl.a.resize(static_cast<std::size_t>(n_heads));
    for (Index j = 0; j < n_heads; ++j) {
      Mat& a = cl.a[static_cast<std::size_t>(j)];
      a.resize(T, T);
      gemm(cl.q.middleCols(j * d, d), false, cl.k.middleCols(j * d, d), true, a);
      a *= scale;
      softmax_rows(a);
      gemm(a, false, cl.v.middleCols(j * d, d), false, ctx.middleCols(j * d, d));
    }
    Mat pre = linear(ctx, L.o);
    pre += cl.h;
    const Mat a = layer_norm(pre, L.ln_attention, eps, cl.ln1);
    cl.u = linear(a, L.ff1);
    cl.m = cl.u.unaryExpr([](float x) { return gelu(x); });
    Mat pre2 = linear(cl.m, L.ff2);
    pre2 += a;
    h = layer_norm(pre2, L.ln_output, eps, cl.ln2);
  }
  c.z = w.head.w * h.row(0).transpose() + w.head.b;
  if (config_.architecture == BertArchitecture::kBert) {
    c.pooled = c.z.array().tanh();
  } else {
    c.pooled = c.z.cwiseMax(0.0f);
  }
  c.logits = w.classifier.w * c.pooled + w.classifier.b;
}

Vec BertClassifier::logits(std::span<const TokenId> ids) const {
  Cache c;
  forward(ids, c);
  return c.logits;
}

Vec BertClassifier::logits_of_rows(const Mat& word) const {
  Cache c;
  forward_rows(word, c);
  return c.logits;
}

Mat BertClassifier::embedding_gradient(std::span<const TokenId> ids, BertMethod method, int target, Vec* logits,
                                       int* used_target) const {
  Cache c;
  forward(ids, c);
  return gradient_of(c, method, target, logits, used_target);
}

Mat BertClassifier::gradient_of_rows(const Mat& word, BertMethod method, int target, Vec* logits) const {
  Cache c;
  forward_rows(word, c);
  return gradient_of(c, method, target, logits, nullptr);
}

Mat BertClassifier::gradient_of(const Cache& c, BertMethod method, int target, Vec* logits, int* used_target) const {
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
  const Index T = c.e.rows(), H = config_.hidden;
  const Index n_heads = config_.heads, d = H / n_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));

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
  Mat g_h = Mat::Zero(T, H);
  g_h.row(0) = (w.head.w.transpose() * g_z).transpose();

  for (std::size_t l = w.layers.size(); l-- > 0;) {
    const BertLayer& L = w.layers[l];
    const Cache::Layer& cl = c.layers[l];
    // h' = LN2(ff2(GELU(ff1(a))) + a)
    const Mat g_pre2 = layer_norm_backward(g_h, L.ln_output, cl.ln2, lrp);
    Mat g_u(T, L.ff2.w.cols());  // g_m
    gemm(g_pre2, false, L.ff2.w, false, g_u);
    for (Index i = 0; i < g_u.size(); ++i) {
      const float u = cl.u.data()[i];
      g_u.data()[i] *= lrp ? cl.m.data()[i] / (u + kIdentityEps) : gelu_derivative(u);
    }
    Mat g_a = g_pre2;
    gemm(g_u, false, L.ff1.w, false, g_a, 1.0f, 1.0f);
    // a = LN1(o(C) + h)
    const Mat g_pre1 = layer_norm_backward(g_a, L.ln_attention, cl.ln1, lrp);
    Mat g_ctx(T, L.o.w.cols());
    gemm(g_pre1, false, L.o.w, false, g_ctx);
    Mat g_q = Mat::Zero(T, H), g_k = Mat::Zero(T, H), g_v(T, H);
    for (Index j = 0; j < n_heads; ++j) {
      const Mat& a = cl.a[static_cast<std::size_t>(j)];
      if (cp) {
        gemm(a, true, g_ctx.middleCols(j * d, d), false, g_v.middleCols(j * d, d));
        continue;
      }
      const float half = method == BertMethod::kAttnLrp ? 0.5f : 1.0f;  // uniform rule for A V and Q Kᵀ
      const Mat g_c = g_ctx.middleCols(j * d, d) * half;
      Mat g_a_att(T, T);
      gemm(g_c, false, cl.v.middleCols(j * d, d), true, g_a_att);
      gemm(a, true, g_c, false, g_v.middleCols(j * d, d));
      // softmax: g_Z = A ⊙ (g_A − rowsum(g_A ⊙ A))
      Mat g_s(T, T);
      for (Index t = 0; t < T; ++t) {
        const float dot = g_a_att.row(t).dot(a.row(t));
        g_s.row(t) = a.row(t).cwiseProduct((g_a_att.row(t).array() - dot).matrix());
      }
      g_s *= scale * half;
      gemm(g_s, false, cl.k.middleCols(j * d, d), false, g_q.middleCols(j * d, d));
      gemm(g_s, true, cl.q.middleCols(j * d, d), false, g_k.middleCols(j * d, d));
    }
    g_h = g_pre1;  // residual
    gemm(g_v, false, L.v.w, false, g_h, 1.0f, 1.0f);
    if (!cp) {
      gemm(g_q, false, L.q.w, false, g_h, 1.0f, 1.0f);
      gemm(g_k, false, L.k.w, false, g_h, 1.0f, 1.0f);
    }
  }
  return layer_norm_backward(g_h, w.ln_embeddings, c.ln_emb, lrp);
}

BertExplanation BertClassifier::explain(std::span<const TokenId> ids, BertMethod method, int target) const {
  BertExplanation out;
  const BertMethod gradient_method =
      method == BertMethod::kSensitivity || method == BertMethod::kGradientInput ? BertMethod::kGradientInput : method;
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
