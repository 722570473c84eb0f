// tests/embeddings/word2vec_test.cpp — word2vec binary and text readers: happy paths on tiny
// fixtures, writers' round trip, and corruption (truncated, lying header, short row, NaN, ...).
#include "embeddings/word2vec.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "embeddings/load.h"
#include "nlp/vocabulary.h"
#include "tests/catch.h"
#include "tests/embeddings/emb_fixtures.h"
#include "tests/helpers.h"

namespace textlrp::emb {
namespace {

using Catch::Matchers::Contains;
using test::LogSink;
using test::w2v_binary;
using textlrp::test::TempDir;
using textlrp::test::write_bytes;

const std::vector<test::Row> kRows = {
    {"the", {0.5f, -1.25f}}, {"cat", {1e-3f, 2.0f}}, {"naïve", {-0.0f, 3.5f}}};

EmbeddingTable read_bin(const TempDir& dir, std::string_view bytes, const LoadOptions& opt = {},
                        const LogFn& log = {}) {
  write_bytes(dir / "v.bin", bytes);
  return read_word2vec_binary(dir / "v.bin", opt, log);
}

EmbeddingTable read_txt(const TempDir& dir, std::string_view text, const LoadOptions& opt = {},
                        const LogFn& log = {}) {
  write_bytes(dir / "v.vec", text);
  return read_word2vec_text(dir / "v.vec", opt, log);
}

void check_tiny(const EmbeddingTable& t) {
  REQUIRE(t.size() == 3);
  REQUIRE(t.dim() == 2);
  CHECK(t.words == std::vector<std::string>{"the", "cat", "naïve"});
  CHECK(t.vectors(0, 0) == 0.5f);
  CHECK(t.vectors(0, 1) == -1.25f);
  CHECK(t.vectors(1, 0) == 1e-3f);
  CHECK(t.vectors(2, 1) == 3.5f);
  CHECK(t.find("cat") == std::optional<Index>(1));
  CHECK_FALSE(t.find("dog").has_value());
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// binary

TEST_CASE("word2vec binary: reads rows with and without a newline after each vector",
          "[embeddings][word2vec]") {
  TempDir dir;
  check_tiny(read_bin(dir, w2v_binary("3 2\n", kRows, false)));
  check_tiny(read_bin(dir, w2v_binary("3 2\n", kRows, true)));
  check_tiny(read_bin(dir, w2v_binary("3 2\r\n", kRows, true) + "\n\n"));  // trailing whitespace
}

TEST_CASE("word2vec binary: max_words and only", "[embeddings][word2vec]") {
  TempDir dir;
  LoadOptions opt;
  opt.max_words = 2;
  EmbeddingTable t = read_bin(dir, w2v_binary("3 2\n", kRows), opt);
  CHECK(t.words == std::vector<std::string>{"the", "cat"});
  // max_words below the header count: a truncated third row is never read.
  std::string cut = w2v_binary("3 2\n", kRows);
  cut.resize(cut.size() - 3);
  CHECK(read_bin(dir, cut, opt).size() == 2);

  // only: exact matches, and file words whose case folding is in the vocabulary ("The").
  const nlp::Vocabulary vocab({"<unk>", "the", "naïve", "unused"});
  LoadOptions only;
  only.only = &vocab;
  const std::vector<test::Row> rows = {
      {"The", {1, 2}}, {"cat", {3, 4}}, {"naïve", {5, 6}}, {"NAÏVE", {7, 8}}};
  t = read_bin(dir, w2v_binary("4 2\n", rows), only);
  CHECK(t.words == std::vector<std::string>{"The", "naïve", "NAÏVE"});
  CHECK(t.vectors(1, 1) == 6.0f);
}

TEST_CASE("word2vec binary: empty file and bad headers", "[embeddings][word2vec]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_bin(dir, ""), Contains("v.bin: word2vec binary: empty file"));
  CHECK_THROWS_WITH(read_bin(dir, "hello world\n"),
                    Contains("byte 0: word2vec binary: expected a header '<n_words> <dim>'"));
  CHECK_THROWS_WITH(read_bin(dir, std::string(300, 'x')), Contains("within the first 256 bytes"));
  CHECK_THROWS_WITH(read_bin(dir, "3 0\n"), Contains("dim is 0"));
  CHECK_THROWS_WITH(read_bin(dir, "3 100001\n"), Contains("dim 100001 is absurd"));
  CHECK_THROWS_WITH(read_bin(dir, "-3 2\n"), Contains("expected a header"));
  CHECK_THROWS_AS(read_bin(dir, "3 2 1\n"), FormatError);
}

TEST_CASE("word2vec binary: a lying header is an error unless allow_short_header", "[embeddings][word2vec]") {
  TempDir dir;
  const std::string bytes = w2v_binary("5 2\n", kRows);
  CHECK_THROWS_WITH(read_bin(dir, bytes),
                    Contains("v.bin: byte 0: word2vec binary: header claims 5 words, file holds 3"));
  LoadOptions opt;
  opt.allow_short_header = true;
  LogSink log;
  check_tiny(read_bin(dir, bytes, opt, log.fn()));
  CHECK(log.contains("warning"));
  CHECK(log.contains("header claims 5 words, file holds 3"));
  CHECK(log.contains("using the 3 rows present"));
}

TEST_CASE("word2vec binary: a header claiming absurdly many words allocates nothing huge",
          "[embeddings][word2vec]") {
  TempDir dir;
  // 2^60 words x 100000 dims would overflow any size computation; the reader must neither
  // allocate from it nor overflow.
  const std::string bytes = w2v_binary("1152921504606846976 2\n", kRows);
  CHECK_THROWS_WITH(read_bin(dir, bytes), Contains("header claims 1152921504606846976 words, "
                                                   "file holds 3"));
  CHECK_THROWS_WITH(read_bin(dir, "18446744073709551615 100000\nx "), Contains("truncated row 1 (word 'x')"));
  CHECK_THROWS_AS(read_bin(dir, "99999999999999999999999 2\n"), FormatError);  // > uint64
  LoadOptions opt;
  opt.allow_short_header = true;
  check_tiny(read_bin(dir, bytes, opt));
}

TEST_CASE("word2vec binary: more rows than the header claims", "[embeddings][word2vec]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_bin(dir, w2v_binary("2 2\n", kRows)),
                    Contains("byte 28: word2vec binary: data after the 2 words the header claims"));
}

TEST_CASE("word2vec binary: truncated rows name the row and byte", "[embeddings][word2vec]") {
  TempDir dir;
  const std::string full = w2v_binary("3 2\n", kRows);  // words at bytes 4, 16, 28
  // Cut inside the second vector (starts at byte 20): 5 of its 8 bytes present.
  CHECK_THROWS_WITH(read_bin(dir, full.substr(0, 25)),
                    Contains("byte 20: word2vec binary: truncated row 2 (word 'cat'): expected 2 "
                             "float32 (8 bytes), the file ends after 5"));
  // Cut inside the third word.
  CHECK_THROWS_WITH(read_bin(dir, full.substr(0, 30)),
                    Contains("byte 28: word2vec binary: truncated row 3: the file ends inside the "
                             "word 'na'"));
}

TEST_CASE("word2vec binary: wrong dim in the header shows as misaligned rows", "[embeddings][word2vec]") {
  TempDir dir;
  // Rows have 2 values but the header says 1: the second "word" starts inside a vector.
  const std::string bytes = w2v_binary("3 1\n", kRows, true);
  CHECK_THROWS_WITH(read_bin(dir, bytes), Contains("is the header's dim right?"));
}

TEST_CASE("word2vec binary: NaN and Inf values", "[embeddings][word2vec]") {
  TempDir dir;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(read_bin(dir, w2v_binary("2 2\n", {{"a", {1, 2}}, {"b", {3, nan}}})),
                    Contains("byte 20: word2vec binary: row 2 (word 'b'): value 2 of 2 is NaN"));
  CHECK_THROWS_WITH(read_bin(dir, w2v_binary("1 2\n", {{"a", {-inf, 2}}})),
                    Contains("byte 6: word2vec binary: row 1 (word 'a'): value 1 of 2 is infinite"));
}

TEST_CASE("word2vec binary: duplicate words", "[embeddings][word2vec]") {
  TempDir dir;
  const std::string bytes = w2v_binary("3 2\n", {{"a", {1, 2}}, {"b", {3, 4}}, {"a", {5, 6}}});
  CHECK_THROWS_WITH(read_bin(dir, bytes),
                    Contains("byte 24: word2vec binary: duplicate word 'a' (first at byte 4)"));
  LoadOptions opt;
  opt.allow_duplicates = true;
  LogSink log;
  const EmbeddingTable t = read_bin(dir, bytes, opt, log.fn());
  CHECK(t.words == std::vector<std::string>{"a", "b"});
  CHECK(t.vectors(0, 0) == 1);  // the first row wins
  CHECK(log.contains("1 duplicate word(s) skipped"));
}

TEST_CASE("word2vec binary: words must be valid UTF-8 and non-empty", "[embeddings][word2vec]") {
  TempDir dir;
  LoadOptions strict;
  strict.invalid_utf8 = LoadOptions::InvalidUtf8::kError;
  CHECK_THROWS_WITH(read_bin(dir, w2v_binary("1 2\n", {{"ab\xFF", {1, 2}}}), strict),
                    Contains("byte 6: word2vec binary: word 'ab\\xFF' is not valid UTF-8"));
  CHECK_THROWS_WITH(read_bin(dir, w2v_binary("1 2\n", {{"", {1, 2}}})), Contains("empty word"));
}

TEST_CASE("word2vec binary: a text file read as binary is recognised", "[embeddings][word2vec]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_bin(dir, "1 3\nthe 0.25 -1.5 2.0\n"),
                    Contains("looks like word2vec TEXT, not binary"));
}

TEST_CASE("word2vec binary: a word without a space for 64 KiB", "[embeddings][word2vec]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_bin(dir, "1 2\n" + std::string(70000, 'a')),
                    Contains("no space within 65536 bytes"));
}

