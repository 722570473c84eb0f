// tests/corpora/bom_encoding_test.cpp — a UTF-8 byte-order mark is skipped in every text format, and
// --encoding (utf-8 / latin-1 / replace) for the line formats.
#include <string>
#include <vector>

#include "core/error.h"
#include "corpora/corpus.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp::corpora;
using Catch::Matchers::Contains;
using textlrp::test::TempDir;
using textlrp::test::write_bytes;

namespace {
const std::string kBom = "\xEF\xBB\xBF";

std::vector<Example> read_spec(const std::string& spec, const CorpusOptions& options = {}) {
  return read_all(*open_corpus(spec, options));
}
}  // namespace

TEST_CASE("BOM: skipped at the start of every line format", "[corpora][bom]") {
  TempDir dir;
  SECTION("tsv: the first label is 'Business', not '\\ufeffBusiness'") {
    write_bytes(dir / "news.tsv", kBom + "Business\tstocks fell\nSports\tgoal\n");
    const auto docs = read_spec("tsv:" + (dir / "news.tsv").string());
    REQUIRE(docs.size() == 2);
    CHECK(docs[0].label == "Business");
    // Detection sees through the BOM too.
    CHECK(detect_corpus_format(dir / "news.tsv") == "tsv");
    write_bytes(dir / "news.dat", kBom + "Business\tstocks fell\n");
    CHECK(detect_corpus_format(dir / "news.dat") == "tsv");
  }
  SECTION("sst") {
    write_bytes(dir / "t.txt", kBom + "(3 (2 good) (3 film))\n");
    const auto docs = read_spec("sst:" + (dir / "t.txt").string());
    REQUIRE(docs.size() == 1);
    CHECK(docs[0].label == "3");
    CHECK(docs[0].text == "good film");
    CHECK(detect_corpus_format(dir / "t.txt") == "sst");
  }
  SECTION("jsonl") {
    write_bytes(dir / "d.jsonl", kBom + "{\"text\": \"hi\", \"label\": \"a\"}\n");
    const auto docs = read_spec("jsonl:" + (dir / "d.jsonl").string());
    REQUIRE(docs.size() == 1);
    CHECK(docs[0].text == "hi");
  }
  SECTION("text") {
    write_bytes(dir / "d.txt", kBom + "first line\nsecond\n");
    const auto docs = read_spec("text:" + (dir / "d.txt").string());
    REQUIRE(docs.size() == 2);
    CHECK(docs[0].text == "first line");
  }
  SECTION("csv") {
    write_bytes(dir / "d.csv", kBom + "label,text\r\npos,great\r\n");
    const auto docs = read_spec("csv:" + (dir / "d.csv").string());
    REQUIRE(docs.size() == 1);
    CHECK(docs[0].label ==
          "pos");  // the header was recognised: its first field is "label", not "\ufefflabel"
    CHECK(docs[0].text == "great");
  }
  SECTION("folder files") {
    write_bytes(dir / "f/spam/1.txt", kBom + "buy now");
    write_bytes(dir / "f/ham/2.txt", "hello");
    const auto docs = read_spec("folder:" + (dir / "f").string());
    REQUIRE(docs.size() == 2);
    for (const auto& d : docs) CHECK(d.text.rfind(kBom, 0) == std::string::npos);
  }
}

TEST_CASE("BOM: an invisible character in a message is shown escaped", "[corpora][bom]") {
  TempDir dir;
  // A BOM that is not at the start of the file stays text; the SST parser names it visibly.
  write_bytes(dir / "t.txt", "(3 (2 good) (3 film))\n" + kBom + "(2 x)\n");
  try {
    read_spec("sst:" + (dir / "t.txt").string());
    FAIL("expected a FormatError");
  } catch (const textlrp::FormatError& e) {
    CHECK_THAT(std::string(e.what()),
               Contains("t.txt:2:1: expected '(' at the start of a tree, got '<U+FEFF>'"));
  }
  write_bytes(dir / "z.tsv", "a\tb\nno tab\xE2\x80\x8Bhere\n");
  CHECK_THROWS_WITH(read_spec("tsv:" + (dir / "z.tsv").string()), Contains("'no tab<U+200B>here'"));
}

TEST_CASE("encoding: utf-8 strict, latin-1 and replace for the line formats", "[corpora][encoding]") {
  TempDir dir;
  write_bytes(dir / "d.tsv", "pos\tcaf\xE9 ok\nneg\tna\xEF\xBF\xBDve \xFF\xFE end\n");
  const std::string spec = "tsv:" + (dir / "d.tsv").string();
  CHECK_THROWS_WITH(read_spec(spec), Contains("d.tsv:1:8: expected UTF-8, got invalid byte 0xE9") &&
                                         Contains("--encoding latin-1 or --encoding replace"));
  CorpusOptions latin1;
  latin1.encoding = Encoding::kLatin1;
  auto docs = read_spec(spec, latin1);
  REQUIRE(docs.size() == 2);
  CHECK(docs[0].text == "caf\xC3\xA9 ok");
  CHECK(docs[1].text == "na\xC3\xAF\xC2\xBF\xC2\xBDve \xC3\xBF\xC3\xBE end");  // every byte one code point

  std::vector<std::string> warnings;
  CorpusOptions replace;
  replace.encoding = Encoding::kReplace;
  replace.warn = [&](std::string_view m) { warnings.emplace_back(m); };
  docs = read_spec(spec, replace);
  REQUIRE(docs.size() == 2);
  CHECK(docs[0].text == "caf\xEF\xBF\xBD ok");
  CHECK(docs[1].text == "na\xEF\xBF\xBDve \xEF\xBF\xBD\xEF\xBF\xBD end");  // the valid U+FFFD is kept
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Contains("replaced 3 invalid byte sequences in " + (dir / "d.tsv").string()) &&
                              Contains("first on line 1"));

  // jsonl, text, sst and csv decode the same way.
  write_bytes(dir / "d.jsonl", "{\"text\": \"caf\xE9\"}\n");
  CHECK(read_spec("jsonl:" + (dir / "d.jsonl").string(), latin1)[0].text == "caf\xC3\xA9");
  write_bytes(dir / "d.txt", "caf\xE9\n");
  CHECK(read_spec("text:" + (dir / "d.txt").string(), replace)[0].text == "caf\xEF\xBF\xBD");
  write_bytes(dir / "s.txt", "(3 (3 caf\xE9))\n");
  CHECK(read_spec("sst:" + (dir / "s.txt").string(), latin1)[0].text == "caf\xC3\xA9");
  CHECK_THROWS_AS(read_spec("sst:" + (dir / "s.txt").string()), textlrp::FormatError);
  write_bytes(dir / "c.csv", "1,caf\xE9\n");
  CHECK(read_spec("csv:" + (dir / "c.csv").string(), latin1)[0].text == "caf\xC3\xA9");
  CHECK(parse_encoding("latin-1") == Encoding::kLatin1);
  CHECK_THROWS_AS(parse_encoding("cp1252"), textlrp::InvalidArgument);
}
