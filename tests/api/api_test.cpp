// api/: the public C++ API (textlrp/textlrp.h) — opening, predicting and explaining with the same
// numbers and the same JSON line as the command-line tool's pipeline (apps/common), explain_many in
// input order, and the errors for bad requests and bad directories.
#include <textlrp/textlrp.h>
#include <nlohmann/json.hpp>
#include <random>

#include "core/file.h"
#include "corpora/line_utils.h"
#include "explain/model.h"
#include "explain/pipeline.h"
#include "lrp/models/bilstm_classifier.h"
#include "lrp/models/bow_classifier.h"
#include "nlp/sentencepiece_tokenizer.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// A two-class word model over raw counts (score = Σ counts · weights + bias): "free" and "win"
// for spam, "meeting" and "lunch" for ham.
void save_spam_model(const fs::path& dir) {
  const textlrp::nlp::IcuWordTokenizer tokenizer;
  const textlrp::nlp::Vocabulary vocab(
      std::vector<std::string>{"<unk>", "free", "meeting", "win", "lunch", "now"});
  textlrp::Mat w(2, 6);
  w << 0, -1, 1, -0.5, 0.75, -0.25,  //
      0, 1, -1, 0.5, -0.75, 0.25;
  textlrp::Vec b(2);
  b << 0.1, -0.1;
  const textlrp::lrp::BowClassifier bow({"ham", "spam"}, textlrp::Vec::Ones(6), w, b,
                                        textlrp::lrp::BowOptions{false, false, 0});  // raw counts
  textlrp::explain::save_model(dir, {}, tokenizer, vocab, bow, {"free meeting"});
}

// A tiny BiLSTM (V = 6 words as above, E = 4, H = 3, 2 classes) with seeded weights.
void save_bilstm_model(const fs::path& dir) {
  using textlrp::Index;
  using textlrp::lrp::MatD;
  std::mt19937 gen(5);
  std::uniform_real_distribution<double> u(-0.9, 0.9);
  auto rmat = [&](Index r, Index c) {
    MatD m(r, c);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = u(gen);
    return m;
  };
  const Index V = 6, E = 4, H = 3, C = 2;
  textlrp::lrp::BiLstmWeights w;
  w.embedding = rmat(V, E);
  for (textlrp::lrp::LstmWeights* lw : {&w.left, &w.right}) {
    lw->w_ih = rmat(4 * H, E);
    lw->w_hh = rmat(4 * H, H);
    lw->b_ih = rmat(4 * H, 1).col(0);
    lw->b_hh = rmat(4 * H, 1).col(0);
  }
  w.fc_left = rmat(C, H);
  w.fc_right = rmat(C, H);
  const textlrp::lrp::BiLstmClassifier m({"ham", "spam"}, w);
  const textlrp::nlp::IcuWordTokenizer tokenizer;
  const textlrp::nlp::Vocabulary vocab(
      std::vector<std::string>{"<unk>", "free", "meeting", "win", "lunch", "now"});
  textlrp::explain::save_model(dir, {}, tokenizer, vocab, m, {"free meeting"});
}

// The line `textlrp explain --input FILE` writes for `text` on line `line_no` (the pipeline itself).
std::string pipeline_line(const fs::path& dir, const std::string& text, std::size_t line_no = 1,
                          const std::string& target = "predicted", textlrp::lrp::ExplainOptions eo = {}) {
  using namespace textlrp;
  const explain::Model m = explain::load_model(dir);
  if (m.classifier->architecture() != "bert") eo.rules = m.classifier->default_rules();
  corpora::Example ex;
  ex.text = text;
  ex.id = corpora::detail::generated_id(line_no, text);
  std::string line;
  explain::append_jsonl(line, explain::explain_example(m, ex, eo, explain::TargetSpec::parse(target, m)));
  return line;
}

}  // namespace

