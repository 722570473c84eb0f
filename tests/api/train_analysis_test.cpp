// api/: textlrp/train.h and textlrp/analysis.h — training and the analyses as library calls, with
// the numbers of the command-line tool's own path (cmd_train.cpp: read_training_documents +
// train::train_model + save_model; cmd_topwords/docvec/epi/pca/deletion: apps/common/analysis.h).
#include <textlrp/analysis.h>
#include <textlrp/textlrp.h>
#include <textlrp/train.h>
#include <nlohmann/json.hpp>

#include "analysis/pca.h"
#include "apps/common/analysis.h"
#include "core/file.h"
#include "explain/model.h"
#include "tests/catch.h"
#include "tests/helpers.h"
#include "train/train_model.h"
#include "train/training_input.h"

using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// Twelve short labelled texts: spam words (free, win, prize, now) against ham words (lunch,
// meeting, see, tomorrow), a few misleading ones so that not every document is classified right.
const std::vector<std::pair<std::string, std::string>> kCorpus = {
    {"spam", "free prize now"},       {"ham", "lunch meeting tomorrow"},
    {"spam", "win a free prize"},     {"ham", "see you at the meeting"},
    {"spam", "win now free entry"},   {"ham", "lunch tomorrow then"},
    {"spam", "claim your prize now"}, {"ham", "see you tomorrow"},
    {"spam", "free lunch win"},       {"ham", "meeting about the prize"},
    {"spam", "now win win"},          {"ham", "the meeting is at lunch"}};

std::string tsv_corpus() {
  std::string s;
  for (const auto& [label, text] : kCorpus) s += label + "\t" + text + "\n";
  return s;
}

std::vector<textlrp::TrainDocument> train_documents() {
  std::vector<textlrp::TrainDocument> docs;
  for (const auto& [label, text] : kCorpus) docs.push_back({text, label, std::nullopt, ""});
  return docs;
}

std::vector<textlrp::Document> documents() {
  std::vector<textlrp::Document> docs;
  for (std::size_t i = 0; i < kCorpus.size(); ++i) {
    docs.push_back({kCorpus[i].second, kCorpus[i].first, std::nullopt, "doc" + std::to_string(i)});
  }
  return docs;
}

// `textlrp train` as cmd_train.cpp runs it (reading, training, saving), into `dir`.
void cli_train(const fs::path& tsv, const fs::path& dir, textlrp::train::TrainOptions o) {
  using namespace textlrp;
  corpora::InputOptions input;
  input.corpus = "tsv:" + tsv.string();
  o.corpus = input.corpus;
  train::TrainingDocuments docs = train::read_training_documents(input, "", false, 0, {});
  const train::TrainedModel m =
      train::train_model(std::move(docs.documents), std::move(docs.dev_documents), o);
  explain::save_model(dir, m.config, *m.tokenizer, m.vocab, *m.classifier, m.self_test_texts);
}

textlrp::TrainOptions small_cnn() {
  textlrp::TrainOptions o;
  o.arch = "cnn";
  o.dim = 6;
  o.filters = 3;
  o.kernel_sizes = {1, 2};
  o.epochs = 3;
  o.batch = 4;
  o.lr = 0.05;
  o.dev_fraction = 0.25;
  o.threads = 1;
  return o;
}

void check_same_files(const fs::path& a, const fs::path& b) {
  for (const char* f : {"config.json", "model.safetensors", "vocab.txt"}) {
    INFO(f);
    CHECK(textlrp::read_file(a / f) == textlrp::read_file(b / f));
  }
}

}  // namespace

TEST_CASE("train api: train_model_from_corpus writes the directory the CLI writes, byte for byte",
          "[api][train]") {
  textlrp::test::TempDir tmp;
  textlrp::test::write_bytes(tmp / "c.tsv", tsv_corpus());
  for (const textlrp::TrainOptions& o : {textlrp::TrainOptions{}, small_cnn()}) {
    INFO("arch " << o.arch);
    cli_train(tmp / "c.tsv", tmp / ("cli-" + o.arch), o);
    textlrp::TrainCorpus corpus;
    corpus.corpus = "tsv:" + (tmp / "c.tsv").string();
    const textlrp::TrainSummary s = textlrp::train_model_from_corpus(corpus, tmp / ("api-" + o.arch), o);
    check_same_files(tmp / ("cli-" + o.arch), tmp / ("api-" + o.arch));
    CHECK(s.architecture == (o.arch == "svm" ? "bow_svm" : o.arch));
    CHECK(s.labels == std::vector<std::string>{"ham", "spam"});
    const auto training = nlohmann::json::parse(s.training_json);
    CHECK(training.at("n_documents") == kCorpus.size());
    REQUIRE(s.dev_accuracy.has_value());
    CHECK(*s.dev_accuracy == training.at("dev_accuracy").get<double>());
    // The opened model is the trained one.
    const textlrp::Model m = textlrp::Model::open(s.dir);
    CHECK(m.labels() == s.labels);
  }
}

