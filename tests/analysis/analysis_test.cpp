// Unit tests of analysis/: PCA, KNN + cross-validation (EPI), deletion curves + AOPC, top words.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "analysis/deletion.h"
#include "analysis/knn.h"
#include "analysis/pca.h"
#include "analysis/topwords.h"
#include "core/error.h"
#include "lrp/models/cnn_deletion_scorer.h"
#include "tests/catch.h"

using namespace textlrp;
using namespace textlrp::analysis;

TEST_CASE("pca: components, variances and projections of a hand-made data set", "[lrp][analysis][pca]") {
  // Four points mean + a·u + b·v with a = ±2, b = ±1 along the orthonormal axes u = (0.6, 0.8) and
  // v = (-0.8, 0.6): the variance is 4·4/3 along u and 4·1/3 along v.
  const DVec mean = (DVec(2) << 1.0, 1.0).finished();
  const DVec u = (DVec(2) << 0.6, 0.8).finished();
  const DVec v = (DVec(2) << -0.8, 0.6).finished();
  DMat x(4, 2);
  int r = 0;
  for (double a : {-2.0, 2.0}) {
    for (double b : {-1.0, 1.0}) x.row(r++) = (mean + a * u + b * v).transpose();
  }
  const Pca p = fit_pca(x, 2);
  REQUIRE(p.mean[0] == Approx(1.0));
  REQUIRE(p.mean[1] == Approx(1.0));
  REQUIRE(p.variance[0] == Approx(16.0 / 3));
  REQUIRE(p.variance[1] == Approx(4.0 / 3));
  REQUIRE(p.total_variance == Approx(20.0 / 3));
  const auto ratio = p.explained_ratio();
  REQUIRE(ratio[0] == Approx(0.8));
  REQUIRE(ratio[1] == Approx(0.2));
  // Sign convention: the largest coefficient is positive, so u stays and v flips to (0.8, -0.6).
  REQUIRE(p.components(0, 0) == Approx(0.6));
  REQUIRE(p.components(0, 1) == Approx(0.8));
  REQUIRE(p.components(1, 0) == Approx(0.8));
  REQUIRE(p.components(1, 1) == Approx(-0.6));
  const DMat proj = p.project(x);
  // Point 3 is a = 2, b = -1 -> (2, +1) after the flip of v.
  REQUIRE(proj(2, 0) == Approx(2.0));
  REQUIRE(proj(2, 1) == Approx(1.0));
  // One component only.
  const Pca p1 = fit_pca(x, 1);
  REQUIRE(p1.project(x).cols() == 1);
  REQUIRE(p1.project(x)(0, 0) == Approx(-2.0));
}

TEST_CASE("pca: a 3-D data set lying in a plane has a zero third variance", "[lrp][analysis][pca]") {
  DMat x(5, 3);
  x << 1, 0, 0,  //
      -1, 0, 0,  //
      0, 2, 0,   //
      0, -2, 0,  //
      0, 0, 0;
  const Pca p = fit_pca(x, 3);
  REQUIRE(p.variance[0] == Approx(2.0));  // y: (4 + 4) / 4
  REQUIRE(p.variance[1] == Approx(0.5));  // x: (1 + 1) / 4
  REQUIRE(std::abs(p.variance[2]) < 1e-12);
  REQUIRE(std::abs(p.components(0, 1)) == Approx(1.0));
  REQUIRE(p.components(0, 1) > 0);
}

TEST_CASE("pca: bad input is an InvalidArgument", "[lrp][analysis][pca]") {
  REQUIRE_THROWS_AS(fit_pca(DMat(0, 3), 1), InvalidArgument);
  REQUIRE_THROWS_AS(fit_pca(DMat::Zero(4, 3), 4), InvalidArgument);
  DMat bad = DMat::Zero(2, 2);
  bad(1, 1) = std::nan("");
  REQUIRE_THROWS_AS(fit_pca(bad, 1), InvalidArgument);
  DMat x(2, 2);
  x << 3, 4, 0, 0;
  normalize_rows(x);
  REQUIRE(x(0, 0) == Approx(0.6));
  REQUIRE(x(1, 0) == 0.0);  // a zero row stays zero
}

