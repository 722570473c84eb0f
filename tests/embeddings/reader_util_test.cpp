// tests/embeddings/reader_util_test.cpp — the readers' number parsing (fast path must agree
// bit for bit with std::from_chars) and message quoting.
#include "embeddings/reader_util.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "tests/catch.h"

namespace textlrp::emb::detail {

TEST_CASE("reader util: parse_float accepts decimals and rejects the rest", "[embeddings]") {
  float f = 0;
  CHECK((parse_float("0.418", f) == FloatStatus::kOk && f == 0.418f));
  CHECK((parse_float("-1.25e-3", f) == FloatStatus::kOk && f == -1.25e-3f));
  CHECK((parse_float("+2", f) == FloatStatus::kOk && f == 2.0f));
  CHECK((parse_float("1E+2", f) == FloatStatus::kOk && f == 100.0f));
  CHECK((parse_float("-0", f) == FloatStatus::kOk && std::signbit(f)));
  CHECK((parse_float("1e-60", f) == FloatStatus::kOk && f == 0.0f));  // underflow
  CHECK((parse_float("-1.671300083398818970e-02", f) == FloatStatus::kOk && f == -1.671300083398818970e-02f));
  for (const char* bad :
       {"", "-", ".", "e5", "1e", "1e+", "1.2.3", "0x10", "1,5", "abc", "++1", " 1", "1 ", "--1", "1e5x"}) {
    INFO(bad);
    CHECK(parse_float(bad, f) == FloatStatus::kNotNumber);
  }
  for (const char* inf : {"nan", "NaN", "-nan", "inf", "-inf", "infinity", "1e39", "-3.5e38"}) {
    INFO(inf);
    CHECK(parse_float(inf, f) == FloatStatus::kNotFinite);
  }
}

TEST_CASE("reader util: parse_float agrees with from_chars bit for bit", "[embeddings]") {
  std::mt19937_64 rng(12345);
  auto digits = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng() % 10);
    return s;
  };
  int n_compared = 0;
  std::string first_mismatch;
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    if (rng() % 2) s += '-';
    s += digits(static_cast<int>(rng() % 4));
    if (rng() % 4 != 0) {
      s += '.';
      s += digits(static_cast<int>(rng() % 11));
    }
    if (s.find_first_of("0123456789") == std::string::npos) s += '7';
    if (rng() % 3 == 0) s += fmt::format("e{}", static_cast<int>(rng() % 31) - 15);
    float expected = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), expected);
    if (ec != std::errc() || ptr != s.data() + s.size()) continue;
    float got = 0;
    ++n_compared;
    if (parse_float(s, got) != FloatStatus::kOk ||
        std::bit_cast<std::uint32_t>(got) != std::bit_cast<std::uint32_t>(expected)) {
      if (first_mismatch.empty()) first_mismatch = s;
    }
  }
  CHECK(n_compared > 100000);
  CHECK(first_mismatch.empty());
}

TEST_CASE("reader util: quote escapes and shortens", "[embeddings]") {
  CHECK(quote("abc") == "'abc'");
  CHECK(quote("a\nb") == "'a<U+000A>b'");
  CHECK(quote("\xEF\xBB\xBFword") == "'<U+FEFF>word'");
  CHECK(quote("caf\xE9 \xC3\xA9") == "'caf\\xE9 \xC3\xA9'");  // only the invalid byte is escaped
  CHECK(quote("caf\xE9") == "'caf\\xE9'");
  CHECK(quote("naïve") == "'naïve'");
  CHECK(quote(std::string(50, 'x')) == fmt::format("'{}'...", std::string(40, 'x')));
}

}  // namespace textlrp::emb::detail
