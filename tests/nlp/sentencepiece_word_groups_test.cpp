// tests/nlp/sentencepiece_word_groups_test.cpp — group_pieces_by_word: the assignment rule on
// hand-made spans, then on real SentencePiece encodings (fixture and, "[shared]", Japanese).
#include "nlp/word_groups.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "nlp/sentencepiece_tokenizer.h"
#include "tests/catch.h"
#include "tests/helpers.h"

namespace textlrp::nlp {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

Token tok(std::uint32_t begin, std::uint32_t end) { return Token{"p", begin, end}; }

std::vector<std::string> group_texts(std::string_view text, const std::vector<WordGroup>& groups) {
  std::vector<std::string> out;
  for (const auto& g : groups) out.emplace_back(text.substr(g.begin, g.end - g.begin));
  return out;
}

// Every piece is in exactly one group (when there is a group at all), group piece lists
// increase, and a piece that touches a word (overlaps it, or if empty lies in it) is in a word it
// touches; one that touches none is in the next word (or the last, at the end).
void check_partition(const std::vector<Token>& pieces, const std::vector<WordGroup>& groups) {
  std::vector<int> owner(pieces.size(), -1);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (std::size_t k = 0; k < groups[g].pieces.size(); ++k) {
      const std::size_t p = groups[g].pieces[k];
      REQUIRE(p < pieces.size());
      if (k > 0) CHECK(groups[g].pieces[k - 1] < p);
      CHECK(owner[p] == -1);
      owner[p] = static_cast<int>(g);
    }
  }
  for (std::size_t p = 0; p < pieces.size(); ++p) {
    const Token& t = pieces[p];
    auto touches = [&](const WordGroup& g) {
      return t.begin == t.end ? g.begin <= t.begin && t.begin < g.end : t.begin < g.end && g.begin < t.end;
    };
    bool touches_any = false;
    for (const auto& g : groups) touches_any = touches_any || touches(g);
    INFO("piece " << p << " '" << t.text << "' [" << t.begin << ", " << t.end << ")");
    CHECK((owner[p] >= 0) == !groups.empty());
    if (owner[p] < 0) continue;
    const WordGroup& g = groups[static_cast<std::size_t>(owner[p])];
    if (touches_any) {
      CHECK(touches(g));
    } else {
      // The next word, or the last word when none follows.
      std::size_t next = groups.size() - 1;
      for (std::size_t k = 0; k < groups.size(); ++k) {
        if (groups[k].begin >= t.end) {
          next = k;
          break;
        }
      }
      CHECK(static_cast<std::size_t>(owner[p]) == next);
    }
  }
}

}  // namespace

TEST_CASE("word groups: most overlap wins, ties go to the earlier word", "[nlp][word_groups]") {
  // Words: [0,5) [6,11) [12,14)
  const std::vector<Token> words = {tok(0, 5), tok(6, 11), tok(12, 14)};
  const std::vector<Token> pieces = {
      tok(0, 3),    // 0: inside word 0
      tok(3, 8),    // 1: 2 bytes of word 0, 2 of word 1 -> tie -> word 0
      tok(8, 13),   // 2: 3 bytes of word 1, 1 of word 2 -> word 1
      tok(13, 14),  // 3: word 2
      tok(5, 6),    // 4: only the space between words -> the next word
  };
  const auto groups = group_pieces_by_word(pieces, words);
  REQUIRE(groups.size() == 3);
  CHECK(groups[0] == WordGroup{0, 5, {0, 1}});
  CHECK(groups[1] == WordGroup{6, 11, {2, 4}});
  CHECK(groups[2] == WordGroup{12, 14, {3}});
  check_partition(pieces, groups);
  // White space after the last word goes to the last word.
  const auto trailing = group_pieces_by_word({tok(0, 5), tok(14, 16)}, words);
  CHECK(trailing[0].pieces == std::vector<std::size_t>{0});
  CHECK(trailing[2].pieces == std::vector<std::size_t>{1});
}