TEST_CASE("train api: train_model on documents in memory, events, errors", "[api][train]") {
  textlrp::test::TempDir tmp;
  textlrp::test::write_bytes(tmp / "c.tsv", tsv_corpus());
  // The same documents in memory give the same weights and vocabulary as the corpus file.
  textlrp::TrainOptions svm;
  cli_train(tmp / "c.tsv", tmp / "cli", svm);
  textlrp::train_model(train_documents(), tmp / "mem", svm);
  CHECK(textlrp::read_file(tmp / "cli" / "model.safetensors") ==
        textlrp::read_file(tmp / "mem" / "model.safetensors"));
  CHECK(textlrp::read_file(tmp / "cli" / "vocab.txt") == textlrp::read_file(tmp / "mem" / "vocab.txt"));

  // The CNN reports every epoch and batch; the log has the CLI's lines.
  std::vector<std::string> log;
  int epochs = 0;
  std::size_t batches = 0;
  textlrp::TrainEvents ev;
  ev.log = [&](std::string_view m) { log.emplace_back(m); };
  ev.epoch_done = [&](const textlrp::EpochResult& e) {
    ++epochs;
    CHECK(e.arch == "cnn");
    CHECK(e.epoch == epochs);
    CHECK(e.n_train == kCorpus.size() - kCorpus.size() / 4);
  };
  ev.batch_done = [&](const textlrp::BatchProgress& p) {
    ++batches;
    CHECK(p.done <= p.total);
  };
  const textlrp::TrainSummary s = textlrp::train_model(train_documents(), tmp / "cnn", small_cnn(), ev);
  CHECK(epochs >= 1);
  CHECK(batches >= static_cast<std::size_t>(epochs));
  REQUIRE(!log.empty());
  CHECK_THAT(log.front(), Contains("read 12 documents with 2 labels"));
  CHECK(std::any_of(log.begin(), log.end(),
                    [](const std::string& l) { return l.starts_with("best dev accuracy"); }));
  CHECK(s.architecture == "cnn");

  // Dev documents given: they are the dev set (n_dev), --labels names integer labels.
  std::vector<textlrp::TrainDocument> numbered = train_documents();
  for (auto& d : numbered) d.label = d.label == "ham" ? "0" : "1";
  textlrp::TrainOptions named = svm;
  named.label_names = {"ham", "spam"};
  const std::vector<textlrp::TrainDocument> dev(numbered.begin(), numbered.begin() + 4);
  const textlrp::TrainSummary sn = textlrp::train_model(numbered, tmp / "named", named, {}, dev);
  CHECK(sn.labels == std::vector<std::string>{"ham", "spam"});
  CHECK(nlohmann::json::parse(sn.training_json).at("n_dev") == 4);

  // Errors: flags named, nothing written.
  textlrp::TrainOptions bad = svm;
  bad.arch = "gpt";
  CHECK_THROWS_WITH(textlrp::train_model(train_documents(), tmp / "bad", bad), Contains("--arch gpt"));
  bad = svm;
  bad.C = 0;
  CHECK_THROWS_AS(textlrp::train_model(train_documents(), tmp / "bad", bad), textlrp::InvalidArgument);
  bad = svm;
  bad.label_names = {"only"};
  CHECK_THROWS_AS(textlrp::train_model(train_documents(), tmp / "bad", bad), textlrp::InvalidArgument);
  std::vector<textlrp::TrainDocument> one_label = train_documents();
  for (auto& d : one_label) d.label = "spam";
  CHECK_THROWS_WITH(textlrp::train_model(one_label, tmp / "bad", svm), Contains("fewer than two labels"));
  CHECK_THROWS_AS(textlrp::train_model({}, tmp / "bad", svm), textlrp::FormatError);
  CHECK(!fs::exists(tmp / "bad"));
}

