// tests/nlp/tokenizer_test.cpp — IcuWordTokenizer spans and normalization, the config factory,
// pretokenized() and case_fold().
#include "nlp/tokenizer.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/utf8.h"
#include "tests/catch.h"

namespace textlrp::nlp {
namespace {

std::vector<std::string> texts(const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  for (const Token& t : tokens) out.push_back(t.text);
  return out;
}

std::vector<std::string> surfaces(std::string_view original, const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  for (const Token& t : tokens) out.emplace_back(original.substr(t.begin, t.end - t.begin));
  return out;
}

// Every span lies inside the text, spans are increasing and disjoint, and the surface form
// normalizes to the token text.
void check_spans(std::string_view original, const std::vector<Token>& tokens, bool lowercase) {
  std::uint32_t previous_end = 0;
  for (const Token& t : tokens) {
    INFO("token '" << t.text << "' [" << t.begin << ", " << t.end << ")");
    REQUIRE(t.begin < t.end);
    REQUIRE(t.end <= original.size());
    REQUIRE(t.begin >= previous_end);
    previous_end = t.end;
    const std::string_view surface = original.substr(t.begin, t.end - t.begin);
    CHECK(is_valid_utf8(surface));
    CHECK((lowercase ? case_fold(surface) : std::string(surface)) == t.text);
  }
}

const std::string kMixed =
    "Hello, World! The café's naïve Straße: İstanbul ΣΊΣΥΦΟΣ 3.14 don't — "
    "日本語のテキスト 😀 👍🏽 \u00A0tabs\tand\r\nnewlines… C++ e-mail@example.com";

}  // namespace

TEST_CASE("icu-word: ASCII words with spans, lowercased", "[nlp][tokenizer]") {
  const IcuWordTokenizer tokenizer;
  const std::string text = "Hello, World!  The cat's 2 mats.";
  const auto tokens = tokenizer.tokenize(text);
  CHECK(texts(tokens) == std::vector<std::string>{"hello", "world", "the", "cat's", "2", "mats"});
  CHECK(surfaces(text, tokens) == std::vector<std::string>{"Hello", "World", "The", "cat's", "2", "mats"});
  REQUIRE(tokens.size() == 6);
  CHECK(tokens[0] == Token{"hello", 0, 5});
  CHECK(tokens[1] == Token{"world", 7, 12});
  CHECK(tokens[5] == Token{"mats", 27, 31});
  check_spans(text, tokens, true);
}

TEST_CASE("icu-word: lowercase off keeps the surface form", "[nlp][tokenizer]") {
  const IcuWordTokenizer tokenizer({.lowercase = false, .keep_punctuation = false});
  const std::string text = "Hello CAFÉ";
  const auto tokens = tokenizer.tokenize(text);
  CHECK(texts(tokens) == std::vector<std::string>{"Hello", "CAFÉ"});
  check_spans(text, tokens, false);
}

TEST_CASE("icu-word: keep_punctuation keeps punctuation and symbols as tokens", "[nlp][tokenizer]") {
  const std::string text = "Hi, you (2)!";
  CHECK(texts(IcuWordTokenizer().tokenize(text)) == std::vector<std::string>{"hi", "you", "2"});
  const IcuWordTokenizer with_punct({.lowercase = true, .keep_punctuation = true});
  const auto tokens = with_punct.tokenize(text);
  CHECK(texts(tokens) == std::vector<std::string>{"hi", ",", "you", "(", "2", ")", "!"});
  check_spans(text, tokens, true);
}

TEST_CASE("icu-word: accented words keep byte spans", "[nlp][tokenizer]") {
  const IcuWordTokenizer tokenizer;
  const std::string text = "Un CAFÉ naïve";  // É and ï are two bytes each
  const auto tokens = tokenizer.tokenize(text);
  REQUIRE(tokens.size() == 3);
  CHECK(tokens[0] == Token{"un", 0, 2});
  CHECK(tokens[1] == Token{"café", 3, 8});
  CHECK(tokens[2] == Token{"naïve", 9, 15});
  check_spans(text, tokens, true);
}

TEST_CASE("icu-word: text decoded from Latin-1", "[nlp][tokenizer]") {
  const std::string text = latin1_to_utf8("Caf\xe9 na\xefve \xc0 la carte");
  const auto tokens = IcuWordTokenizer().tokenize(text);
  CHECK(texts(tokens) == std::vector<std::string>{"café", "naïve", "à", "la", "carte"});
  CHECK(surfaces(text, tokens) == std::vector<std::string>{"Café", "naïve", "À", "la", "carte"});
  check_spans(text, tokens, true);
}

TEST_CASE("icu-word: Japanese is segmented by dictionary", "[nlp][tokenizer]") {
  const std::string text = "日本語のテキスト";
  const auto tokens = IcuWordTokenizer().tokenize(text);
  CHECK(texts(tokens) == std::vector<std::string>{"日本語", "の", "テキスト"});
  REQUIRE(tokens.size() == 3);
  CHECK(tokens[0].begin == 0);
  CHECK(tokens[0].end == 9);
  CHECK(tokens[2].end == text.size());
  check_spans(text, tokens, true);
}

TEST_CASE("icu-word: emoji are tokens only with keep_punctuation", "[nlp][tokenizer]") {
  // ❤️ is U+2764 U+FE0F (6 bytes); 👍🏽 is U+1F44D U+1F3FD (8 bytes, surrogate pairs in UTF-16).
  const std::string text = "I ❤️ C 👍🏽!";
  CHECK(texts(IcuWordTokenizer().tokenize(text)) == std::vector<std::string>{"i", "c"});

  const auto tokens = IcuWordTokenizer({.lowercase = true, .keep_punctuation = true}).tokenize(text);
  CHECK(surfaces(text, tokens) == std::vector<std::string>{"I", "❤️", "C", "👍🏽", "!"});
  REQUIRE(tokens.size() == 5);
  CHECK(tokens[1].begin == 2);
  CHECK(tokens[1].end == 8);
  CHECK(tokens[3].begin == 11);
  CHECK(tokens[3].end == 19);
  check_spans(text, tokens, true);
}

TEST_CASE("icu-word: case folding that changes length keeps spans", "[nlp][tokenizer]") {
  const std::string text = "STRASSE Straße İSTANBUL ﬁne";
  const auto tokens = IcuWordTokenizer().tokenize(text);
  // ß folds to "ss", İ (U+0130) to "i" + U+0307, the ligature ﬁ to "fi".
  CHECK(texts(tokens) == std::vector<std::string>{"strasse", "strasse", "i\u0307stanbul", "fine"});
  CHECK(surfaces(text, tokens) == std::vector<std::string>{"STRASSE", "Straße", "İSTANBUL", "ﬁne"});
  check_spans(text, tokens, true);
}

TEST_CASE("icu-word: every token's surface re-folds to its text", "[nlp][tokenizer]") {
  for (bool lowercase : {true, false}) {
    for (bool keep_punctuation : {true, false}) {
      const IcuWordTokenizer tokenizer({lowercase, keep_punctuation});
      const auto tokens = tokenizer.tokenize(kMixed);
      CHECK(tokens.size() > 15);
      check_spans(kMixed, tokens, lowercase);
    }
  }
}

TEST_CASE("icu-word: empty and whitespace-only text give no tokens", "[nlp][tokenizer]") {
  const IcuWordTokenizer tokenizer({.lowercase = true, .keep_punctuation = true});
  CHECK(tokenizer.tokenize("").empty());
  CHECK(tokenizer.tokenize(" \t\r\n \u00A0\u3000\u2028 ").empty());
  CHECK(IcuWordTokenizer().tokenize("?! ...").empty());
}

TEST_CASE("icu-word: invalid UTF-8 throws InvalidArgument with the byte offset", "[nlp][tokenizer]") {
  const IcuWordTokenizer tokenizer;
  CHECK_THROWS_AS(tokenizer.tokenize("ab\xff"), InvalidArgument);
  CHECK_THROWS_WITH(tokenizer.tokenize("ab\xff"), Catch::Matchers::Contains("byte 2"));
  CHECK_THROWS_WITH(tokenizer.tokenize("caf\xe9 au lait"), Catch::Matchers::Contains("byte 3"));
  CHECK_THROWS_AS(tokenizer.tokenize("\xed\xa0\x80"), InvalidArgument);  // a surrogate
}

TEST_CASE("icu-word: concurrent tokenize on one object matches the serial result", "[nlp][tokenizer]") {
  std::string text;
  for (int i = 0; i < 50; ++i) text += kMixed + " " + std::to_string(i) + "\n";
  const IcuWordTokenizer shared({.lowercase = true, .keep_punctuation = true});
  const IcuWordTokenizer other({.lowercase = false, .keep_punctuation = false});
  const auto expected = shared.tokenize(text);
  const auto expected_other = other.tokenize(text);

  std::atomic<int> mismatches{0};
  auto work = [&] {
    for (int round = 0; round < 20; ++round) {
      if (shared.tokenize(text) != expected) ++mismatches;
      if (other.tokenize(text) != expected_other) ++mismatches;
    }
  };
  std::thread a(work);
  std::thread b(work);
  a.join();
  b.join();
  CHECK(mismatches.load() == 0);
}

TEST_CASE("icu-word: config round trips through make_tokenizer", "[nlp][tokenizer]") {
  const IcuWordTokenizer tokenizer({.lowercase = false, .keep_punctuation = true});
  const nlohmann::json config = tokenizer.config();
  CHECK(config == nlohmann::json{{"kind", "icu-word"}, {"lowercase", false}, {"keep_punctuation", true}});
  const auto rebuilt = make_tokenizer(config);
  CHECK(rebuilt->config() == config);
  CHECK(rebuilt->tokenize("Hi, you") == tokenizer.tokenize("Hi, you"));

  // Missing optional keys take the TokenizerOptions defaults.
  CHECK(make_tokenizer({{"kind", "icu-word"}})->config() == IcuWordTokenizer().config());
}

TEST_CASE("make_tokenizer: bad configs throw FormatError naming the problem", "[nlp][tokenizer]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_AS(make_tokenizer(nlohmann::json::array()), FormatError);
  CHECK_THROWS_WITH(make_tokenizer(nlohmann::json::object()), Contains("'kind'"));
  CHECK_THROWS_WITH(make_tokenizer({{"kind", "whitespace"}}),
                    Contains("\"whitespace\"") && Contains("valid kinds: icu-word"));
  CHECK_THROWS_WITH(make_tokenizer({{"kind", "icu-word"}, {"lowercas", true}}), Contains("'lowercas'"));
  CHECK_THROWS_WITH(make_tokenizer({{"kind", "icu-word"}, {"lowercase", "yes"}}), Contains("'lowercase'"));
}

TEST_CASE("pretokenized: normalizes text and has no spans", "[nlp][tokenizer]") {
  const auto folded = pretokenized({"The", "Straße", ","}, true);
  CHECK(folded == std::vector<Token>{{"the", 0, 0}, {"strasse", 0, 0}, {",", 0, 0}});
  const auto kept = pretokenized({"The", "Straße"}, false);
  CHECK(texts(kept) == std::vector<std::string>{"The", "Straße"});
  CHECK(pretokenized({}, true).empty());
  CHECK_THROWS_WITH(pretokenized({"ok", "b\xe9"}, true), Catch::Matchers::Contains("token 1"));
}

TEST_CASE("case_fold: ASCII fast path agrees with Unicode folding", "[nlp][tokenizer]") {
  CHECK(case_fold("") == "");
  CHECK(case_fold("Hello WORLD 123 [@`{]") == "hello world 123 [@`{]");
  CHECK(case_fold("Straße ÀÉÎ ΣΑΣ") == "strasse àéî σασ");
  CHECK(case_fold("İ") == "i\u0307");
  CHECK_THROWS_AS(case_fold("\xc3"), InvalidArgument);
}

}  // namespace textlrp::nlp
