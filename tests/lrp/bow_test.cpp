#include "lrp/models/bow_classifier.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/catch.h"
#include "tests/helpers.h"
#include "train/bow_train.h"

using namespace textlrp;
using namespace textlrp::lrp;
using namespace textlrp::train;
using Catch::Matchers::Contains;

namespace {

BowClassifier tiny() {
  Vec idf(4);
  idf << 1, 1, 2, 1;
  Mat w(2, 4);
  w << 0, 1, -1, 0.5f,  //
      0, -1, 1, -0.5f;
  Vec b(2);
  b << 0.1f, -0.1f;
  return BowClassifier({"neg", "pos"}, idf, w, b, BowOptions{});
}

const std::vector<TokenId> kDoc = {1, 2, 1, 0, 3, 7};  // 0 = <unk> (ignored), 7 = outside the vocabulary

}  // namespace

TEST_CASE("bow: TF-IDF features and scores by hand", "[lrp][bow]") {
  const BowClassifier m = tiny();
  // counts 1:2, 2:1, 3:1 -> tf-idf (2, 2, 1) -> L2 norm 3 -> (2/3, 2/3, 1/3)
  const auto f = m.features(kDoc);
  REQUIRE(f.size() == 3);
  REQUIRE(f[0].first == 1);
  REQUIRE(f[0].second == Approx(2.0 / 3));
  REQUIRE(f[1].second == Approx(2.0 / 3));
  REQUIRE(f[2].second == Approx(1.0 / 3));
  const Vec s = m.scores(kDoc);
  REQUIRE(s[0] == Approx(1.0 / 6 + 0.1));
  REQUIRE(s[1] == Approx(-1.0 / 6 - 0.1));
  REQUIRE(m.scores(std::vector<TokenId>{})[0] == Approx(0.1));
}

TEST_CASE("bow: LRP decomposition by hand, spread over occurrences", "[lrp][bow]") {
  const BowClassifier m = tiny();
  ExplainOptions o;
  const Explanation e = m.explain(kDoc, o);
  REQUIRE(e.target == 0);
  const std::vector<double> expected = {1.0 / 3, -2.0 / 3, 1.0 / 3, 0, 1.0 / 6, 0};
  REQUIRE(e.relevance.size() == expected.size());
  for (std::size_t t = 0; t < expected.size(); ++t)
    REQUIRE(e.relevance[t] == Approx(expected[t]).margin(1e-6));
  REQUIRE(e.bias_relevance == Approx(0.1));
  const double sum = std::accumulate(e.relevance.begin(), e.relevance.end(), 0.0);
  REQUIRE(sum + e.bias_relevance == Approx(e.scores[0]));
  // The other class: same terms, opposite weights.
  o.target = 1;
  const Explanation e1 = m.explain(kDoc, o);
  REQUIRE(e1.relevance[1] == Approx(2.0 / 3));
  REQUIRE(e1.bias_relevance == Approx(-0.1));
  // Every rule but flat/wsquare gives the same decomposition.
  for (const char* r : {"zero", "epsilon(0.1)", "zplus", "alphabeta(2,1)", "gamma(0.25)"}) {
    ExplainOptions ro;
    ro.rules = m.default_rules();
    ro.rules.apply(r);
    const Explanation er = m.explain(kDoc, ro);
    for (std::size_t t = 0; t < expected.size(); ++t)
      REQUIRE(er.relevance[t] == Approx(expected[t]).margin(1e-6));
  }
}

TEST_CASE("bow: flat and wsquare redistribute the score", "[lrp][bow]") {
  const BowClassifier m = tiny();
  const double score = 1.0 / 6 + 0.1;
  ExplainOptions o;
  o.rules = m.default_rules();
  o.rules.apply("flat");
  Explanation e = m.explain(kDoc, o);
  const std::vector<double> flat = {score / 4, score / 4, score / 4, 0, score / 4, 0};
  for (std::size_t t = 0; t < flat.size(); ++t) REQUIRE(e.relevance[t] == Approx(flat[t]));
  REQUIRE(e.bias_relevance == 0);
  o.rules.apply("wsquare");
  e = m.explain(kDoc, o);
  // w² over the document's terms: 1, 1, 0.25 (sum 2.25); term 1 occurs twice.
  const std::vector<double> ws = {
      score / 2.25 / 2, score / 2.25, score / 2.25 / 2, 0, score * 0.25 / 2.25, 0};
  for (std::size_t t = 0; t < ws.size(); ++t) REQUIRE(e.relevance[t] == Approx(ws[t]));
}

