// Classifier::explain_methods (lrp/models/classifier.h): the scores and several explanations of ONE
// document in one call are, bit for bit, scores() and explain() one option at a time — for the
// BiLSTM, which shares one forward pass and one gradient per target among them, and for the CNN and
// the BoW/SVM through the default implementation. Nothing carries over between calls: interleaved
// models and documents give the results of fresh calls. (This replaces the test of the BiLSTM's
// former per-thread forward memo.)
#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"
#include "lrp/models/baselines.h"
#include "lrp/models/bilstm_classifier.h"
#include "lrp/models/bow_classifier.h"
#include "lrp/models/cnn_classifier.h"
#include "tests/catch.h"
#include "tests/lrp/bilstm_fixtures.h"

using namespace textlrp;
using namespace textlrp::lrp;
using namespace textlrp::test::bilstm;
using Catch::Matchers::Contains;

namespace {

// Every field, exactly (== on doubles: bit for bit up to the sign of zero; no NaN occurs here).
void check_same(const Explanation& got, const Explanation& want) {
  CHECK(got.scores == want.scores);
  CHECK(got.target == want.target);
  CHECK(got.relevance == want.relevance);
  CHECK(got.bias_relevance == want.bias_relevance);
  CHECK(got.rule == want.rule);
  CHECK(got.truncated == want.truncated);
  CHECK(got.special == want.special);
}

ExplainOptions method(Method m, int target = -1) {
  ExplainOptions o;
  o.method = m;
  o.target = target;
  return o;
}

// The options a BiLSTM document is explained with: the six methods, LRP in float32 and with the
// other gate rules and bias factors, and sa/gi for several targets (sa and gi share one gradient
// per target; a target repeats after another one).
std::vector<ExplainOptions> bilstm_options() {
  std::vector<ExplainOptions> o;
  o.push_back(lrp_options(std::nullopt, std::nullopt));
  ExplainOptions f32 = lrp_options(std::nullopt, std::nullopt);
  f32.precision = Precision::kFloat32;
  o.push_back(f32);
  ExplainOptions f32_half = lrp_options(GateRule::kHalf, 1.0);
  f32_half.precision = Precision::kFloat32;
  f32_half.target = 1;
  o.push_back(f32_half);
  o.push_back(lrp_options(GateRule::kProportional, 1.0, "zero"));
  o.push_back(method(Method::kSensitivity));
  o.push_back(method(Method::kGradientInput));
  o.push_back(method(Method::kSensitivity, 0));
  o.push_back(method(Method::kGradientInput, 2));
  o.push_back(method(Method::kSensitivity, 2));
  o.push_back(method(Method::kGradientInput, 0));
  ExplainOptions ig = method(Method::kIntegratedGradients, 1);
  ig.ig_steps = 8;
  o.push_back(ig);
  o.push_back(method(Method::kOcclusion));
  ExplainOptions rnd = method(Method::kRandom);
  rnd.seed = 3;
  o.push_back(rnd);
  ExplainOptions lrp1 = lrp_options(std::nullopt, std::nullopt);
  lrp1.target = 1;
  o.push_back(lrp1);
  return o;
}

// explain_methods(ids, options) against explain() per option and scores(), in the given order and
// reversed.
void check_explain_methods(const Classifier& m, const std::vector<TokenId>& ids,
                           std::vector<ExplainOptions> options) {
  for (int pass = 0; pass < 2; ++pass) {
    INFO(m.architecture() << ", " << ids.size() << " tokens, " << (pass == 0 ? "in order" : "reversed"));
    Vec scores;
    const std::vector<Explanation> got = m.explain_methods(ids, options, &scores);
    CHECK(scores == m.scores(ids));
    REQUIRE(got.size() == options.size());
    for (std::size_t i = 0; i < options.size(); ++i) {
      INFO("option " << i << ": " << method_name(options[i].method) << ", target " << options[i].target);
      check_same(got[i], m.explain(ids, options[i]));
    }
    // Without the scores: the same explanations.
    const std::vector<Explanation> again = m.explain_methods(ids, options, nullptr);
    REQUIRE(again.size() == got.size());
    for (std::size_t i = 0; i < got.size(); ++i) check_same(again[i], got[i]);
    std::reverse(options.begin(), options.end());
  }
}

}  // namespace