TEST_CASE("api: open, labels, predict, explain as the pipeline does", "[api]") {
  textlrp::test::TempDir tmp;
  save_spam_model(tmp / "sms");
  const textlrp::Model model = textlrp::Model::open(tmp / "sms");
  CHECK(model.labels() == std::vector<std::string>{"ham", "spam"});
  CHECK(model.architecture() == "bow_svm");
  CHECK(model.name() == "sms");
  CHECK_FALSE(model.subword());

  const std::string text = "Win a FREE lunch now, free!";
  const textlrp::Prediction p = model.predict(text);
  REQUIRE(p.scores.size() == 2);
  // free ×2, win, lunch, now: spam = 2·1 + 0.5 − 0.75 + 0.25 − 0.1 = 1.9, ham = −1.9.
  CHECK(p.scores[1].first == "spam");
  CHECK(p.scores[1].second == Approx(1.9));
  CHECK(p.scores[0].second == Approx(-1.9));
  CHECK(p.label == "spam");
  CHECK(p.index == 1);

  const textlrp::Explanation e = model.explain(text);
  CHECK(e.prediction == "spam");
  CHECK(e.target == "spam");
  CHECK(e.method == "lrp");
  CHECK(e.model == "sms");
  REQUIRE(e.tokens.size() == 6);  // win a free lunch now free ("a" is out of vocabulary)
  for (const auto& t : e.tokens) {
    REQUIRE(t.begin);
    CHECK(text.substr(*t.begin, *t.end - *t.begin) == t.text);
  }
  CHECK(e.tokens[2].text == "FREE");
  CHECK(e.tokens[2].relevance == Approx(1.0));
  CHECK(e.tokens[1].oov);
  CHECK(e.relevance_sum + e.bias_relevance == Approx(e.score));
  CHECK(e.warnings.empty());
  CHECK_FALSE(e.words);

  // to_json is the CLI's line, byte for byte (also for another target).
  CHECK(textlrp::to_json(e) == pipeline_line(tmp / "sms", text));
  textlrp::ExplainRequest ham;
  ham.target = "ham";
  const textlrp::Explanation eh = model.explain(text, ham);
  CHECK(eh.target == "ham");
  CHECK(eh.tokens[2].relevance == Approx(-1.0));
  CHECK(textlrp::to_json(eh) == pipeline_line(tmp / "sms", text, 1, "ham"));
  // The JSON line is schema 1 with the fields of the struct.
  const auto j = nlohmann::json::parse(textlrp::to_json(e));
  CHECK(j.at("schema") == 1);
  CHECK(j.at("id") == e.id);
  CHECK(j.at("tokens").size() == e.tokens.size());

  // Pre-tokenized input: no spans, the text is the tokens joined by spaces.
  const textlrp::Explanation pt = model.explain(std::vector<std::string>{"free", "lunch"});
  CHECK(pt.text == "free lunch");
  REQUIRE(pt.tokens.size() == 2);
  CHECK_FALSE(pt.tokens[0].begin);
  CHECK(pt.tokens[0].relevance == Approx(1.0));
  CHECK(pt.tokens[1].relevance == Approx(-0.75));

  // target "true" needs a label; ids as given.
  textlrp::ExplainRequest truth;
  truth.target = "true";
  CHECK_THROWS_AS(model.explain(text, truth), textlrp::FormatError);
  truth.label = "ham";
  truth.id = "doc-7";
  const textlrp::Explanation et = model.explain(text, truth);
  CHECK(et.target == "ham");
  CHECK(et.label == std::optional<std::string>("ham"));
  CHECK(et.id == "doc-7");

  // Baselines through the same request; the random one is seeded.
  textlrp::ExplainRequest rnd;
  rnd.method = "random";
  rnd.options = {{"seed", "7"}};
  const auto r1 = model.explain(text, rnd), r2 = model.explain(text, rnd);
  CHECK(r1.method == "random");
  CHECK(textlrp::to_json(r1) == textlrp::to_json(r2));
  rnd.options["seed"] = "8";
  CHECK(textlrp::to_json(model.explain(text, rnd)) != textlrp::to_json(r1));
}

TEST_CASE("api: explain_many keeps input order and equals explain", "[api]") {
  textlrp::test::TempDir tmp;
  save_spam_model(tmp / "sms");
  const textlrp::Model model = textlrp::Model::open(tmp / "sms");
  std::vector<std::string> texts;
  for (int i = 0; i < 23; ++i) {
    texts.push_back(i % 3 == 0 ? "free win now " + std::to_string(i)
                               : "meeting at lunch " + std::to_string(i));
  }
  for (const int threads : {1, 2, 4}) {
    const std::vector<textlrp::Explanation> all = model.explain_many(texts, {}, threads);
    REQUIRE(all.size() == texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) {
      INFO("threads " << threads << ", text " << i);
      CHECK(all[i].text == texts[i]);
      textlrp::ExplainRequest one;
      one.id = textlrp::corpora::detail::generated_id(i + 1, texts[i]);  // line i + 1 of an --input file
      CHECK(textlrp::to_json(all[i]) == textlrp::to_json(model.explain(texts[i], one)));
      CHECK(textlrp::to_json(all[i]) == pipeline_line(tmp / "sms", texts[i], i + 1));
    }
  }
  // An error in one text is thrown (here: a bad request for all of them).
  textlrp::ExplainRequest bad;
  bad.target = "true";
  CHECK_THROWS_AS(model.explain_many(texts, bad, 2), textlrp::FormatError);
}