TEST_CASE("bow: permuting the input permutes the relevance; empty input", "[lrp][bow]") {
  const BowClassifier m = tiny();
  const std::vector<TokenId> perm = {3, 1, 0, 2, 1, 7};
  const Explanation a = m.explain(kDoc, {});
  const Explanation b = m.explain(perm, {});
  REQUIRE(b.relevance[0] == Approx(a.relevance[4]));
  REQUIRE(b.relevance[3] == Approx(a.relevance[1]));
  const Explanation empty = m.explain(std::vector<TokenId>{}, {});
  REQUIRE(empty.relevance.empty());
  REQUIRE(empty.bias_relevance == Approx(empty.scores[empty.target]));
  ExplainOptions bad;
  bad.target = 5;
  REQUIRE_THROWS_AS(m.explain(kDoc, bad), InvalidArgument);
  bad.target = -1;
  bad.method = Method::kIntegratedGradients;  // the baselines: tests/lrp/bow_baselines_test.cpp
  bad.ig_steps = 0;
  REQUIRE_THROWS_WITH(m.explain(kDoc, bad), Contains("at least 1 step"));
}

TEST_CASE("bow: save and load round trip; load reports bad tensors", "[lrp][bow]") {
  const BowClassifier m = tiny();
  test::TempDir dir;
  const nlohmann::json hyper = m.save(dir.path());
  const nlohmann::json config = {{"architecture", "bow_svm"}, {"labels", {"neg", "pos"}}, {"hyper", hyper}};
  const auto loaded = load_classifier(dir.path(), config);
  REQUIRE(loaded->scores(kDoc).isApprox(m.scores(kDoc)));
  nlohmann::json wrong = config;
  wrong["hyper"]["n_vocab"] = 5;
  REQUIRE_THROWS_WITH(load_classifier(dir.path(), wrong),
                      Contains("tensor 'idf' has shape [4], expected [5]") && Contains("'weight'"));
  wrong = config;
  wrong["architecture"] = "transformer";
  REQUIRE_THROWS_WITH(load_classifier(dir.path(), wrong), Contains("unknown architecture 'transformer'"));
}

TEST_CASE("bow: liblinear training separates a toy problem", "[lrp][bow]") {
  // Vocabulary: 0 <unk>, 1 "good", 2 "great", 3 "bad", 4 "awful", 5 "movie".
  std::vector<std::vector<TokenId>> docs;
  std::vector<int> labels;
  for (int k = 0; k < 20; ++k) {
    docs.push_back({5, k % 2 ? 1 : 2, 5});
    labels.push_back(1);
    docs.push_back({5, k % 2 ? 3 : 4});
    labels.push_back(0);
  }
  BowTrainOptions o;
  const auto m = train_bow(docs, labels, {"neg", "pos"}, 6, o);
  REQUIRE(argmax(m->scores(std::vector<TokenId>{1, 5})) == 1);
  REQUIRE(argmax(m->scores(std::vector<TokenId>{4})) == 0);
  // "good" is evidence for pos; "movie" (in every document) carries little.
  ExplainOptions eo;
  eo.target = 1;
  const Explanation e = m->explain(std::vector<TokenId>{1, 5}, eo);
  REQUIRE(e.relevance[0] > 0);
  REQUIRE(std::abs(e.relevance[1]) < e.relevance[0]);
  REQUIRE(m->weight().row(0).isApprox(-m->weight().row(1)));  // binary: one decision function
  // Three classes: one-vs-rest.
  docs.push_back({5, 5, 5});
  labels.push_back(2);
  docs.push_back({5, 5});
  labels.push_back(2);
  const auto m3 = train_bow(docs, labels, {"neg", "pos", "neutral"}, 6, o);
  REQUIRE(m3->weight().rows() == 3);
  REQUIRE_THROWS_AS(train_bow({}, {}, {"a", "b"}, 6, o), InvalidArgument);
  REQUIRE_THROWS_AS(train_bow({{1}, {2}}, {0, 0}, {"a", "b"}, 6, o), InvalidArgument);
}

