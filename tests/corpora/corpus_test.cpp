// tests/corpora/corpus_test.cpp — open_corpus(): FORMAT:PATH specs and format detection.
#include "corpora/corpus.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp::corpora;
using Catch::Matchers::Contains;
using textlrp::test::TempDir;
using textlrp::test::write_bytes;

namespace {

// Opens a bare path and returns the detected format, checking the warning that reports it.
std::string detected(const std::filesystem::path& path) {
  std::vector<std::string> warnings;
  CorpusOptions options;
  options.warn = [&](std::string_view w) { warnings.emplace_back(w); };
  auto reader = open_corpus(path.string(), options);
  REQUIRE(!warnings.empty());
  CHECK(warnings[0] ==
        "corpus: detected format '" + std::string(reader->format()) + "' for " + path.string());
  return std::string(reader->format());
}

}  // namespace

TEST_CASE("corpus: FORMAT:PATH selects the reader", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "x.dat", "ham\thello\n");
  auto reader = open_corpus("tsv:" + (dir / "x.dat").string(), {});
  CHECK(reader->format() == "tsv");
  reader = open_corpus("text:" + (dir / "x.dat").string(), {});
  CHECK(reader->format() == "text");
  Example e;
  REQUIRE(reader->next(e));
  CHECK(e.text == "ham\thello");
}

TEST_CASE("corpus: unknown formats and undetectable paths are InvalidArgument", "[corpora]") {
  TempDir dir;
  CHECK_THROWS_AS(open_corpus("xlsx:" + (dir / "a").string(), {}), textlrp::InvalidArgument);
  CHECK_THROWS_WITH(open_corpus("xlsx:/nonexistent", {}),
                    Contains("unknown corpus format 'xlsx'") &&
                        Contains("folder, spamassassin, jsonl, text, tsv, csv, sst"));
  write_bytes(dir / "data.bin", "no idea what this is\n");
  CHECK_THROWS_AS(open_corpus((dir / "data.bin").string(), {}), textlrp::InvalidArgument);
  CHECK_THROWS_WITH(
      open_corpus((dir / "data.bin").string(), {}),
      Contains("data.bin: cannot detect the corpus format") && Contains("jsonl, text, tsv, csv, sst"));
  CHECK_THROWS_AS(open_corpus("-", {}), textlrp::InvalidArgument);
  CHECK_THROWS_AS(open_corpus("jsonl:", {}), textlrp::InvalidArgument);
}

TEST_CASE("corpus: a missing bare path is an IoError naming it", "[corpora]") {
  TempDir dir;
  CHECK_THROWS_AS(open_corpus((dir / "missing").string(), {}), textlrp::IoError);
  CHECK_THROWS_WITH(open_corpus((dir / "missing").string(), {}), Contains("missing"));
  CHECK_THROWS_AS(open_corpus("folder:" + (dir / "missing").string(), {}), textlrp::IoError);
}

TEST_CASE("corpus: detects the format of a bare path", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "news/sci.med/1", "doc");
  CHECK(detected(dir / "news") == "folder");

  write_bytes(dir / "pkg/data/easy-ham-1/1.txt", "x");
  write_bytes(dir / "pkg/data/spam-2/1.txt", "y");
  CHECK(detected(dir / "pkg") == "spamassassin");
  CHECK(detected(dir / "pkg/data") == "spamassassin");

  // Labels exactly "ham" and "spam" are an ordinary folder corpus.
  write_bytes(dir / "plain/ham/1", "x");
  write_bytes(dir / "plain/spam/1", "y");
  CHECK(detected(dir / "plain") == "folder");

  write_bytes(dir / "in.jsonl", "{\"text\": \"a\"}\n");
  CHECK(detected(dir / "in.jsonl") == "jsonl");

  write_bytes(dir / "train.txt", "\n(3 (2 a) (4 b))\n");
  CHECK(detected(dir / "train.txt") == "sst");

  write_bytes(dir / "SMSSpamCollection", "ham\tGo until jurong point, crazy..\n");
  CHECK(detected(dir / "SMSSpamCollection") == "tsv");

  write_bytes(dir / "sentences.txt", "just some text\nmore (text)\n");
  CHECK(detected(dir / "sentences.txt") == "text");

  // A tab after a long or spaced first field is not a TSV label.
  write_bytes(dir / "tabs.txt", "a sentence with\ta tab\n");
  CHECK(detected(dir / "tabs.txt") == "text");
}

TEST_CASE("corpus: detection on the shared data", "[corpora][shared]") {
  const auto root = textlrp::test::shared_data_path("");
  if (root.empty()) {
    WARN("../shared/data not available: skipped");
    return;
  }
  CHECK(detect_corpus_format(root / "20news-bydate/test") == "folder");
  CHECK(detect_corpus_format(root / "sst/trees/test.txt") == "sst");
  CHECK(detect_corpus_format(root / "sms-spam/SMSSpamCollection") == "tsv");
}

TEST_CASE("corpus: read_all drains the reader", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "a.txt", "one\ntwo\n");
  auto reader = open_corpus("text:" + (dir / "a.txt").string(), {});
  CHECK(read_all(*reader).size() == 2);
  CHECK(read_all(*reader).empty());
}
