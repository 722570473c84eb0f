// WordPieceTokenizer: BertTokenizer semantics and byte spans. Small cases on an in-test vocabulary,
// and conformance with ../shared/data/tiny-bert/reference.json (pieces, ids, offsets, truncation).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file.h"
#include "nlp/wordpiece_tokenizer.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
using namespace textlrp::nlp;

namespace {

WordPieceTokenizer small_tokenizer(std::size_t max_length = 512, bool lower_case = true) {
  std::vector<std::string> vocab = {
      "[PAD]", "[UNK]", "[CLS]",    "[SEP]", "the", "movie", "un", "##believ", "##able", "!",    ",", "cafe",
      "a",     "##b",   "istanbul", "σ",     "ς",   "ab",    "中", "##c",      "The",    "café", "-"};
  WordPieceOptions o;
  o.max_length = max_length;
  o.lower_case = lower_case;
  return WordPieceTokenizer(std::move(vocab), o, "test-vocab");
}

std::vector<std::string> texts(const WordPieceEncoding& e) {
  std::vector<std::string> out;
  for (const auto& p : e.pieces) out.push_back(p.text);
  return out;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> spans(const WordPieceEncoding& e) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (const auto& p : e.pieces) {
    if (!p.special) out.emplace_back(p.begin, p.end);
  }
  return out;
}

using Spans = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

}  // namespace

TEST_CASE("wordpiece: greedy longest match, continuation pieces, punctuation", "[nlp][wordpiece]") {
  const auto tok = small_tokenizer();
  const auto e = tok.encode("The unbelievable movie!");
  CHECK(texts(e) ==
        std::vector<std::string>{"[CLS]", "the", "un", "##believ", "##able", "movie", "!", "[SEP]"});
  CHECK(e.ids() == std::vector<TokenId>{2, 4, 6, 7, 8, 5, 9, 3});
  CHECK(spans(e) == Spans{{0, 3}, {4, 6}, {6, 12}, {12, 16}, {17, 22}, {22, 23}});
  CHECK_FALSE(e.truncated);
  CHECK(e.n_pieces_before_truncation == 6);
  const auto words = merge_word_pieces(e);
  REQUIRE(words.size() == 4);
  CHECK(words[1].text == "unbelievable");
  CHECK(words[1].begin == 4);
  CHECK(words[1].end == 16);
  CHECK(words[1].first == 2);
  CHECK(words[1].last == 5);
}

TEST_CASE("wordpiece: a word with an unmatched position becomes one [UNK] spanning it", "[nlp][wordpiece]") {
  const auto tok = small_tokenizer();
  // "abx": "ab" matches, "##x" does not -> the whole word is [UNK], not "ab" + [UNK].
  const auto e = tok.encode("the abx");
  CHECK(texts(e) == std::vector<std::string>{"[CLS]", "the", "[UNK]", "[SEP]"});
  CHECK(spans(e) == Spans{{0, 3}, {4, 7}});
  // More than 100 characters: one [UNK], although the word would match ("ab" + "##b" + ...).
  const std::string long_word = "a" + std::string(100, 'b');
  const auto l = tok.encode(long_word);
  CHECK(texts(l) == std::vector<std::string>{"[CLS]", "[UNK]", "[SEP]"});
  CHECK(spans(l) == Spans{{0, 101}});
  // 100 characters: "ab" (longest match first, not "a") + 98 × "##b".
  const auto ok = tok.encode("a" + std::string(99, 'b'));
  REQUIRE(ok.pieces.size() == 101);
  CHECK(ok.pieces[1].text == "ab");
  CHECK(ok.pieces[2].text == "##b");
  CHECK(ok.pieces[99].end == 100);
  CHECK(ok.pieces[100].special);
}