namespace {

// explain()'s relevances computed the plain way from features() (the same floats): per term the
// rule's value, divided by the term's count, for each occurrence; 0 for ignored ids.
std::vector<double> reference_relevance(const BowClassifier& m, std::span<const TokenId> ids, int target,
                                        const std::string& rule) {
  const auto feats = m.features(ids);
  const double score = m.scores(ids)[target];
  std::size_t n_in_vocab = 0;
  for (const TokenId id : ids) {
    for (const auto& f : feats) n_in_vocab += f.first == id;
  }
  double denom = 0;
  for (const auto& [id, x] : feats)
    denom += static_cast<double>(m.weight()(target, id)) * m.weight()(target, id);
  std::vector<double> out(ids.size(), 0.0);
  for (std::size_t t = 0; t < ids.size(); ++t) {
    for (const auto& [id, x] : feats) {
      if (id != ids[t]) continue;
      const auto count = static_cast<int>(std::count(ids.begin(), ids.end(), id));
      const double w = m.weight()(target, id);
      if (rule == "flat") {
        out[t] = score / static_cast<double>(n_in_vocab);
      } else if (rule == "wsquare") {
        out[t] = (denom > 0 ? w * w / denom * score : 0.0) / count;
      } else {
        out[t] = static_cast<double>(x) * w / count;
      }
    }
  }
  return out;
}

BowClassifier random_bow(std::mt19937_64& rng, Index V, bool sublinear) {
  const Index C = 3;
  Vec idf(V);
  Mat w(C, V);
  Vec b(C);
  std::uniform_real_distribution<float> u(-1, 1);
  for (Index i = 0; i < V; ++i) idf[i] = 1 + std::abs(u(rng));
  for (Index c = 0; c < C; ++c) {
    b[c] = u(rng);
    for (Index i = 0; i < V; ++i) w(c, i) = u(rng);
  }
  return BowClassifier({"a", "b", "c"}, idf, w, b, BowOptions{sublinear, true, 0});
}

}  // namespace

TEST_CASE("bow: LRP from counted terms equals the features' decomposition on random documents",
          "[lrp][bow]") {
  // explain() counts a document's terms in a per-thread table (no sort of the occurrences); it
  // must give exactly features()' x_i·w_ci (the same floats), spread evenly over the occurrences,
  // and the scores of scores(), under every rule; the table must be clean after each call, also
  // after one that threw, and between models of different vocabulary sizes on the same thread.
  std::mt19937_64 rng(5);
  for (const bool sublinear : {false, true}) {
    const BowClassifier small = random_bow(rng, 50, sublinear);
    const BowClassifier large = random_bow(rng, 5000, sublinear);
    for (int doc = 0; doc < 60; ++doc) {
      const BowClassifier& m = doc % 3 == 1 ? large : small;
      std::uniform_int_distribution<TokenId> id(-2, static_cast<TokenId>(m.n_vocab()) + 2);
      std::vector<TokenId> ids(static_cast<std::size_t>(doc * 3));
      for (auto& x : ids) x = id(rng);
      if (doc % 4 == 0 && !ids.empty()) ids.push_back(ids.front());  // repeats
      const std::string rule = doc % 5 == 3 ? "flat" : doc % 5 == 4 ? "wsquare" : "epsilon";
      ExplainOptions o;
      if (rule != "epsilon") {
        o.rules = m.default_rules();
        o.rules.apply(rule);
      }
      if (doc % 7 == 2) {  // a call that throws after counting the document's terms
        ExplainOptions bad = o;
        bad.target = 9;
        REQUIRE_THROWS_AS(m.explain(ids, bad), InvalidArgument);
      }
      const Explanation e = m.explain(ids, o);
      CAPTURE(doc, sublinear, rule);
      REQUIRE(e.scores == m.scores(ids));
      REQUIRE(e.rule == (o.rules.rules().empty() ? m.default_rules() : o.rules).to_string());
      REQUIRE(e.relevance == reference_relevance(m, ids, e.target, rule));  // exactly: the same arithmetic
    }
  }
}