// ------------------------------------------------------------------------------------------------
// text

TEST_CASE("word2vec text: reads .vec files with trailing spaces, CRLF and a BOM", "[embeddings][word2vec]") {
  TempDir dir;
  check_tiny(read_txt(dir, "3 2\nthe 0.5 -1.25\ncat 0.001 2\nnaïve -0 3.5\n"));
  check_tiny(read_txt(dir, "3 2 \nthe 0.5 -1.25 \ncat 1e-3 +2.0 \nnaïve -0.0 3.5 \n"));
  check_tiny(read_txt(dir,
                      "\xEF\xBB\xBF"
                      "3 2\r\nthe  0.5  -1.25\r\ncat 0.001 2\r\nnaïve -0 3.5"));
  check_tiny(read_txt(dir, "3 2\nthe 0.5 -1.25\ncat 0.001 2\nnaïve -0 3.5\n\n\n"));
  // Values below float range underflow to 0 (or a subnormal), as strtof does.
  const EmbeddingTable t = read_txt(dir, "1 2\nx 1e-60 5e-40\n");
  CHECK(t.vectors(0, 0) == 0.0f);
  CHECK(t.vectors(0, 1) > 0.0f);
  CHECK(read_fasttext_vec(dir / "v.vec").size() == 1);
}

