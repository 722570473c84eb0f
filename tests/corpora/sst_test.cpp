// tests/corpora/sst_test.cpp — the SST PTB-tree parser and reader.
#include "corpora/sst.h"

#include <algorithm>
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

std::string parse_error(std::string_view line) {
  try {
    parse_sst_tree(line, "t.txt", 7);
  } catch (const textlrp::FormatError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("sst: parses a tree into pre-order nodes and leaves", "[corpora]") {
  const SstTree tree = parse_sst_tree("(3 (2 (2 The) (2 Rock)) (4 (3 (2 is) (4 great)) (2 .)))", "t", 1);
  CHECK(tree.leaves == std::vector<std::string>{"The", "Rock", "is", "great", "."});
  REQUIRE(tree.nodes.size() == 9);
  CHECK(tree.nodes[0].label == "3");
  CHECK(tree.nodes[0].begin == 0);
  CHECK(tree.nodes[0].end == 5);
  CHECK(tree.nodes[1].label == "2");  // (The Rock)
  CHECK(tree.nodes[1].end == 2);
  CHECK(tree.nodes[4].label == "4");  // (is great .)
  CHECK(tree.nodes[4].begin == 2);
  CHECK(tree.nodes[4].end == 5);
  // Extra spaces and tabs between items are fine.
  CHECK(parse_sst_tree("  (1\t(0  bad )  (2 x))  ", "t", 1).leaves == std::vector<std::string>{"bad", "x"});
}

TEST_CASE("sst: reads the committed fixture, with and without phrases", "[corpora]") {
  const auto path = textlrp::test::fixture_path("corpora/sst-tiny.txt");
  auto reader = open_sst_corpus(path, {});
  CHECK(reader->format() == "sst");
  std::vector<Example> docs = read_all(*reader);
  REQUIRE(docs.size() == 2);
  CHECK(docs[0].id == "1");
  CHECK(docs[0].label == "3");
  CHECK(docs[0].text == "The Rock is great .");
  CHECK(docs[0].tokens == std::vector<std::string>{"The", "Rock", "is", "great", "."});
  CHECK(docs[1].id == "3");  // line 2 is blank
  CHECK(docs[1].line == 3);
  CHECK(docs[1].label == "1");
  CHECK(docs[1].text == "writer\\/director -LRB- bad");  // kept verbatim

  CorpusOptions options;
  options.sst_phrases = true;
  docs = read_all(*open_sst_corpus(path, options));
  REQUIRE(docs.size() == 9 + 5);
  CHECK(docs[0].id == "1");
  CHECK(docs[1].id == "1.1");
  CHECK(docs[1].text == "The Rock");
  CHECK(docs[1].label == "2");
  CHECK(docs[2].id == "1.2");
  CHECK(docs[2].text == "The");
  CHECK(docs[4].id == "1.4");
  CHECK(docs[4].text == "is great .");
  CHECK(docs[4].label == "4");
  CHECK(docs[4].tokens == std::vector<std::string>{"is", "great", "."});
  CHECK(docs[9].id == "3");
  CHECK(docs[12].id == "3.3");
  CHECK(docs[12].text == "-LRB-");
}

TEST_CASE("sst: malformed trees name line, column, expected and got", "[corpora]") {
  CHECK(parse_error("2 (2 x))") == "t.txt:7:1: expected '(' at the start of a tree, got '2'");
  CHECK(parse_error("(x (2 y))") == "t.txt:7:2: expected a sentiment label 0..4, got 'x'");
  CHECK(parse_error("( 2 y)") == "t.txt:7:2: expected a sentiment label 0..4, got ' '");
  CHECK(parse_error("(7 y)") == "t.txt:7:2: expected a sentiment label 0..4, got '7'");
  CHECK(parse_error("(2 (12 y))") == "t.txt:7:5: expected a sentiment label 0..4, got '12'");
  CHECK(parse_error("(2x y)") == "t.txt:7:3: expected a space after the label, got 'x'");
  CHECK(parse_error("(2 (3 y)") ==
        "t.txt:7:9: expected ')' or '(' (unbalanced parentheses), got end of line");
  CHECK(parse_error("(2 (3 y)))") == "t.txt:7:10: expected end of line after the tree, got ')'");
  CHECK(parse_error("(2 (3 y)) (1 z)") == "t.txt:7:11: expected end of line after the tree, got '('");
  CHECK(parse_error("(2 y z)") == "t.txt:7:6: expected ')' after the word, got 'z'");
  CHECK(parse_error("(2 (3 y) z)") == "t.txt:7:10: expected '(' or ')' after a subtree, got 'z'");
  CHECK(parse_error("(2 )") == "t.txt:7:4: expected a word or '(', got ')'");
  CHECK(parse_error("(2") == "t.txt:7:3: expected a space after the label, got end of line");
  CHECK(parse_error("(2 \xC3\xA9t\xC3\xA9 (1 x))") == "t.txt:7:10: expected ')' after the word, got '('");
  CHECK(parse_error("(2 y) \xC3\xA9") == "t.txt:7:7: expected end of line after the tree, got '\xC3\xA9'");
}

TEST_CASE("sst: reader errors carry the file name and line", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "trees.txt", "(2 ok)\n(2 (3 bad)\n");
  auto reader = open_sst_corpus(dir / "trees.txt", {});
  Example e;
  CHECK(reader->next(e));
  CHECK_THROWS_WITH(reader->next(e), Contains("trees.txt:2:11: expected ')' or '('"));
  write_bytes(dir / "latin1.txt", "(2 caf\xE9)\n");
  CHECK_THROWS_WITH(read_all(*open_sst_corpus(dir / "latin1.txt", {})),
                    Contains("latin1.txt:1:7: expected UTF-8"));
}

TEST_CASE("sst: adversarial nesting neither crashes nor hangs", "[corpora]") {
  const std::size_t depth = 100000;
  // Only opening parentheses: rejected at once.
  CHECK(parse_error(std::string(depth, '(')) == "t.txt:7:2: expected a sentiment label 0..4, got '('");
  // Deep but well-formed: parsed with an explicit stack.
  std::string deep;
  for (std::size_t i = 0; i < depth; ++i) deep += "(1 ";
  deep += "x";
  deep += std::string(depth, ')');
  const SstTree tree = parse_sst_tree(deep, "t", 1);
  CHECK(tree.nodes.size() == depth);
  CHECK(tree.leaves == std::vector<std::string>{"x"});
  // Deep and unbalanced: the error is at the end of the line.
  deep.pop_back();
  CHECK_THAT(parse_error(deep), Contains("unbalanced parentheses"));
  // Deep, balanced, but missing the word.
  std::string no_word;
  for (std::size_t i = 0; i < depth; ++i) no_word += "(1 ";
  no_word += std::string(depth, ')');
  CHECK_THAT(parse_error(no_word), Contains("expected a word or '(', got ')'"));
}

TEST_CASE("sst: Stanford Sentiment Treebank test split", "[corpora][shared]") {
  const auto path = textlrp::test::shared_data_path("sst/trees/test.txt");
  if (path.empty()) {
    WARN("../shared/data not available: skipped");
    return;
  }
  const std::vector<Example> docs = read_all(*open_sst_corpus(path, {}));
  CHECK(docs.size() == 2210);
  std::size_t counts[5] = {0, 0, 0, 0, 0};
  for (const Example& e : docs) {
    REQUIRE(e.label->size() == 1);
    ++counts[(*e.label)[0] - '0'];
  }
  // Root-label counts from sst/SOURCE.md.
  CHECK(counts[0] == 279);
  CHECK(counts[1] == 633);
  CHECK(counts[2] == 389);
  CHECK(counts[3] == 510);
  CHECK(counts[4] == 399);
  CHECK(docs[0].text == "Effective but too-tepid biopic");
}

TEST_CASE("sst: all three splits parse, phrases included", "[corpora][shared][slow]") {
  const auto root = textlrp::test::shared_data_path("sst/trees");
  if (root.empty()) {
    WARN("../shared/data not available: skipped");
    return;
  }
  CorpusOptions options;
  options.sst_phrases = true;
  for (const auto& [name, n_sentences] : {std::pair{"train.txt", 8544}, std::pair{"dev.txt", 1101}}) {
    auto reader = open_sst_corpus(root / name, options);
    Example e;
    std::size_t n = 0, n_phrases = 0;
    while (reader->next(e)) (e.id.find('.') == std::string::npos ? n : n_phrases)++;
    CHECK(n == static_cast<std::size_t>(n_sentences));
    CHECK(n_phrases > n);
  }
}

TEST_CASE("sst-binary: maps 0,1 / 3,4 to negative / positive and skips neutral", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "t.txt",
              "(3 (2 (2 The) (2 Rock)) (4 (3 (2 is) (4 great)) (2 .)))\n"
              "(2 (1 (2 not) (3 good)) (2 ok))\n"
              "\n"
              "(0 (0 awful) (2 .))\n");
  auto reader = open_corpus("sst-binary:" + (dir / "t.txt").string(), {});
  CHECK(reader->format() == "sst-binary");
  std::vector<Example> docs = read_all(*reader);
  REQUIRE(docs.size() == 2);  // the neutral sentence on line 2 is skipped
  CHECK(docs[0].id == "1");
  CHECK(docs[0].label == "positive");
  CHECK(docs[0].tokens == std::vector<std::string>{"The", "Rock", "is", "great", "."});
  CHECK(docs[1].id == "4");
  CHECK(docs[1].label == "negative");
  CHECK(docs[1].text == "awful .");

  // With phrases: only the non-neutral ones, including those of the neutral sentence.
  CorpusOptions options;
  options.sst_phrases = true;
  docs = read_all(*open_corpus("sst-binary:" + (dir / "t.txt").string(), options));
  std::vector<std::string> got;
  for (const Example& e : docs) got.push_back(e.id + "=" + *e.label + ":" + e.text);
  CHECK(got == std::vector<std::string>{"1=positive:The Rock is great .", "1.4=positive:is great .",
                                        "1.5=positive:is great", "1.7=positive:great",
                                        "2.1=negative:not good", "2.3=positive:good", "4=negative:awful .",
                                        "4.1=negative:awful"});
  // The five-class reader is unchanged by the binary one.
  CHECK(read_all(*open_corpus("sst:" + (dir / "t.txt").string(), {})).size() == 3);
}

TEST_CASE("sst-binary: a label outside 0..4 is an error naming the line", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "t.txt", "(3 fine)\n(7 odd)\n");
  auto reader = open_sst_binary_corpus(dir / "t.txt", {});
  Example e;
  CHECK(reader->next(e));
  CHECK_THROWS_WITH(reader->next(e), Contains("t.txt:2:2: expected a sentiment label 0..4, got '7'"));
}

TEST_CASE("sst-binary: the test split has 1821 sentences (912 negative, 909 positive)", "[corpora][shared]") {
  const auto path = textlrp::test::shared_data_path("sst/trees/test.txt");
  if (path.empty()) {
    WARN("../shared/data not available: skipped");
    return;
  }
  const std::vector<Example> docs = read_all(*open_sst_binary_corpus(path, {}));
  CHECK(docs.size() == 1821);
  const auto n_neg =
      std::count_if(docs.begin(), docs.end(), [](const Example& e) { return e.label == "negative"; });
  CHECK(n_neg ==
        912);  // sst/SOURCE.md: 279 + 633 negative, 510 + 399 positive (kim2014 stsa.binary: 912 / 909)
}
