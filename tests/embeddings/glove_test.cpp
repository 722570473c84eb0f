// tests/embeddings/glove_test.cpp — GloVe text reader: words with spaces, dim from line 1, and
// corruption (truncated, short row, NaN, duplicates, empty file, a word2vec header).
#include "embeddings/glove.h"

#include "nlp/vocabulary.h"

#include "core/error.h"
#include "embeddings/load.h"
#include "tests/catch.h"
#include "tests/embeddings/emb_fixtures.h"
#include "tests/helpers.h"

namespace textlrp::emb {
namespace {

using Catch::Matchers::Contains;
using textlrp::test::TempDir;
using textlrp::test::write_bytes;

EmbeddingTable read(const TempDir& dir, std::string_view text, const LoadOptions& opt = {},
                    const LogFn& log = {}) {
  write_bytes(dir / "g.txt", text);
  return read_glove_text(dir / "g.txt", opt, log);
}

}  // namespace

TEST_CASE("glove: reads rows, dim from the first line", "[embeddings][glove]") {
  TempDir dir;
  const EmbeddingTable t = read(dir, "the 0.418 0.24968 -0.41242\n, 1 2 3\nहु -1e-2 0 5\n");
  REQUIRE(t.size() == 3);
  REQUIRE(t.dim() == 3);
  CHECK(t.words == std::vector<std::string>{"the", ",", "हु"});
  CHECK(t.vectors(0, 0) == 0.418f);
  CHECK(t.vectors(2, 0) == -0.01f);
  // CRLF, trailing spaces, a BOM, no final newline, trailing blank lines.
  CHECK(read(dir, "\xEF\xBB\xBFthe 1 2 \r\ncat 3 4").words == std::vector<std::string>{"the", "cat"});
  CHECK(read(dir, "the 1 2\ncat 3 4\n\n\n").size() == 2);
}

TEST_CASE("issue_3_glove_spaces: the last dim fields are the numbers", "[embeddings][glove]") {
  TempDir dir;
  const EmbeddingTable t = read(dir, "the 1 2\n. . . 3 4\nat name@domain.com 5 6\n2 1/2 7 8\n");
  CHECK(t.words == std::vector<std::string>{"the", ". . .", "at name@domain.com", "2 1/2"});
  CHECK(t.vectors(3, 1) == 8.0f);
  // A word with a space on line 1: the numbers at its end give dim.
  const EmbeddingTable u = read(dir, "new york 0.5 0.25\nboston 1 2\n");
  CHECK(u.dim() == 2);
  CHECK(u.words == std::vector<std::string>{"new york", "boston"});
}

TEST_CASE("glove: max_words and only", "[embeddings][glove]") {
  TempDir dir;
  LoadOptions opt;
  opt.max_words = 2;
  CHECK(read(dir, "a 1\nb 2\nc oops\n", opt).words == std::vector<std::string>{"a", "b"});
  const nlp::Vocabulary vocab({"<unk>", "b", "paris"});
  LoadOptions only;
  only.only = &vocab;
  const EmbeddingTable t = read(dir, "a 1\nb 2\nParis 3\nc 4\n", only);
  CHECK(t.words == std::vector<std::string>{"b", "Paris"});
  CHECK(t.vectors(1, 0) == 3.0f);
}

TEST_CASE("glove: empty file, no numbers, absurd dim", "[embeddings][glove]") {
  TempDir dir;
  CHECK_THROWS_WITH(read(dir, ""), Contains("g.txt: GloVe text: empty file"));
  CHECK_THROWS_WITH(read(dir, "\n\n"), Contains("g.txt: GloVe text: empty file"));
  CHECK_THROWS_WITH(read(dir, "hello world\n"), Contains("g.txt:1: GloVe text: expected 'word v1 .. vD'"));
  CHECK_THROWS_WITH(read(dir, "0.5\n"), Contains("g.txt:1: GloVe text: expected 'word v1 .. vD'"));
  std::string wide = "w";
  for (int i = 0; i < 100001; ++i) wide += " 0";
  CHECK_THROWS_WITH(read(dir, wide + "\n"), Contains("dim is absurd"));
}

TEST_CASE("glove: a word2vec header (a 'lying' header here) is rejected", "[embeddings][glove]") {
  TempDir dir;
  CHECK_THROWS_WITH(read(dir, "2519370 3\nthe 1 2 3\n"),
                    Contains("g.txt:1: GloVe text: line 1 '2519370 3' looks like a "
                             "word2vec/fastText header"));
}

TEST_CASE("glove: short rows and truncated files", "[embeddings][glove]") {
  TempDir dir;
  CHECK_THROWS_WITH(read(dir, "a 1 2 3\nb 1 2\n"),
                    Contains("g.txt:2: GloVe text: expected 4 fields (word + 3 floats), got 3"));
  // Cut in the middle of the last row.
  CHECK_THROWS_WITH(read(dir, "a 1 2 3\nb 1 2 3\nc 0."),
                    Contains("g.txt:3: GloVe text: expected 4 fields (word + 3 floats), got 2"));
  // A row that lost a number but has a word with a space: the word part is not a number.
  CHECK_THROWS_WITH(read(dir, "a 1 2 3\nnew york 1 2\n"),
                    Contains("g.txt:2: GloVe text: value 1 of 3: expected a float, got 'york'"));
  CHECK_THROWS_WITH(read(dir, "a 1 2 3\n\nb 1 2 3\n"), Contains("g.txt:2: GloVe text: empty line"));
  CHECK_THROWS_WITH(read(dir, "a 1 2 3\n 1 2 3\n"), Contains("g.txt:2: GloVe text: empty word"));
}

TEST_CASE("glove: non-numbers, NaN, Inf", "[embeddings][glove]") {
  TempDir dir;
  CHECK_THROWS_WITH(read(dir, "a 1 2 3\nb 1 2 three\n"),
                    Contains("g.txt:2: GloVe text: value 3 of 3: expected a float, got 'three'"));
  CHECK_THROWS_WITH(read(dir, "a 1 2 3\nb NaN 2 3\n"),
                    Contains("g.txt:2: GloVe text: value 1 of 3: expected a finite float, got "
                             "'NaN'"));
  CHECK_THROWS_WITH(read(dir, "a 1 inf 3\n"),
                    Contains("g.txt:1: GloVe text: value 2 of 3: expected a finite float"));
  CHECK_THROWS_WITH(read(dir, "a 1 2 3\nb 1 2 -1e300\n"), Contains("expected a finite float"));
}

TEST_CASE("glove: duplicate and non-UTF-8 words", "[embeddings][glove]") {
  TempDir dir;
  CHECK_THROWS_WITH(read(dir, "a 1\nb 2\na 3\n"),
                    Contains("g.txt:3: GloVe text: duplicate word 'a' (first on line 1)"));
  LoadOptions opt;
  opt.allow_duplicates = true;
  test::LogSink log;
  CHECK(read(dir, "a 1\nb 2\na 3\n", opt, log.fn()).size() == 2);
  CHECK(log.contains("'a' on line 3, first on line 1"));
  LoadOptions strict;
  strict.invalid_utf8 = LoadOptions::InvalidUtf8::kError;
  CHECK_THROWS_WITH(read(dir, "a 1\n\xC3\x28 2\n", strict),
                    Contains("g.txt:2: GloVe text: word '\\xC3(' is not valid UTF-8"));
  // By default such a word is decoded as Latin-1, with one warning naming the count and the first.
  test::LogSink log2;
  CHECK(read(dir, "a 1\n\xC3\x28 2\n", {}, log2.fn()).words == std::vector<std::string>{"a", "\xC3\x83("});
  CHECK(log2.contains("1 word(s) not valid UTF-8 decoded as Latin-1 (first '\\xC3(' on line 2)"));
}

TEST_CASE("glove: a binary file read as GloVe fails cleanly", "[embeddings][glove]") {
  TempDir dir;
  CHECK_THROWS_AS(read(dir, test::w2v_binary("1 2\n", {{"a", {0.5f, 2}}})), FormatError);
  CHECK_THROWS_AS(read(dir, std::string("\0\x01\x02\x03 1\n", 8)), FormatError);
}

TEST_CASE("glove: writer round trip, words with spaces included", "[embeddings][glove]") {
  TempDir dir;
  Mat v(2, 3);
  v << 0.1f, -2.5e-7f, 3.0f, 1.0f / 3.0f, 7.0f, -8.0f;
  const EmbeddingTable t({"a b", "c"}, v);
  write_glove_text(t, dir / "t.txt");
  const EmbeddingTable back = load_embeddings(dir / "t.txt");
  CHECK(back.words == t.words);
  CHECK(back.vectors == t.vectors);
}

}  // namespace textlrp::emb
