// tests/lrp/capabilities_test.cpp — the capability queries of lrp::Classifier (classifier.h), which
// callers ask instead of testing a model's class or architecture name: they must agree with what
// the model does (supports() with explain(), embedding_matrix() with its weights, the deletion
// scorer with scores()).
#include <random>
#include <vector>

#include "core/error.h"
#include "lrp/models/bilstm_classifier.h"
#include "lrp/models/bow_classifier.h"
#include "lrp/models/cnn_classifier.h"
#include "tests/catch.h"

using namespace textlrp;
using namespace textlrp::lrp;
using Catch::Matchers::Contains;

namespace {

Mat rmat(Index rows, Index cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  Mat m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = u(gen);
  return m;
}

constexpr Index kV = 12;

BowClassifier bow(TokenId ignore_id) {
  BowOptions o;
  o.ignore_id = ignore_id;
  return BowClassifier({"a", "b"}, Vec::Ones(kV), rmat(2, kV, 1), Vec::Zero(2), o);
}

CnnClassifier cnn(Index max_tokens) {
  const Index E = 3, F = 2;
  std::vector<Conv1d> convs;
  convs.emplace_back(rmat(F, E * 2, 2), E, 2, Vec::Zero(F));
  return CnnClassifier({"a", "b"}, Embedding(rmat(kV, E, 3)), std::move(convs),
                       Dense(rmat(2, F, 4), Vec::Zero(2)), max_tokens);
}

BiLstmClassifier bilstm(Index max_tokens) {
  const Index E = 3, H = 2, C = 2;
  BiLstmWeights w;
  w.embedding = rmat(kV, E, 5).cast<double>();
  unsigned seed = 6;
  for (LstmWeights* lw : {&w.left, &w.right}) {
    lw->w_ih = rmat(4 * H, E, seed++).cast<double>();
    lw->w_hh = rmat(4 * H, H, seed++).cast<double>();
    lw->b_ih = VecD::Zero(4 * H);
    lw->b_hh = VecD::Zero(4 * H);
  }
  w.fc_left = rmat(C, H, seed++).cast<double>();
  w.fc_right = rmat(C, H, seed++).cast<double>();
  return BiLstmClassifier({"a", "b"}, w, max_tokens);
}

// supports(m) is true exactly when explain() takes method m.
void check_supports_matches_explain(const Classifier& model) {
  const std::vector<TokenId> ids = {1, 2, 3};
  for (Method m : {Method::kLrp, Method::kSensitivity, Method::kGradientInput, Method::kIntegratedGradients,
                   Method::kOcclusion, Method::kRandom}) {
    INFO(model.architecture() << " " << method_name(m));
    ExplainOptions o;
    o.method = m;
    if (model.supports(m)) {
      CHECK_NOTHROW(model.explain(ids, o));
    } else {
      CHECK_THROWS_AS(model.explain(ids, o), InvalidArgument);
    }
  }
}

}  // namespace

TEST_CASE("capabilities: the BoW/SVM has TF-IDF features, no embeddings, removal as deletion",
          "[lrp][capabilities]") {
  const BowClassifier m = bow(0);
  check_supports_matches_explain(m);
  CHECK_FALSE(m.embedding_matrix());
  CHECK(m.max_tokens() == 0);
  const std::vector<TokenId> ids = {0, 3, 3, 5};
  const auto features = m.tfidf_features(ids);
  REQUIRE(features);
  CHECK(*features == m.features(ids));
  const TokenDeletion d = m.token_deletion();
  CHECK(d.ignored_id == 0);
  CHECK_FALSE(d.within_max_tokens);
  CHECK_THAT(d.meaning, Contains("bag of words"));
  CHECK(bow(-1).token_deletion().ignored_id == -1);  // a model without <unk> ignores nothing
  CHECK(m.deletion_scorer(ids) == nullptr);
}

TEST_CASE("capabilities: the CNN's embeddings, token limit and fast deletion scorer", "[lrp][capabilities]") {
  const CnnClassifier m = cnn(5);
  check_supports_matches_explain(m);
  const auto table = m.embedding_matrix();
  REQUIRE(table);
  CHECK(*table == m.embedding().weight());
  CHECK(m.max_tokens() == 5);
  CHECK_FALSE(m.tfidf_features(std::vector<TokenId>{1}));
  const TokenDeletion d = m.token_deletion();
  CHECK(d.within_max_tokens);
  CHECK(d.ignored_id == -1);
  CHECK_THAT(d.meaning, Contains("zero embedding"));
  // The deletion scorer rescored after removals equals scores() with the removed ids set to -1.
  std::vector<TokenId> ids = {1, 4, 2, 8, 5, 7, 3};
  const std::unique_ptr<DeletionScorer> s = m.deletion_scorer(ids);
  REQUIRE(s);
  CHECK(s->size() == ids.size());
  for (std::size_t p : {std::size_t{2}, std::size_t{0}, std::size_t{6}}) {
    s->remove(p);
    ids[p] = -1;
    const Vec a = s->scores(), b = m.scores(ids);
    for (Index c = 0; c < 2; ++c) CHECK(a[c] == Approx(b[c]).margin(1e-5));
  }
}

TEST_CASE("capabilities: the BiLSTM's embeddings (as float) and token limit", "[lrp][capabilities]") {
  const BiLstmClassifier m = bilstm(6);
  check_supports_matches_explain(m);
  const auto table = m.embedding_matrix();
  REQUIRE(table);
  CHECK(*table == m.weights().embedding.cast<float>());
  CHECK(m.max_tokens() == 6);
  CHECK_FALSE(m.token_deletion().within_max_tokens);
  CHECK_THAT(m.token_deletion().meaning, Contains("zero embedding"));
  CHECK(m.deletion_scorer(std::vector<TokenId>{1, 2}) == nullptr);
  CHECK_FALSE(m.tfidf_features(std::vector<TokenId>{1}));
}
