// tests/apps/spm_model_test.cpp — model directories whose tokenizer is a SentencePiece model: the
// directory carries its tokenizer.model and no vocab.txt, ids are SentencePiece's piece ids, the
// explanation has per-word relevance ("words") that sums the pieces, and the JSONL round trips.
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/file.h"
#include "explain/explanation.h"
#include "explain/model.h"
#include "explain/pipeline.h"
#include "lrp/models/bow_classifier.h"
#include "nlp/sentencepiece_tokenizer.h"
#include "tests/catch.h"
#include "tests/helpers.h"

namespace textlrp::explain {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

// A BoW/SVM over the tokenizer's pieces with seeded weights.
std::unique_ptr<lrp::BowClassifier> piece_bow(const nlp::SentencePieceTokenizer& spm) {
  const auto n = static_cast<Index>(spm.piece_size());
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  Vec idf(n);
  Mat w(2, n);
  for (Index i = 0; i < n; ++i) idf[i] = 1 + std::abs(u(rng));
  for (Index i = 0; i < w.size(); ++i) w.data()[i] = u(rng);
  Vec b(2);
  b << 0.2f, -0.2f;
  lrp::BowOptions o;
  o.ignore_id = spm.unk_id();
  return std::make_unique<lrp::BowClassifier>(std::vector<std::string>{"neg", "pos"}, idf, w, b, o);
}

corpora::Example text_example(std::string text) {
  corpora::Example ex;
  ex.id = "doc";
  ex.text = std::move(text);
  return ex;
}

void check_words(const ExplanationRecord& r) {
  REQUIRE(r.words);
  double words = 0, tokens = 0;
  for (const auto& w : *r.words) {
    CHECK(r.text.substr(w.begin, w.end - w.begin) == w.text);
    words += w.relevance;
  }
  for (const auto& t : r.tokens) {
    REQUIRE(t.begin);
    CHECK(r.text.substr(*t.begin, *t.end - *t.begin) == t.text);
    tokens += t.relevance;
  }
  CHECK(words == Approx(tokens).margin(1e-9));
}

}  // namespace

TEST_CASE("spm model: the directory carries its tokenizer, ids are piece ids, words sum pieces",
          "[apps][spm]") {
  const nlp::SentencePieceTokenizer spm(test::fixture_path("nlp/tiny_unigram_bytes.model"));
  const auto bow = piece_bow(spm);
  const test::TempDir tmp;
  const std::string text = "The curious caf\xc3\xa9 cat \xf0\x9f\x98\x80 reads!";
  save_model(tmp / "m", {}, spm, spm.vocabulary(), *bow, {text, "the cat"});
  CHECK(fs::exists(tmp / "m" / "tokenizer.model"));
  CHECK(!fs::exists(tmp / "m" / "vocab.txt"));
  CHECK(read_file(tmp / "m" / "tokenizer.model") == spm.serialized_model());
  const auto config = nlohmann::json::parse(read_file(tmp / "m" / "config.json"));
  CHECK(config["tokenizer"] == nlohmann::json{{"kind", "spm"}, {"model", "tokenizer.model"}});

  // Self-contained: moved elsewhere, it loads (and passes its self-tests).
  fs::rename(tmp / "m", tmp / "moved");
  const Model m = load_model(tmp / "moved");
  CHECK(m.subword());
  CHECK(m.vocab() == spm.vocabulary());
  const Encoded enc = encode(m, text_example(text));
  std::vector<TokenId> expected;
  for (const int id : spm.encode_ids(text)) expected.push_back(id);
  CHECK(enc.ids == expected);
  CHECK(enc.tokens == spm.tokenize(text));

  for (const lrp::Method method : {lrp::Method::kLrp, lrp::Method::kGradientInput, lrp::Method::kOcclusion}) {
    lrp::ExplainOptions eo;
    eo.method = method;
    const ExplanationRecord r = explain_example(m, text_example(text), eo, TargetSpec{});
    check_words(r);
    std::vector<std::string> words;
    for (const auto& w : *r.words) words.push_back(w.text);
    CHECK(words ==
          std::vector<std::string>{"The", "curious", "caf\xc3\xa9", "cat", "\xf0\x9f\x98\x80", "reads", "!"});
    // The JSONL line round trips, words included.
    std::string line;
    append_jsonl(line, r);
    CHECK_THAT(line, Contains(",\"words\":[{\"text\":\"The\",\"begin\":0,\"end\":3,\"relevance\":"));
    const ExplanationRecord back = parse_explanation_line(line, "mem:1");
    REQUIRE(back.words);
    REQUIRE(back.words->size() == r.words->size());
    for (std::size_t i = 0; i < r.words->size(); ++i) {
      CHECK(back.words->at(i).text == r.words->at(i).text);
      CHECK(back.words->at(i).begin == r.words->at(i).begin);
      CHECK(back.words->at(i).end == r.words->at(i).end);
      CHECK(back.words->at(i).relevance == Approx(r.words->at(i).relevance).margin(1e-6));
    }
  }

  // Pre-tokenized input: a subword model splits the joined words, with spans into that text.
  corpora::Example pre;
  pre.id = "pre";
  pre.tokens = std::vector<std::string>{"the", "curious", "cat"};
  pre.text = "the curious cat";
  const ExplanationRecord r = explain_example(m, pre, {}, TargetSpec{});
  CHECK(r.text == "the curious cat");
  check_words(r);
  CHECK(r.words->size() == 3);

  // A damaged directory: the model file missing, or a "vocab" key beside kind spm.
  fs::remove(tmp / "moved" / "tokenizer.model");
  CHECK_THROWS_WITH(load_model(tmp / "moved"), Contains("tokenizer.model"));
}

