// lrp/models/baselines: the baselines written once over the Differentiable interface.
//  - against the per-model code they replaced (a verbatim copy of the old CnnClassifier::explain and
//    BiLstmClassifier::explain cases, kept here as the reference): CNN within float rounding, BiLSTM
//    bit for bit;
//  - batches (inputs of different lengths) against one input at a time;
//  - gradients against central finite differences, ig's completeness, occlusion against scoring the
//    shortened token sequences with Classifier::scores.
#include <cmath>
#include <numeric>
#include <random>

#include "core/error.h"
#include "lrp/models/baselines.h"
#include "lrp/models/bilstm_classifier.h"
#include "lrp/models/cnn_classifier.h"
#include "tests/catch.h"

using namespace textlrp;
using namespace textlrp::lrp;

namespace {

Mat rmat(Index rows, Index cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Mat m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = u(gen);
  return m;
}
MatD rmatd(Index rows, Index cols, unsigned seed, double scale) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  MatD m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = u(gen);
  return m;
}

// V = 30, E = 6, widths {1, 2, 4}, F = 5, C = 3, biased; max_tokens 12 (so truncation is exercised).
CnnClassifier random_cnn(unsigned seed) {
  const Index V = 30, E = 6, F = 5, C = 3;
  std::vector<Conv1d> convs;
  for (Index k : {1, 2, 4}) {
    convs.emplace_back(rmat(F, E * k, seed + static_cast<unsigned>(k)), E, k,
                       Vec(rmat(F, 1, seed + 10 + static_cast<unsigned>(k)).col(0) * 0.3f));
  }
  return CnnClassifier({"a", "b", "c"}, Embedding(rmat(V, E, seed + 20)), std::move(convs),
                       Dense(rmat(C, 3 * F, seed + 21), Vec(rmat(C, 1, seed + 22).col(0))), 12);
}

BiLstmClassifier random_bilstm(unsigned seed) {
  const Index V = 30, E = 5, H = 4, C = 3;
  BiLstmWeights w;
  w.embedding = rmatd(V, E, seed, 1.0);
  for (LstmWeights* lw : {&w.left, &w.right}) {
    seed += 10;
    lw->w_ih = rmatd(4 * H, E, seed + 1, 0.9);
    lw->w_hh = rmatd(4 * H, H, seed + 2, 0.9);
    lw->b_ih = rmatd(4 * H, 1, seed + 3, 0.5).col(0);
    lw->b_hh = rmatd(4 * H, 1, seed + 4, 0.5).col(0);
  }
  w.fc_left = rmatd(C, H, seed + 5, 1.5);
  w.fc_right = rmatd(C, H, seed + 6, 1.5);
  w.fc_bias = rmatd(C, 1, seed + 7, 0.5).col(0);
  return BiLstmClassifier({"neg", "neu", "pos"}, std::move(w), 12);
}

std::vector<TokenId> random_ids(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::vector<TokenId> ids(n);
  for (auto& id : ids) id = static_cast<TokenId>(gen() % 32) - 1;  // -1 and 30 are unknown ids
  return ids;
}

// --- The old per-model code (before lrp/models/baselines), verbatim but for the variable names. ---

std::vector<double> old_cnn(const CnnClassifier& m, std::span<const TokenId> ids, Method method, int target,
                            int ig_steps) {
  CnnClassifier::Trace trace;
  const Vec scores = m.forward(ids, &trace);
  const auto n = static_cast<std::size_t>(trace.n_tokens);
  std::vector<double> rel(ids.size(), 0.0);
  const Scalar score = scores[target];
  Vec onehot = Vec::Zero(m.fc().n_out());
  onehot[target] = 1;
  auto gradient = [&]() { return m.backward(trace, onehot, nullptr); };
  switch (method) {
    case Method::kSensitivity: {
      const Mat g = gradient();
      for (std::size_t t = 0; t < n; ++t) rel[t] = g.row(static_cast<Index>(t)).squaredNorm();
      break;
    }
    case Method::kGradientInput: {
      const Mat g = gradient();
      for (std::size_t t = 0; t < n; ++t)
        rel[t] = g.row(static_cast<Index>(t)).dot(trace.x.row(static_cast<Index>(t)));
      break;
    }
    case Method::kIntegratedGradients: {
      Mat g_sum = Mat::Zero(trace.x.rows(), trace.x.cols());
      CnnClassifier::Trace step;
      step.n_tokens = trace.n_tokens;
      for (int k = 0; k < ig_steps; ++k) {
        const Scalar alpha = (static_cast<Scalar>(k) + Scalar(0.5)) / static_cast<Scalar>(ig_steps);
        step.x = alpha * trace.x;
        m.forward_embedded(step.x, &step);
        g_sum += m.backward(step, onehot, nullptr);
      }
      g_sum /= static_cast<Scalar>(ig_steps);
      for (std::size_t t = 0; t < n; ++t) {
        rel[t] = g_sum.row(static_cast<Index>(t)).dot(trace.x.row(static_cast<Index>(t)));
      }
      break;
    }
    case Method::kOcclusion: {
      const std::vector<double> r = occlusion_relevance(ids.first(n), [&](std::span<const TokenId> without) {
        return static_cast<double>(score - m.forward(without, nullptr)[target]);
      });
      std::copy(r.begin(), r.end(), rel.begin());
      break;
    }
    default: break;
  }
  return rel;
}

