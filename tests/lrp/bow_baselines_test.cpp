// tests/lrp/bow_baselines_test.cpp — the BoW/SVM's sa, gi, ig, occlusion and random baselines
// (definitions in lrp/models/bow_classifier.h): the gradient against finite differences of an
// independent re-implementation of the score as a function of occurrence weights, completeness
// of integrated gradients, occlusion against direct re-scoring, and the seeded random baseline.
#include <cmath>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "lrp/models/bow_classifier.h"
#include "tests/catch.h"

using namespace textlrp;
using namespace textlrp::lrp;
using Catch::Matchers::Contains;

namespace {

constexpr Index kVocab = 6;

Vec idf_values() {
  Vec idf(kVocab);
  idf << 1, 1.2f, 2, 0.7f, 1.5f, 3;
  return idf;
}

Mat weight_values() {
  Mat w(3, kVocab);
  w << 0, 1, -1, 0.5f, 0.25f, -2,   //
      0, -1, 1, -0.5f, 1.5f, 0.3f,  //
      0, 0.2f, 0.4f, -1.2f, -0.1f, 0.9f;
  return w;
}

Vec bias_values() {
  Vec b(3);
  b << 0.1f, -0.1f, 0.3f;
  return b;
}

BowClassifier model(bool sublinear, bool normalize = true) {
  BowOptions o;
  o.sublinear_tf = sublinear;
  o.normalize = normalize;
  return BowClassifier({"a", "b", "c"}, idf_values(), weight_values(), bias_values(), o);
}

// 0 = <unk> (ignored), 9 = outside the vocabulary; term 1 three times, 5 twice, 2/3/4 once.
const std::vector<TokenId> kDoc = {1, 5, 0, 1, 2, 3, 9, 5, 1, 4};

// The score of class c when occurrence t has weight a[t]: the forward pass of bow_classifier.h on
// fractional counts, with tf(c) = c (c <= 1), 1 + ln c above for sublinear tf. Written from the
// definition, independently of the classifier's code.
double reference_score(const std::vector<TokenId>& ids, const std::vector<double>& a, int c, bool sublinear,
                       bool normalize) {
  const Vec idf = idf_values();
  const Mat w = weight_values();
  std::vector<double> count(kVocab, 0.0);
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (ids[t] > 0 && ids[t] < kVocab) count[static_cast<std::size_t>(ids[t])] += a[t];
  }
  double z = 0, norm2 = 0;
  for (Index i = 1; i < kVocab; ++i) {
    const double ci = count[static_cast<std::size_t>(i)];
    const double tf = sublinear && ci > 1 ? 1 + std::log(ci) : ci;
    const double x = tf * idf[i];
    z += w(c, i) * x;
    norm2 += x * x;
  }
  if (normalize) z = norm2 > 0 ? z / std::sqrt(norm2) : 0.0;
  return z + bias_values()[c];
}

Explanation run(const BowClassifier& m, const std::vector<TokenId>& ids, Method method, int target = -1,
                int steps = 32, std::uint64_t seed = 0) {
  ExplainOptions o;
  o.method = method;
  o.target = target;
  o.ig_steps = steps;
  o.seed = seed;
  return m.explain(ids, o);
}

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

}  // namespace

TEST_CASE("bow baselines: the reference score agrees with the model on whole counts",
          "[lrp][bow][baselines]") {
  for (const bool sublinear : {false, true}) {
    for (const bool normalize : {false, true}) {
      const BowClassifier m = model(sublinear, normalize);
      const Vec s = m.scores(kDoc);
      for (int c = 0; c < 3; ++c) {
        INFO("sublinear " << sublinear << " normalize " << normalize << " class " << c);
        CHECK(reference_score(kDoc, std::vector<double>(kDoc.size(), 1.0), c, sublinear, normalize) ==
              Approx(s[c]).margin(1e-6));
      }
    }
  }
}

TEST_CASE("bow baselines: gi is the gradient w.r.t. each occurrence (finite differences), sa its square",
          "[lrp][bow][baselines]") {
  for (const bool sublinear : {false, true}) {
    for (const bool normalize : {false, true}) {
      const BowClassifier m = model(sublinear, normalize);
      for (int c = 0; c < 3; ++c) {
        const Explanation gi = run(m, kDoc, Method::kGradientInput, c);
        const Explanation sa = run(m, kDoc, Method::kSensitivity, c);
        REQUIRE(gi.relevance.size() == kDoc.size());
        REQUIRE(gi.target == c);
        for (std::size_t t = 0; t < kDoc.size(); ++t) {
          INFO("sublinear " << sublinear << " normalize " << normalize << " class " << c << " token " << t);
          const double h = 1e-5;
          std::vector<double> up(kDoc.size(), 1.0), down(kDoc.size(), 1.0);
          up[t] += h;
          down[t] -= h;
          const double fd = (reference_score(kDoc, up, c, sublinear, normalize) -
                             reference_score(kDoc, down, c, sublinear, normalize)) /
                            (2 * h);
          CHECK(gi.relevance[t] == Approx(fd).margin(1e-6).epsilon(1e-5));
          CHECK(sa.relevance[t] == Approx(gi.relevance[t] * gi.relevance[t]).margin(1e-12));
        }
        // Ignored tokens (<unk>, outside the vocabulary) get exactly 0.
        CHECK(gi.relevance[2] == 0);
        CHECK(gi.relevance[6] == 0);
        // bias_relevance is what no token received.
        CHECK(sum(gi.relevance) + gi.bias_relevance == Approx(gi.scores[c]));
        if (normalize && !sublinear) {
          // Scale invariance (Euler): the L2-normalised score is homogeneous of degree 0 in the counts.
          CHECK(sum(gi.relevance) == Approx(0).margin(1e-6));
        }
      }
    }
  }
}