TEST_CASE("word2vec text: max_words", "[embeddings][word2vec]") {
  TempDir dir;
  LoadOptions opt;
  opt.max_words = 1;
  // The broken second row is never read.
  CHECK(read_txt(dir, "3 2\nthe 0.5 -1.25\ncat oops\n", opt).words == std::vector<std::string>{"the"});
}

TEST_CASE("word2vec text: empty file and bad headers", "[embeddings][word2vec]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_txt(dir, ""), Contains("v.vec: word2vec text: empty file"));
  CHECK_THROWS_WITH(read_txt(dir, "the 0.5 -1.25\n"),
                    Contains("v.vec:1: word2vec text: expected a header '<n_words> <dim>', got "
                             "'the 0.5 -1.25'"));
  CHECK_THROWS_WITH(read_txt(dir, "3 0\n"), Contains("v.vec:1: word2vec text: header: dim is 0"));
  CHECK_THROWS_WITH(read_txt(dir, "3 1000000\n"), Contains("dim 1000000 is absurd"));
  CHECK_THROWS_WITH(read_txt(dir, std::string(1000, '1') + " 2\n"), Contains("line longer than 256 bytes"));
}

TEST_CASE("word2vec text: a lying header is an error unless allow_short_header", "[embeddings][word2vec]") {
  TempDir dir;
  const std::string text = "2519370 2\nthe 0.5 -1.25\ncat 0.001 2\nnaïve -0 3.5\n";
  CHECK_THROWS_WITH(read_txt(dir, text),
                    Contains("v.vec:1: word2vec text: header claims 2519370 words, file holds 3"));
  LoadOptions opt;
  opt.allow_short_header = true;
  LogSink log;
  check_tiny(read_txt(dir, text, opt, log.fn()));
  CHECK(log.contains("v.vec: word2vec text: header claims 2519370 words, file holds 3"));
  CHECK(log.contains("using the 3 rows present"));
  CHECK_THROWS_WITH(read_txt(dir, "2 2\na 1 2\nb 1 2\nc 1 2\n"),
                    Contains("v.vec:4: word2vec text: more rows than the 2 words the header claims"));
}