std::vector<double> old_bilstm(const BiLstmClassifier& m, std::span<const TokenId> all_ids, Method method,
                               int target, int ig_steps) {
  const std::span<const TokenId> ids =
      all_ids.first(std::min(all_ids.size(), static_cast<std::size_t>(m.max_tokens())));
  BiLstmClassifier::Trace trace;
  const VecD s = m.forward(ids, &trace);
  const Index T = static_cast<Index>(ids.size());
  const auto n = static_cast<std::size_t>(T);
  std::vector<double> rel(n, 0.0);
  const double score = s[target];
  VecD onehot = VecD::Zero(m.n_classes());
  onehot[target] = 1;
  switch (method) {
    case Method::kSensitivity: {
      const MatD g = m.gradient(trace, onehot);
      for (Index t = 0; t < T; ++t) rel[static_cast<std::size_t>(t)] = g.row(t).squaredNorm();
      break;
    }
    case Method::kGradientInput: {
      const MatD g = m.gradient(trace, onehot);
      for (Index t = 0; t < T; ++t) rel[static_cast<std::size_t>(t)] = g.row(t).dot(trace.x.row(t));
      break;
    }
    case Method::kIntegratedGradients: {
      MatD g_sum = MatD::Zero(T, m.n_embd());
      BiLstmClassifier::Trace step;
      for (int k = 0; k < ig_steps; ++k) {
        const double alpha = (static_cast<double>(k) + 0.5) / static_cast<double>(ig_steps);
        m.forward_embedded(alpha * trace.x, &step);
        g_sum += m.gradient(step, onehot);
      }
      g_sum /= static_cast<double>(ig_steps);
      for (Index t = 0; t < T; ++t) rel[static_cast<std::size_t>(t)] = g_sum.row(t).dot(trace.x.row(t));
      break;
    }
    case Method::kOcclusion: {
      BiLstmClassifier::Trace tmp;
      rel = occlusion_relevance(ids.first(n), [&](std::span<const TokenId> without) {
        return score - m.forward(without, &tmp)[target];
      });
      break;
    }
    default: break;
  }
  rel.resize(all_ids.size(), 0.0);
  return rel;
}

constexpr Method kMethods[] = {Method::kSensitivity, Method::kGradientInput, Method::kIntegratedGradients,
                               Method::kOcclusion};

// Central finite differences of s_target at x, float64 throughout the interface.
MatD64 numeric_gradient(const Differentiable& d, const MatD64& x, int target, double h) {
  MatD64 g(x.rows(), x.cols());
  MatD64 y = x;
  for (Index i = 0; i < x.size(); ++i) {
    const double saved = y.data()[i];
    y.data()[i] = saved + h;
    const double up = d.batch_scores(std::span<const MatD64>(&y, 1))(0, target);
    y.data()[i] = saved - h;
    const double down = d.batch_scores(std::span<const MatD64>(&y, 1))(0, target);
    y.data()[i] = saved;
    g.data()[i] = (up - down) / (2 * h);
  }
  return g;
}

}  // namespace

TEST_CASE("baselines: the shared code gives the CNN's old numbers (float rounding)", "[lrp][baselines]") {
  for (unsigned seed : {1u, 2u, 3u}) {
    const CnnClassifier m = random_cnn(seed);
    // Lengths around the widest kernel (4, padded below it), a long one (truncated at 12), empty.
    for (std::size_t len : {0u, 1u, 3u, 4u, 9u, 15u}) {
      const std::vector<TokenId> ids = random_ids(len, seed * 100 + static_cast<unsigned>(len));
      for (Method method : kMethods) {
        for (int target : {0, 2}) {
          ExplainOptions o;
          o.method = method;
          o.target = target;
          o.ig_steps = 7;
          const Explanation e = m.explain(ids, o);
          const std::vector<double> ref = old_cnn(m, ids, method, target, o.ig_steps);
          REQUIRE(e.relevance.size() == ref.size());
          double scale = 1e-3;
          for (double v : ref) scale = std::max(scale, std::abs(v));
          for (std::size_t t = 0; t < ref.size(); ++t) {
            INFO("seed " << seed << " length " << len << " method " << method_name(method) << " token " << t);
            CHECK(std::abs(e.relevance[t] - ref[t]) <= 2e-5 * scale);
          }
        }
      }
    }
  }
}