TEST_CASE("knn: neighbours, ties and votes on a toy set", "[lrp][analysis][knn]") {
  DMat train(4, 2);
  train << 0, 0,  //
      1, 0,       //
      -1, 0,      //
      5, 5;
  const std::vector<int> labels = {0, 1, 0, 1};
  DMat q(1, 2);
  q << 0.1, 0;
  const auto nn = nearest_neighbours(train, q, 3, Distance::kEuclidean);
  REQUIRE(nn[0] == std::vector<Index>{0, 1, 2});
  // Equal distances: ties by the lower index.
  DMat q0(1, 2);
  q0 << 0, 0;
  REQUIRE(nearest_neighbours(train, q0, 3, Distance::kEuclidean)[0] == std::vector<Index>{0, 1, 2});
  // k = 2: one vote each -> the class of the nearest neighbour wins.
  REQUIRE(vote(nn[0], labels, 2, 2) == 0);
  DMat q1(1, 2);
  q1 << 0.9, 0;  // nearest 1 (class 1), then 0 (class 0)
  REQUIRE(knn_classify(train, labels, q1, 2, Distance::kEuclidean) == std::vector<int>{1});
  REQUIRE(knn_classify(train, labels, q1, 3, Distance::kEuclidean) == std::vector<int>{0});
  // Cosine ignores length: (10, 10) is nearest to (5, 5) in angle.
  DMat q2(1, 2);
  q2 << 10, 10.5;
  REQUIRE(knn_classify(train, labels, q2, 1, Distance::kCosine) == std::vector<int>{1});
  REQUIRE(parse_distance("cosine") == Distance::kCosine);
  REQUIRE_THROWS_AS(parse_distance("manhattan"), InvalidArgument);
}

TEST_CASE("knn: stratified folds are balanced and seeded", "[lrp][analysis][knn]") {
  std::vector<int> labels;
  for (int i = 0; i < 30; ++i) labels.push_back(0);
  for (int i = 0; i < 7; ++i) labels.push_back(1);
  const auto f = stratified_folds(labels, 10, 42);
  REQUIRE(f == stratified_folds(labels, 10, 42));
  REQUIRE(f != stratified_folds(labels, 10, 43));
  for (int fold = 0; fold < 10; ++fold) {
    int n0 = 0, n1 = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (f[i] == fold) (labels[i] == 0 ? n0 : n1)++;
    }
    REQUIRE(n0 == 3);
    REQUIRE(n1 <= 1);
  }
  REQUIRE_THROWS_AS(stratified_folds(labels, 1, 0), InvalidArgument);
  REQUIRE_THROWS_AS(stratified_folds(std::vector<int>{0, 1}, 3, 0), InvalidArgument);
}

TEST_CASE("knn: leave-one-out cross-validation computed by hand", "[lrp][analysis][knn]") {
  // 1-D points: class 0 at 0, 1, 2; class 1 at 10, 11, 12 and an intruder at 1.4.
  // With 7 folds every fold holds one point (leave-one-out). By hand:
  //   k=1: 0 ok, 1 -> 1.4 wrong, 2 -> 1.4 wrong, 1.4 -> 1 wrong, 10/11/12 ok        = 4/7
  //   k=2: 1 and 2 tie 1:1, the nearest (1.4, class 1) wins -> wrong; 0 ties -> 1 ok = 4/7
  //   k=3: 0, 1, 2 ok; 1.4 -> {1, 2, 0} wrong; 10/11/12 ok                          = 6/7
  DMat x(7, 1);
  x << 0, 1, 2, 1.4, 10, 11, 12;
  const std::vector<int> labels = {0, 0, 0, 1, 1, 1, 1};
  for (Distance d : {Distance::kEuclidean}) {
    const CrossValidation cv = knn_cross_validate(x, labels, 3, 7, d, 1);
    REQUIRE(cv.accuracy.size() == 3);
    REQUIRE(cv.accuracy[0] == Approx(4.0 / 7));
    REQUIRE(cv.accuracy[1] == Approx(4.0 / 7));
    REQUIRE(cv.accuracy[2] == Approx(6.0 / 7));
    REQUIRE(cv.best_k == 3);
    REQUIRE(cv.best_accuracy == Approx(6.0 / 7));
    REQUIRE(cv.fold_accuracy.size() == 7);
  }
  // Two well separated clusters: every k is perfect under 10-fold cross-validation.
  DMat y(20, 2);
  std::vector<int> ly;
  for (int i = 0; i < 20; ++i) {
    y(i, 0) = (i < 10 ? 0.0 : 50.0) + 0.1 * i;
    y(i, 1) = (i < 10 ? 1.0 : -1.0) * (1 + 0.05 * i);
    ly.push_back(i < 10 ? 0 : 1);
  }
  const CrossValidation cv2 = knn_cross_validate(y, ly, 20, 10, Distance::kCosine, 7);
  for (double a : cv2.accuracy) REQUIRE(a == Approx(1.0));
  REQUIRE(cv2.best_k == 1);
}

