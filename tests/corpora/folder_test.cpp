// tests/corpora/folder_test.cpp — folder (20 Newsgroups layout) and SpamAssassin readers.
#include "corpora/folder.h"

#include <algorithm>
#include <map>
#include <set>
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

std::vector<std::string> ids(const std::vector<Example>& examples) {
  std::vector<std::string> out;
  for (const Example& e : examples) out.push_back(e.id);
  return out;
}

}  // namespace

TEST_CASE("folder: reads labels and files in sorted order", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "sci.space/10", "ten");
  write_bytes(dir / "sci.space/9", "nine");
  write_bytes(dir / "sci.space/.hidden", "skip me");
  write_bytes(dir / "alt.atheism/b", "bee");
  write_bytes(dir / "alt.atheism/a", "ay");
  write_bytes(dir / "alt.atheism/0100", "hundred");
  write_bytes(dir / ".git/x", "hidden folder");
  std::vector<std::string> warnings;
  CorpusOptions options;
  options.warn = [&](std::string_view w) { warnings.emplace_back(w); };
  auto reader = open_folder_corpus(dir.path(), options);
  CHECK(reader->format() == "folder");
  const std::vector<Example> docs = read_all(*reader);
  CHECK(ids(docs) == std::vector<std::string>{"alt.atheism/0100", "alt.atheism/a", "alt.atheism/b",
                                              "sci.space/9", "sci.space/10"});
  REQUIRE(docs.size() == 5);
  CHECK(docs[0].label == "alt.atheism");
  CHECK(docs[0].text == "hundred");
  CHECK(docs[3].label == "sci.space");
  CHECK(docs[3].text == "nine");
  CHECK(!docs[3].tokens);
  CHECK(docs[3].line == 0);
  CHECK(warnings.empty());
  Example e;
  CHECK_FALSE(reader->next(e));  // stays at the end
}

TEST_CASE("folder: document names sort numerically when all digits", "[corpora]") {
  std::vector<std::string> names{"b", "10", "9", "a", "007", "7", "100"};
  std::sort(names.begin(), names.end(), document_name_less);
  CHECK(names == std::vector<std::string>{"007", "7", "9", "10", "100", "a", "b"});
}

TEST_CASE("folder: a file that is not UTF-8 is decoded as Latin-1", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "fr/1", "caf\xE9 cr\xE8me");
  write_bytes(dir / "fr/2", "caf\xC3\xA9");
  std::vector<std::string> warnings;
  CorpusOptions options;
  options.warn = [&](std::string_view w) { warnings.emplace_back(w); };
  auto reader = open_folder_corpus(dir.path(), options);
  const std::vector<Example> docs = read_all(*reader);
  REQUIRE(docs.size() == 2);
  CHECK(docs[0].text == "caf\xC3\xA9 cr\xC3\xA8me");
  CHECK(docs[1].text == "caf\xC3\xA9");
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Contains("1 of 2 files") && Contains("Latin-1"));
}

TEST_CASE("folder: strips headers, footers and quotes like scikit-learn", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "rec.autos/1",
              "From: a@b.c\nSubject: Re: cars\n\nIn article <x> y@z writes:\n> old text\n"
              "New text here.\n\n-- \nsignature\n");
  CorpusOptions options;
  SECTION("all three") {
    options.strip_headers = options.strip_footers = options.strip_quotes = true;
    auto docs = read_all(*open_folder_corpus(dir.path(), options));
    REQUIRE(docs.size() == 1);
    CHECK(docs[0].text == "New text here.\n");
  }
  SECTION("headers only") {
    options.strip_headers = true;
    auto docs = read_all(*open_folder_corpus(dir.path(), options));
    CHECK(docs[0].text == "In article <x> y@z writes:\n> old text\nNew text here.\n\n-- \nsignature\n");
  }
  SECTION("none") {
    auto docs = read_all(*open_folder_corpus(dir.path(), options));
    CHECK(docs[0].text.rfind("From: a@b.c", 0) == 0);
  }
}