TEST_CASE("baselines: the shared code gives the BiLSTM's old numbers bit for bit", "[lrp][baselines]") {
  for (unsigned seed : {1u, 2u}) {
    const BiLstmClassifier m = random_bilstm(seed);
    for (std::size_t len : {0u, 1u, 5u, 15u}) {
      const std::vector<TokenId> ids = random_ids(len, seed * 100 + static_cast<unsigned>(len));
      for (Method method : kMethods) {
        ExplainOptions o;
        o.method = method;
        o.target = 1;
        o.ig_steps = 9;
        INFO("seed " << seed << " length " << len << " method " << method_name(method));
        const std::vector<double> got = m.explain(ids, o).relevance;
        const std::vector<double> want = old_bilstm(m, ids, method, 1, o.ig_steps);
        if (method != Method::kIntegratedGradients) {
          CHECK(got == want);
          continue;
        }
        // ig folds the scaling into x W_ihᵀ and the sum over the steps into one input-gradient
        // product (BiLstmClassifier::add_scaled_gradients): float rounding only.
        REQUIRE(got.size() == want.size());
        double scale = 1e-300;
        for (double v : want) scale = std::max(scale, std::abs(v));
        for (std::size_t t = 0; t < got.size(); ++t) CHECK(std::abs(got[t] - want[t]) <= 1e-12 * scale);
      }
    }
  }
}

TEST_CASE("baselines: the BiLSTM's folded ig sum equals the step-by-step gradients up to rounding",
          "[lrp][baselines][batch]") {
  const BiLstmClassifier m = random_bilstm(4);
  const Differentiable& d = m;
  for (std::size_t len : {1u, 2u, 7u, 20u}) {
    const MatD64 x = d.embed(random_ids(len, 60 + static_cast<unsigned>(len))).x;
    const std::vector<double> alphas{0.03125, 0.5, 0.96875, 1.0, 0.25};
    for (int target : {0, 2}) {
      MatD64 folded = MatD64::Zero(x.rows(), x.cols());
      m.add_scaled_gradients(x, alphas, target, &folded);
      MatD64 want = MatD64::Zero(x.rows(), x.cols());
      for (const double a : alphas) {
        const MatD64 xa = a * x;
        want += d.batch_gradients(std::span<const MatD64>(&xa, 1), target)[0];
      }
      INFO("length " << len << " target " << target);
      CHECK((folded - want).cwiseAbs().maxCoeff() <= 1e-13 * std::max(1.0, want.cwiseAbs().maxCoeff()));
      // Added to what is there (the batches of a long input add up).
      MatD64 twice = folded;
      m.add_scaled_gradients(x, alphas, target, &twice);
      CHECK((twice - 2 * folded).cwiseAbs().maxCoeff() <= 1e-13 * std::max(1.0, want.cwiseAbs().maxCoeff()));
    }
  }
}

TEST_CASE("baselines: a batch of inputs of different lengths equals one input at a time",
          "[lrp][baselines]") {
  const CnnClassifier cnn = random_cnn(5);
  const BiLstmClassifier lstm = random_bilstm(5);
  const Classifier* models[] = {&cnn, &lstm};
  for (const Classifier* c : models) {
    const Differentiable* d = c->differentiable();
    REQUIRE(d != nullptr);
    std::vector<std::vector<TokenId>> docs;
    for (std::size_t len : {0u, 1u, 2u, 6u, 11u, 3u})
      docs.push_back(random_ids(len, 40 + static_cast<unsigned>(len)));
    std::vector<MatD64> xs;
    for (const auto& doc : docs) xs.push_back(d->embed(doc).x);
    MatD64 batch_s;
    const std::vector<MatD64> g = d->batch_gradients(xs, 2, &batch_s);
    const MatD64 s = d->batch_scores_of(docs);
    REQUIRE(s.rows() == static_cast<Index>(docs.size()));
    REQUIRE(g.size() == docs.size());
    const double tol = c == &cnn ? 1e-5 : 0.0;
    for (std::size_t b = 0; b < docs.size(); ++b) {
      INFO(c->architecture() << " input " << b);
      const Vec one = c->scores(docs[b]);
      for (Index k = 0; k < one.size(); ++k) {
        CHECK(std::abs(s(static_cast<Index>(b), k) - one[k]) <=
              tol * std::max(1.0, std::abs(double(one[k]))) + 1e-7);
        CHECK(batch_s(static_cast<Index>(b), k) == s(static_cast<Index>(b), k));
      }
      const std::vector<MatD64> alone = d->batch_gradients(std::span<const MatD64>(&xs[b], 1), 2);
      REQUIRE(g[b].rows() == xs[b].rows());
      REQUIRE(alone[0].rows() == xs[b].rows());
      if (xs[b].rows() == 0) continue;  // (maxCoeff of an empty matrix is undefined)
      CHECK((g[b] - alone[0]).cwiseAbs().maxCoeff() <=
            (tol == 0 ? 0.0 : 1e-5 * std::max(1.0, alone[0].cwiseAbs().maxCoeff())));
    }
  }
}