TEST_CASE("explain_methods: the BiLSTM's shared pass gives explain() per method and scores(), bit for bit",
          "[lrp][bilstm][explain_methods]") {
  const BiLstmClassifier a = tiny(true, true, 1), b = tiny(true, false, 7);
  const BiLstmClassifier short_reader({"neg", "neu", "pos"}, tiny_weights(true, true, 3), 5);  // max_tokens 5
  const std::vector<std::vector<TokenId>> docs = {kSentence, {2, 7, 1, 8}, {3, -1, 4, 40, 5, 9, 2}, {6}, {}};
  for (const BiLstmClassifier* m : {&a, &b, &short_reader}) {
    for (const std::vector<TokenId>& ids : docs) check_explain_methods(*m, ids, bilstm_options());
  }
  // A document longer than max_tokens: truncated explanations, zeros after token 5.
  const std::vector<Explanation> t = short_reader.explain_methods(kSentence, bilstm_options(), nullptr);
  for (const Explanation& e : t) {
    CHECK(e.truncated);
    REQUIRE(e.relevance.size() == kSentence.size());
    CHECK(e.relevance[5] == 0);
  }
  // Only float32 LRP asked: the scores still come from a float64 pass (scores()), while the
  // explanation carries its float32 pass's scores.
  ExplainOptions f32 = lrp_options(std::nullopt, std::nullopt);
  f32.precision = Precision::kFloat32;
  Vec s;
  const std::vector<Explanation> only32 = a.explain_methods(kSentence, std::vector<ExplainOptions>{f32}, &s);
  CHECK(s == a.scores(kSentence));
  check_same(only32.at(0), a.explain(kSentence, f32));
  // No option: the scores alone.
  CHECK(a.explain_methods(kSentence, {}, &s).empty());
  CHECK(s == a.scores(kSentence));
}

TEST_CASE(
    "explain_methods: BiLSTM sa, gi and occlusion equal the shared baselines; no call leaks into the next",
    "[lrp][bilstm][explain_methods]") {
  // Two models (different weights) and two documents interleaved, every target: each result must be
  // exactly what the uncached baselines give (lrp/models/baselines.h).
  const BiLstmClassifier a = tiny(true, true, 1), b = tiny(true, true, 7);
  const std::vector<TokenId> other = {2, 7, 1, 8};
  REQUIRE(a.scores(kSentence) != b.scores(kSentence));  // so a result leaking between them would show
  int checked = 0;
  for (int round = 0; round < 2; ++round) {
    for (const BiLstmClassifier* m : {&a, &b}) {
      for (const std::vector<TokenId>* ids : {&kSentence, &other, &kSentence}) {
        BiLstmClassifier::Trace tr;
        const VecD s = m->forward(*ids, &tr);
        std::vector<ExplainOptions> options;
        for (int target = 0; target < 3; ++target) {
          for (Method me : {Method::kGradientInput, Method::kSensitivity, Method::kOcclusion}) {
            options.push_back(method(me, target));
          }
        }
        Vec scores;
        const std::vector<Explanation> got = m->explain_methods(*ids, options, &scores);
        CHECK(scores == s.cast<Scalar>());
        const Embedded in = m->embed(*ids);
        for (std::size_t i = 0; i < options.size(); ++i) {
          const int target = options[i].target;
          CHECK(got[i].scores == s.cast<Scalar>());
          switch (options[i].method) {
            case Method::kSensitivity:
              CHECK(got[i].relevance == baselines::sensitivity(*m, tr.x, target));
              break;
            case Method::kGradientInput:
              CHECK(got[i].relevance == baselines::gradient_input(*m, tr.x, target));
              break;
            default: CHECK(got[i].relevance == baselines::occlusion(*m, in, target, s[target])); break;
          }
          ++checked;
        }
        CHECK(m->scores(other) == m->forward(other).cast<Scalar>());
      }
    }
  }
  CHECK(checked == 2 * 2 * 3 * 9);
}

TEST_CASE("explain_methods: the BiLSTM embeds the document for a baseline only when one asks, after LRP too",
          "[lrp][bilstm][explain_methods]") {
  // LRP's pass leaves the trace's embedded rows out (its word relevances come from the projected
  // rows); gi, ig and occlusion after it in the same call embed the document then. Documents of the
  // same length in turn, so that rows left from the previous document would go unnoticed by a
  // length check alone; with and without the projected-embedding table (without it the pass projects
  // the embedded rows, so it has them anyway).
  const BiLstmClassifier with_table = tiny(true, true, 5);
  const BiLstmClassifier no_table({"neg", "neu", "pos"}, tiny_weights(true, true, 5), kBiLstmDefaultMaxTokens,
                                  0);
  const std::vector<std::vector<TokenId>> docs = {{3, 1, 4, 1, 5}, {9, 2, 6, 5, 3}, {-1, 8, 9, 7, 9}};
  ExplainOptions ig = method(Method::kIntegratedGradients, 2);
  ig.ig_steps = 4;
  const std::vector<ExplainOptions> options = {lrp_options(std::nullopt, std::nullopt),
                                               method(Method::kGradientInput, 1), ig,
                                               method(Method::kOcclusion, 0)};
  for (const BiLstmClassifier* m : {&with_table, &no_table}) {
    INFO((m == &with_table ? "with" : "without") << " the table");
    for (int round = 0; round < 2; ++round) {
      for (const std::vector<TokenId>& ids : docs) {
        const std::vector<Explanation> got = m->explain_methods(ids, options, nullptr);
        REQUIRE(got.size() == options.size());
        const Embedded in = m->embed(ids);
        CHECK(got[1].relevance == baselines::gradient_input(*m, in.x, 1));
        for (std::size_t i = 0; i < options.size(); ++i) check_same(got[i], m->explain(ids, options[i]));
        // The public forward pass still fills the trace's x (relevance() per component reads it).
        BiLstmClassifier::Trace tr;
        m->forward(ids, &tr);
        CHECK(tr.x == in.x);
        const BiLstmClassifier::Relevance r =
            m->relevance(tr, got[0].target, BiLstmClassifier::LrpSettings{});
        REQUIRE(r.x_left.rows() == static_cast<Index>(ids.size()));
        for (std::size_t t = 0; t < ids.size(); ++t) {
          const auto ti = static_cast<Index>(t);
          CHECK(r.x_left.row(ti).sum() + r.x_right.row(ti).sum() ==
                Approx(got[0].relevance[t]).margin(1e-12));
        }
      }
    }
  }
}

