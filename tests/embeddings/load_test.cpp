// tests/embeddings/load_test.cpp — format detection, load_embeddings(), the invalid-UTF-8 policy,
// and [shared] tests on the real files in ../shared/data/vectors (expected figures from its
// SOURCE.md, checked with an independent Python reading).
#include "embeddings/load.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "core/error.h"
#include "nlp/vocabulary.h"
#include "tests/catch.h"
#include "tests/embeddings/emb_fixtures.h"
#include "tests/helpers.h"

namespace textlrp::emb {
namespace {

using Catch::Matchers::Contains;
using test::LogSink;
using textlrp::test::TempDir;
using textlrp::test::write_bytes;

Format detect(const TempDir& dir, std::string_view bytes, std::string* description = nullptr) {
  write_bytes(dir / "f", bytes);
  return detect_format(dir / "f", description);
}

}  // namespace

TEST_CASE("load: format names", "[embeddings][load]") {
  for (const Format f : {Format::kAuto, Format::kWord2VecBinary, Format::kWord2VecText, Format::kGlove}) {
    CHECK(parse_format(to_string(f)) == f);
  }
  CHECK(parse_format("vec") == Format::kWord2VecText);
  CHECK(parse_format("bin") == Format::kWord2VecBinary);
  CHECK(parse_format("txt") == Format::kGlove);
  CHECK_THROWS_WITH(parse_format("npy"), Contains("unknown embeddings format 'npy': expected auto"));
}

TEST_CASE("load: detects each format from its first bytes", "[embeddings][load]") {
  TempDir dir;
  std::string d;
  CHECK(detect(dir, test::w2v_binary("2 2\n", {{"a", {1, 2}}, {"b", {3, 4}}}), &d) ==
        Format::kWord2VecBinary);
  CHECK(d == "word2vec binary (header 2 x 2)");
  // Binary floats that happen to contain '\n' bytes are still binary.
  CHECK(detect(dir, std::string("1 1\na \x0A\x00\x80\x3F", 10)) == Format::kWord2VecBinary);
  CHECK(detect(dir, "2 3\nthe 1 2 3 \nof 4 5 6 \n", &d) == Format::kWord2VecText);
  CHECK(d == "word2vec text (header 2 x 3)");
  CHECK(detect(dir, "0 300\n") == Format::kWord2VecText);  // header only
  // A text row whose width disagrees with the header is still text (the reader then says so).
  CHECK(detect(dir, "2 999999999999\ngood 0.1 0.2 0.3\n", &d) == Format::kWord2VecText);
  CHECK(d == "word2vec text (header 2 x 999999999999)");
  CHECK(detect(dir,
               "\xEF\xBB\xBF"
               "1 2\r\nx 1 2\r\n") == Format::kWord2VecText);
  CHECK(detect(dir, "the 1 2 3\n", &d) == Format::kGlove);
  CHECK(d == "GloVe text (no header, 4 fields on line 1)");
  CHECK(detect(dir, "new york 1e-3\n") == Format::kGlove);
  CHECK_THROWS_WITH(detect(dir, ""), Contains("f: empty file"));
  CHECK_THROWS_WITH(detect(dir, "hello world\nfoo\n"),
                    Contains("f:1: cannot tell the embeddings format: line 1 is neither"));
  CHECK_THROWS_WITH(detect(dir, "{\"json\": 1}\n"), Contains("cannot tell the embeddings format"));
  CHECK_THROWS_AS(detect_format(dir / "missing"), IoError);
  CHECK_THROWS_AS(detect_format(dir.path()), IoError);
}

TEST_CASE("load: load_embeddings says what it detected, and what it loaded", "[embeddings][load]") {
  TempDir dir;
  write_bytes(dir / "v.bin", test::w2v_binary("2 2\n", {{"a", {1, 2}}, {"b", {3, 4}}}));
  LogSink log;
  const EmbeddingTable t = load_embeddings(dir / "v.bin", Format::kAuto, log.fn());
  CHECK(t.size() == 2);
  REQUIRE(log.lines.size() == 2);
  CHECK(log.lines[0] == "embeddings: detected word2vec binary (header 2 x 2) in " + (dir / "v.bin").string());
  CHECK(log.lines[1] == "embeddings: loaded 2 words x 2 dims from " + (dir / "v.bin").string());

  // A requested format is used as is (and the reader complains when it is wrong).
  LogSink log2;
  CHECK_THROWS_WITH(load_embeddings(dir / "v.bin", Format::kGlove, log2.fn()), Contains("GloVe text"));
  CHECK(log2.contains("reading " + (dir / "v.bin").string() + " as glove"));
  CHECK_THROWS_AS(load_embeddings(dir / "nope.vec"), IoError);
}

TEST_CASE("load: invalid UTF-8 words: error, Latin-1 or skip", "[embeddings][load]") {
  TempDir dir;
  const std::string text = "3 1\na 1\nclich\xE9s 2\n\x97 3\n";
  write_bytes(dir / "l.vec", text);
  LoadOptions strict;
  strict.invalid_utf8 = LoadOptions::InvalidUtf8::kError;
  CHECK_THROWS_WITH(load_embeddings(dir / "l.vec", Format::kAuto, {}, strict),
                    Contains("l.vec:3: word2vec text: word 'clich\\xE9s' is not valid UTF-8"));
  LoadOptions opt;  // the default: Latin-1, with a warning
  LogSink log;
  EmbeddingTable t = load_embeddings(dir / "l.vec", Format::kAuto, log.fn(), opt);
  CHECK(t.words == std::vector<std::string>{"a", "clichés", "\xC2\x97"});
  CHECK(log.contains("2 word(s) not valid UTF-8 decoded as Latin-1 (first 'clich\\xE9s' on line 3)"));
  opt.invalid_utf8 = LoadOptions::InvalidUtf8::kSkip;
  t = load_embeddings(dir / "l.vec", Format::kAuto, {}, opt);
  CHECK(t.words == std::vector<std::string>{"a"});  // header count still satisfied

  write_bytes(dir / "l.bin", test::w2v_binary("2 1\n", {{"a", {1}}, {"\xE9t\xE9", {2}}}));
  CHECK_THROWS_WITH(load_embeddings(dir / "l.bin", Format::kAuto, {}, strict),
                    Contains("byte 10: word2vec binary: word"));
  opt.invalid_utf8 = LoadOptions::InvalidUtf8::kLatin1;
  CHECK(load_embeddings(dir / "l.bin", Format::kAuto, {}, opt).words == std::vector<std::string>{"a", "été"});
  // A non-UTF-8 word on the first row does not make a text file look binary.
  write_bytes(dir / "first.vec", "2 2\n\xE9t\xE9 1 2\na 3 4\n");
  CHECK(detect_format(dir / "first.vec") == Format::kWord2VecText);
  CHECK(load_embeddings(dir / "first.vec").words == std::vector<std::string>{"\xC3\xA9t\xC3\xA9", "a"});
  write_bytes(dir / "first.txt", "\xE9t\xE9 1 2\na 3 4\n");
  CHECK(detect_format(dir / "first.txt") == Format::kGlove);
  write_bytes(dir / "l.txt", "a 1\n\xE9t\xE9 2\n");
  CHECK_THROWS_WITH(load_embeddings(dir / "l.txt", Format::kAuto, {}, strict),
                    Contains("l.txt:2: GloVe text: word"));
  CHECK(load_embeddings(dir / "l.txt", Format::kAuto, {}, opt).words == std::vector<std::string>{"a", "été"});
}

TEST_CASE("load: the committed tiny fixtures agree across formats", "[embeddings][load]") {
  const EmbeddingTable bin = load_embeddings(textlrp::test::fixture_path("embeddings/tiny.bin"));
  const EmbeddingTable vec = load_embeddings(textlrp::test::fixture_path("embeddings/tiny.vec"));
  const EmbeddingTable glove = load_embeddings(textlrp::test::fixture_path("embeddings/tiny.glove.txt"));
  CHECK(detect_format(textlrp::test::fixture_path("embeddings/tiny.bin")) == Format::kWord2VecBinary);
  CHECK(detect_format(textlrp::test::fixture_path("embeddings/tiny.vec")) == Format::kWord2VecText);
  CHECK(detect_format(textlrp::test::fixture_path("embeddings/tiny.glove.txt")) == Format::kGlove);
  REQUIRE(bin.size() == 5);
  REQUIRE(bin.dim() == 4);
  CHECK(bin.words == std::vector<std::string>{"the", "movie", "good", "bad", "naïve"});
  CHECK(vec.words == bin.words);
  CHECK(glove.words == bin.words);
  CHECK(vec.vectors == bin.vectors);
  CHECK(glove.vectors == bin.vectors);
  CHECK(bin.vectors.row(2) == -bin.vectors.row(3));
  CHECK(bin.vectors(0, 1) == -1.25f);
}

// ------------------------------------------------------------------------------------------------
// Real files (../shared/data/vectors; figures from its SOURCE.md).

namespace {

struct RealFile {
  const char* path;
  Format format;
  std::size_t n_words;
  Index dim;
  std::vector<std::string> first_words;
  std::string last_word;
  float first_value;  // vectors(0, 0)
  float last_value;   // vectors(n - 1, dim - 1)
};

const std::vector<RealFile> kRealFiles = {
    {"torchtext/glove.840B.300d.sample100.txt",
     Format::kGlove,
     100,
     300,
     {",", ".", "the", "and"},
     "people",
     -0.082752f,
     0.1951f},
    {"torchtext/glove.6B.50d.sample1.txt", Format::kGlove, 1, 50, {"the"}, "the", 0.418f, -0.78581f},
    {"torchtext/glove.6B.100d.sample1.txt", Format::kGlove, 1, 100, {"the"}, "the", -0.038194f, 0.27062f},
    {"torchtext/glove.6B.200d.sample1.txt", Format::kGlove, 1, 200, {"the"}, "the", -0.071549f, 0.25577f},
    {"torchtext/glove.6B.300d.sample1.txt", Format::kGlove, 1, 300, {"the"}, "the", 0.04656f, 0.053913f},
    {"torchtext/wiki.en.sample99.vec",
     Format::kWord2VecText,
     99,
     300,
     {",", ".", "the", "</s>"},
     "university",
     -0.023167f,
     0.025977f},
    {"gensim/test_glove.6B.50d.sample76.txt",
     Format::kGlove,
     76,
     50,
     {"the", "ö", "é", "हु"},
     "into",
     0.418f,
     -1.1741f},
    {"gensim/EN.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt",
     Format::kWord2VecText,
     20,
     300,
     {"one", "two", "three", "four"},
     "mango",
     -1.671300083398818970e-02f,
     2.991499900817871094e-01f},
    {"gensim/euclidean_vectors.bin",
     Format::kWord2VecBinary,
     2747,
     10,
     {"the", "to", "of", "in", "and"},
     "fly",
     0.4214532673358917f,
     0.0f /* not checked */},
    {"gensim/pang_lee_polarity_fasttext.vec",
     Format::kWord2VecText,
     1694,
     100,
     {".", "the", "</s>", ","},
     "worse",
     -0.0073677f,
     -0.0078876f},
};

}  // namespace

TEST_CASE("load: every real file in shared/data/vectors", "[embeddings][load][shared]") {
  const std::filesystem::path root = textlrp::test::shared_data_path("vectors");
  if (root.empty()) {
    WARN("../shared/data is absent: skipping the real embedding files");
    return;
  }
  for (const RealFile& f : kRealFiles) {
    INFO(f.path);
    const auto path = root / f.path;
    CHECK(detect_format(path) == f.format);
    LoadOptions opt;
    opt.allow_short_header = true;                         // wiki.en.sample99.vec
    opt.invalid_utf8 = LoadOptions::InvalidUtf8::kLatin1;  // pang_lee (5 cp1252 words)
    const EmbeddingTable t = load_embeddings(path, Format::kAuto, {}, opt);
    REQUIRE(t.size() == f.n_words);
    REQUIRE(t.dim() == f.dim);
    CHECK(std::vector<std::string>(
              t.words.begin(), t.words.begin() + static_cast<long>(f.first_words.size())) == f.first_words);
    CHECK(t.words.back() == f.last_word);
    CHECK(t.vectors(0, 0) == f.first_value);
    if (f.last_value != 0.0f) CHECK(t.vectors(t.vectors.rows() - 1, f.dim - 1) == f.last_value);
    CHECK(t.vectors.allFinite());
  }
}

TEST_CASE("load: the real files' known defects are reported, not hidden", "[embeddings][load][shared]") {
  const std::filesystem::path root = textlrp::test::shared_data_path("vectors");
  if (root.empty()) {
    WARN("../shared/data is absent: skipping the real embedding files");
    return;
  }
  // wiki.en.sample99.vec: header "2519370 300", 99 rows.
  const auto wiki = root / "torchtext/wiki.en.sample99.vec";
  CHECK_THROWS_WITH(load_embeddings(wiki),
                    Contains("wiki.en.sample99.vec:1: word2vec text: header claims 2519370 "
                             "words, file holds 99"));
  LoadOptions opt;
  opt.allow_short_header = true;
  LogSink log;
  CHECK(load_embeddings(wiki, Format::kAuto, log.fn(), opt).size() == 99);
  CHECK(log.contains("detected word2vec text (header 2519370 x 300)"));
  CHECK(log.contains("warning"));

  // pang_lee_polarity_fasttext.vec: line 150 is the cp1252 em dash 0x97.
  const auto pang = root / "gensim/pang_lee_polarity_fasttext.vec";
  LoadOptions strict;
  strict.invalid_utf8 = LoadOptions::InvalidUtf8::kError;
  CHECK_THROWS_WITH(load_embeddings(pang, Format::kAuto, {}, strict),
                    Contains("pang_lee_polarity_fasttext.vec:150: word2vec text: word '\\x97' is "
                             "not valid UTF-8"));
  opt.invalid_utf8 = LoadOptions::InvalidUtf8::kLatin1;
  const EmbeddingTable t = load_embeddings(pang, Format::kAuto, {}, opt);
  CHECK(t.find("clichés").has_value());
  opt.invalid_utf8 = LoadOptions::InvalidUtf8::kSkip;
  CHECK(load_embeddings(pang, Format::kAuto, {}, opt).size() == 1694 - 5);

  // The same "the" vector in two samples of glove.6B.50d.
  const EmbeddingTable a = load_embeddings(root / "torchtext/glove.6B.50d.sample1.txt");
  const EmbeddingTable b = load_embeddings(root / "gensim/test_glove.6B.50d.sample76.txt");
  CHECK(a.vectors.row(0) == b.vectors.row(*b.find("the")));
}

TEST_CASE("load: coverage of a real file against a hand-made vocabulary", "[embeddings][load][shared]") {
  const std::filesystem::path root = textlrp::test::shared_data_path("vectors");
  if (root.empty()) {
    WARN("../shared/data is absent: skipping the real embedding files");
    return;
  }
  const nlp::Vocabulary vocab({"<unk>", "the", "and", "of", "zzzqx", "people", "The", "PEOPLE"});
  LoadOptions only;
  only.only = &vocab;
  const EmbeddingTable t =
      load_embeddings(root / "torchtext/glove.840B.300d.sample100.txt", Format::kAuto, {}, only);
  CHECK(t.size() == 5);  // the, and, of, The, people (the file has no "PEOPLE")
  const Coverage c = coverage(t, vocab);
  CHECK(c.n_vocab == 7);
  CHECK(c.n_found == 5);
  CHECK(c.n_found_casefold == 1);  // PEOPLE -> people
  CHECK(c.most_frequent_missing == std::vector<std::string>{"zzzqx"});
}

// Not run by default (run it with "[emb-bench]"): load speed on generated files of ~170 MB
// (text) and ~70 MB (binary).
TEST_CASE("load: speed on generated files", "[.][emb-bench]") {
  TempDir dir;
  const int n = 60000, dim = 300;
  std::vector<test::Row> rows;
  std::string glove;
  for (int i = 0; i < n; ++i) {
    std::vector<float> v(dim);
    glove += fmt::format("w{}", i);
    for (int j = 0; j < dim; ++j) {
      v[static_cast<std::size_t>(j)] = static_cast<float>((i * 31 + j * 17) % 1000) / 997.0f - 0.5f;
      glove += ' ' + std::to_string(v[static_cast<std::size_t>(j)]).substr(0, 9);
    }
    glove += '\n';
    rows.emplace_back(fmt::format("w{}", i), std::move(v));
  }
  write_bytes(dir / "g.txt", glove);
  write_bytes(dir / "v.vec", fmt::format("{} {}\n", n, dim) + glove);
  write_bytes(dir / "v.bin", test::w2v_binary(fmt::format("{} {}\n", n, dim), rows, true));
  for (const char* name : {"g.txt", "v.vec", "v.bin"}) {
    const auto t0 = std::chrono::steady_clock::now();
    const EmbeddingTable t = load_embeddings(dir / name);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double mb = static_cast<double>(std::filesystem::file_size(dir / name)) / 1e6;
    WARN(fmt::format("{}: {:.1f} MB, {} x {} in {:.3f} s = {:.0f} MB/s", name, mb, t.size(), t.dim(), s,
                     mb / s));
    CHECK(t.size() == static_cast<std::size_t>(n));
  }
  // The largest real file (1.8 MB), read 20 times.
  const std::filesystem::path root = textlrp::test::shared_data_path("vectors");
  if (root.empty()) return;
  const auto pang = root / "gensim/pang_lee_polarity_fasttext.vec";
  LoadOptions opt;
  opt.invalid_utf8 = LoadOptions::InvalidUtf8::kLatin1;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) CHECK(load_embeddings(pang, Format::kAuto, {}, opt).size() == 1694);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double mb = 20 * static_cast<double>(std::filesystem::file_size(pang)) / 1e6;
  WARN(
      fmt::format("pang_lee_polarity_fasttext.vec x 20: {:.1f} MB in {:.3f} s = {:.0f} MB/s", mb, s, mb / s));
}

}  // namespace textlrp::emb
