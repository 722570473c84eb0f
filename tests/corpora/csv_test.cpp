// tests/corpora/csv_test.cpp — the csv: reader: RFC 4180 quoting, column choice, header detection,
// the AG News / Yelp / DBpedia layouts, and errors naming file:line.
#include "corpora/csv.h"

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/utf8.h"
#include "corpora/line_utils.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp::corpora;
using Catch::Matchers::Contains;
using textlrp::test::TempDir;
using textlrp::test::write_bytes;

namespace {
std::vector<Example> read_csv(const TempDir& dir, std::string_view content,
                              const CorpusOptions& options = {}) {
  write_bytes(dir / "in.csv", content);
  return read_all(*open_csv_corpus(dir / "in.csv", options));
}
}  // namespace

TEST_CASE("csv: RFC 4180 quoting: commas, doubled quotes, line breaks, CRLF", "[corpora][csv]") {
  TempDir dir;
  const auto docs = read_csv(dir,
                             "1,plain text\r\n"
                             "2,\"with, a comma\"\r\n"
                             "\r\n"
                             "3,\"say \"\"hi\"\"\"\r\n"
                             "4,\"two\r\nlines\"\r\n"
                             "5,5\" screen\n"  // a quote inside an unquoted field is a character
                             "6,");
  REQUIRE(docs.size() == 6);
  CHECK(docs[0].id == detail::generated_id(1, "plain text"));  // "<line>-<hash of the text>"
  CHECK(docs[0].id.rfind("1-", 0) == 0);
  CHECK(docs[0].label == "1");
  CHECK(docs[0].text == "plain text");
  CHECK(docs[1].text == "with, a comma");
  CHECK(docs[2].id ==
        detail::generated_id(4, docs[2].text));  // the line where the record starts (3 is blank)
  CHECK(docs[2].text == "say \"hi\"");
  CHECK(docs[3].text == "two\nlines");
  CHECK(docs[3].line == 5);
  CHECK(docs[4].id == detail::generated_id(7, docs[4].text));
  CHECK(docs[4].text == "5\" screen");
  CHECK(docs[5].text.empty());
}

TEST_CASE("csv: AG News layout (no header, labels 1..4, title + description)", "[corpora][csv]") {
  TempDir dir;
  const std::string ag =
      "\"3\",\"Wall St. Bears Claw Back Into the Black (Reuters)\",\"Reuters - Short-sellers, Wall Street's "
      "dwindling\\band "
      "of ultra-cynics, are seeing green again.\"\n"
      "\"4\",\"Google IPO\",\"Shares \"\"soar\"\".\"\n";
  auto docs = read_csv(dir, ag);
  REQUIRE(docs.size() == 2);
  CHECK(docs[0].label == "3");
  CHECK(docs[0].text ==
        "Wall St. Bears Claw Back Into the Black (Reuters)\nReuters - Short-sellers, Wall Street's "
        "dwindling\\band of "
        "ultra-cynics, are seeing green again.");
  CHECK(docs[1].label == "4");
  CHECK(docs[1].text == "Google IPO\nShares \"soar\".");
  CorpusOptions o;
  o.csv_text_columns = {"3", "2"};
  o.csv_join = ". ";
  docs = read_csv(dir, ag, o);
  CHECK(docs[1].text == "Shares \"soar\".. Google IPO");
  o.csv_text_columns = {"3"};
  CHECK(read_csv(dir, ag, o)[1].text == "Shares \"soar\".");
}