namespace {

// A linear 2-class model by hand: s_0 = Σ_t w[id_t] (ids outside [0, 4) are ignored), s_1 = 0.9.
Vec linear_scores(std::span<const TokenId> ids) {
  static const double w[4] = {3, -1, 2, 0.5};
  Vec s(2);
  s << 0, 0.9f;
  for (TokenId id : ids) {
    if (id >= 0 && id < 4) s[0] += static_cast<float>(w[id]);
  }
  return s;
}

}  // namespace

TEST_CASE("deletion: curves and AOPC of a linear model, by hand", "[lrp][analysis][deletion]") {
  // Document A = ids [0, 1, 2, 3], true class 0: s_0 = 4.5 > 0.9, correct. Relevance for class 0
  // (exact for a linear model) = [3, -1, 2, 0.5]; descending order: positions 0, 2, 3, 1.
  // s_0 after 0..5 deletions: 4.5, 1.5, -0.5, -1, 0, 0 (4 tokens: the 5th deletion repeats the 4th).
  const std::vector<TokenId> a = {0, 1, 2, 3};
  const std::vector<double> ra = {3, -1, 2, 0.5};
  const std::vector<std::size_t> cand = {0, 1, 2, 3};
  const auto order_a = relevance_order(ra, cand, true);
  REQUIRE(order_a == std::vector<std::size_t>{0, 2, 3, 1});
  const DeletionTrace ta = delete_and_score(linear_scores, a, order_a, 5, 0);
  REQUIRE(ta.predicted == std::vector<int>{0, 0, 1, 1, 1, 1});
  const std::vector<double> want_scores = {4.5, 1.5, -0.5, -1, 0, 0};
  for (std::size_t k = 0; k < want_scores.size(); ++k) REQUIRE(ta.score[k] == Approx(want_scores[k]));

  DeletionCurve correct(5);
  correct.add(ta, 0);
  REQUIRE(correct.accuracy() == std::vector<double>{1, 1, 0, 0, 0, 0});
  REQUIRE(correct.aopc() == Approx(4.0 / 6));
  REQUIRE(correct.score_aopc() == Approx((0 + 3 + 5 + 5.5 + 4.5 + 4.5) / 6.0));

  // Document B = ids [1, 1, 1, 0], true class 0: s_0 = 0 < 0.9, misclassified. Ascending relevance
  // deletes a -1 first: s_0 = 1 > 0.9 -> correct from k = 1 on.
  const std::vector<TokenId> b = {1, 1, 1, 0};
  const std::vector<double> rb = {-1, -1, -1, 3};
  const auto order_b = relevance_order(rb, cand, false);
  REQUIRE(order_b == std::vector<std::size_t>{0, 1, 2, 3});  // ties keep position order
  const DeletionTrace tb = delete_and_score(linear_scores, b, order_b, 5, 0);
  DeletionCurve wrong(5);
  wrong.add(tb, 0);
  // k = 4 deletes the 3 as well (s_0 = 0, wrong); k = 5 repeats k = 4 (only 4 tokens).
  REQUIRE(wrong.accuracy() == std::vector<double>{0, 1, 1, 1, 0, 0});
  REQUIRE(wrong.aopc(true) == Approx(3.0 / 6));

  // Weights: two half-weighted traces count as one document.
  DeletionCurve half(5);
  half.add(ta, 0, 0.5);
  half.add(ta, 0, 0.5);
  REQUIRE(half.documents() == Approx(1.0));
  REQUIRE(half.aopc() == Approx(4.0 / 6));
  correct.merge(half);
  REQUIRE(correct.documents() == Approx(2.0));
  REQUIRE(correct.accuracy()[2] == 0.0);
}