TEST_CASE("explain_methods: an option explain() refuses fails the call with explain()'s error",
          "[lrp][bilstm][explain_methods]") {
  const BiLstmClassifier m = tiny();
  ExplainOptions sa32 = method(Method::kSensitivity);
  sa32.precision = Precision::kFloat32;
  const std::vector<ExplainOptions> bad_precision = {lrp_options(std::nullopt, std::nullopt), sa32};
  CHECK_THROWS_WITH(m.explain(kSentence, sa32), Contains("precision float32 applies to method lrp only"));
  CHECK_THROWS_AS(m.explain_methods(kSentence, bad_precision, nullptr), InvalidArgument);
  CHECK_THROWS_WITH(m.explain_methods(kSentence, bad_precision, nullptr),
                    Contains("precision float32 applies to method lrp only"));
  const std::vector<ExplainOptions> bad_target = {method(Method::kGradientInput),
                                                  method(Method::kSensitivity, 3)};
  CHECK_THROWS_WITH(m.explain_methods(kSentence, bad_target, nullptr),
                    Contains("target class 3 is out of range (the model has 3 classes)"));
  // A failed call leaves nothing behind: the next one is still explain() per option.
  check_explain_methods(m, kSentence, {method(Method::kGradientInput), method(Method::kSensitivity, 1)});
}

TEST_CASE("explain_methods: the default implementation (CNN, BoW/SVM) is explain() per option and scores()",
          "[lrp][explain_methods]") {
  const Index V = 11, E = 4, F = 3, C = 3;
  std::vector<Conv1d> convs;
  for (Index k : {2, 3}) {
    convs.emplace_back(rmat(F, E * k, 40 + static_cast<unsigned>(k), 1.0).cast<Scalar>(), E, k,
                       Vec(rvec(F, 50 + static_cast<unsigned>(k), 0.3).cast<Scalar>()));
  }
  const CnnClassifier cnn(
      {"neg", "neu", "pos"}, Embedding(rmat(V, E, 5, 1.0).cast<Scalar>()), std::move(convs),
      Dense(rmat(C, 2 * F, 6, 1.0).cast<Scalar>(), Vec(rvec(C, 7, 0.5).cast<Scalar>())), 6);
  std::vector<ExplainOptions> options;
  for (Method me : {Method::kLrp, Method::kSensitivity, Method::kGradientInput, Method::kIntegratedGradients,
                    Method::kOcclusion, Method::kRandom}) {
    ExplainOptions o = method(me);
    cnn.set_rule(o, "");
    options.push_back(o);
    o.target = 2;
    options.push_back(o);
  }
  for (const std::vector<TokenId>& ids : std::vector<std::vector<TokenId>>{kSentence, {3, -1, 4, 40}, {1}}) {
    check_explain_methods(cnn, ids, options);
  }
  BowOptions bo;
  bo.ignore_id = 0;
  const BowClassifier bow({"a", "b"}, Vec::Ones(V), rmat(2, V, 8, 1.0).cast<Scalar>(), Vec::Zero(2), bo);
  std::vector<ExplainOptions> bow_options;
  for (Method me : {Method::kLrp, Method::kSensitivity, Method::kGradientInput, Method::kIntegratedGradients,
                    Method::kOcclusion, Method::kRandom}) {
    if (!bow.supports(me)) continue;
    ExplainOptions o = method(me);
    bow.set_rule(o, "");
    bow_options.push_back(o);
  }
  REQUIRE(bow_options.size() >= 2);
  check_explain_methods(bow, kSentence, bow_options);
}