TEST_CASE("wordpiece: cleaning, accents, case and spans of characters that normalise to nothing",
          "[nlp][wordpiece]") {
  const auto tok = small_tokenizer();
  // Precomposed é (2 bytes) and decomposed e + U+0301 (3 bytes) both give "cafe".
  CHECK(spans(tok.encode("Caf\xC3\xA9")) == Spans{{0, 5}});
  CHECK(spans(tok.encode("Cafe\xCC\x81 !")) == Spans{{0, 6}, {7, 8}});
  CHECK(texts(tok.encode("Cafe\xCC\x81")) == std::vector<std::string>{"[CLS]", "cafe", "[SEP]"});
  // U+0130 lower-cases to i + U+0307, which is stripped.
  CHECK(texts(tok.encode("\xC4\xB0stanbul")) == std::vector<std::string>{"[CLS]", "istanbul", "[SEP]"});
  // A zero-width space (Cf) is dropped and joins the preceding piece of its raw word; a NUL too.
  const auto z = tok.encode("the\xE2\x80\x8Bmovie");  // "themovie" -> the? no: one word "themovie"
  CHECK(texts(z) == std::vector<std::string>{"[CLS]", "[UNK]", "[SEP]"});
  const auto zz = tok.encode(
      "un\xE2\x80\x8B"
      "believable");
  CHECK(texts(zz) == std::vector<std::string>{"[CLS]", "un", "##believ", "##able", "[SEP]"});
  CHECK(spans(zz) == Spans{{0, 5}, {5, 11}, {11, 15}});
  // Inside a piece, a dropped character changes nothing; it never joins a piece of another word.
  const auto inside = tok.encode(
      "!a\xE2\x80\x8B"
      "b");
  CHECK(texts(inside) == std::vector<std::string>{"[CLS]", "!", "ab", "[SEP]"});
  CHECK(spans(inside) == Spans{{0, 1}, {1, 6}});
  // A leading format character belongs to no piece; whitespace is never in a span.
  CHECK(spans(tok.encode("the \xEF\xBB\xBFmovie")) == Spans{{0, 3}, {7, 12}});
  CHECK(spans(tok.encode(std::string("the\0movie", 9))) == Spans{{0, 9}});  // NUL dropped: one word -> [UNK]
  // Tabs, newlines, no-break and ideographic spaces separate words.
  CHECK(spans(tok.encode(" \tthe\n\xC2\xA0movie\xE3\x80\x80!\r\n")) == Spans{{2, 5}, {8, 13}, {16, 17}});
  // Final sigma after a cased letter; plain sigma alone.
  CHECK(texts(tok.encode("\xCE\xA3")) == std::vector<std::string>{"[CLS]", "σ", "[SEP]"});
  CHECK(texts(tok.encode("a\xCE\xA3")).at(1) == "[UNK]");  // "aς" is not in the vocabulary
}

TEST_CASE("wordpiece: CJK ideographs are split, cased vocabularies keep case and accents",
          "[nlp][wordpiece]") {
  const auto tok = small_tokenizer();
  const auto c = tok.encode(
      "a\xE4\xB8\xAD"
      "b");  // a中b
  CHECK(texts(c) == std::vector<std::string>{"[CLS]", "a", "中", "[UNK]", "[SEP]"});
  CHECK(spans(c) == Spans{{0, 1}, {1, 4}, {4, 5}});
  const auto cased = small_tokenizer(512, false);
  CHECK(texts(cased.encode("The caf\xC3\xA9")) == std::vector<std::string>{"[CLS]", "The", "café", "[SEP]"});
  // Decomposed input is composed (NFC) before lookup.
  const auto nfc = cased.encode("cafe\xCC\x81");
  CHECK(texts(nfc) == std::vector<std::string>{"[CLS]", "café", "[SEP]"});
  CHECK(spans(nfc) == Spans{{0, 6}});
}

TEST_CASE("wordpiece: empty text, truncation and bad input", "[nlp][wordpiece]") {
  const auto tok = small_tokenizer(5);
  const auto empty = tok.encode(" \t\n");
  CHECK(texts(empty) == std::vector<std::string>{"[CLS]", "[SEP]"});
  CHECK_FALSE(empty.truncated);
  const auto e = tok.encode("the movie, the movie");
  CHECK(e.n_pieces_before_truncation == 5);
  CHECK(e.truncated);
  CHECK(texts(e) == std::vector<std::string>{"[CLS]", "the", "movie", ",", "[SEP]"});
  const auto exact = tok.encode("the movie ,");
  CHECK_FALSE(exact.truncated);
  CHECK(exact.pieces.size() == 5);
  CHECK_THROWS_AS(tok.encode("bad \xFF"), InvalidArgument);
  CHECK_THROWS_WITH(tok.encode("bad \xFF"), Catch::Matchers::Contains("byte 4"));
  WordPieceOptions o;
  CHECK_THROWS_WITH(WordPieceTokenizer({"a", "[CLS]", "[SEP]"}, o, "v.txt"),
                    Catch::Matchers::Contains("v.txt: the special token '[UNK]' is missing"));
  o.max_length = 1;
  CHECK_THROWS_AS(WordPieceTokenizer({"[UNK]", "[CLS]", "[SEP]"}, o, "v.txt"), FormatError);
}

