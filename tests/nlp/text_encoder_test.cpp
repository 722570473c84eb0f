// tests/nlp/text_encoder_test.cpp — nlp::TextEncoder: one object for tokenizer + vocabulary, with
// the SentencePiece and WordPiece special cases inside (ids, oov flags, words, save/load).
#include "nlp/text_encoder.h"

#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/file.h"
#include "nlp/sentencepiece_tokenizer.h"
#include "nlp/word_groups.h"
#include "nlp/wordpiece_tokenizer.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
using namespace textlrp::nlp;
using Catch::Matchers::Contains;

TEST_CASE("text encoder: words, ids, oov flags and pre-tokenized input", "[nlp][text_encoder]") {
  const TextEncoder enc(std::make_shared<IcuWordTokenizer>(),
                        Vocabulary(std::vector<std::string>{"<unk>", "the", "cat", "strasse"}));
  CHECK(enc.kind() == TextEncoder::Kind::kWords);
  CHECK_FALSE(enc.subword());
  CHECK(enc.sentencepiece() == nullptr);
  std::vector<Token> tokens;
  const std::string text = "The cat sat";
  const std::vector<TokenId> ids = enc.encode(text, &tokens);
  CHECK(ids == std::vector<TokenId>{1, 2, 0});
  REQUIRE(tokens.size() == 3);
  CHECK(text.substr(tokens[2].begin, tokens[2].end - tokens[2].begin) == "sat");
  CHECK(enc.ids(tokens) == ids);
  CHECK_FALSE(enc.is_oov(ids[0], tokens[0].text));
  CHECK(enc.is_oov(ids[2], tokens[2].text));  // "sat" -> <unk>
  CHECK_FALSE(enc.is_oov(0, "<unk>"));        // the unknown token's own string is known
  CHECK(enc.is_oov(-1, "x"));
  CHECK(enc.words(text, tokens).empty());  // a word encoder has no pieces to group
  // Pre-tokenized words: case-folded as the tokenizer would, no spans.
  std::vector<Token> pre;
  CHECK(enc.encode_words({"STRASSE", "Straße", "Cat"}, &pre) == std::vector<TokenId>{3, 3, 2});
  CHECK(pre[1].text == "strasse");
  CHECK(pre[2].begin == 0);
  CHECK(pre[2].end == 0);
  // An encoder without a tokenizer says so instead of crashing.
  CHECK_THROWS_AS(TextEncoder().encode("x"), InvalidArgument);
}

TEST_CASE("text encoder: SentencePiece ids are the model's, its vocabulary the piece table",
          "[nlp][text_encoder]") {
  auto spm = std::make_shared<SentencePieceTokenizer>(test::fixture_path("nlp/tiny_unigram_bytes.model"));
  CHECK_THROWS_AS(TextEncoder(spm, Vocabulary()), InvalidArgument);  // not the piece table
  const TextEncoder enc(spm, spm->vocabulary());
  CHECK(enc.kind() == TextEncoder::Kind::kSentencePiece);
  CHECK(enc.subword());
  CHECK(enc.sentencepiece() == spm.get());
  CHECK(sentencepiece_of(*spm) == spm.get());
  const std::string text = "The curious caf\xc3\xa9 cat \xf0\x9f\x98\x80 reads!";
  std::vector<Token> tokens;
  const std::vector<TokenId> ids = enc.encode(text, &tokens);
  std::vector<TokenId> expected;
  for (const int id : spm->encode_ids(text)) expected.push_back(id);
  CHECK(ids == expected);
  CHECK(tokens == spm->tokenize(text));
  // An unknown piece's text is its surface, not "<unk>": still oov.
  for (std::size_t t = 0; t < ids.size(); ++t)
    CHECK(enc.is_oov(ids[t], tokens[t].text) == (ids[t] == spm->unk_id()));
  // Words: the ICU words of the text (nlp/word_groups.h).
  const auto words = enc.words(text, tokens);
  const auto groups = group_pieces_by_word(text, tokens, default_word_tokenizer());
  REQUIRE(words.size() == groups.size());
  for (std::size_t w = 0; w < words.size(); ++w) {
    CHECK(words[w].begin == groups[w].begin);
    CHECK(words[w].end == groups[w].end);
    CHECK(words[w].pieces == groups[w].pieces);
  }
  // save() writes the model file and no vocab.txt; from_config() reads it back.
  const test::TempDir dir;
  const nlohmann::json config = enc.save(dir.path());
  CHECK(config == nlohmann::json{{"kind", "spm"}, {"model", "tokenizer.model"}});
  CHECK(read_file(dir.path() / "tokenizer.model") == spm->serialized_model());
  const TextEncoder back = TextEncoder::from_config(config, dir.path(), "cfg.json");
  CHECK(back.encode(text) == ids);
  nlohmann::json with_vocab = config;
  with_vocab["vocab"] = "vocab.txt";
  CHECK_THROWS_WITH(TextEncoder::from_config(with_vocab, dir.path(), "cfg.json"),
                    Contains("cfg.json") && Contains("takes its vocabulary from the model file"));
}

TEST_CASE("text encoder: WordPiece words merge the ## pieces; a word model round trips",
          "[nlp][text_encoder]") {
  std::vector<std::string> vocab = {"[PAD]", "[UNK]",    "[CLS]",  "[SEP]", "the",
                                    "un",    "##believ", "##able", "!"};
  auto wp = std::make_shared<WordPieceTextTokenizer>(WordPieceTokenizer(vocab, WordPieceOptions{}, "v.txt"));
  const TextEncoder enc(wp, Vocabulary::from_pieces(vocab, 1));
  CHECK(enc.kind() == TextEncoder::Kind::kWordPiece);
  CHECK(enc.subword());
  CHECK(enc.sentencepiece() == nullptr);
  const std::string text = "The unbelievable!";
  std::vector<Token> tokens;
  CHECK(enc.encode(text, &tokens) == std::vector<TokenId>{4, 5, 6, 7, 8});
  const auto words = enc.words(text, tokens);
  REQUIRE(words.size() == 3);
  CHECK(text.substr(words[1].begin, words[1].end - words[1].begin) == "unbelievable");
  CHECK(words[1].pieces == std::vector<std::size_t>{1, 2, 3});
  CHECK(words[2].pieces == std::vector<std::size_t>{4});

  // A word model: save() writes vocab.txt and names it; from_config() reads both back.
  const TextEncoder words_enc(std::make_shared<IcuWordTokenizer>(),
                              Vocabulary(std::vector<std::string>{"<unk>", "the", "cat"}));
  const test::TempDir dir;
  const nlohmann::json config = words_enc.save(dir.path());
  CHECK(config["kind"] == "icu-word");
  CHECK(config["vocab"] == "vocab.txt");
  const TextEncoder back = TextEncoder::from_config(config, dir.path(), "cfg.json");
  CHECK(back.vocabulary() == words_enc.vocabulary());
  CHECK(back.encode("the cat") == std::vector<TokenId>{1, 2});
  std::filesystem::remove(dir.path() / "vocab.txt");
  CHECK_THROWS_WITH(TextEncoder::from_config(config, dir.path(), "cfg.json"), Contains("vocab.txt"));
}
