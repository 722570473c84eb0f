// Unit tests of the per-document analyses on a loaded model (analysis/document.h, docvec.h,
// deletion_run.h, epi.h): each typed result against its definition, computed here from the
// model's scores, relevances and embedding matrix (the commands and textlrp/analysis.h return these
// same structs: docvec, deletion and topwords outputs are formatted from them).
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "analysis/deletion_run.h"
#include "analysis/document.h"
#include "analysis/docvec.h"
#include "analysis/epi.h"
#include "core/error.h"
#include "lrp/models/bilstm_classifier.h"
#include "lrp/models/cnn_classifier.h"
#include "nlp/tokenizer.h"
#include "tests/catch.h"
#include "tests/lrp/bilstm_fixtures.h"

using namespace textlrp;
using namespace textlrp::analysis;
using Catch::Matchers::Contains;

namespace {

Mat random_matrix(Index rows, Index cols, unsigned seed) {
  std::mt19937 gen(seed);
  Mat m(rows, cols);
  for (Index i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<Scalar>(gen() >> 8) / static_cast<Scalar>(1 << 23) - 1;
  return m;
}

const std::vector<std::string> kWords = {"<unk>", "good", "bad", "movie", "plot",  "great",
                                         "awful", "the",  "was", "a",     "story", "acting"};

// A CNN over kWords (V = 12, E = 5, widths {2, 3}, F = 4, 3 classes) with a word encoder: a model
// directory in memory, as lrp::load_model_dir returns one.
Model tiny_model(Index max_tokens = 100) {
  const Index V = 12, E = 5, F = 4, C = 3;
  std::vector<lrp::Conv1d> convs;
  for (Index k : {2, 3}) {
    convs.emplace_back(random_matrix(F, E * k, static_cast<unsigned>(k)), E, k,
                       Vec(random_matrix(F, 1, 50 + static_cast<unsigned>(k)).col(0) * 0.3f));
  }
  Model m;
  m.name = "tiny";
  m.encoder = nlp::TextEncoder(std::make_shared<nlp::IcuWordTokenizer>(), nlp::Vocabulary(kWords));
  m.classifier = std::make_unique<lrp::CnnClassifier>(
      std::vector<std::string>{"neg", "neu", "pos"}, lrp::Embedding(random_matrix(V, E, 5)), std::move(convs),
      lrp::Dense(random_matrix(C, 2 * F, 6), Vec(random_matrix(C, 1, 7).col(0))), max_tokens);
  return m;
}

corpora::Example doc(std::string id, std::string text, std::optional<std::string> label) {
  corpora::Example ex;
  ex.id = std::move(id);
  ex.text = std::move(text);
  ex.label = std::move(label);
  return ex;
}

std::vector<corpora::Example> documents() {
  std::vector<corpora::Example> d;
  d.push_back(doc("1", "The movie was good, a great story", "pos"));
  d.push_back(doc("2", "awful plot and bad acting, bad movie", "neg"));  // "and": <unk>
  d.push_back(doc("3", "the story was a story", "neu"));
  d.push_back(doc("4", "great great acting", "neg"));
  corpora::Example pre = doc("5", "good plot zebra", "pos");  // pre-tokenized
  pre.tokens = std::vector<std::string>{"good", "plot", "zebra"};
  d.push_back(std::move(pre));
  return d;
}

lrp::ExplainOptions explain_options(const Model& m) {
  lrp::ExplainOptions o;
  m.classifier->set_rule(o, "");
  return o;
}

Vec scores(const Model& m, std::span<const TokenId> ids) { return m.classifier->scores(ids); }

// A classifier that hands every call to another one and counts the calls of scores(), explain()
// and explain_methods(); with `occlusion` false it does not support occlusion (which the analyses
// then compute generically from scores()).
class Counting final : public lrp::Classifier {
 public:
  Counting(std::unique_ptr<lrp::Classifier> inner, bool occlusion)
      : inner_(std::move(inner)), occlusion_(occlusion) {}
  mutable int n_scores = 0, n_explain = 0, n_explain_methods = 0;

  std::string_view architecture() const override { return inner_->architecture(); }
  const std::vector<std::string>& labels() const override { return inner_->labels(); }
  Index n_vocab() const override { return inner_->n_vocab(); }
  lrp::RuleMap default_rules() const override { return inner_->default_rules(); }
  void set_rule(lrp::ExplainOptions& o, std::string_view rule) const override { inner_->set_rule(o, rule); }
  Vec scores(std::span<const TokenId> ids) const override {
    ++n_scores;
    return inner_->scores(ids);
  }
  lrp::Explanation explain(std::span<const TokenId> ids, const lrp::ExplainOptions& o) const override {
    ++n_explain;
    if (!supports(o.method)) throw InvalidArgument("counting: no occlusion");
    return inner_->explain(ids, o);
  }
  std::vector<lrp::Explanation> explain_methods(std::span<const TokenId> ids,
                                                std::span<const lrp::ExplainOptions> options,
                                                Vec* s) const override {
    ++n_explain_methods;
    for (const auto& o : options) {
      if (!supports(o.method)) throw InvalidArgument("counting: no occlusion");
    }
    return inner_->explain_methods(ids, options, s);
  }
  const lrp::Differentiable* differentiable() const override { return inner_->differentiable(); }
  nlohmann::json save(const std::filesystem::path& dir) const override { return inner_->save(dir); }
  bool supports(lrp::Method m) const override { return occlusion_ || m != lrp::Method::kOcclusion; }
  Index max_tokens() const override { return inner_->max_tokens(); }
  lrp::TokenDeletion token_deletion() const override { return inner_->token_deletion(); }
  std::unique_ptr<lrp::DeletionScorer> deletion_scorer(std::span<const TokenId> ids) const override {
    return inner_->deletion_scorer(ids);
  }
  void reset() const { n_scores = n_explain = n_explain_methods = 0; }

 private:
  std::unique_ptr<lrp::Classifier> inner_;
  bool occlusion_;
};

// A BiLSTM over kWords (V = 12, E = 4, H = 3, 3 classes) behind a Counting classifier.
Model tiny_bilstm_model(bool occlusion) {
  using test::bilstm::rmat;
  using test::bilstm::rvec;
  lrp::BiLstmWeights w = test::bilstm::tiny_weights(true, true, 5);
  w.embedding = rmat(static_cast<Index>(kWords.size()), 4, 9, 1.0);
  Model m;
  m.name = "tiny-bilstm";
  m.encoder = nlp::TextEncoder(std::make_shared<nlp::IcuWordTokenizer>(), nlp::Vocabulary(kWords));
  m.classifier = std::make_unique<Counting>(
      std::make_unique<lrp::BiLstmClassifier>(std::vector<std::string>{"neg", "neu", "pos"}, std::move(w)),
      occlusion);
  return m;
}

}  // namespace

TEST_CASE("analysis run: document encoding, labels, visible positions and relevance plans",
          "[analysis][run]") {
  const Model m = tiny_model();
  const auto docs = documents();
  const Encoded e = encode(m, docs[1]);
  REQUIRE(e.spans);
  REQUIRE(e.tokens.size() == e.ids.size());
  CHECK(e.ids[2] == 0);  // "and" is <unk>
  const Encoded pre = encode(m, docs[4]);
  CHECK_FALSE(pre.spans);
  CHECK(pre.ids == std::vector<TokenId>{1, 4, 0});
  CHECK(label_of(m, docs[0], true) == 2);
  CHECK(label_of(m, doc("x", "good", std::nullopt), false) == -1);
  CHECK_THROWS_WITH(label_of(m, doc("x", "good", std::nullopt), true), Contains("document 'x' has no label"));
  CHECK_THROWS_AS(label_of(m, doc("y", "good", "other"), true), FormatError);
  // The CNN sees every in-vocabulary position (its <unk> too: deletion zeroes its embedding).
  const std::vector<TokenId> ids = {1, -1, 3, 12, 0};
  CHECK(visible_positions(m, ids) == std::vector<std::size_t>{0, 2, 4});
  const Model short_model = tiny_model(2);
  CHECK(visible_positions(short_model, ids) == std::vector<std::size_t>{0});
  CHECK_FALSE(deletes_words(m));
  CHECK(piece_words(m, e).empty());
  // Relevance through the model's explain(), target -1 = the predicted class.
  const lrp::ExplainOptions o = explain_options(m);
  const MethodPlan plan = plan_method(m, lrp::Method::kLrp, o);
  CHECK_FALSE(plan.generic_occlusion);
  lrp::ExplainOptions lrp_o = o;
  lrp_o.target = lrp::argmax(scores(m, e.ids));
  CHECK(token_relevance(m, e.ids, plan, -1, o) == m.classifier->explain(e.ids, lrp_o).relevance);
  CHECK(stable_hash("") == 0xcbf29ce484222325ull);
  CHECK(stable_hash("a") == ((0xcbf29ce484222325ull ^ 'a') * 0x100000001b3ull));
}

TEST_CASE("analysis run: document vectors are sums of weighted embedding rows", "[analysis][run][docvec]") {
  const Model m = tiny_model();
  const auto docs = documents();
  const lrp::ExplainOptions o = explain_options(m);
  std::vector<Weighting> ws = {parse_weighting("uniform"), parse_weighting("tfidf"), parse_weighting("lrp"),
                               parse_weighting("relevance", "occlusion")};
  CHECK(ws[3].name == "occlusion");
  CHECK_THROWS_WITH(parse_weighting("random"), Contains("makes no document vector"));
  CHECK_THROWS_WITH(parse_weighting("median"), Contains("unknown weighting 'median'"));
  CHECK(docvec_needs_corpus_idf(m, ws));
  CHECK_THROWS_AS(make_docvec_setup(m, "", ws, o, {}, {}), InvalidArgument);  // tfidf without a corpus

  int passes = 0;
  const DocumentPass corpus = [&](const std::function<void(const corpora::Example&)>& visit) {
    ++passes;
    for (const auto& d : docs) visit(d);
  };
  std::vector<std::string> log;
  const DocvecSetup setup =
      make_docvec_setup(m, "", ws, o, corpus, [&](std::string_view s) { log.emplace_back(s); });
  CHECK(passes == 1);
  REQUIRE(log.size() == 2);
  CHECK_THAT(log[0], Contains("embedding matrix of model 'tiny' (12 x 5)"));
  CHECK_THAT(log[1], Contains("smooth idf of the analysed corpus (5 documents)"));

  // The smooth idf by hand: ln((1 + n) / (1 + df)) + 1.
  std::map<TokenId, int> df;
  for (const auto& d : docs) {
    const Encoded e = encode(m, d);
    for (TokenId id : std::set<TokenId>(e.ids.begin(), e.ids.end())) ++df[id];
  }
  const Mat table = *m.classifier->embedding_matrix();
  for (const auto& d : docs) {
    const Encoded e = encode(m, d);
    const DocVectors got = document_vectors(setup, d);
    CHECK(got.prediction == lrp::argmax(scores(m, e.ids)));
    REQUIRE(got.vectors.size() == 4);
    // Weights per token for each weighting; <unk> adds nothing.
    std::vector<std::vector<double>> w(4, std::vector<double>(e.ids.size(), 0.0));
    std::map<TokenId, int> count;
    for (TokenId id : e.ids) ++count[id];
    double norm2 = 0;
    for (const auto& [id, c] : count) {
      if (id == 0) continue;
      const double x = c * (std::log(6.0 / (1.0 + df[id])) + 1.0);
      norm2 += x * x;
    }
    const std::vector<double> r_lrp = token_relevance(m, e.ids, setup.plans[2], got.prediction, o);
    const std::vector<double> r_occ = token_relevance(m, e.ids, setup.plans[3], got.prediction, o);
    for (std::size_t t = 0; t < e.ids.size(); ++t) {
      const TokenId id = e.ids[t];
      w[0][t] = 1;
      w[1][t] = id == 0 ? 0.0 : (std::log(6.0 / (1.0 + df[id])) + 1.0) / std::sqrt(norm2);  // x_i / count_i
      w[2][t] = r_lrp[t];
      w[3][t] = r_occ[t];
    }
    for (std::size_t k = 0; k < 4; ++k) {
      REQUIRE(got.vectors[k].size() == 5);
      for (Index c = 0; c < 5; ++c) {
        double want = 0;
        for (std::size_t t = 0; t < e.ids.size(); ++t) {
          if (e.ids[t] > 0) want += w[k][t] * static_cast<double>(table(e.ids[t], c));
        }
        INFO("document " << d.id << " weighting " << ws[k].name << " dimension " << c);
        CHECK(got.vectors[k][static_cast<std::size_t>(c)] == Approx(want).margin(1e-9));
      }
    }
  }
}

TEST_CASE("analysis run: delete_document follows the relevance orders of the true class",
          "[analysis][run][deletion]") {
  for (const std::size_t repeat :
       {std::size_t{1}, std::size_t{50}}) {  // 50: > kBatchDeletionTokens, the CNN's own scorer
    const Model m = tiny_model(1000);
    const lrp::ExplainOptions o = explain_options(m);
    std::vector<std::string> log;
    const DeletionSetup setup = make_deletion_setup(m, {"lrp", "occlusion", "lrp", "random"}, 4, 3, 7, o,
                                                    [&](std::string_view s) { log.emplace_back(s); });
    CHECK(setup.names() == std::vector<std::string>{"lrp", "occlusion", "random"});
    DeletionResult result = make_deletion_result(m, setup);
    CHECK(result.model == "tiny");
    CHECK(result.curves.size() == 3);
    std::size_t correct = 0;
    for (corpora::Example d : documents()) {
      std::string text;
      for (std::size_t k = 0; k < repeat; ++k) text += d.text + " ";
      d.text = text;
      d.tokens.reset();
      const Encoded e = encode(m, d);
      CHECK((e.ids.size() > kBatchDeletionTokens) == (repeat > 1));
      const DocDeletion got = delete_document(m, setup, d);
      const int label = label_of(m, d, true);
      CHECK(got.label == label);
      CHECK(got.correct == (lrp::argmax(scores(m, e.ids)) == label));
      correct += got.correct ? 1 : 0;
      REQUIRE(got.traces.size() == 3);
      const std::vector<std::size_t> candidates = visible_positions(m, e.ids);
      const Scorer full = [&](std::span<const TokenId> x) { return scores(m, x); };
      for (std::size_t k = 0; k < 2; ++k) {
        const std::vector<double> r = token_relevance(m, e.ids, setup.methods[k], label, o);
        const DeletionTrace want =
            delete_and_score(full, e.ids, relevance_order(r, candidates, got.correct), 4, label);
        REQUIRE(got.traces[k].size() == 1);
        CHECK(got.traces[k][0].predicted == want.predicted);
        for (std::size_t s = 0; s < want.score.size(); ++s) {
          CHECK(got.traces[k][0].score[s] == Approx(want.score[s]).margin(1e-5));
        }
      }
      REQUIRE(got.traces[2].size() == 3);  // one per seed, seeded by the document id
      const DocDeletion again = delete_document(m, setup, d);
      for (std::size_t s = 0; s < 3; ++s) CHECK(again.traces[2][s].score == got.traces[2][s].score);
      result.add(got);
    }
    CHECK(result.documents == 5);
    CHECK(result.correct == correct);
    CHECK(result.curves[0].correct.documents() == Approx(static_cast<double>(correct)));
    CHECK(result.curves[2].misclassified.documents() == Approx(static_cast<double>(5 - correct)));
  }
  const Model m = tiny_model();
  const lrp::ExplainOptions o = explain_options(m);
  const DeletionSetup setup = make_deletion_setup(m, {"lrp"}, 2, 1, 0, o, {});
  CHECK_THROWS_AS(delete_document(m, setup, doc("u", "good movie", std::nullopt)), FormatError);
  CHECK_THROWS_AS(make_deletion_setup(m, {"lrp"}, -1, 1, 0, o, {}), InvalidArgument);
  CHECK_THROWS_AS(make_deletion_setup(m, {"lrp"}, 2, 0, 0, o, {}), InvalidArgument);
  CHECK_THROWS_AS(make_deletion_setup(m, {"bogus"}, 2, 1, 0, o, {}), InvalidArgument);
}

TEST_CASE("analysis run: delete_document explains a BiLSTM document in one explain_methods call",
          "[analysis][run][deletion]") {
  // The scores and the five methods come from one Classifier::explain_methods call per document (the
  // BiLSTM shares one forward pass among them), with no scores() or explain() call of their own, and
  // give the traces that scores() and explain() one method at a time give. Occlusion the model does
  // not support is computed generically, from scores(), beside the call.
  for (const bool occlusion : {true, false}) {
    INFO((occlusion ? "the model's occlusion" : "generic occlusion"));
    const Model m = tiny_bilstm_model(occlusion);
    const auto& counting = dynamic_cast<const Counting&>(*m.classifier);
    lrp::ExplainOptions o = explain_options(m);
    o.ig_steps = 8;
    const DeletionSetup setup =
        make_deletion_setup(m, {"lrp", "sa", "gi", "ig", "occlusion", "random"}, 3, 2, 7, o, {});
    REQUIRE(setup.names() == std::vector<std::string>{"lrp", "sa", "gi", "ig", "occlusion", "random"});
    CHECK(setup.methods[4].generic_occlusion == !occlusion);
    for (const corpora::Example& d : documents()) {
      INFO("document " << d.id);
      const Encoded e = encode(m, d);
      counting.reset();
      const DocDeletion got = delete_document(m, setup, d);
      CHECK(counting.n_explain_methods == 1);
      CHECK(counting.n_explain == 0);
      if (occlusion) {
        CHECK(counting.n_scores == 0);
      } else {
        CHECK(counting.n_scores == 1 + static_cast<int>(visible_positions(m, e.ids).size()));
      }
      // The same from scores() and explain() one method at a time.
      const int label = label_of(m, d, true);
      CHECK(got.correct == (lrp::argmax(scores(m, e.ids)) == label));
      const std::vector<std::size_t> candidates = visible_positions(m, e.ids);
      const Scorer full = [&](std::span<const TokenId> x) { return scores(m, x); };
      Vec s;
      const std::vector<std::vector<double>> rs = token_relevances(m, e.ids, setup.methods, label, o, &s);
      CHECK(s == scores(m, e.ids));
      REQUIRE(rs.size() == 5);
      for (std::size_t k = 0; k < 5; ++k)
        CHECK(rs[k] == token_relevance(m, e.ids, setup.methods[k], label, o));
      REQUIRE(got.traces.size() == 6);
      for (std::size_t k = 0; k < 5; ++k) {
        INFO(setup.names()[k]);
        const std::vector<double> r = token_relevance(m, e.ids, setup.methods[k], label, o);
        const DeletionTrace want =
            delete_and_score(full, e.ids, relevance_order(r, candidates, got.correct), 3, label);
        REQUIRE(got.traces[k].size() == 1);
        CHECK(got.traces[k][0].predicted == want.predicted);
        CHECK(got.traces[k][0].score == want.score);  // batch_scores_of is scores() bit for bit
      }
    }
  }
}

TEST_CASE("analysis run: the word-deletion scorer removes whole words and keeps pieces outside words",
          "[analysis][run][deletion]") {
  const Model m = tiny_model();
  const std::vector<TokenId> ids = {7, 1, 2, 9, 3, 4};
  const std::vector<PieceWord> words = {{1, 3, "goodbad", false}, {4, 6, "movieplot", false}};
  WordDeletionScorer s(*m.classifier, ids, words);
  CHECK(s.size() == 2);
  CHECK(s.scores() == scores(m, ids));
  s.remove(1);
  CHECK(s.scores() == scores(m, std::vector<TokenId>{7, 1, 2, 9}));
  s.remove(0);
  CHECK(s.scores() == scores(m, std::vector<TokenId>{7, 9}));
  CHECK_THROWS(s.remove(2));
  // The rescoring choice: a word model without its own rescoring of a short document batches.
  CHECK(deletion_scorer(m, ids, nullptr) == nullptr);
  const std::vector<TokenId> long_ids(kBatchDeletionTokens + 1, 1);
  CHECK(deletion_scorer(m, long_ids, nullptr) != nullptr);  // the CNN's incremental scorer
  auto by_word = deletion_scorer(m, ids, &words);  // words given: the word scorer, whatever the length
  REQUIRE(by_word != nullptr);
  CHECK(by_word->size() == 2);
  by_word->remove(0);
  CHECK(by_word->scores() == scores(m, std::vector<TokenId>{7, 9, 3, 4}));
}

TEST_CASE("analysis run: document_words aggregates each token's relevance for the document's class",
          "[analysis][run][topwords]") {
  const Model m = tiny_model();
  const lrp::ExplainOptions o = explain_options(m);
  const MethodPlan plan = plan_method(m, lrp::Method::kLrp, o);
  for (corpora::Example d : documents()) {
    for (const bool labelled : {true, false}) {
      if (!labelled) d.label.reset();
      const Encoded e = encode(m, d);
      const DocWords got = document_words(m, d, plan, o);
      const int cls = labelled ? label_of(m, d, true) : lrp::argmax(scores(m, e.ids));
      CHECK(got.cls == cls);
      const std::vector<double> r = token_relevance(m, e.ids, plan, cls, o);
      std::map<std::string, std::pair<double, std::size_t>> want;
      for (std::size_t t = 0; t < e.ids.size(); ++t) {
        if (e.ids[t] == 0) continue;  // <unk> is left out
        want[e.tokens[t].text].first += r[t];
        ++want[e.tokens[t].text].second;
      }
      REQUIRE(got.words.size() == want.size());
      for (const auto& [word, stats] : got.words) {
        REQUIRE(want.count(word) == 1);
        CHECK(stats.sum == Approx(want[word].first).margin(1e-12));
        CHECK(stats.occurrences == want[word].second);
        CHECK(stats.documents == 1);
      }
    }
  }
}

TEST_CASE("analysis run: EPI of a vector set, class indices and errors", "[analysis][run][epi]") {
  VectorSet set;
  set.model = "m";
  set.weighting = "uniform";
  set.labels = {"b", "a", "", "b", "a", "a", "b"};
  set.x = DMat(7, 2);
  set.x << 1, 0.1, 0, 1, 5, 5, 1, 0.2, 0.1, 1, 0.2, 1, 1, 0;
  std::vector<int> labels;
  std::vector<Index> keep;
  CHECK(class_indices(set, labels, keep) == std::vector<std::string>{"a", "b"});
  CHECK(labels == std::vector<int>{1, 0, 1, 0, 0, 1});
  CHECK(keep == std::vector<Index>{0, 1, 3, 4, 5, 6});
  EpiOptions eo;
  eo.folds = 3;
  eo.k_max = 2;
  const EpiRow row = explanatory_power(set, eo);
  CHECK(row.documents == 6);
  CHECK(row.cv.best_accuracy == 1.0);  // the two classes are separated by direction
  set.labels = {"a", "a", "", "a", "a", "a", "a"};
  CHECK_THROWS_AS(explanatory_power(set, eo), FormatError);
}

TEST_CASE("analysis run: EPI errors name the vector set and say what was found and what is needed",
          "[analysis][run][epi]") {
  using Catch::Matchers::Contains;
  using Catch::Matchers::Equals;
  VectorSet set;
  set.model = "sms";
  set.weighting = "lrp";
  set.ids = {"d1", "d2", "d3", "d4", "d5", "d6", "d7"};
  set.labels = {"spam", "spam", "", "spam", "spam", "spam", "spam"};
  set.x = DMat::Ones(7, 2);
  EpiOptions eo;
  eo.folds = 3;
  const std::string need = "; the explanatory power index needs labelled documents of at least two classes";
  // One class (the issue: "the  vectors of model ''" from the API, with no name at all).
  CHECK_THROWS_WITH(
      explanatory_power(set, eo),
      Equals("epi: the lrp vectors of model 'sms': all 6 labelled documents are of class 'spam' "
             "(1 more without a label)" +
             need));
  set.source = "v.tsv";
  CHECK_THROWS_WITH(explanatory_power(set, eo),
                    Contains("epi: the lrp vectors of model 'sms' in v.tsv: all 6 labelled documents"));
  set.model.clear();  // a docvec TSV with an empty model column
  CHECK_THROWS_WITH(explanatory_power(set, eo), Contains("epi: the lrp vectors in v.tsv: all 6 labelled"));
  set.weighting.clear();
  CHECK_THROWS_WITH(explanatory_power(set, eo), Contains("epi: the vectors in v.tsv: all 6 labelled"));
  set.source.clear();  // the rows of an API call (textlrp.epi in Python): no names
  CHECK_THROWS_WITH(
      explanatory_power(set, eo),
      Equals("epi: all 6 labelled documents are of class 'spam' (1 more without a label)" + need));
  set.labels.assign(7, "");
  CHECK_THROWS_AS(explanatory_power(set, eo), FormatError);
  CHECK_THROWS_WITH(explanatory_power(set, eo), Equals("epi: none of the 7 documents has a label" + need));
  // Two classes, but fewer labelled documents than folds: a usage error saying which --folds works.
  set.model = "sms";
  set.weighting = "lrp";
  set.labels = {"spam", "ham", "", "spam", "ham", "", ""};
  eo.folds = 10;
  CHECK_THROWS_AS(explanatory_power(set, eo), InvalidArgument);
  CHECK_THROWS_WITH(explanatory_power(set, eo),
                    Equals("epi: the lrp vectors of model 'sms': 4 labelled documents for --folds 10: the "
                           "cross-validation needs at least one document per fold (--folds 4 or fewer)"));
  // A value that is not finite (from_chars reads "nan" in a TSV): the document and column.
  eo.folds = 2;
  set.x(3, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(explanatory_power(set, eo), FormatError);
  CHECK_THROWS_WITH(explanatory_power(set, eo),
                    Equals("epi: the lrp vectors of model 'sms': document 'd4' (row 4), column 2: expected a "
                           "finite number, found nan"));
  set.x(3, 1) = 1;
  CHECK(explanatory_power(set, eo).documents == 4);
  // Rows and labels that differ in number.
  set.labels.pop_back();
  CHECK_THROWS_WITH(explanatory_power(set, eo), Contains("7 vectors but 6 labels"));
}