TEST_CASE("api: bad requests are InvalidArgument", "[api]") {
  textlrp::test::TempDir tmp;
  save_spam_model(tmp / "sms");
  const textlrp::Model model = textlrp::Model::open(tmp / "sms");
  textlrp::ExplainRequest r;
  r.options = {{"lstm_rule", "half"}};
  CHECK_THROWS_WITH(model.explain("free", r),
                    Contains("unknown explain option 'lstm_rule'") && Contains("lstm-rule"));
  r.options = {{"lstm-rule", "half"}};  // known, but a BoW/SVM has no LSTM
  CHECK_THROWS_AS(model.explain("free", r), textlrp::InvalidArgument);
  r.options = {{"precision", "float32"}};
  CHECK_THROWS_WITH(model.explain("free", r), Contains("precision"));
  r.options = {{"steps", "0"}};
  CHECK_THROWS_AS(model.explain("free", r), textlrp::InvalidArgument);
  r.options = {{"seed", "x1"}};
  CHECK_THROWS_WITH(model.explain("free", r), Contains("'seed'") && Contains("x1"));
  r.options = {{"bias-factor", "0.5z"}};
  CHECK_THROWS_AS(model.explain("free", r), textlrp::InvalidArgument);
  r.options.clear();
  r.method = "magic";
  CHECK_THROWS_AS(model.explain("free", r), textlrp::InvalidArgument);
  r.method = "lrp";
  r.target = "eggs";
  CHECK_THROWS_WITH(model.explain("free", r), Contains("eggs"));
  r.target = "predicted";
  r.rule = "nonsense(3)";
  CHECK_THROWS_AS(model.explain("free", r), textlrp::InvalidArgument);
  CHECK_THROWS_AS(model.explain_many(std::vector<std::string>{"free"}, r, 2), textlrp::InvalidArgument);
  CHECK_THROWS_AS(model.predict("\xff"), textlrp::InvalidArgument);
  textlrp::ReportOptions ro;
  ro.color_scale = "rainbow";
  CHECK_THROWS_AS(textlrp::render_report({}, ro), textlrp::InvalidArgument);
}

TEST_CASE("api: bad model directories name the file", "[api]") {
  textlrp::test::TempDir tmp;
  CHECK_THROWS_AS(textlrp::Model::open(tmp / "missing"), textlrp::Error);
  CHECK_THROWS_WITH(textlrp::Model::open(tmp / "missing"), Contains("missing") && Contains("does not exist"));
  save_spam_model(tmp / "sms");
  fs::remove(tmp / "sms" / "vocab.txt");
  CHECK_THROWS_WITH(textlrp::Model::open(tmp / "sms"), Contains("vocab.txt"));
  save_spam_model(tmp / "sms2");
  textlrp::write_file_atomic(tmp / "sms2" / "config.json", "{\"format\":");
  CHECK_THROWS_AS(textlrp::Model::open(tmp / "sms2"), textlrp::FormatError);
  CHECK_THROWS_WITH(textlrp::Model::open(tmp / "sms2"), Contains("config.json"));
}

TEST_CASE("api: the HTML report of explanations", "[api]") {
  textlrp::test::TempDir tmp;
  save_spam_model(tmp / "sms");
  const textlrp::Model model = textlrp::Model::open(tmp / "sms");
  const std::vector<std::string> texts{"free lunch now", "meeting <b>"};
  const auto all = model.explain_many(texts);
  textlrp::ReportOptions ro;
  ro.title = "API & report";
  const std::string html = textlrp::render_report(all, ro);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("API &amp; report") != std::string::npos);
  CHECK(html.find("&lt;") != std::string::npos);  // the text is escaped
  CHECK(html.find("meeting <b>") == std::string::npos);
  CHECK(html.find("id=\"doc-2\"") != std::string::npos);
  textlrp::write_report(all, tmp / "r.html", ro);
  CHECK(textlrp::read_file(tmp / "r.html") == html);
}