TEST_CASE("csv: Yelp and DBpedia layouts with a header row", "[corpora][csv]") {
  TempDir dir;
  SECTION("Yelp: \"label\",\"text\" header detected") {
    const auto docs = read_csv(dir, "\"label\",\"text\"\n\"1\",\"The food was cold.\"\n\"5\",\"Great!\"\n");
    REQUIRE(docs.size() == 2);
    CHECK(docs[0].id == detail::generated_id(2, "The food was cold."));
    CHECK(docs[0].label == "1");
    CHECK(docs[1].text == "Great!");
  }
  SECTION("DBpedia: label,title,content; columns by header name") {
    CorpusOptions o;
    o.csv_label_column = "label";
    o.csv_text_columns = {"Content"};  // case-insensitive when no exact match
    const auto docs = read_csv(
        dir, "label,title,content\n1,E. D. Abbott Ltd,\" Abbott of Farnham was a coachbuilder.\"\n", o);
    REQUIRE(docs.size() == 1);
    CHECK(docs[0].label == "1");
    CHECK(docs[0].text == " Abbott of Farnham was a coachbuilder.");
  }
  SECTION("--csv-header no keeps the first record; yes drops it") {
    CorpusOptions o;
    o.csv_header = CsvHeader::kNo;
    CHECK(read_csv(dir, "label,text\na,b\n", o).size() == 2);
    o.csv_header = CsvHeader::kYes;
    CHECK(read_csv(dir, "stars,review\n5,b\n", o).size() == 1);
  }
}

TEST_CASE("csv: errors name the file and line, bad columns are usage errors", "[corpora][csv]") {
  TempDir dir;
  CHECK_THROWS_WITH(read_csv(dir, "1,a\n2,\"never closed\n3,c\n"),
                    Contains("in.csv:2: unterminated quoted field") && Contains("record starting on line 2"));
  CHECK_THROWS_WITH(
      read_csv(dir, "1,a\n2,\"x\"y\n"),
      Contains("in.csv:2:6: expected ',' or the end of the line after a closing quote, got 'y'"));
  CHECK_THROWS_WITH(read_csv(dir, "1,a\n2,b,c\n"),
                    Contains("in.csv:2: expected 2 fields (as in the first record, line 1), got 3"));
  CHECK_THROWS_WITH(read_csv(dir, "1,a\n,b\n"),
                    Contains("in.csv:2: expected a label in column 1, got an empty field"));
  CorpusOptions o;
  o.csv_label_column = "4";
  CHECK_THROWS_AS(read_csv(dir, "1,a\n", o), textlrp::InvalidArgument);
  o.csv_label_column = "stars";
  CHECK_THROWS_WITH(read_csv(dir, "label,text\n1,a\n", o),
                    Contains("--csv-label-column 'stars': no such column") && Contains("label, text"));
  o.csv_header = CsvHeader::kNo;
  CHECK_THROWS_WITH(read_csv(dir, "label,text\n1,a\n", o), Contains("needs a header row"));
  CHECK_THROWS_AS(read_csv(dir, "only\n"), textlrp::InvalidArgument);
  CHECK(read_csv(dir, "").empty());
}

TEST_CASE("csv: open_corpus knows the format and detects .csv", "[corpora][csv]") {
  TempDir dir;
  write_bytes(dir / "x.csv", "1,a\n");
  CHECK(detect_corpus_format(dir / "x.csv") == "csv");
  auto reader = open_corpus("csv:" + (dir / "x.csv").string(), {});
  CHECK(reader->format() == "csv");
  CHECK_THROWS_WITH(open_corpus("csvx:" + (dir / "x.csv").string(), {}), Contains("csv,"));
}

TEST_CASE("csv: random bytes never crash: records or a FormatError/InvalidArgument", "[corpora][csv]") {
  TempDir dir;
  const char alphabet[] = {',', '"', '"', '\n', '\r', 'a', '1', ' ', '\t', '\xE9', '\xC3', '\xA9'};
  std::uint32_t state = 12345;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  CorpusOptions replace;
  replace.encoding = Encoding::kReplace;
  std::size_t n_ok = 0, n_errors = 0;
  for (int round = 0; round < 400; ++round) {
    std::string content;
    const std::size_t n = next() % 40;
    for (std::size_t i = 0; i < n; ++i) content.push_back(alphabet[next() % sizeof(alphabet)]);
    for (const CorpusOptions& o : {CorpusOptions{}, replace}) {
      try {
        for (const Example& e : read_csv(dir, content, o)) {
          CHECK(textlrp::is_valid_utf8(e.text));
          CHECK(e.label);
        }
        ++n_ok;
      } catch (const textlrp::FormatError&) {
        ++n_errors;
      } catch (const textlrp::InvalidArgument&) {
        ++n_errors;
      }
    }
  }
  CHECK(n_ok > 0);
  CHECK(n_errors > 0);
}
