// Layers of lrp/layers/: forward by hand, backward against finite differences (input and
// parameters), LRP kernels (dense and sparse paths agree; conservation without bias; zplus keeps
// signs), following DESIGN.md §3.6.
#include <random>

#include "core/error.h"
#include "lrp/kernels.h"
#include "lrp/layers/activation.h"
#include "lrp/layers/conv1d.h"
#include "lrp/layers/dense.h"
#include "lrp/layers/embedding.h"
#include "lrp/layers/layer.h"
#include "lrp/layers/max_pool_time.h"
#include "tests/catch.h"

using namespace textlrp;
using namespace textlrp::lrp;

static_assert(Layer<Dense>);
static_assert(Layer<Conv1d>);
static_assert(Layer<Relu>);
static_assert(Layer<MaxOverTime>);

namespace {

Mat random_mat(Index rows, Index cols, unsigned seed, Scalar lo = -1, Scalar hi = 1) {
  std::mt19937 gen(seed);
  Mat m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) {
    m.data()[i] = lo + (hi - lo) * static_cast<Scalar>(gen() >> 8) / static_cast<Scalar>(1 << 24);
  }
  return m;
}
Vec random_vec(Index n, unsigned seed) { return random_mat(n, 1, seed).col(0); }

// Central finite difference of L(θ) = Σ f(θ) ⊙ G with respect to every entry of `param`.
template <class F>
Mat finite_diff(Mat param, const Mat& g_out, F&& f, Scalar h = 1e-2f) {
  Mat grad(param.rows(), param.cols());
  for (Index i = 0; i < param.size(); ++i) {
    const Scalar saved = param.data()[i];
    param.data()[i] = saved + h;
    const double up = f(param).cwiseProduct(g_out).sum();
    param.data()[i] = saved - h;
    const double down = f(param).cwiseProduct(g_out).sum();
    param.data()[i] = saved;
    grad.data()[i] = static_cast<Scalar>((up - down) / (2.0 * h));
  }
  return grad;
}

void require_close(const Mat& a, const Mat& b, double tol) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  for (Index i = 0; i < a.size(); ++i) {
    INFO("index " << i << ": " << a.data()[i] << " vs " << b.data()[i]);
    REQUIRE(std::abs(a.data()[i] - b.data()[i]) <= tol * std::max<double>(1.0, std::abs(b.data()[i])));
  }
}

const std::vector<std::string> kAllRules = {"zero",           "epsilon(1e-7)", "zplus", "alphabeta(2,1)",
                                            "alphabeta(1,0)", "gamma(0.25)",   "flat",  "wsquare"};

}  // namespace

TEST_CASE("dense: forward by hand", "[lrp][dense]") {
  Mat w(2, 3);
  w << 1, 2, 3,  //
      -1, 0, 1;
  Vec b(2);
  b << 0.5f, -0.5f;
  const Dense d(w, b);
  Mat x(1, 3);
  x << 1, 1, 2;
  const Mat y = d.forward(x);
  REQUIRE(y(0, 0) == Approx(9.5));
  REQUIRE(y(0, 1) == Approx(0.5));
  REQUIRE_THROWS_AS(Dense(w, Vec::Zero(3)), InvalidArgument);
}

TEST_CASE("conv1d: forward by hand and against a direct loop", "[lrp][conv1d]") {
  // E = 1, K = 2, F = 1: z[t] = w0·x[t] + w1·x[t+1] + b
  Mat w(1, 2);
  w << 1, 10;
  const Conv1d c(w, 1, 2, Vec::Constant(1, 0.5f));
  Mat x(3, 1);
  x << 1, 2, 3;
  const Mat z = c.forward(x);
  REQUIRE(z.rows() == 2);
  REQUIRE(z(0, 0) == Approx(21.5));
  REQUIRE(z(1, 0) == Approx(32.5));
  // PyTorch layout [F x E x K] with E = 3, K = 2, F = 4 against z[t,f] = b[f] + Σ W[f,e,k] x[t+k,e].
  const Index E = 3, K = 2, F = 4, T = 6;
  const Mat wr = random_mat(F, E * K, 1);
  const Vec br = random_vec(F, 2);
  const Conv1d conv(wr, E, K, br);
  const Mat xr = random_mat(T, E, 3);
  const Mat zr = conv.forward(xr);
  for (Index t = 0; t + K <= T; ++t) {
    for (Index f = 0; f < F; ++f) {
      double ref = br[f];
      for (Index e = 0; e < E; ++e) {
        for (Index k = 0; k < K; ++k) ref += wr(f, e * K + k) * xr(t + k, e);
      }
      REQUIRE(zr(t, f) == Approx(ref).margin(1e-5));
    }
  }
  REQUIRE_THROWS_AS(Conv1d(wr, E, 3, br), InvalidArgument);
}

