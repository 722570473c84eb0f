#include "core/utf8.h"

#include "core/file.h"
#include "core/error.h"
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