TEST_CASE("baselines: gradients match finite differences, ig is complete, occlusion rescores",
          "[lrp][baselines]") {
  const BiLstmClassifier lstm = random_bilstm(7);
  const CnnClassifier cnn = random_cnn(7);
  const std::vector<TokenId> ids = {3, 1, 4, 1, 5, 9, 2, 6};
  // BiLSTM (float64): tight. CNN (float32 inside): a step of 1e-2 on a piecewise-linear network.
  for (const Classifier* c : {static_cast<const Classifier*>(&lstm), static_cast<const Classifier*>(&cnn)}) {
    const Differentiable& d = *c->differentiable();
    const bool f64 = c == &lstm;
    const Embedded in = d.embed(ids);
    const MatD64 g = d.batch_gradients(std::span<const MatD64>(&in.x, 1), 1)[0];
    const MatD64 fd = numeric_gradient(d, in.x, 1, f64 ? 1e-6 : 1e-2);
    INFO(c->architecture());
    CHECK((g - fd).cwiseAbs().maxCoeff() <= (f64 ? 1e-7 : 2e-3) * std::max(1.0, g.cwiseAbs().maxCoeff()));
    // sa and gi from that gradient.
    const std::vector<double> sa = baselines::sensitivity(d, in.x, 1);
    const std::vector<double> gi = baselines::gradient_input(d, in.x, 1);
    for (Index r = 0; r < in.x.rows(); ++r) {
      CHECK(sa[static_cast<std::size_t>(r)] == Approx(g.row(r).squaredNorm()).epsilon(1e-12));
      CHECK(gi[static_cast<std::size_t>(r)] == Approx(g.row(r).dot(in.x.row(r))).epsilon(1e-12));
    }
    // Occlusion = s(ids) − s(ids without token t), scored as token sequences.
    ExplainOptions o;
    o.method = Method::kOcclusion;
    o.target = 1;
    const Explanation e = c->explain(ids, o);
    for (std::size_t t = 0; t < ids.size(); ++t) {
      std::vector<TokenId> without = ids;
      without.erase(without.begin() + static_cast<std::ptrdiff_t>(t));
      const double want = static_cast<double>(c->scores(ids)[1]) - static_cast<double>(c->scores(without)[1]);
      CHECK(e.relevance[t] == Approx(want).margin(f64 ? 1e-12 : 1e-5));
    }
  }
  // Integrated gradients with many steps: Σ_t R_t ≈ s(x) − s(0) (the BiLSTM is smooth).
  ExplainOptions o;
  o.method = Method::kIntegratedGradients;
  o.target = 0;
  o.ig_steps = 400;
  const Explanation e = lstm.explain(ids, o);
  const double total = std::accumulate(e.relevance.begin(), e.relevance.end(), 0.0);
  const MatD64 zero = MatD64::Zero(static_cast<Index>(ids.size()), lstm.n_embd());
  const double s0 = lstm.batch_scores(std::span<const MatD64>(&zero, 1))(0, 0);
  CHECK(total == Approx(static_cast<double>(e.scores[0]) - s0).epsilon(1e-4));
  o.ig_steps = 0;
  CHECK_THROWS_AS(lstm.explain(ids, o), InvalidArgument);
}

TEST_CASE("baselines: long inputs are cut into batches of about kBatchRows rows", "[lrp][baselines]") {
  // 600 tokens: occlusion needs 600 inputs of 599 rows (about 88 batches), ig 3 steps of 600 rows.
  const BiLstmClassifier m = random_bilstm(3);
  const BiLstmClassifier big({"neg", "neu", "pos"}, m.weights(), 1000);
  const std::vector<TokenId> ids = random_ids(600, 9);
  for (Method method : {Method::kOcclusion, Method::kIntegratedGradients}) {
    ExplainOptions o;
    o.method = method;
    o.target = 0;
    o.ig_steps = 3;
    const std::vector<double> got = big.explain(ids, o).relevance;
    const std::vector<double> want = old_bilstm(big, ids, method, 0, 3);
    if (method == Method::kOcclusion) {
      CHECK(got == want);
    } else {  // ig: the folded sum (BiLstmClassifier::add_scaled_gradients), float rounding only
      REQUIRE(got.size() == want.size());
      double scale = 1e-300;
      for (double v : want) scale = std::max(scale, std::abs(v));
      for (std::size_t t = 0; t < got.size(); ++t) CHECK(std::abs(got[t] - want[t]) <= 1e-12 * scale);
    }
  }
}
