// explain/: the pipeline as a library, without the command-line tool — a corpus described by
// corpora::InputOptions, read as a model reads it (explain::input_for_model), explained in input
// order on several threads (explain::run_stream) into schema-1 lines, and the summary warnings of
// documents the model could not read (explain::take_input_warnings), which the tool's progress line
// prints and a library caller takes itself.
#include <random>
#include <string>
#include <vector>

#include "corpora/input.h"
#include "explain/explanation.h"
#include "explain/model.h"
#include "explain/pipeline.h"
#include "lrp/models/bow_classifier.h"
#include "nlp/tokenizer.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
using Catch::Matchers::Contains;
using textlrp::test::TempDir;
using textlrp::test::write_bytes;

namespace {

// A two-class word model over raw counts: "free" for spam, "meeting" for ham.
explain::Model spam_model(const std::filesystem::path& dir) {
  const nlp::IcuWordTokenizer tokenizer;
  const nlp::Vocabulary vocab(std::vector<std::string>{"<unk>", "free", "meeting"});
  Mat w(2, 3);
  w << 0, -1, 1,  //
      0, 1, -1;
  Vec b(2);
  b << 0.25, -0.25;
  const lrp::BowClassifier bow({"ham", "spam"}, Vec::Ones(3), w, b, lrp::BowOptions{false, false, 0});
  explain::save_model(dir, {}, tokenizer, vocab, bow, {"free meeting"});
  return explain::load_model(dir);
}

}  // namespace

TEST_CASE("explain pipeline: a corpus explained in input order by the library alone", "[explain]") {
  TempDir tmp;
  const explain::Model model = spam_model(tmp.path() / "model");
  std::string jsonl;
  const std::vector<std::string> texts = {"free free", "meeting", "", "zebra", "free meeting", "free"};
  for (const auto& t : texts) jsonl += "{\"text\":\"" + t + "\"}\n";
  write_bytes(tmp.path() / "docs.jsonl", jsonl);

  corpora::InputOptions given;
  given.input = (tmp.path() / "docs.jsonl").string();
  std::vector<std::string> warnings;
  const corpora::InputOptions input =
      explain::input_for_model(given, model, [&](std::string_view w) { warnings.emplace_back(w); });
  CHECK(warnings.empty());
  (void)explain::take_input_warnings();  // start from no counts (other tests share the counter)
  auto reader = input.open({});
  lrp::ExplainOptions eo;
  eo.rules = model.classifier->default_rules();
  const explain::TargetSpec target = explain::TargetSpec::parse("predicted", model);
  std::vector<std::string> lines;
  const std::size_t n = explain::run_stream(
      *reader, {3, 1},
      [&](const corpora::Example& ex) {
        std::string line;
        explain::append_jsonl(line, explain::explain_example(model, ex, eo, target));
        return line;
      },
      [&](std::string_view line) { lines.emplace_back(line); });
  REQUIRE(n == texts.size());
  REQUIRE(lines.size() == texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const explain::ExplanationRecord r =
        explain::parse_explanation_line(lines[i], "line " + std::to_string(i + 1));
    CHECK(r.text == texts[i]);  // input order, whichever thread explained it
    // The BoW model's relevance is conserved: tokens + bias = score.
    CHECK(r.relevance_sum + r.bias_relevance == Approx(r.score).margin(1e-9));
  }
  CHECK(explain::parse_explanation_line(lines[0], "l1").prediction == "spam");
  CHECK(explain::parse_explanation_line(lines[1], "l2").prediction == "ham");

  // The blank document and the one with only unknown words, once each, then the counts are reset.
  const std::vector<std::string> summary = explain::take_input_warnings();
  REQUIRE(summary.size() == 2);
  CHECK_THAT(summary[0], Contains("1 document had no tokens"));
  CHECK_THAT(summary[1], Contains("1 document had only out-of-vocabulary tokens"));
  CHECK(explain::take_input_warnings().empty());
}

TEST_CASE("corpora::InputOptions: exactly one of corpus and input", "[explain][corpora]") {
  corpora::InputOptions none;
  CHECK_THROWS_WITH(none.open({}), Contains("give the documents with --corpus SPEC or --input FILE"));
  corpora::InputOptions both;
  both.corpus = "jsonl:a.jsonl";
  both.input = "b.jsonl";
  CHECK_THROWS_WITH(both.open({}), Contains("give either --corpus or --input, not both"));
  corpora::InputOptions stdin_input;
  stdin_input.input = "-";
  CHECK(stdin_input.reads_stdin());
  corpora::InputOptions stdin_corpus;
  stdin_corpus.corpus = "jsonl:-";
  CHECK(stdin_corpus.reads_stdin());
}

TEST_CASE(
    "explain pipeline: append_explanation's fast path writes append_jsonl(explain_example) byte for byte",
    "[explain][json]") {
  TempDir tmp;
  const explain::Model model = spam_model(tmp.path() / "model");
  std::mt19937 rng(20261206);
  const std::vector<std::string> words = {"free", "meeting",  "zebra", "\"q\"", "a\\b",
                                          "<&>",  "\xc3\xbc", "\t",    "Free"};
  lrp::ExplainOptions eo;
  eo.rules = model.classifier->default_rules();
  const std::vector<explain::TargetSpec> targets = {explain::TargetSpec::parse("predicted", model),
                                                    explain::TargetSpec::parse("true", model),
                                                    explain::TargetSpec::parse("ham", model)};
  for (int i = 0; i < 300; ++i) {
    corpora::Example ex;
    ex.id = "doc" + std::to_string(i) + (i % 7 == 0 ? "\"" : "");
    const std::size_t n = rng() % 12;
    std::vector<std::string> toks;
    for (std::size_t k = 0; k < n; ++k) {
      toks.push_back(words[rng() % words.size()]);
      ex.text += (k ? std::string(1 + rng() % 2, ' ') : "") + toks.back();
    }
    if (i % 3 != 0) ex.label = (rng() % 2) ? "spam" : "ham";
    if (i % 5 == 0) {  // pre-tokenized: tokens without spans
      ex.tokens = toks;
      ex.text.clear();
      for (const auto& t : toks) ex.text += (ex.text.empty() ? "" : " ") + t;
    }
    const explain::TargetSpec& target = targets[ex.label ? i % 3 : (i % 2) * 2];
    std::string fast, record;
    const std::vector<std::string> warnings = explain::append_explanation(fast, model, ex, eo, target);
    const explain::ExplanationRecord r = explain::explain_example(model, ex, eo, target);
    explain::append_jsonl(record, r);
    INFO(ex.text);
    CHECK(fast == record);
    CHECK(warnings == r.warnings);
  }
  (void)explain::take_input_warnings();
}
