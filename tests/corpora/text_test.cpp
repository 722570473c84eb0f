// tests/corpora/text_test.cpp — the text and tsv line readers.
#include "corpora/text.h"
#include "corpora/line_utils.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp::corpora;
using Catch::Matchers::Contains;
using textlrp::test::TempDir;
using textlrp::test::write_bytes;

TEST_CASE("text: one document per line, blank lines skipped", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "docs.txt", "first doc\r\n\n  \nthird \xC3\xA9\nlast without newline");
  auto reader = open_text_corpus(dir / "docs.txt", {});
  CHECK(reader->format() == "text");
  const std::vector<Example> docs = read_all(*reader);
  REQUIRE(docs.size() == 3);
  CHECK(docs[0].id == "1-3a1a57f7");  // line 1, FNV-1a of "first doc"
  CHECK(docs[0].text == "first doc");
  CHECK(!docs[0].label);
  CHECK(docs[1].id == "4-01f4b016");
  CHECK(docs[1].line == 4);
  CHECK(docs[1].text == "third \xC3\xA9");
  CHECK(docs[2].text == "last without newline");
}

TEST_CASE("text: invalid UTF-8 is an error naming line and column", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "docs.txt", "ok\nbad \xFF byte\n");
  auto reader = open_text_corpus(dir / "docs.txt", {});
  Example e;
  CHECK(reader->next(e));
  CHECK_THROWS_AS(reader->next(e), textlrp::FormatError);
  auto again = open_text_corpus(dir / "docs.txt", {});
  again->next(e);
  CHECK_THROWS_WITH(again->next(e), Contains("docs.txt:2:5: expected UTF-8, got invalid byte 0xFF"));
}

TEST_CASE("text: a missing file is an IoError", "[corpora]") {
  TempDir dir;
  CHECK_THROWS_AS(open_text_corpus(dir / "none.txt", {}), textlrp::IoError);
}

TEST_CASE("tsv: label TAB text", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "sms.tsv", "ham\tGo until jurong point\nspam\tFree entry\tin 2 a wkly comp\n\nham\t\n");
  auto reader = open_tsv_corpus(dir / "sms.tsv", {});
  CHECK(reader->format() == "tsv");
  const std::vector<Example> docs = read_all(*reader);
  REQUIRE(docs.size() == 3);
  CHECK(docs[0].label == "ham");
  CHECK(docs[0].text == "Go until jurong point");
  CHECK(docs[0].id == "1-2df8de52");
  CHECK(docs[1].label == "spam");
  CHECK(docs[1].text == "Free entry\tin 2 a wkly comp");
  CHECK(docs[2].id == "4-811c9dc5");
  CHECK(docs[2].text.empty());
}

TEST_CASE("tsv: a line without a tab or with an empty label is an error", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "a.tsv", "ham\tok\nno tab here\n");
  CHECK_THROWS_WITH(read_all(*open_tsv_corpus(dir / "a.tsv", {})),
                    Contains("a.tsv:2: expected 'label<TAB>text', got a line without a tab"));
  write_bytes(dir / "b.tsv", "\ttext\n");
  CHECK_THROWS_AS(read_all(*open_tsv_corpus(dir / "b.tsv", {})), textlrp::FormatError);
  CHECK_THROWS_WITH(read_all(*open_tsv_corpus(dir / "b.tsv", {})), Contains("b.tsv:1: expected a label"));
}

TEST_CASE("tsv: SMS Spam Collection", "[corpora][shared]") {
  const auto path = textlrp::test::shared_data_path("sms-spam/SMSSpamCollection");
  if (path.empty()) {
    WARN("../shared/data not available: skipped");
    return;
  }
  const std::vector<Example> docs = read_all(*open_tsv_corpus(path, {}));
  std::size_t n_ham = 0, n_spam = 0;
  for (const Example& e : docs) {
    if (e.label == "ham") ++n_ham;
    if (e.label == "spam") ++n_spam;
  }
  CHECK(docs.size() == 5574);
  CHECK(n_ham == 4827);
  CHECK(n_spam == 747);
}

TEST_CASE("generated ids: line number and FNV-1a of the text, different for different texts", "[corpora]") {
  // FNV-1a 32-bit reference values: "" -> 811c9dc5, "a" -> e40c292c.
  CHECK(textlrp::corpora::detail::generated_id(1, "") == "1-811c9dc5");
  CHECK(textlrp::corpora::detail::generated_id(12, "a") == "12-e40c292c");
  // Two inputs numbered from 1: the same line number, different documents, different ids.
  CHECK(textlrp::corpora::detail::generated_id(1, "first run") !=
        textlrp::corpora::detail::generated_id(1, "second run"));
}
