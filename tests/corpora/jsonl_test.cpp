// tests/corpora/jsonl_test.cpp — the JSONL reader: happy path and every FormatError.
#include "corpora/jsonl.h"

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

std::vector<Example> read_jsonl(const TempDir& dir, std::string_view content) {
  write_bytes(dir / "in.jsonl", content);
  return read_all(*open_jsonl_corpus(dir / "in.jsonl", {}));
}

// Reads until the reader throws; returns the message (empty if nothing was thrown).
std::string jsonl_error(const TempDir& dir, std::string_view content) {
  try {
    read_jsonl(dir, content);
  } catch (const textlrp::FormatError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("jsonl: text, tokens, ids and labels", "[corpora]") {
  TempDir dir;
  const std::vector<Example> docs = read_jsonl(
      dir,
      "{\"text\": \"hello world\", \"label\": \"pos\"}\n"
      "\n"
      "   \r\n"
      "{\"id\": \"doc-7\", \"tokens\": [\"pre\", \"tok\", \"\\u00e9\"], \"label\": 3, \"extra\": [1]}\n"
      "{\"id\": 42, \"text\": \"caf\xC3\xA9\", \"label\": null}\r\n"
      "{\"text\": \"both\", \"tokens\": [\"b\", \"oth\"]}");
  REQUIRE(docs.size() == 4);
  CHECK(docs[0].id == "1-d58b3fa7");  // no id: line 1 and FNV-1a of the text
  CHECK(docs[0].text == "hello world");
  CHECK(docs[0].label == "pos");
  CHECK(!docs[0].tokens);
  CHECK(docs[0].line == 1);
  CHECK(docs[1].id == "doc-7");
  CHECK(docs[1].text == "pre tok \xC3\xA9");
  CHECK(docs[1].tokens == std::vector<std::string>{"pre", "tok", "\xC3\xA9"});
  CHECK(docs[1].label == "3");
  CHECK(docs[1].line == 4);
  CHECK(docs[2].id == "42");
  CHECK(docs[2].text == "caf\xC3\xA9");
  CHECK(!docs[2].label);
  CHECK(docs[3].text == "both");
  CHECK(docs[3].tokens == std::vector<std::string>{"b", "oth"});
}

TEST_CASE("jsonl: errors name the file and line", "[corpora]") {
  TempDir dir;
  const std::string good = "{\"text\": \"ok\"}\n";
  SECTION("invalid JSON") {
    const std::string msg = jsonl_error(dir, good + "{\"text\": oops}\n");
    CHECK_THAT(msg, Contains("in.jsonl:2: ") && Contains("invalid JSON") && Contains("syntax error"));
  }
  SECTION("not an object") {
    CHECK_THAT(jsonl_error(dir, good + good + "[1, 2]\n"),
               Contains("in.jsonl:3: expected a JSON object, got array"));
    CHECK_THAT(jsonl_error(dir, "\"just a string\"\n"), Contains(":1: expected a JSON object, got string"));
  }
  SECTION("neither text nor tokens") {
    CHECK_THAT(jsonl_error(dir, "{\"label\": \"x\"}\n"),
               Contains("in.jsonl:1: expected a \"text\" or \"tokens\" field, got neither"));
  }
  SECTION("wrong types") {
    CHECK_THAT(jsonl_error(dir, "{\"text\": 5}\n"),
               Contains(":1: expected \"text\" to be a string, got number"));
    CHECK_THAT(jsonl_error(dir, "{\"tokens\": \"a b\"}\n"),
               Contains("expected \"tokens\" to be an array of strings, got string"));
    CHECK_THAT(jsonl_error(dir, "{\"tokens\": [\"a\", 1]}\n"),
               Contains("expected \"tokens\"[1] to be a string, got number"));
    CHECK_THAT(jsonl_error(dir, "{\"text\": \"a\", \"label\": [1]}\n"),
               Contains("expected \"label\" to be a string or number, got array"));
    CHECK_THAT(jsonl_error(dir, "{\"text\": \"a\", \"id\": true}\n"),
               Contains("expected \"id\" to be a string or number, got boolean"));
  }
  SECTION("invalid UTF-8 is reported with line and byte column") {
    CHECK_THAT(jsonl_error(dir, good + "{\"text\": \"caf\xE9\"}\n"),
               Contains("in.jsonl:2:14: expected UTF-8, got invalid byte 0xE9"));
  }
  SECTION("a valid first line is returned before the error") {
    write_bytes(dir / "in.jsonl", good + "nope\n");
    auto reader = open_jsonl_corpus(dir / "in.jsonl", {});
    Example e;
    CHECK(reader->next(e));
    CHECK(e.text == "ok");
    CHECK_THROWS_AS(reader->next(e), textlrp::FormatError);
  }
}

TEST_CASE("jsonl: a missing file is an IoError naming it", "[corpora]") {
  TempDir dir;
  CHECK_THROWS_AS(open_jsonl_corpus(dir / "missing.jsonl", {}), textlrp::IoError);
  CHECK_THROWS_WITH(open_jsonl_corpus(dir / "missing.jsonl", {}), Contains("missing.jsonl"));
}

TEST_CASE("jsonl: deeply nested arrays do not crash", "[corpora]") {
  TempDir dir;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']') + "\n";
  CHECK_THAT(jsonl_error(dir, deep), Contains(":1: expected a JSON object, got array"));
}

TEST_CASE("jsonl: \"text\" and \"tokens\" together must agree", "[corpora]") {
  TempDir dir;
  // The tokens are the text's tokens, in order, whitespace (or nothing) between them.
  const auto docs =
      read_jsonl(dir, "{\"text\": \" it's  a\\tfilm \", \"tokens\": [\"it\", \"'s\", \"a\", \"film\"]}\n");
  REQUIRE(docs.size() == 1);
  CHECK(docs[0].text == " it's  a\tfilm ");
  CHECK(docs[0].tokens == std::vector<std::string>{"it", "'s", "a", "film"});
  // Defect: a record whose tokens say something else than its text was explained from the tokens
  // while the output showed the text. Now it is refused, naming the line, the token and the byte.
  CHECK_THAT(
      jsonl_error(
          dir,
          "{\"text\": \"ok\"}\n{\"text\": \"a great film\", \"tokens\": [\"a\", \"terrible\", \"film\"]}\n"),
      Contains(
          "in.jsonl:2: \"tokens\" do not match \"text\": expected token 1 'terrible' at byte 2 of the text, "
          "found 'great film'"));
  CHECK_THAT(
      jsonl_error(dir, "{\"text\": \"a great film\", \"tokens\": [\"a\", \"great\"]}\n"),
      Contains(
          "in.jsonl:1: \"tokens\" do not match \"text\": the 2 token(s) end at byte 8 of the text, but it "
          "goes on with 'film'"));
  CHECK_THAT(jsonl_error(dir, "{\"text\": \"The film\", \"tokens\": [\"the\", \"film\"]}\n"),
             Contains("expected token 0 'the' at byte 0"));
  CHECK_THAT(jsonl_error(dir, "{\"text\": \"a\", \"tokens\": [\"a\", \"\"]}\n"),
             Contains("expected token 1 ''"));
}

TEST_CASE("jsonl: plain text given as JSONL gets a hint to read it as text", "[corpora]") {
  TempDir dir;
  CHECK_THAT(
      jsonl_error(dir, "just some plain text\n"),
      Contains("in.jsonl:1: expected a JSON object, got invalid JSON") && Contains("--input-format text"));
  // A broken JSON object later in a JSONL file is not plain text: no hint.
  const std::string msg = jsonl_error(dir, "{\"text\": \"ok\"}\n{\"text\": oops}\n");
  CHECK_THAT(msg, Contains("in.jsonl:2:"));
  CHECK(msg.find("--input-format") == std::string::npos);
}
