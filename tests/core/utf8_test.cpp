#include "core/utf8.h"

#include "core/error.h"
#include "core/file.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;

TEST_CASE("utf8: validation finds the first bad byte", "[core][utf8]") {
  REQUIRE(is_valid_utf8("plain ascii"));
  REQUIRE(is_valid_utf8("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"));
  REQUIRE(find_invalid_utf8("ab\xe9z") == std::optional<std::size_t>(2));
  REQUIRE_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong
  REQUIRE_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  REQUIRE_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  REQUIRE_FALSE(is_valid_utf8("\xe6\x97"));          // truncated
}

TEST_CASE("utf8: Latin-1 fallback", "[core][utf8]") {
  bool latin1 = false;
  REQUIRE(decode_utf8_or_latin1("caf\xe9", &latin1) == "caf\xc3\xa9");
  REQUIRE(latin1);
  REQUIRE(decode_utf8_or_latin1("caf\xc3\xa9", &latin1) == "caf\xc3\xa9");
  REQUIRE_FALSE(latin1);
}

TEST_CASE("utf8: JSON and HTML escaping", "[core][utf8]") {
  std::string j;
  append_json_string(j, "a\"b\\c\n<script>\x01");
  REQUIRE(j == "\"a\\\"b\\\\c\\n\\u003cscript\\u003e\\u0001\"");
  REQUIRE(html_escape("<img src=x onerror='a'>&\"") == "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;");
}

TEST_CASE("file: atomic writes leave no partial file", "[core][file]") {
  test::TempDir dir;
  const auto path = dir / "out.txt";
  write_file_atomic(path, "first");
  {
    AtomicFile f(path);
    f.write("second, never committed");
  }
  REQUIRE(read_file(path) == "first");
  std::size_t n_files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) n_files += e.is_regular_file();
  REQUIRE(n_files == 1);
  REQUIRE_THROWS_AS(read_file(dir.path()), IoError);
  REQUIRE_THROWS_AS(read_file(dir / "missing"), IoError);
}

TEST_CASE("file: LineReader counts lines and strips CR", "[core][file]") {
  test::TempDir dir;
  test::write_bytes(dir / "x.txt", "a\r\nb\n\nc");
  LineReader r(dir / "x.txt");
  std::string line;
  std::vector<std::string> lines;
  while (r.next(line)) lines.push_back(line);
  REQUIRE(lines == std::vector<std::string>{"a", "b", "", "c"});
  REQUIRE(r.line_number() == 4);
}

TEST_CASE("file: LineReader skips a UTF-8 byte-order mark at the start only", "[core][file]") {
  test::TempDir dir;
  test::write_bytes(dir / "bom.txt",
                    "\xEF\xBB\xBF"
                    "Business\tfirst\n\xEF\xBB\xBFsecond\n");
  LineReader r(dir / "bom.txt");
  std::string line;
  REQUIRE(r.next(line));
  CHECK(line == "Business\tfirst");
  REQUIRE(r.next(line));
  CHECK(line == "\xEF\xBB\xBFsecond");  // a U+FEFF inside the file is text (a zero-width no-break space)
  CHECK(r.line_number() == 2);
  test::write_bytes(dir / "only.txt", "\xEF\xBB\xBF");
  LineReader only(dir / "only.txt");
  REQUIRE(only.next(line));
  CHECK(line.empty());
}

TEST_CASE("utf8: visible() escapes invisible characters and invalid bytes for messages", "[core][utf8]") {
  CHECK(visible("plain text, caf\xC3\xA9") == "plain text, caf\xC3\xA9");
  CHECK(visible("\xEF\xBB\xBF"
                "Business") == "<U+FEFF>Business");
  CHECK(visible("a\xE2\x80\x8B"
                "b") == "a<U+200B>b");  // zero-width space
  CHECK(visible("a\tb\r\x01") == "a<U+0009>b<U+000D><U+0001>");
  CHECK(visible("no\xC2\xA0"
                "break") == "no<U+00A0>break");  // no-break space looks like a space
  CHECK(visible("\xE2\x80\xAE"
                "rtl") == "<U+202E>rtl");  // bidi override
  CHECK(visible("bad \xFF byte") == "bad \\xFF byte");
  CHECK(visible(std::string(100, 'x'), 10) == std::string(10, 'x') + "...");
}

TEST_CASE("utf8: replace_invalid_utf8 substitutes maximal subparts and counts them", "[core][utf8]") {
  std::size_t n = 0;
  CHECK(replace_invalid_utf8("caf\xC3\xA9", &n) == "caf\xC3\xA9");
  CHECK(n == 0);
  CHECK(replace_invalid_utf8("caf\xE9 ok", &n) == "caf\xEF\xBF\xBD ok");
  CHECK(n == 1);
  // A truncated 3-byte sequence is one maximal subpart (one U+FFFD); two lone bytes are two.
  n = 0;
  CHECK(replace_invalid_utf8("a\xE6\x97z\x80\x80", &n) == "a\xEF\xBF\xBDz\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(n == 3);
  CHECK(is_valid_utf8(replace_invalid_utf8("\xC0\xAF\xED\xA0\x80\xF4\x90\x80\x80")));
}

TEST_CASE("utf8: write_json_string writes what append_json_string appends, within its bound",
          "[core][utf8]") {
  // Every byte alone, at every offset of a word (the escaper reads 8 bytes at a time).
  for (int c = 0; c < 256; ++c) {
    for (std::size_t at = 0; at < 17; ++at) {
      std::string text(17, 'x');
      text[at] = static_cast<char>(c);
      std::string appended;
      append_json_string(appended, text);
      std::string written(json_string_bound(text.size()), '\0');
      written.resize(static_cast<std::size_t>(write_json_string(written.data(), text) - written.data()));
      REQUIRE(written == appended);
      const bool escaped = c < 0x20 || c == 0x7F || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&';
      REQUIRE(written.size() ==
              text.size() + 2 +
                  (escaped ? (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' ? 1 : 5) : 0));
    }
  }
  // The worst case fills the bound exactly.
  const std::string controls(40, '\x01');
  std::string worst(json_string_bound(controls.size()), '\0');
  REQUIRE(write_json_string(worst.data(), controls) == worst.data() + worst.size());
}