TEST_CASE("relu and max over time: forward and winner-take-all relevance", "[lrp][pool]") {
  Mat x(3, 2);
  x << 1, -1,  //
      3, -2,   //
      2, -0.5f;
  const Relu relu;
  Relu::Cache rc;
  const Mat y = relu.forward(x, &rc);
  REQUIRE(y(0, 1) == 0);
  const MaxOverTime pool;
  MaxOverTime::Cache pc;
  const Mat p = pool.forward(x, &pc);
  REQUIRE(p(0, 0) == 3);
  REQUIRE(p(0, 1) == -0.5f);
  REQUIRE(pc.winner == std::vector<Index>{1, 2});
  Mat r(1, 2);
  r << 5, 7;
  const Mat r_in = pool.relevance(pc, r, rules::Zero{});
  REQUIRE(r_in(1, 0) == 5);
  REQUIRE(r_in(2, 1) == 7);
  REQUIRE(r_in.sum() == 12);
}

TEST_CASE("layers: backward matches finite differences", "[lrp][backward]") {
  const Index E = 3, K = 2, F = 4, T = 5;
  SECTION("dense: input, weight and bias") {
    const Mat w = random_mat(F, E, 11);
    const Vec b = random_vec(F, 12);
    const Mat x = random_mat(T, E, 13);
    const Mat g = random_mat(T, F, 14);
    const Dense d(w, b);
    Dense::Cache cache;
    d.forward(x, &cache);
    Dense::Grads grads;
    const Mat gx = d.backward(cache, g, &grads);
    require_close(gx, finite_diff(x, g, [&](const Mat& xx) { return d.forward(xx); }), 1e-3);
    require_close(grads.weight, finite_diff(w, g, [&](const Mat& ww) { return Dense(ww, b).forward(x); }),
                  1e-3);
    const Mat gb = finite_diff(Mat(b.transpose()), g,
                               [&](const Mat& bb) { return Dense(w, bb.row(0).transpose()).forward(x); });
    require_close(grads.bias.transpose(), gb, 1e-3);
    // Gradients accumulate.
    d.backward(cache, g, &grads);
    require_close(grads.bias.transpose(), 2 * gb, 1e-3);
  }
  SECTION("conv1d: input, weight (PyTorch layout) and bias") {
    const Mat w = random_mat(F, E * K, 21);
    const Vec b = random_vec(F, 22);
    const Mat x = random_mat(T, E, 23);
    const Mat g = random_mat(T - K + 1, F, 24);
    const Conv1d c(w, E, K, b);
    Conv1d::Cache cache;
    c.forward(x, &cache);
    Conv1d::Grads grads;
    const Mat gx = c.backward(cache, g, &grads);
    require_close(gx, finite_diff(x, g, [&](const Mat& xx) { return c.forward(xx); }), 1e-3);
    require_close(grads.weight,
                  finite_diff(w, g, [&](const Mat& ww) { return Conv1d(ww, E, K, b).forward(x); }), 1e-3);
    const Mat gb = finite_diff(Mat(b.transpose()), g, [&](const Mat& bb) {
      return Conv1d(w, E, K, bb.row(0).transpose()).forward(x);
    });
    require_close(grads.bias.transpose(), gb, 1e-3);
    // A sparse output gradient (as after max over time) takes the sparse path: same result.
    Mat gs = Mat::Zero(T - K + 1, F);
    gs(1, 2) = 0.8f;
    gs(3, 0) = -1.1f;
    require_close(c.backward(cache, gs, nullptr),
                  finite_diff(x, gs, [&](const Mat& xx) { return c.forward(xx); }), 1e-3);
  }
  SECTION("relu and max over time (away from kinks and ties)") {
    Mat x = random_mat(T, F, 31);
    for (Index i = 0; i < x.size(); ++i) {
      if (std::abs(x.data()[i]) < 0.05f) x.data()[i] = 0.3f;
    }
    const Relu relu;
    Relu::Cache rc;
    relu.forward(x, &rc);
    const Mat g = random_mat(T, F, 32);
    require_close(relu.backward(rc, g, nullptr),
                  finite_diff(
                      x, g, [&](const Mat& xx) { return relu.forward(xx); }, 1e-3f),
                  1e-3);
    const MaxOverTime pool;
    MaxOverTime::Cache pc;
    pool.forward(x, &pc);
    const Mat gp = random_mat(1, F, 33);
    require_close(pool.backward(pc, gp, nullptr),
                  finite_diff(
                      x, gp, [&](const Mat& xx) { return pool.forward(xx); }, 1e-3f),
                  1e-3);
  }
  SECTION("embedding: one gradient row per valid id, padding and unknown ids skipped") {
    const Embedding emb(random_mat(4, E, 41));
    Embedding::Cache cache;
    const std::vector<TokenId> ids = {2, -1, 2, 9};
    const Mat x = emb.forward(ids, 6, &cache);
    REQUIRE(x.row(0) == emb.weight().row(2));
    REQUIRE(x.row(1).isZero());
    REQUIRE(x.row(3).isZero());
    REQUIRE(x.row(5).isZero());
    const Mat g = random_mat(6, E, 42);
    Embedding::Grads grads;
    emb.backward(cache, g, &grads);
    REQUIRE(grads.ids == std::vector<TokenId>{2, 2});
    REQUIRE(grads.rows[1] == g.row(2).transpose());
  }
}