TEST_CASE("api: BiLSTM options by name, as explain's flags set them", "[api]") {
  textlrp::test::TempDir tmp;
  save_bilstm_model(tmp / "lstm");
  const textlrp::Model model = textlrp::Model::open(tmp / "lstm");
  CHECK(model.architecture() == "bilstm");
  const std::string text = "win free lunch now, meeting";
  textlrp::ExplainRequest req;
  req.options = {{"lstm-rule", "half"}, {"bias-factor", "1"}, {"precision", "float32"}};
  const textlrp::Explanation e = model.explain(text, req);
  textlrp::lrp::ExplainOptions eo;
  eo.gate_rule = textlrp::lrp::GateRule::kHalf;
  eo.bias_factor = 1.0;
  eo.precision = textlrp::lrp::Precision::kFloat32;
  CHECK(textlrp::to_json(e) == pipeline_line(tmp / "lstm", text, 1, "predicted", eo));
  // The options change the explanation (the defaults: signal-take-all, float64).
  CHECK(textlrp::to_json(model.explain(text)) == pipeline_line(tmp / "lstm", text));
  CHECK(textlrp::to_json(model.explain(text)) != textlrp::to_json(e));
  req.options = {{"lstm-rule", "everything"}};
  CHECK_THROWS_AS(model.explain(text, req), textlrp::InvalidArgument);
}

TEST_CASE("api: a subword model's explanation carries its words", "[api]") {
  const textlrp::nlp::SentencePieceTokenizer spm(textlrp::test::fixture_path("nlp/tiny_unigram_bytes.model"));
  const auto n = static_cast<textlrp::Index>(spm.piece_size());
  textlrp::Mat w(2, n);
  for (textlrp::Index i = 0; i < w.size(); ++i) w.data()[i] = static_cast<float>((i * 37 % 19) - 9) / 9.0f;
  textlrp::lrp::BowOptions o;
  o.ignore_id = spm.unk_id();
  const textlrp::lrp::BowClassifier bow({"neg", "pos"}, textlrp::Vec::Ones(n), w, textlrp::Vec::Zero(2), o);
  textlrp::test::TempDir tmp;
  const std::string text = "The curious caf\xc3\xa9 cat reads!";
  textlrp::explain::save_model(tmp / "spm", {}, spm, spm.vocabulary(), bow, {text});
  const textlrp::Model model = textlrp::Model::open(tmp / "spm");
  CHECK(model.subword());
  const textlrp::Explanation e = model.explain(text);
  REQUIRE(e.words);
  std::vector<std::string> words;
  double sum_words = 0, sum_tokens = 0;
  for (const auto& word : *e.words) {
    words.push_back(word.text);
    CHECK(text.substr(word.begin, word.end - word.begin) == word.text);
    sum_words += word.relevance;
  }
  for (const auto& t : e.tokens) sum_tokens += t.relevance;
  CHECK(words == std::vector<std::string>{"The", "curious", "caf\xc3\xa9", "cat", "reads", "!"});
  CHECK(sum_words == Approx(sum_tokens).margin(1e-9));
  CHECK(textlrp::to_json(e) == pipeline_line(tmp / "spm", text));
  // Pre-tokenized input to a subword model: its pieces of the joined text, words included.
  const textlrp::Explanation pt = model.explain(std::vector<std::string>{"curious", "cat"});
  CHECK(pt.text == "curious cat");
  REQUIRE(pt.words);
  CHECK(pt.words->size() == 2);
}

TEST_CASE("api: predict_many and pre-tokenized explain_many keep input order", "[api]") {
  textlrp::test::TempDir tmp;
  save_spam_model(tmp / "sms");
  const textlrp::Model model = textlrp::Model::open(tmp / "sms");
  std::vector<std::string> texts;
  std::vector<std::vector<std::string>> docs;
  for (int i = 0; i < 17; ++i) {
    texts.push_back(i % 2 ? "free win " + std::to_string(i) : "lunch meeting");
    docs.push_back(i % 2 ? std::vector<std::string>{"free", "win", std::to_string(i)}
                         : std::vector<std::string>{"lunch", "meeting"});
  }
  for (const int threads : {1, 3, 0, 1000}) {  // more threads than texts: capped
    const auto preds = model.predict_many(texts, threads);
    const auto all = model.explain_many(std::span<const std::vector<std::string>>(docs), {}, threads);
    REQUIRE(preds.size() == texts.size());
    REQUIRE(all.size() == docs.size());
    for (std::size_t i = 0; i < texts.size(); ++i) {
      INFO("threads " << threads << ", document " << i);
      const auto one = model.predict(texts[i]);
      CHECK(preds[i].label == one.label);
      CHECK(preds[i].scores == one.scores);
      textlrp::ExplainRequest r;
      r.id = all[i].id;
      CHECK(all[i].id == textlrp::corpora::detail::generated_id(i + 1, all[i].text));
      CHECK(textlrp::to_json(all[i]) == textlrp::to_json(model.explain(docs[i], r)));
      CHECK(!all[i].tokens.at(0).begin);  // pre-tokenized: no spans
    }
  }
  CHECK(model.predict_many(std::vector<std::string>{}, 4).empty());
  CHECK_THROWS_AS(model.predict_many(std::vector<std::string>{"ok", "\xff"}, 2), textlrp::InvalidArgument);
}

