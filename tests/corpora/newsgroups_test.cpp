// tests/corpora/newsgroups_test.cpp — scikit-learn compatible header/footer/quote stripping.
#include "corpora/newsgroups.h"

#include "core/file.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp::corpora;

TEST_CASE("newsgroups: header is everything up to the first blank line", "[corpora]") {
  CHECK(strip_newsgroup_header("From: a\nSubject: b\n\nbody\n\nmore") == "body\n\nmore");
  CHECK(strip_newsgroup_header("no blank line at all\n") == "");
  CHECK(strip_newsgroup_header("\n\nx") == "x");
}

TEST_CASE("newsgroups: footer is cut at the last dash-only or blank line", "[corpora]") {
  CHECK(strip_newsgroup_footer("body\nmore\n-- \nsig line\n") == "body\nmore");
  CHECK(strip_newsgroup_footer("body\n\nsig\n") == "body");
  CHECK(strip_newsgroup_footer("a\n-----\nb\n----\nc") == "a\n-----\nb");
  // Found at index 0 or not found at all: the text is returned unchanged (not stripped).
  CHECK(strip_newsgroup_footer("--\nonly\n") == "--\nonly\n");
  CHECK(strip_newsgroup_footer("  one\ntwo  \n") == "  one\ntwo  \n");
  // "- -" is not a separator; surrounding whitespace (Python str.strip) is.
  CHECK(strip_newsgroup_footer("a\n- -\nb") == "a\n- -\nb");
  CHECK(strip_newsgroup_footer("a\nb\n\t--\xC2\xA0\nc") == "a\nb");
}

TEST_CASE("newsgroups: quoting lines are removed", "[corpora]") {
  CHECK(strip_newsgroup_quoting("keep\n> quoted\n| piped\nIn article <x>, y writes:\nQuoted from z\n"
                                "he said: so\nmid In article stays\nend") ==
        "keep\nmid In article stays\nend");
  CHECK(strip_newsgroup_quoting("Bob wrote: hi\nAlice says: hey\nX writes in a\nok") == "ok");
}

TEST_CASE("newsgroups: python_strip removes Unicode whitespace only", "[corpora]") {
  CHECK(python_strip(" \t\r\n x y \x0b\x0c") == "x y");
  CHECK(python_strip("\xC2\xA0\xE3\x80\x80word\xE2\x80\x83") == "word");  // NBSP, U+3000, U+2003
  CHECK(python_strip("\xC3\xA9t\xC3\xA9") == "\xC3\xA9t\xC3\xA9");        // é is not a space
  CHECK(python_strip("   ") == "");
}

TEST_CASE("newsgroups: a hand-made post matches scikit-learn's output", "[corpora]") {
  const std::string post = textlrp::read_file(textlrp::test::fixture_path("corpora/newsgroup-post.txt"));
  const std::string clean = strip_newsgroup_quoting(strip_newsgroup_footer(strip_newsgroup_header(post)));
  // Computed with sklearn.datasets._twenty_newsgroups' three functions on the same file.
  CHECK(clean == "Keep this line.\n  In article not at the start stays.\n");
}