TEST_CASE("spm model: OOV marking, word models without words, bad configs and records", "[apps][spm]") {
  const nlp::SentencePieceTokenizer spm(test::fixture_path("nlp/tiny_bpe.model"));
  const auto bow = piece_bow(spm);
  const test::TempDir tmp;
  // save_model insists on the piece table as the vocabulary.
  CHECK_THROWS_AS(save_model(tmp / "bad", {}, spm, nlp::Vocabulary(), *bow, {}), InvalidArgument);

  save_model(tmp / "m", {}, spm, spm.vocabulary(), *bow, {"the cat"});
  const Model m = load_model(tmp / "m");
  // Pieces SentencePiece does not know (its unknown id) are marked oov, the others are not.
  const std::string text = "the cat \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80";
  const Encoded enc = encode(m, text_example(text));
  const ExplanationRecord r = explain_example(m, text_example(text), {}, TargetSpec{});
  REQUIRE(r.tokens.size() == enc.ids.size());
  std::size_t n_unknown = 0;
  for (std::size_t t = 0; t < enc.ids.size(); ++t) {
    INFO("token " << t << " '" << r.tokens[t].text << "' id " << enc.ids[t]);
    CHECK(r.tokens[t].oov == (enc.ids[t] == spm.unk_id()));
    n_unknown += enc.ids[t] == spm.unk_id();
  }
  CHECK(n_unknown > 0);
  check_words(r);

  // A "vocab" key beside kind spm is refused: the model file is the vocabulary.
  auto config = nlohmann::json::parse(read_file(tmp / "m" / "config.json"));
  config["tokenizer"]["vocab"] = "vocab.txt";
  write_file_atomic(tmp / "m" / "config.json", config.dump());
  CHECK_THROWS_WITH(load_model(tmp / "m"), Contains("kind \"spm\" takes its vocabulary from the model file"));

  // A word model: tokens are words, no "words" field.
  const nlp::IcuWordTokenizer words_tokenizer;
  const nlp::Vocabulary vocab(std::vector<std::string>{"<unk>", "the", "cat"});
  Vec idf = Vec::Ones(3);
  Mat w(2, 3);
  w << 0, 1, -1, 0, -1, 1;
  const lrp::BowClassifier word_bow({"neg", "pos"}, idf, w, Vec::Zero(2), lrp::BowOptions{});
  save_model(tmp / "w", {}, words_tokenizer, vocab, word_bow, {"the cat"});
  CHECK(fs::exists(tmp / "w" / "vocab.txt"));
  const Model wm = load_model(tmp / "w");
  CHECK(!wm.subword());
  const ExplanationRecord wr = explain_example(wm, text_example("the cat sat"), {}, TargetSpec{});
  CHECK(!wr.words);
  CHECK(wr.tokens[2].oov);
  std::string line;
  append_jsonl(line, wr);
  CHECK_THAT(line, !Contains("\"words\""));
  CHECK(!parse_explanation_line(line, "mem:1").words);
}

TEST_CASE("spm model: malformed words in a JSONL record are FormatErrors", "[apps][spm]") {
  const std::string head =
      R"({"schema":1,"id":"d","text":"ab cd","prediction":"p","target":"p","method":"lrp","scores":{"p":1},)"
      R"("score":1,"tokens":[{"text":"ab","begin":0,"end":2,"relevance":1}],)";
  CHECK(parse_explanation_line(head + R"("words":[{"text":"ab","begin":0,"end":2,"relevance":1}]})", "f:1")
            .words->size() == 1);
  CHECK_THROWS_WITH(parse_explanation_line(head + R"("words":{}})", "f:2"), Contains("f:2: key \"words\""));
  CHECK_THROWS_WITH(
      parse_explanation_line(head + R"("words":[{"text":"ab","begin":0,"end":9,"relevance":1}]})", "f:3"),
      Contains("words[0]: span [0, 9) is outside the text"));
  CHECK_THROWS_WITH(parse_explanation_line(head + R"("words":[{"text":"ab","begin":0,"end":2}]})", "f:4"),
                    Contains("words[0]: missing key \"relevance\""));
  CHECK_THROWS_WITH(
      parse_explanation_line(head + R"("words":[{"text":1,"begin":0,"end":2,"relevance":1}]})", "f:5"),
      Contains("words[0]: key \"text\""));
}

}  // namespace textlrp::explain