TEST_CASE("word groups: empty pieces go to the word containing them", "[nlp][word_groups]") {
  const std::vector<Token> words = {tok(2, 5), tok(6, 10)};
  const std::vector<Token> pieces = {
      tok(0, 0),    // 0: before any word -> the next word, word 0
      tok(2, 2),    // 1: inserted "▁" at a word's start -> that word
      tok(2, 5),    // 2
      tok(6, 6),    // 3: leading byte piece -> word 1
      tok(6, 10),   // 4
      tok(10, 10),  // 5: at the end of word 1 (not inside), no word after -> the last word
  };
  const auto groups = group_pieces_by_word(pieces, words);
  CHECK(groups[0].pieces == std::vector<std::size_t>{0, 1, 2});
  CHECK(groups[1].pieces == std::vector<std::size_t>{3, 4, 5});
  check_partition(pieces, groups);
}

TEST_CASE("word groups: words without pieces are kept, with no pieces", "[nlp][word_groups]") {
  // One piece spans two words (as in CJK text); the second word gets nothing.
  const std::vector<Token> words = {tok(0, 6), tok(6, 9)};
  const auto groups = group_pieces_by_word({tok(0, 9)}, words);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].pieces == std::vector<std::size_t>{0});
  CHECK(groups[1].pieces.empty());
  CHECK(group_pieces_by_word({}, words).size() == 2);
  CHECK(group_pieces_by_word({tok(0, 1)}, {}).empty());
}

TEST_CASE("word groups: bad input", "[nlp][word_groups]") {
  CHECK_THROWS_AS(group_pieces_by_word({tok(0, 1)}, {tok(3, 5), tok(0, 2)}), InvalidArgument);
  CHECK_THROWS_AS(group_pieces_by_word({tok(4, 2)}, {tok(0, 5)}), InvalidArgument);
  CHECK_THROWS_WITH(group_pieces_by_word("abc", {tok(0, 9)}, default_word_tokenizer()),
                    Contains("past the text"));
  CHECK_THROWS_AS(group_pieces_by_word("ab\xff", {}, default_word_tokenizer()), InvalidArgument);
}

TEST_CASE("word groups: SentencePiece pieces grouped by ICU words", "[nlp][word_groups][spm]") {
  const SentencePieceTokenizer spm(test::fixture_path("nlp/tiny_unigram_bytes.model"));
  const std::string text = "The curious caf\xc3\xa9 cat \xf0\x9f\x98\x80 reads!";
  const auto pieces = spm.tokenize(text);
  const auto groups = group_pieces_by_word(text, pieces, default_word_tokenizer());
  CHECK(group_texts(text, groups) ==
        std::vector<std::string>{"The", "curious", "caf\xc3\xa9", "cat", "\xf0\x9f\x98\x80", "reads", "!"});
  check_partition(pieces, groups);
  // The four byte pieces of the emoji all belong to it.
  std::size_t n_bytes = 0;
  for (const std::size_t p : groups[4].pieces) n_bytes += spm.is_byte(spm.encode_ids(text)[p]);
  CHECK(n_bytes == 4);
  // Every piece has a word (a lone "▁" the next one): summing per word loses no relevance.
  std::size_t n_grouped = 0;
  for (const auto& g : groups) n_grouped += g.pieces.size();
  CHECK(n_grouped == pieces.size());

  // Spaces everywhere, and the empty text.
  const std::string spaced = "   two   words   ";
  const auto spaced_pieces = spm.tokenize(spaced);
  const auto spaced_groups = group_pieces_by_word(spaced, spaced_pieces, default_word_tokenizer());
  CHECK(group_texts(spaced, spaced_groups) == std::vector<std::string>{"two", "words"});
  check_partition(spaced_pieces, spaced_groups);
  CHECK(group_pieces_by_word("", spm.tokenize(""), default_word_tokenizer()).empty());
}

TEST_CASE("word groups: Japanese pieces and ICU dictionary words", "[nlp][word_groups][spm][shared]") {
  const fs::path dir = test::shared_data_path("spm");
  if (dir.empty() || !fs::exists(dir / "test_ja_model.model")) {
    WARN("../shared/data/spm/test_ja_model.model not found: test skipped");
    return;
  }
  const SentencePieceTokenizer spm(dir / "test_ja_model.model");
  for (const std::string text : {"清水寺は京都にある。", "日本語のテキスト です。 Hello world"}) {
    const auto pieces = spm.tokenize(text);
    const auto groups = group_pieces_by_word(text, pieces, default_word_tokenizer());
    REQUIRE(!groups.empty());
    check_partition(pieces, groups);
    // Without spaces in the text, every non-empty piece lies on some word.
    for (const auto& g : groups) CHECK(g.begin < g.end);
  }
}

}  // namespace textlrp::nlp