TEST_CASE("folder: errors name the path", "[corpora]") {
  TempDir dir;
  CorpusOptions options;
  SECTION("missing path") {
    CHECK_THROWS_AS(open_folder_corpus(dir / "nope", options), textlrp::IoError);
    CHECK_THROWS_WITH(open_folder_corpus(dir / "nope", options),
                      Contains("nope") && Contains("No such file"));
  }
  SECTION("a file, not a directory") {
    write_bytes(dir / "file.txt", "x");
    CHECK_THROWS_AS(open_folder_corpus(dir / "file.txt", options), textlrp::FormatError);
    CHECK_THROWS_WITH(open_folder_corpus(dir / "file.txt", options), Contains("expected a directory"));
  }
  SECTION("no label folders") {
    write_bytes(dir / "README", "top-level file");
    std::vector<std::string> warnings;
    options.warn = [&](std::string_view w) { warnings.emplace_back(w); };
    CHECK_THROWS_AS(open_folder_corpus(dir.path(), options), textlrp::FormatError);
    CHECK_THROWS_WITH(open_folder_corpus(dir.path(), options),
                      Contains(dir.path().string()) && Contains("no label folders found"));
    CHECK_FALSE(warnings.empty());  // README skipped with a warning
  }
  SECTION("a label folder without documents") {
    write_bytes(dir / "a/1", "x");
    std::filesystem::create_directories(dir / "b");
    write_bytes(dir / "b/.DS_Store", "hidden");
    CHECK_THROWS_AS(open_folder_corpus(dir.path(), options), textlrp::FormatError);
    CHECK_THROWS_WITH(open_folder_corpus(dir.path(), options),
                      Contains((dir / "b").string()) && Contains("no documents"));
  }
}

TEST_CASE("spamassassin: reads the npm package layout", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "package.json", "{}");
  write_bytes(dir / "data/file_list.json", "[]");
  write_bytes(dir / "data/easy-ham-1/00001.abc.txt", "Subject: hi\n\nham body");
  write_bytes(dir / "data/easy-ham-1/00001.abc.json", "{\"ignored\":true}");
  write_bytes(dir / "data/hard-ham-1/00001.def.txt", "hard ham \xA3 5");
  write_bytes(dir / "data/spam-2/00002.fff.txt", "buy now");
  write_bytes(dir / "data/spam-2/00001.eee.txt", "win money");
  CorpusOptions options;
  for (const auto& root : {dir.path(), dir / "data"}) {
    auto reader = open_spamassassin_corpus(root, options);
    CHECK(reader->format() == "spamassassin");
    const std::vector<Example> docs = read_all(*reader);
    CHECK(ids(docs) == std::vector<std::string>{"easy-ham-1/00001.abc.txt", "hard-ham-1/00001.def.txt",
                                                "spam-2/00001.eee.txt", "spam-2/00002.fff.txt"});
    REQUIRE(docs.size() == 4);
    CHECK(docs[0].label == "ham");
    CHECK(docs[1].label == "ham");
    CHECK(docs[1].text == "hard ham \xC2\xA3 5");
    CHECK(docs[2].label == "spam");
    CHECK(docs[2].text == "win money");
  }
  options.strip_headers = true;
  CHECK(read_all(*open_spamassassin_corpus(dir.path(), options))[0].text == "ham body");
}

TEST_CASE("spamassassin: a group that is neither ham nor spam is an error", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "data/spam-1/1.txt", "x");
  write_bytes(dir / "data/other/1.txt", "x");
  CHECK_THROWS_AS(open_spamassassin_corpus(dir.path(), {}), textlrp::FormatError);
  CHECK_THROWS_WITH(open_spamassassin_corpus(dir.path(), {}),
                    Contains("'other'") && Contains("'ham' or 'spam'"));
}

TEST_CASE("spamassassin: a group with only metadata files has no documents", "[corpora]") {
  TempDir dir;
  write_bytes(dir / "data/spam-1/1.json", "{}");
  CHECK_THROWS_WITH(open_spamassassin_corpus(dir.path(), {}), Contains("spam-1") && Contains("no documents"));
}

TEST_CASE("folder: 20 Newsgroups bydate test split", "[corpora][shared][slow]") {
  const auto root = textlrp::test::shared_data_path("20news-bydate/test");
  if (root.empty()) {
    WARN("../shared/data not available: skipped");
    return;
  }
  std::vector<std::string> warnings;
  CorpusOptions options;
  options.warn = [&](std::string_view w) { warnings.emplace_back(w); };
  auto reader = open_folder_corpus(root, options);
  std::map<std::string, std::size_t> per_label;
  std::size_t n = 0;
  Example e;
  std::string previous_id;
  while (reader->next(e)) {
    ++n;
    ++per_label[*e.label];
    CHECK(e.id != previous_id);
    previous_id = e.id;
  }
  CHECK(n == 7532);
  CHECK(per_label.size() == 20);
  CHECK(per_label["alt.atheism"] == 319);
  CHECK(per_label["rec.sport.hockey"] == 399);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Contains("decoded as Latin-1"));
}