TEST_CASE("word2vec text: rows of the wrong length and truncated files", "[embeddings][word2vec]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_txt(dir, "2 3\na 1 2 3\nb 1 2\n"),
                    Contains("v.vec:3: word2vec text: expected 4 fields (word + 3 floats), got 3"));
  CHECK_THROWS_WITH(read_txt(dir, "2 3\na 1 2 3\nb 1 2 3 4\n"),
                    Contains("v.vec:3: word2vec text: expected 4 fields (word + 3 floats), got 5"));
  CHECK_THROWS_WITH(read_txt(dir, "2 3\na 1 2 3\nnew york 1 2 3\n"),
                    Contains("v.vec:3: word2vec text: expected 4 fields (word + 3 floats), got 5"));
  // A file cut in the middle of a row.
  CHECK_THROWS_WITH(read_txt(dir, "2 3\na 1 2 3\nb 1"),
                    Contains("v.vec:3: word2vec text: expected 4 fields (word + 3 floats), got 2"));
  CHECK_THROWS_WITH(read_txt(dir, "2 3\na 1 2 3\n\nb 1 2 3\n"),
                    Contains("v.vec:3: word2vec text: empty line"));
  CHECK_THROWS_WITH(read_txt(dir, "1 3\n 1 2 3\n"), Contains("v.vec:2: word2vec text: empty word"));
}

TEST_CASE("word2vec text: non-numbers, NaN, Inf and overflow", "[embeddings][word2vec]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_txt(dir, "1 3\na 1 x2 3\n"),
                    Contains("v.vec:2: word2vec text: value 2 of 3: expected a float, got 'x2'"));
  CHECK_THROWS_WITH(read_txt(dir, "1 3\na 1 2 3,5\n"), Contains("expected a float, got '3,5'"));
  CHECK_THROWS_WITH(read_txt(dir, "1 3\na 1 nan 3\n"),
                    Contains("v.vec:2: word2vec text: value 2 of 3: expected a finite float, got "
                             "'nan'"));
  CHECK_THROWS_WITH(read_txt(dir, "1 3\na 1 2 -inf\n"), Contains("expected a finite float"));
  CHECK_THROWS_WITH(read_txt(dir, "1 3\na 1 2 1e39\n"),
                    Contains("value 3 of 3: expected a finite float, got '1e39'"));
  CHECK_THROWS_WITH(read_txt(dir, "1 3\na 1 2 0x10\n"), Contains("expected a float"));
}

TEST_CASE("word2vec text: duplicate and non-UTF-8 words", "[embeddings][word2vec]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_txt(dir, "3 1\na 1\nb 2\na 3\n"),
                    Contains("v.vec:4: word2vec text: duplicate word 'a' (first on line 2)"));
  LoadOptions strict;
  strict.invalid_utf8 = LoadOptions::InvalidUtf8::kError;
  CHECK_THROWS_WITH(read_txt(dir, "1 1\ncaf\xE9 1\n", strict),
                    Contains("v.vec:2: word2vec text: word 'caf\\xE9' is not valid UTF-8 (at byte "
                             "3 of the line)"));
}

TEST_CASE("word2vec text: a binary file read as text fails cleanly", "[embeddings][word2vec]") {
  TempDir dir;
  CHECK_THROWS_AS(read_txt(dir, w2v_binary("3 2\n", kRows)), FormatError);
}

// ------------------------------------------------------------------------------------------------
// writers

TEST_CASE("word2vec writers: binary and text round trip exactly", "[embeddings][word2vec]") {
  TempDir dir;
  Mat v(3, 4);
  v << 0.1f, -2.5e-7f, 3.0f, 1e30f,     //
      -0.0f, 1.0f / 3.0f, 7.0f, -8.0f,  //
      1e-40f, 2.0f, 123456.789f, -1.0f;
  const EmbeddingTable t({"a", "bé", "</s>"}, v);
  write_word2vec_binary(t, dir / "t.bin");
  write_word2vec_text(t, dir / "t.vec");
  for (const auto& p : {dir / "t.bin", dir / "t.vec"}) {
    const EmbeddingTable back = load_embeddings(p);
    CHECK(back.words == t.words);
    CHECK(back.vectors == t.vectors);
  }
  CHECK_THROWS_AS(write_word2vec_text(EmbeddingTable({"new york"}, Mat::Zero(1, 2)), dir / "x"),
                  InvalidArgument);
}

}  // namespace textlrp::emb