TEST_CASE("deletion: the scorer sees -1 at deleted positions; random orders are seeded permutations",
          "[lrp][analysis][deletion]") {
  std::vector<std::vector<TokenId>> seen;
  const Scorer spy = [&](std::span<const TokenId> ids) {
    seen.emplace_back(ids.begin(), ids.end());
    return linear_scores(ids);
  };
  const std::vector<TokenId> ids = {0, 1, 2};
  const std::vector<std::size_t> order = {2, 0};
  delete_and_score(spy, ids, order, 2, 0);
  REQUIRE(seen.size() == 3);
  REQUIRE(seen[1] == std::vector<TokenId>{0, 1, -1});
  REQUIRE(seen[2] == std::vector<TokenId>{-1, 1, -1});
  REQUIRE_THROWS_AS(delete_and_score(spy, ids, order, 2, 5), InvalidArgument);

  std::vector<std::size_t> cand(50);
  std::iota(cand.begin(), cand.end(), 0);
  const auto r1 = random_order(cand, 9);
  REQUIRE(r1 == random_order(cand, 9));
  REQUIRE(r1 != random_order(cand, 10));
  REQUIRE(r1 != cand);
  auto sorted = r1;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(sorted == cand);
  REQUIRE(area_over_curve(std::vector<double>{}, false) == 0.0);
}

TEST_CASE("topwords: aggregation per class on a hand-made corpus", "[lrp][analysis][topwords]") {
  TopWords tw(2);
  const std::vector<std::string> d1 = {"a", "b", "a"};
  const std::vector<std::string> d2 = {"a", "c"};
  const std::vector<std::string> d3 = {"b"};
  tw.add_document(0, d1, std::vector<double>{1, 2, 3});
  tw.add_document(0, d2, std::vector<double>{0.5, -1});
  tw.add_document(1, d3, std::vector<double>{5});
  REQUIRE(tw.documents(0) == 2);

  const auto by_sum = tw.top(0, 10);
  REQUIRE(by_sum.size() == 3);
  REQUIRE(by_sum[0].word == "a");
  REQUIRE(by_sum[0].stats.sum == Approx(4.5));
  REQUIRE(by_sum[0].stats.occurrences == 3);
  REQUIRE(by_sum[0].stats.documents == 2);
  REQUIRE(by_sum[0].stats.mean() == Approx(1.5));
  REQUIRE(by_sum[1].word == "b");
  REQUIRE(by_sum[2].word == "c");
  REQUIRE(by_sum[2].stats.sum == Approx(-1));

  const auto by_mean = tw.top(0, 2, TopWords::Key::kMean);
  REQUIRE(by_mean[0].word == "b");
  REQUIRE(by_mean[1].word == "a");
  const auto frequent = tw.top(0, 10, TopWords::Key::kMean, 2);
  REQUIRE(frequent.size() == 1);
  REQUIRE(frequent[0].word == "a");
  REQUIRE(tw.bottom(0, 1)[0].word == "c");
  REQUIRE(tw.top(1, 5).size() == 1);
  REQUIRE(tw.top(1, 5)[0].stats.sum == Approx(5));
  REQUIRE_THROWS_AS(tw.add_document(2, DocumentWords{}), InvalidArgument);
  // Ties: by word bytes.
  TopWords tie(1);
  tie.add_document(0, std::vector<std::string>{"z", "y"}, std::vector<double>{1, 1});
  REQUIRE(tie.top(0, 2)[0].word == "y");
  REQUIRE(parse_topwords_key("mean") == TopWords::Key::kMean);
  REQUIRE_THROWS_AS(parse_topwords_key("max"), InvalidArgument);
}