TEST_CASE("analysis api: top_words, document_vectors, epi, pca and deletion equal the CLI's path",
          "[api][analysis]") {
  using namespace textlrp;
  test::TempDir tmp;
  train_model(train_documents(), tmp / "cnn", small_cnn());
  const Model model = Model::open(tmp / "cnn");
  const explain::Model& am = explain::load_model(tmp / "cnn");
  const std::vector<Document> docs = documents();
  std::vector<corpora::Example> examples;
  for (const auto& d : docs) {
    corpora::Example ex;
    ex.id = d.id;
    ex.text = d.text;
    ex.label = d.label;
    examples.push_back(std::move(ex));
  }
  lrp::ExplainOptions explain;
  am.classifier->set_rule(explain, "");

  SECTION("top_words over explanations for the true class = `textlrp topwords`") {
    std::vector<Explanation> ex;
    for (const auto& d : docs) {
      ExplainRequest r;
      r.target = "true";
      r.label = d.label;
      ex.push_back(model.explain(d.text, r));
    }
    TopWordsOptions o;
    o.per_class = 50;
    o.negative = true;
    const std::vector<ClassWords> got = top_words(ex, o);
    analysis::TopWords want(2);
    const app::MethodPlan plan = app::plan_method(am, lrp::Method::kLrp, explain);
    for (const auto& e : examples) {
      const app::DocWords w = app::document_words(am, e, plan, explain);
      want.add_document(static_cast<std::size_t>(w.cls), w.words);
    }
    REQUIRE(got.size() == 2);
    for (std::size_t c = 0; c < 2; ++c) {
      CHECK(got[c].label == am.labels()[c]);
      CHECK(got[c].documents == want.documents(c));
      const auto top = want.top(c, 50);
      REQUIRE(got[c].top.size() == top.size());
      for (std::size_t i = 0; i < top.size(); ++i) {
        CHECK(got[c].top[i].word == top[i].word);
        CHECK(got[c].top[i].sum == Approx(top[i].stats.sum).margin(1e-12));
        CHECK(got[c].top[i].occurrences == top[i].stats.occurrences);
        CHECK(got[c].top[i].documents == top[i].stats.documents);
      }
      CHECK(got[c].bottom.size() == want.bottom(c, 50).size());
    }
    CHECK_THROWS_AS(top_words(ex, TopWordsOptions{20, "median", 1, false}), InvalidArgument);
  }

  SECTION("document_vectors = docvec; explanatory_power = epi; pca = pca") {
    DocvecOptions o;
    o.weightings = {"lrp", "uniform", "tfidf", "lrp"};
    o.threads = 2;
    const std::vector<DocumentVectors> got = document_vectors(model, docs, o);
    REQUIRE(got.size() == 3);  // the repeated lrp once
    std::vector<app::Weighting> ws = {app::parse_weighting("lrp"), app::parse_weighting("uniform"),
                                      app::parse_weighting("tfidf")};
    const app::DocvecSetup setup =
        app::make_docvec_setup(am, "", ws, explain, app::Documents::in_memory(examples), {});
    for (std::size_t i = 0; i < examples.size(); ++i) {
      const app::DocVectors want = app::document_vectors(setup, examples[i]);
      for (std::size_t w = 0; w < 3; ++w) {
        CHECK(got[w].ids[i] == examples[i].id);
        CHECK(got[w].predictions[i] == am.labels()[static_cast<std::size_t>(want.prediction)]);
        CHECK(got[w].vectors[i] == want.vectors[w]);
      }
    }
    // EPI of the uniform vectors, as `textlrp epi` computes it from the docvec TSV.
    EpiOptions eo;
    eo.folds = 3;
    eo.k_max = 5;
    const EpiResult epi = explanatory_power(got[1].vectors, got[1].labels, eo);
    app::VectorSet set;
    set.x.resize(static_cast<Index>(examples.size()), static_cast<Index>(got[1].vectors[0].size()));
    for (std::size_t i = 0; i < examples.size(); ++i) {
      for (std::size_t j = 0; j < got[1].vectors[i].size(); ++j) {
        set.x(static_cast<Index>(i), static_cast<Index>(j)) = got[1].vectors[i][j];
      }
      set.ids.push_back(examples[i].id);
      set.labels.push_back(*examples[i].label);
      set.predictions.push_back(got[1].predictions[i]);
    }
    app::EpiOptions aeo;
    aeo.folds = 3;
    aeo.k_max = 5;
    const app::EpiRow row = app::explanatory_power(set, aeo);
    CHECK(epi.epi == row.cv.best_accuracy);
    CHECK(epi.best_k == static_cast<std::size_t>(row.cv.best_k));
    CHECK(epi.accuracy == row.cv.accuracy);
    CHECK(epi.documents == kCorpus.size());
    // PCA of the lrp vectors, as `textlrp pca` (unit rows first).
    const PcaResult p = pca(got[0].vectors, 2);
    analysis::DMat x = set.x;
    for (std::size_t i = 0; i < examples.size(); ++i) {
      for (std::size_t j = 0; j < got[0].vectors[i].size(); ++j) {
        x(static_cast<Index>(i), static_cast<Index>(j)) = got[0].vectors[i][j];
      }
    }
    analysis::normalize_rows(x);
    const analysis::Pca ap = analysis::fit_pca(x, 2);
    CHECK(p.explained_variance_ratio == ap.explained_ratio());
    const analysis::DMat y = ap.project(x);
    REQUIRE(p.projection.size() == examples.size());
    for (std::size_t i = 0; i < examples.size(); ++i) {
      CHECK(p.projection[i][0] == y(static_cast<Index>(i), 0));
      CHECK(p.projection[i][1] == y(static_cast<Index>(i), 1));
    }
  }

  SECTION("deletion_curves = `textlrp deletion`") {
    DeletionOptions o;
    o.methods = {"lrp", "sa", "random"};
    o.max_delete = 3;
    o.random_seeds = 2;
    o.threads = 2;
    const DeletionCurves got = deletion_curves(model, docs, o);
    const app::DeletionSetup setup = app::make_deletion_setup(am, o.methods, 3, 2, 0, explain, {});
    app::DeletionResult want = app::make_deletion_result(am, setup);
    for (const auto& e : examples) want.add(app::delete_document(am, setup, e));
    CHECK(got.documents == want.documents);
    CHECK(got.correct == want.correct);
    REQUIRE(got.curves.size() == 3);
    for (std::size_t m = 0; m < 3; ++m) {
      CHECK(got.curves[m].method == want.curves[m].name);
      CHECK(got.curves[m].correct_accuracy == want.curves[m].correct.accuracy());
      CHECK(got.curves[m].misclassified_accuracy == want.curves[m].misclassified.accuracy());
      CHECK(got.curves[m].aopc == want.curves[m].correct.aopc());
      CHECK(got.curves[m].misclassified_aopc == want.curves[m].misclassified.aopc(true));
      REQUIRE(got.curves[m].correct_accuracy.size() == 4);
      if (got.correct > 0) CHECK(got.curves[m].correct_accuracy[0] == 1.0);  // nothing deleted yet
    }
    std::vector<Document> unlabelled = docs;
    unlabelled[3].label.reset();
    CHECK_THROWS_WITH(deletion_curves(model, unlabelled, o), Contains("doc3"));
  }
}

