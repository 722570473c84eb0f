// tests/nlp/vocabulary_test.cpp — Vocabulary build order, lookups, and vocab.txt load/save.
#include "nlp/vocabulary.h"

#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/file.h"
#include "tests/catch.h"
#include "tests/helpers.h"

namespace textlrp::nlp {
namespace {

using Catch::Matchers::Contains;

const std::unordered_map<std::string, std::size_t> kCounts = {
    {"the", 10}, {"cat", 3}, {"bat", 3}, {"dog", 3}, {"rare", 1}, {"<unk>", 99}, {"zero", 0}};

}  // namespace

TEST_CASE("vocabulary: default holds only <unk>", "[nlp][vocabulary]") {
  const Vocabulary vocab;
  CHECK(vocab.size() == 1);
  CHECK(vocab.has_unk());
  CHECK(vocab.token(0) == "<unk>");
  CHECK(vocab.id("anything") == Vocabulary::kUnkId);
}

TEST_CASE("vocabulary: build orders by count then bytes, after <unk>", "[nlp][vocabulary]") {
  const Vocabulary vocab = Vocabulary::build(kCounts, 1, 0);
  CHECK(vocab.tokens() == std::vector<std::string>{"<unk>", "the", "bat", "cat", "dog", "rare"});
  CHECK(vocab.has_unk());
  CHECK(vocab.unk_id() == 0);
  CHECK(vocab.id("cat") == 3);
  CHECK(vocab.id(std::string_view("category").substr(0, 3)) == 3);
  CHECK(vocab.id("unseen") == 0);
  CHECK(vocab.find("dog") == std::optional<TokenId>(4));
  CHECK_FALSE(vocab.find("unseen").has_value());
  CHECK(vocab.contains("the"));
  CHECK(vocab.token(5) == "rare");
}

TEST_CASE("vocabulary: build applies min_count and max_size", "[nlp][vocabulary]") {
  CHECK(Vocabulary::build(kCounts, 3, 0).tokens() ==
        std::vector<std::string>{"<unk>", "the", "bat", "cat", "dog"});
  CHECK(Vocabulary::build(kCounts, 0, 0).size() == 7);  // min_count 0 keeps zero counts
  CHECK(Vocabulary::build(kCounts, 1, 3).tokens() == std::vector<std::string>{"<unk>", "the", "bat"});
  CHECK(Vocabulary::build(kCounts, 1, 1).tokens() == std::vector<std::string>{"<unk>"});
  CHECK(Vocabulary::build(kCounts, 100, 0).tokens() == std::vector<std::string>{"<unk>"});
  CHECK(Vocabulary::build({}, 1, 0).size() == 1);
}

TEST_CASE("vocabulary: build and the constructor reject tokens vocab.txt cannot hold", "[nlp][vocabulary]") {
  CHECK_THROWS_AS(Vocabulary::build({{"a\nb", 2}}, 1, 0), InvalidArgument);
  CHECK_THROWS_AS(Vocabulary::build({{"", 2}}, 1, 0), InvalidArgument);
  CHECK_THROWS_WITH(Vocabulary({"<unk>", "a", "a"}), Contains("token 2: duplicate of token 1"));
  CHECK_THROWS_WITH(Vocabulary({"a", "<unk>"}), Contains("must be token 0"));
  CHECK_THROWS_AS(Vocabulary({"<unk>", "b\xff"}), InvalidArgument);
}

TEST_CASE("vocabulary: save then load round trips", "[nlp][vocabulary]") {
  const test::TempDir dir;
  const Vocabulary vocab({"<unk>", "the", "café", "日本語", "tab\there", "two words", "❤️"});
  vocab.save(dir / "vocab.txt");
  CHECK(read_file(dir / "vocab.txt") == "<unk>\nthe\ncafé\n日本語\ntab\there\ntwo words\n❤️\n");
  const Vocabulary loaded = Vocabulary::load(dir / "vocab.txt");
  CHECK(loaded == vocab);
  CHECK(loaded.id("two words") == 5);
  CHECK(loaded.has_unk());
}

TEST_CASE("vocabulary: load accepts CRLF, a BOM and a missing final newline", "[nlp][vocabulary]") {
  const test::TempDir dir;
  test::write_bytes(dir / "vocab.txt", "\xEF\xBB\xBF<unk>\r\nthe\r\ncat");
  CHECK(Vocabulary::load(dir / "vocab.txt").tokens() == std::vector<std::string>{"<unk>", "the", "cat"});
}

TEST_CASE("vocabulary: a file without <unk> has no unknown id", "[nlp][vocabulary]") {
  const test::TempDir dir;
  test::write_bytes(dir / "vocab.txt", "[PAD]\nthe\ncat\n");
  const Vocabulary vocab = Vocabulary::load(dir / "vocab.txt");
  CHECK_FALSE(vocab.has_unk());
  CHECK(vocab.unk_id() == Vocabulary::kNoId);
  CHECK(vocab.id("unseen") == -1);
  CHECK(vocab.id("cat") == 2);
}

TEST_CASE("vocabulary: load reports bad files with path and line", "[nlp][vocabulary]") {
  const test::TempDir dir;
  const auto path = dir / "vocab.txt";
  const auto load = [&](std::string_view bytes) {
    test::write_bytes(path, bytes);
    return Vocabulary::load(path);
  };
  CHECK_THROWS_AS(load("<unk>\nthe\ncat\nthe\n"), FormatError);
  CHECK_THROWS_WITH(load("<unk>\nthe\ncat\nthe\n"),
                    Contains("vocab.txt:4: duplicate token 'the' (first on line 2)"));
  CHECK_THROWS_WITH(load("<unk>\nthe\n\ncat\n"), Contains("vocab.txt:3: empty line"));
  CHECK_THROWS_WITH(load("<unk>\nthe\n\n"), Contains("vocab.txt:3: empty line"));
  CHECK_THROWS_WITH(load("<unk>\nna\xefve\n"), Contains("vocab.txt:2: invalid UTF-8"));
  CHECK_THROWS_WITH(load("the\n<unk>\n"), Contains("vocab.txt:2: <unk> must be on line 1"));
  CHECK_THROWS_WITH(load(""), Contains("empty vocabulary"));
}

TEST_CASE("vocabulary: load of a missing file throws IoError", "[nlp][vocabulary]") {
  const test::TempDir dir;
  CHECK_THROWS_AS(Vocabulary::load(dir / "missing.txt"), IoError);
}

TEST_CASE("vocabulary: from_pieces keeps the unknown piece where the model put it", "[nlp][vocabulary]") {
  const Vocabulary v = Vocabulary::from_pieces({"<pad>", "</s>", "<unk>", "\xe2\x96\x81the", "s"}, 2);
  CHECK(v.size() == 5);
  CHECK(v.has_unk());
  CHECK(v.unk_id() == 2);
  CHECK(v.id("s") == 4);
  CHECK(v.id("missing") == 2);
  CHECK(!v.find("missing"));
  CHECK(
      !(v == Vocabulary::from_pieces({"<pad>", "</s>", "<unk>", "\xe2\x96\x81the", "s"}, Vocabulary::kNoId)));
  const Vocabulary none = Vocabulary::from_pieces({"a", "b"}, Vocabulary::kNoId);
  CHECK(!none.has_unk());
  CHECK(none.id("c") == Vocabulary::kNoId);
  CHECK_THROWS_AS(Vocabulary::from_pieces({"a", "b"}, 2), InvalidArgument);
  CHECK_THROWS_AS(Vocabulary::from_pieces({"a", "a"}, 0), InvalidArgument);
  CHECK_THROWS_AS(Vocabulary::from_pieces({"a", ""}, 0), InvalidArgument);
  CHECK_THROWS_AS(Vocabulary::from_pieces({"a", "b\xff"}, 0), InvalidArgument);
  // Pieces may hold a line break (SentencePiece's test model has "\r" in one); not savable.
  const Vocabulary breaks = Vocabulary::from_pieces({"<unk>", "a\r", "\n"}, 0);
  CHECK(breaks.id("\n") == 2);
  const test::TempDir dir;
  CHECK_THROWS_WITH(breaks.save(dir / "vocab.txt"), Contains("cannot save token 1"));
  // The ordinary constructor still wants <unk> first.
  CHECK_THROWS_AS(Vocabulary(std::vector<std::string>{"<pad>", "<unk>"}), InvalidArgument);
}

}  // namespace textlrp::nlp