namespace {

Mat random_matrix(Index rows, Index cols, unsigned seed) {
  std::mt19937 gen(seed);
  Mat m(rows, cols);
  for (Index i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<Scalar>(gen() >> 8) / static_cast<Scalar>(1 << 23) - 1;
  return m;
}

// V = 12, E = 5, widths {2, 4}, F = 4, C = 3, with biases.
lrp::CnnClassifier tiny_cnn(Index max_tokens) {
  const Index V = 12, E = 5, F = 4, C = 3;
  std::vector<lrp::Conv1d> convs;
  for (Index k : {2, 4}) {
    convs.emplace_back(random_matrix(F, E * k, static_cast<unsigned>(k)), E, k,
                       Vec(random_matrix(F, 1, 50 + static_cast<unsigned>(k)).col(0) * 0.3f));
  }
  return lrp::CnnClassifier({"a", "b", "c"}, lrp::Embedding(random_matrix(V, E, 5)), std::move(convs),
                            lrp::Dense(random_matrix(C, 2 * F, 6), Vec(random_matrix(C, 1, 7).col(0))),
                            max_tokens);
}

}  // namespace

TEST_CASE("deletion: the incremental CNN scorer equals rescoring from scratch",
          "[lrp][analysis][deletion][cnn]") {
  for (Index max_tokens : {Index{100}, Index{7}}) {
    const lrp::CnnClassifier cnn = tiny_cnn(max_tokens);
    const std::vector<TokenId> ids = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
    // Every position, in an order that hits both ends, the middle and the truncated tail.
    const std::vector<std::size_t> order = {0, 10, 5, 1, 9, 2, 3, 8, 7, 4, 6};
    lrp::CnnDeletionScorer fast(cnn, ids);
    std::vector<TokenId> work = ids;
    for (std::size_t k = 0; k <= order.size(); ++k) {
      const Vec a = fast.scores();
      const Vec b = cnn.scores(work);
      for (Index c = 0; c < 3; ++c) REQUIRE(a[c] == Approx(b[c]).margin(1e-5));
      if (k == order.size()) break;
      fast.remove(order[k]);
      work[order[k]] = -1;
    }
    const Scorer full = [&](std::span<const TokenId> x) { return cnn.scores(x); };
    lrp::CnnDeletionScorer again(cnn, ids);
    const DeletionTrace t1 = delete_and_score(again, order, 6, 1);
    const DeletionTrace t2 = delete_and_score(full, ids, order, 6, 1);
    REQUIRE(t1.predicted == t2.predicted);
    for (std::size_t k = 0; k < t1.score.size(); ++k)
      REQUIRE(t1.score[k] == Approx(t2.score[k]).margin(1e-5));
  }
  // A document shorter than the widest kernel (padded) and an empty one.
  const lrp::CnnClassifier cnn = tiny_cnn(100);
  const std::vector<TokenId> two = {7, 8};
  lrp::CnnDeletionScorer s(cnn, two);
  s.remove(1);
  const std::vector<TokenId> want = {7, -1};
  REQUIRE(s.scores()[0] == Approx(cnn.scores(want)[0]).margin(1e-5));
  lrp::CnnDeletionScorer empty(cnn, std::vector<TokenId>{});
  REQUIRE(empty.scores()[2] == Approx(cnn.scores(std::vector<TokenId>{})[2]).margin(1e-5));
}

TEST_CASE("deletion: the batched curves equal the one-state-at-a-time ones, in one scorer call",
          "[lrp][analysis][deletion]") {
  const std::vector<TokenId> ids = {0, 1, 2, 3, 1};
  const std::vector<std::vector<std::size_t>> orders = {{0, 2, 3, 1, 4}, {4, 1}, {}, {3, 0, 2}};
  int calls = 0;
  std::size_t states = 0;
  const BatchScorer batch = [&](std::span<const std::vector<TokenId>> docs) {
    ++calls;
    states += docs.size();
    std::vector<Vec> out;
    for (const auto& d : docs) out.push_back(linear_scores(d));
    return out;
  };
  for (int k : {0, 2, 5, 7}) {
    calls = 0;
    states = 0;
    const std::vector<DeletionTrace> got = delete_and_score_batch(batch, ids, orders, k, 0);
    REQUIRE(calls == 1);
    std::size_t want_states = 1;  // the document once, then each ordering's deletions
    for (const auto& o : orders) want_states += std::min<std::size_t>(o.size(), static_cast<std::size_t>(k));
    CHECK(states == want_states);
    REQUIRE(got.size() == orders.size());
    for (std::size_t i = 0; i < orders.size(); ++i) {
      const DeletionTrace want = delete_and_score(linear_scores, ids, orders[i], k, 0);
      CHECK(got[i].predicted == want.predicted);
      CHECK(got[i].score == want.score);
    }
  }
  const std::vector<std::vector<std::size_t>> bad = {{0, 9}};
  CHECK_THROWS_AS(delete_and_score_batch(batch, ids, bad, 3, 0), InvalidArgument);
  CHECK_THROWS_AS(delete_and_score_batch(batch, ids, orders, 3, 7), InvalidArgument);
  CHECK_THROWS_AS(delete_and_score_batch(batch, ids, orders, -1, 0), InvalidArgument);
}