TEST_CASE("analysis api: pca and explanatory_power on known data, and their errors", "[api][analysis]") {
  using namespace textlrp;
  // Points on a line through the origin's complement: all variance on one axis.
  const Matrix line = {{1, 2}, {2, 4}, {3, 6}, {-1, -2}};
  const PcaResult p = pca(line, 1, false);
  REQUIRE(p.explained_variance_ratio.size() == 1);
  CHECK(p.explained_variance_ratio[0] == Approx(1.0));
  CHECK(std::abs(p.components[0][1] / p.components[0][0]) == Approx(2.0));
  // Two well separated clusters: every k-NN vote is right.
  Matrix x;
  std::vector<std::optional<std::string>> labels;
  for (int i = 0; i < 10; ++i) {
    x.push_back({10.0 + 0.1 * i, 0.05 * i});
    labels.emplace_back("a");
    x.push_back({0.05 * i, 10.0 + 0.1 * i});
    labels.emplace_back("b");
  }
  labels.back().reset();  // an unlabelled row is left out
  EpiOptions o;
  o.folds = 3;
  o.k_max = 3;
  const EpiResult e = explanatory_power(x, labels, o);
  CHECK(e.epi == 1.0);
  CHECK(e.documents == 19);
  CHECK(e.accuracy.size() == 3);
  CHECK_THROWS_AS(pca({{1, 2}, {3}}, 1), InvalidArgument);
  CHECK_THROWS_AS(pca({{1, 2}}, 1), InvalidArgument);
  CHECK_THROWS_AS(pca(line, 3), InvalidArgument);
  CHECK_THROWS_AS(explanatory_power(x, {}, o), InvalidArgument);
  std::vector<std::optional<std::string>> one(x.size(), std::string("a"));
  CHECK_THROWS_AS(explanatory_power(x, one, o), FormatError);
}