TEST_CASE("api: the HTML fragment scopes the report's CSS and draws each document's card", "[api]") {
  textlrp::test::TempDir tmp;
  save_spam_model(tmp / "sms");
  const textlrp::Model model = textlrp::Model::open(tmp / "sms");
  const auto all = model.explain_many(std::vector<std::string>{"free lunch now", "meeting <b>"});
  const std::string frag = textlrp::render_html_fragment(all);
  CHECK(frag.rfind("<div class=\"textlrp\"><style>", 0) == 0);
  CHECK(frag.find("<script") == std::string::npos);
  CHECK(frag.find("<html") == std::string::npos);
  CHECK(frag.find("&lt;") != std::string::npos);  // escaped like the report
  CHECK(frag.find("<b>") == std::string::npos);
  std::size_t cards = 0;
  for (std::size_t p = 0; (p = frag.find("<section class=\"doc\"", p)) != std::string::npos; ++p) ++cards;
  CHECK(cards == 2);
  // Every selector of the style sheet starts with the scope (:root, body and * became .textlrp).
  const std::size_t b = frag.find("<style>") + 7, e = frag.find("</style>");
  const std::string css = frag.substr(b, e - b);
  CHECK(css.find("body") == std::string::npos);
  CHECK(css.find(":root") == std::string::npos);
  std::size_t rules = 0;
  for (std::size_t i = 0; i < css.size();) {
    const std::size_t open = css.find('{', i);
    if (open == std::string::npos) break;
    std::string head = css.substr(i, open - i);
    head.erase(0, head.find_first_not_of(" \n}"));
    if (head.rfind("@media", 0) == 0) {
      i = open + 1;
      continue;
    }
    std::size_t s = 0;
    while (s < head.size()) {
      const std::size_t comma = std::min(head.find(',', s), head.size());
      INFO(head);
      CHECK(head.compare(s, 8, ".textlrp") == 0);
      ++rules;
      s = comma + 1;
    }
    i = css.find('}', open) + 1;
  }
  CHECK(rules > 50);
  textlrp::ReportOptions one;
  one.max_documents = 1;
  CHECK(textlrp::render_html_fragment(all, one).find("doc-2") == std::string::npos);
}

TEST_CASE("api: write_jsonl writes to_json of each in order; from_json reads a line back", "[api]") {
  textlrp::test::TempDir tmp;
  save_spam_model(tmp / "sms");
  const textlrp::Model model = textlrp::Model::open(tmp / "sms");
  std::vector<std::string> texts;
  for (int i = 0; i < 70; ++i) texts.push_back(i % 2 ? "free win " + std::to_string(i) : "lunch meeting");
  const auto all = model.explain_many(texts, {}, 2);
  std::string want;
  for (const auto& e : all) want += textlrp::to_json(e);
  for (const int threads : {1, 2, 0}) {
    textlrp::write_jsonl(all, tmp / "e.jsonl", threads);
    CHECK(textlrp::read_file(tmp / "e.jsonl") == want);
  }
  textlrp::write_jsonl(std::vector<textlrp::Explanation>{}, tmp / "empty.jsonl");
  CHECK(textlrp::read_file(tmp / "empty.jsonl").empty());
  const std::vector<const textlrp::Explanation*> with_null{&all[0], nullptr};
  CHECK_THROWS_AS(
      textlrp::write_jsonl(std::span<const textlrp::Explanation* const>(with_null), tmp / "n.jsonl"),
      textlrp::InvalidArgument);
  CHECK(!fs::exists(tmp / "n.jsonl"));
  CHECK_THROWS_AS(textlrp::write_jsonl(all, tmp / "no-dir" / "e.jsonl"), textlrp::IoError);

  for (const auto& e : all) {
    std::string line = textlrp::to_json(e);
    line.pop_back();  // the '\n'
    const textlrp::Explanation back = textlrp::from_json(line);
    CHECK(textlrp::to_json(back) == line + "\n");
    CHECK(back.tokens.size() == e.tokens.size());
  }
  CHECK_THROWS_WITH(textlrp::from_json("{\"schema\":1}", "x.jsonl:3"), Contains("x.jsonl:3"));
  CHECK_THROWS_AS(textlrp::from_json("{nope", "x.jsonl:4"), textlrp::FormatError);
  CHECK_THROWS_AS(textlrp::from_json("\xff", "x.jsonl:5"), textlrp::FormatError);
}