TEST_CASE("kernels: dense and sparse paths agree for every rule", "[lrp][kernels]") {
  const Mat x = random_mat(6, 5, 51);  // inputs of either sign
  const Mat w = random_mat(4, 5, 52);
  const Vec b = random_vec(4, 53);
  Mat r = Mat::Zero(6, 4);
  r(1, 2) = 0.7f;
  r(4, 0) = -1.3f;
  r(5, 3) = 2.0f;
  for (const auto& name : kAllRules) {
    INFO(name);
    const Rule rule = parse_rule(name);
    require_close(linear_relevance_sparse(x, w, b, r, rule), linear_relevance_dense(x, w, b, r, rule), 1e-5);
  }
}

TEST_CASE("kernels: every rule conserves relevance without bias (epsilon -> 0)", "[lrp][kernels]") {
  const Mat x = random_mat(3, 6, 61);
  const Mat w = random_mat(5, 6, 62);
  const Vec b = Vec::Zero(5);
  const Mat r = random_mat(3, 5, 63);
  for (const auto& name : kAllRules) {
    INFO(name);
    const Mat r_in = linear_relevance(x, w, b, r, parse_rule(name));
    REQUIRE(r_in.sum() == Approx(r.sum()).margin(1e-4));
  }
  // Through a conv layer, too (folded windows keep the total).
  // (24 inputs per window, so that every window has positive and negative contributions.)
  const Conv1d c(random_mat(4, 8 * 3, 64), 8, 3, Vec::Zero(4));
  Conv1d::Cache cache;
  c.forward(random_mat(6, 8, 65), &cache);
  const Mat rc = random_mat(4, 4, 66);
  for (const auto& name : kAllRules) {
    INFO(name);
    REQUIRE(c.relevance(cache, rc, parse_rule(name)).sum() == Approx(rc.sum()).margin(1e-4));
  }
}

TEST_CASE("kernels: zplus maps non-negative relevance to non-negative relevance", "[lrp][kernels]") {
  const Mat x = random_mat(4, 6, 71);  // mixed signs
  const Mat w = random_mat(3, 6, 72);
  const Vec b = random_vec(3, 73);
  const Mat r = random_mat(4, 3, 74, 0, 1);
  const Mat r_in = linear_relevance(x, w, b, r, rules::ZPlus{});
  REQUIRE(r_in.minCoeff() >= 0);
  REQUIRE(r_in.sum() > 0);
}

TEST_CASE("kernels: LRP-0 on a bias-free linear map equals gradient x input", "[lrp][kernels]") {
  const Mat x = random_mat(1, 6, 81);
  const Mat w = random_mat(1, 6, 82);
  Mat r(1, 1);
  r(0, 0) = (x * w.transpose())(0, 0);  // R = the output itself
  const Mat r_in = linear_relevance(x, w, Vec::Zero(1), r, rules::Zero{});
  require_close(r_in, x.cwiseProduct(w), 1e-5);
}

TEST_CASE("kernels: flat spreads uniformly, wsquare by w^2", "[lrp][kernels]") {
  const Mat x = random_mat(1, 4, 91);
  Mat w(1, 4);
  w << 1, -2, 0, 1;
  Mat r(1, 1);
  r(0, 0) = 6;
  require_close(linear_relevance(x, w, Vec::Constant(1, 3), r, rules::Flat{}), Mat::Constant(1, 4, 1.5f),
                1e-5);
  Mat expected(1, 4);
  expected << 1, 4, 0, 1;
  require_close(linear_relevance(x, w, Vec::Constant(1, 3), r, rules::WSquare{}), expected, 1e-5);
}