TEST_CASE("bow baselines: integrated gradients are complete and, with plain tf, equal LRP",
          "[lrp][bow][baselines]") {
  for (const bool sublinear : {false, true}) {
    for (const bool normalize : {false, true}) {
      const BowClassifier m = model(sublinear, normalize);
      const double empty_score = m.scores(std::vector<TokenId>{})[1];
      const Explanation ig = run(m, kDoc, Method::kIntegratedGradients, 1, 512);
      INFO("sublinear " << sublinear << " normalize " << normalize);
      // Σ ig = s(doc) − s(empty document).
      CHECK(sum(ig.relevance) == Approx(ig.scores[1] - empty_score).margin(1e-4));
      CHECK(ig.bias_relevance == Approx(empty_score).margin(1e-4));
      CHECK(ig.relevance[2] == 0);
      CHECK(ig.relevance[6] == 0);
      if (!sublinear) {
        // The model is linear in the occurrence weights once the norm is held: ig = LRP's x_i·w_ci,
        // spread over the occurrences, with any number of steps.
        ExplainOptions lrp_options;
        lrp_options.target = 1;
        const Explanation lrp = m.explain(kDoc, lrp_options);
        const Explanation ig1 = run(m, kDoc, Method::kIntegratedGradients, 1, 1);
        for (std::size_t t = 0; t < kDoc.size(); ++t) {
          CHECK(ig.relevance[t] == Approx(lrp.relevance[t]).margin(1e-6));
          CHECK(ig1.relevance[t] == Approx(lrp.relevance[t]).margin(1e-6));
        }
      }
    }
  }
  // With sublinear tf the quadrature converges as the steps grow.
  const BowClassifier m = model(true);
  const double target = m.scores(kDoc)[0] - m.scores(std::vector<TokenId>{})[0];
  const double err4 = std::abs(sum(run(m, kDoc, Method::kIntegratedGradients, 0, 4).relevance) - target);
  const double err64 = std::abs(sum(run(m, kDoc, Method::kIntegratedGradients, 0, 64).relevance) - target);
  CHECK(err64 < err4);
  CHECK(err64 < 1e-3);
}

TEST_CASE("bow baselines: occlusion is the score drop when the occurrence is removed",
          "[lrp][bow][baselines]") {
  for (const bool sublinear : {false, true}) {
    for (const bool normalize : {false, true}) {
      const BowClassifier m = model(sublinear, normalize);
      for (const std::vector<TokenId>& doc : {kDoc, std::vector<TokenId>{3}, std::vector<TokenId>{3, 3, 0}}) {
        for (int c = 0; c < 3; ++c) {
          const Explanation e = run(m, doc, Method::kOcclusion, c);
          const double score = m.scores(doc)[c];
          for (std::size_t t = 0; t < doc.size(); ++t) {
            std::vector<TokenId> without = doc;
            without.erase(without.begin() + static_cast<std::ptrdiff_t>(t));
            INFO("sublinear " << sublinear << " normalize " << normalize << " class " << c << " token " << t);
            CHECK(e.relevance[t] == Approx(score - m.scores(without)[c]).margin(1e-5));
          }
        }
      }
    }
  }
}

TEST_CASE("bow baselines: random is seeded, in [-1, 1], and 0 for ignored tokens", "[lrp][bow][baselines]") {
  const BowClassifier m = model(false);
  const Explanation a = run(m, kDoc, Method::kRandom, -1, 32, 7);
  const Explanation b = run(m, kDoc, Method::kRandom, -1, 32, 7);
  const Explanation c = run(m, kDoc, Method::kRandom, -1, 32, 8);
  CHECK(a.relevance == b.relevance);
  CHECK(a.relevance != c.relevance);
  for (std::size_t t = 0; t < kDoc.size(); ++t) {
    CHECK(a.relevance[t] >= -1.0);
    CHECK(a.relevance[t] <= 1.0);
  }
  CHECK(a.relevance[2] == 0);
  CHECK(a.relevance[6] == 0);
  CHECK(a.relevance[0] != 0);
  CHECK(sum(a.relevance) + a.bias_relevance == Approx(a.scores[a.target]));
}

TEST_CASE("bow baselines: empty and all-unknown documents, bad steps", "[lrp][bow][baselines]") {
  const BowClassifier m = model(false);
  for (const Method method : {Method::kSensitivity, Method::kGradientInput, Method::kIntegratedGradients,
                              Method::kOcclusion, Method::kRandom}) {
    const Explanation empty = run(m, {}, method);
    CHECK(empty.relevance.empty());
    CHECK(empty.bias_relevance == Approx(empty.scores[empty.target]));
    const Explanation unknown = run(m, {0, 9, 0}, method);
    CHECK(unknown.relevance == std::vector<double>{0, 0, 0});
    CHECK(unknown.rule.empty());
  }
  REQUIRE_THROWS_WITH(run(m, kDoc, Method::kIntegratedGradients, -1, 0), Contains("at least 1 step"));
  REQUIRE_THROWS_AS(run(m, kDoc, Method::kOcclusion, 3), InvalidArgument);
}