TEST_CASE("wordpiece: vocab.txt loading", "[nlp][wordpiece]") {
  test::TempDir dir;
  test::write_bytes(dir / "vocab.txt", "[PAD]\r\n[UNK]\n[CLS]\n[SEP]\nhello\n##s");
  const auto tok = WordPieceTokenizer::load(dir / "vocab.txt", {});
  CHECK(tok.vocab().size() == 6);
  CHECK(tok.id("##s") == 5);
  CHECK(tok.encode("Hellos").ids() == std::vector<TokenId>{2, 4, 5, 3});
  test::write_bytes(dir / "bad.txt", "[UNK]\n\n[CLS]\n[SEP]\n");
  CHECK_THROWS_WITH(WordPieceTokenizer::load(dir / "bad.txt", {}),
                    Catch::Matchers::Contains("bad.txt:2: empty"));
  CHECK_THROWS_AS(WordPieceTokenizer::load(dir / "missing.txt", {}), IoError);
}

TEST_CASE("wordpiece: matches the reference tokenizer on tiny-bert's 40 documents",
          "[nlp][wordpiece][shared]") {
  const auto dir = test::shared_data_path("tiny-bert");
  if (dir.empty()) {
    WARN("../shared/data/tiny-bert is absent; skipping");
    return;
  }
  WordPieceOptions o;
  o.max_length = 128;
  const auto tok = WordPieceTokenizer::load(dir / "vocab.txt", o);
  const nlohmann::json ref = nlohmann::json::parse(read_file(dir / "reference.json"));
  const auto& docs = ref.at("documents");
  REQUIRE(docs.size() == 40);
  for (const auto& doc : docs) {
    const std::string text = doc.at("text").get<std::string>();
    INFO("document " << doc.at("index").get<int>() << ": " << text);
    const auto e = tok.encode(text);
    CHECK(texts(e) == doc.at("tokens").get<std::vector<std::string>>());
    CHECK(e.ids() == doc.at("token_ids").get<std::vector<TokenId>>());
    CHECK(e.truncated == doc.at("truncated").get<bool>());
    CHECK(e.n_pieces_before_truncation == doc.at("n_pieces_before_truncation").get<std::size_t>());
    const auto& offsets = doc.at("offsets");
    REQUIRE(offsets.size() == e.pieces.size());
    for (std::size_t t = 0; t < e.pieces.size(); ++t) {
      if (offsets[t].is_null()) {
        CHECK(e.pieces[t].special);
      } else {
        INFO("piece " << t << " '" << e.pieces[t].text << "'");
        CHECK(e.pieces[t].begin == offsets[t][0].get<std::uint32_t>());
        CHECK(e.pieces[t].end == offsets[t][1].get<std::uint32_t>());
      }
    }
  }
}

TEST_CASE("wordpiece: the Tokenizer adapter (kind \"wordpiece\" of a model directory)", "[nlp][wordpiece]") {
  test::TempDir dir;
  test::write_bytes(dir / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n##s\n!\n");
  const auto tok = make_tokenizer(nlohmann::json{{"kind", "wordpiece"}, {"lower_case", true}}, dir.path());
  const auto tokens = tok->tokenize("Hellos, hello!");
  // Pieces only: no [CLS]/[SEP] (the classifier adds them), "," is not in the vocabulary -> [UNK].
  REQUIRE(tokens.size() == 5);
  CHECK(tokens[0] == Token{"hello", 0, 5});
  CHECK(tokens[1] == Token{"##s", 5, 6});
  CHECK(tokens[2] == Token{"[UNK]", 6, 7});
  CHECK(tokens[4] == Token{"!", 13, 14});
  CHECK(tok->config() ==
        nlohmann::json{{"kind", "wordpiece"}, {"lower_case", true}, {"tokenize_chinese_chars", true}});
  // No truncation at this level.
  std::string long_text;
  for (int i = 0; i < 600; ++i) long_text += "hello ";
  CHECK(tok->tokenize(long_text).size() == 600);
  CHECK_THROWS_WITH(make_tokenizer(nlohmann::json{{"kind", "wordpiece"}, {"lowercase", true}}, dir.path()),
                    Catch::Matchers::Contains("unknown key 'lowercase'"));
  CHECK_THROWS_WITH(make_tokenizer(nlohmann::json{{"kind", "wordpiece"}}),
                    Catch::Matchers::Contains("model directory"));
  const auto cased = make_tokenizer(nlohmann::json{{"kind", "wordpiece"}, {"lower_case", false}}, dir.path());
  CHECK(cased->tokenize("Hellos")[0].text == "[UNK]");
}
