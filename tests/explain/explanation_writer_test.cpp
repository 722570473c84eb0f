// explain/explanation: the hand-rolled JSONL writer (append_jsonl) against nlohmann::json's
// parse of its output and against the fmt-based writer it replaced (same bytes), on a few hundred
// random tokens of tricky text: quotes, backslashes, control characters, '<' '>' '&', non-ASCII,
// and invalid bytes replaced by U+FFFD as --encoding replace does.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/utf8.h"
#include "explain/explanation.h"
#include "tests/catch.h"

using namespace textlrp;
using namespace textlrp::explain;

namespace {

// The writer append_jsonl replaced (fmt::format_to "{}" per number, append_json_string per string),
// kept here as the oracle of its bytes.
void reference_jsonl(std::string& out, const ExplanationRecord& r) {
  auto str = [&](std::string_view s) { append_json_string(out, s); };
  auto num = [&](double v) { fmt::format_to(std::back_inserter(out), "{}", v); };
  auto flt = [&](double v) {
    if (std::abs(v) > static_cast<double>(std::numeric_limits<float>::max())) {
      num(v);
    } else {
      fmt::format_to(std::back_inserter(out), "{}", static_cast<float>(v));
    }
  };
  out += "{\"schema\":1,\"id\":";
  str(r.id);
  if (!r.model.empty()) {
    out += ",\"model\":";
    str(r.model);
  }
  out += ",\"text\":";
  str(r.text);
  if (r.label) {
    out += ",\"label\":";
    str(*r.label);
  }
  out += ",\"prediction\":";
  str(r.prediction);
  out += ",\"target\":";
  str(r.target);
  out += ",\"method\":";
  str(r.method);
  out += ",\"rule\":";
  str(r.rule);
  out += ",\"scores\":{";
  for (std::size_t i = 0; i < r.scores.size(); ++i) {
    if (i) out.push_back(',');
    str(r.scores[i].first);
    out.push_back(':');
    num(r.scores[i].second);
  }
  out += "},\"score\":";
  num(r.score);
  if (r.truncated) out += ",\"truncated\":true";
  if (r.max_tokens) fmt::format_to(std::back_inserter(out), ",\"max_tokens\":{}", *r.max_tokens);
  out += ",\"tokens\":[";
  for (std::size_t i = 0; i < r.tokens.size(); ++i) {
    const TokenRelevance& t = r.tokens[i];
    if (i) out.push_back(',');
    out += "{\"text\":";
    str(t.text);
    if (t.begin && t.end)
      fmt::format_to(std::back_inserter(out), ",\"begin\":{},\"end\":{}", *t.begin, *t.end);
    out += ",\"relevance\":";
    flt(t.relevance);
    if (t.oov) out += ",\"oov\":true";
    if (t.unseen) out += ",\"unseen\":true";
    out.push_back('}');
  }
  out.push_back(']');
  if (r.words) {
    out += ",\"words\":[";
    for (std::size_t i = 0; i < r.words->size(); ++i) {
      const WordRelevance& w = (*r.words)[i];
      if (i) out.push_back(',');
      out += "{\"text\":";
      str(w.text);
      fmt::format_to(std::back_inserter(out), ",\"begin\":{},\"end\":{},\"relevance\":", w.begin, w.end);
      flt(w.relevance);
      out.push_back('}');
    }
    out.push_back(']');
  }
  if (!r.special.empty()) {
    out += ",\"special\":[";
    for (std::size_t i = 0; i < r.special.size(); ++i) {
      if (i) out.push_back(',');
      out += "{\"text\":";
      str(r.special[i].first);
      out += ",\"relevance\":";
      flt(r.special[i].second);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out += ",\"relevance_sum\":";
  num(r.relevance_sum);
  out += ",\"bias_relevance\":";
  num(r.bias_relevance);
  if (!r.warnings.empty()) {
    out += ",\"warnings\":[";
    for (std::size_t i = 0; i < r.warnings.size(); ++i) {
      if (i) out.push_back(',');
      str(r.warnings[i]);
    }
    out.push_back(']');
  }
  out += "}\n";
}

// A random token: tricky pieces glued together, valid UTF-8 (invalid bytes replaced by U+FFFD
// first, as --encoding replace does).
std::string random_token(std::mt19937_64& rng) {
  static const std::vector<std::string> pieces = {"a",
                                                  "word",
                                                  "\"",
                                                  "\\",
                                                  "\\\"",
                                                  "\n",
                                                  "\r\n",
                                                  "\t",
                                                  std::string(1, '\0'),
                                                  "\x01",
                                                  "\x1f",
                                                  "\x7f",
                                                  "<",
                                                  ">",
                                                  "&",
                                                  "</script>",
                                                  "caf\xc3\xa9",
                                                  "\xe6\x97\xa5\xe6\x9c\xac",
                                                  "\xf0\x9f\x98\x80",
                                                  "\xe2\x80\xa8",
                                                  "\xef\xbb\xbf",
                                                  "/",
                                                  "'",
                                                  " ",
                                                  "12345678",
                                                  "longer-than-eight-bytes"};
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1), len(1, 4), byte(0, 255);
  std::string raw;
  for (std::size_t k = len(rng); k > 0; --k) {
    raw += pieces[pick(rng)];
    if (pick(rng) < 3) raw.push_back(static_cast<char>(byte(rng)));  // maybe invalid
  }
  return replace_invalid_utf8(raw);
}

double random_relevance(std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> exponent(-12, 3);
  std::uniform_int_distribution<int> kind(0, 19);
  switch (kind(rng)) {
    case 0: return 0.0;
    case 1: return -0.0;
    case 2: return 1e39;  // beyond float: written as a double
    case 3: return -2.5e300;
    default: return normal(rng) * std::pow(10.0, exponent(rng));
  }
}

ExplanationRecord random_record(std::mt19937_64& rng, std::size_t n_tokens, bool subword) {
  ExplanationRecord r;
  r.id = random_token(rng);
  r.model = "model \"" + random_token(rng) + "\"";
  r.label = random_token(rng);
  r.prediction = "pos<>";
  r.target = "pos<>";
  r.method = "lrp";
  r.rule = "fc=epsilon(1e-06)";
  r.scores = {{"neg&", random_relevance(rng)}, {"pos<>", random_relevance(rng)}};
  r.score = r.scores[1].second;
  for (std::size_t t = 0; t < n_tokens; ++t) {
    TokenRelevance tr;
    tr.text = random_token(rng);
    if (!r.text.empty()) r.text += ' ';
    tr.begin = static_cast<std::uint32_t>(r.text.size());
    r.text += tr.text;
    tr.end = static_cast<std::uint32_t>(r.text.size());
    tr.relevance = random_relevance(rng);
    tr.oov = t % 7 == 3;
    r.tokens.push_back(tr);
  }
  if (subword) {
    r.words.emplace();
    for (const TokenRelevance& t : r.tokens) r.words->push_back({t.text, *t.begin, *t.end, t.relevance * 2});
    r.special = {{"[CLS]", random_relevance(rng)}, {"[SEP]", random_relevance(rng)}};
    r.truncated = true;
    r.max_tokens = static_cast<std::uint32_t>(n_tokens / 2);
    for (std::size_t t = n_tokens / 2; t < n_tokens; ++t) r.tokens[t].unseen = true;
  }
  r.relevance_sum = random_relevance(rng);
  r.bias_relevance = random_relevance(rng);
  return r;
}

// A token relevance is written in float precision (the shortest digits of the float) unless it is
// beyond float's range: what was read back is what was written when it reads back as the same
// float (or the same double beyond float).
bool same_as_written(double read, double v) {
  if (std::abs(v) > static_cast<double>(std::numeric_limits<float>::max())) return read == v;
  return static_cast<float>(read) == static_cast<float>(v);
}

}  // namespace

TEST_CASE("explanation writer: nlohmann::json reads back every string and number",
          "[apps][explanation][json]") {
  std::mt19937_64 rng(14);
  for (const bool subword : {false, true}) {
    const ExplanationRecord r = random_record(rng, 300, subword);
    std::string line;
    append_jsonl(line, r);
    REQUIRE(line.back() == '\n');
    REQUIRE(line.find('\n') == line.size() - 1);  // one line: every newline in the text is escaped
    REQUIRE(is_valid_utf8(line));
    const nlohmann::json j = nlohmann::json::parse(line);
    REQUIRE(j["id"] == r.id);
    REQUIRE(j["model"] == r.model);
    REQUIRE(j["text"] == r.text);
    REQUIRE(j["label"] == *r.label);
    REQUIRE(j["scores"]["neg&"].get<double>() == r.scores[0].second);
    REQUIRE(j["scores"]["pos<>"].get<double>() == r.scores[1].second);
    REQUIRE(j["relevance_sum"].get<double>() == r.relevance_sum);
    REQUIRE(j["bias_relevance"].get<double>() == r.bias_relevance);
    REQUIRE(j["tokens"].size() == r.tokens.size());
    for (std::size_t t = 0; t < r.tokens.size(); ++t) {
      const auto& jt = j["tokens"][t];
      CAPTURE(t, r.tokens[t].text);
      REQUIRE(jt["text"] == r.tokens[t].text);
      REQUIRE(jt["begin"] == *r.tokens[t].begin);
      REQUIRE(jt["end"] == *r.tokens[t].end);
      REQUIRE(same_as_written(jt["relevance"].get<double>(), r.tokens[t].relevance));
      REQUIRE(jt.value("oov", false) == r.tokens[t].oov);
      REQUIRE(jt.value("unseen", false) == r.tokens[t].unseen);
      REQUIRE(r.text.substr(*r.tokens[t].begin, *r.tokens[t].end - *r.tokens[t].begin) == r.tokens[t].text);
    }
    if (subword) {
      REQUIRE(j["words"].size() == r.words->size());
      REQUIRE(same_as_written(j["words"][5]["relevance"].get<double>(), (*r.words)[5].relevance));
      REQUIRE(j["special"][1]["text"] == "[SEP]");
      REQUIRE(j["max_tokens"] == *r.max_tokens);
    }
    // And the reader of the schema agrees.
    const ExplanationRecord back = parse_explanation_line(line.substr(0, line.size() - 1), "test:1");
    REQUIRE(back.text == r.text);
    REQUIRE(back.tokens.size() == r.tokens.size());
    REQUIRE(back.tokens.back().text == r.tokens.back().text);
  }
}

TEST_CASE("explanation writer: the same bytes as the fmt-based writer it replaced",
          "[apps][explanation][json]") {
  std::mt19937_64 rng(1406);
  for (int k = 0; k < 20; ++k) {
    ExplanationRecord r = random_record(rng, 20 + 15 * static_cast<std::size_t>(k), k % 2 == 1);
    if (k % 5 == 4) r.warnings = {"a warning with \"quotes\" and <tags>", "another\n"};
    if (k % 3 == 2) {
      r.label.reset();
      r.model.clear();
      for (TokenRelevance& t : r.tokens) t.begin = t.end = std::nullopt;  // pre-tokenized input
    }
    std::string fast, reference;
    append_jsonl(fast, r);
    reference_jsonl(reference, r);
    REQUIRE(fast == reference);
    // Appending keeps what the string held.
    std::string two = fast;
    append_jsonl(two, r);
    REQUIRE(two == fast + fast);
  }
}

TEST_CASE("explanation writer: non-finite numbers are written as 0 with a warning",
          "[apps][explanation][json]") {
  std::mt19937_64 rng(3);
  ExplanationRecord r = random_record(rng, 10, false);
  r.tokens[2].relevance = std::nan("");
  r.score = std::numeric_limits<double>::infinity();
  std::string line;
  append_jsonl(line, r);
  const nlohmann::json j = nlohmann::json::parse(line);
  REQUIRE(j["tokens"][2]["relevance"] == 0);
  REQUIRE(j["score"] == 0);
  REQUIRE(j["warnings"].back() == "2 non-finite value(s) (NaN or infinity) written as 0");
}

TEST_CASE("explanation writer: a document larger than the kept buffer, then a small one",
          "[apps][explanation][json]") {
  // 12 MB of text needs a buffer past the 64 MiB the writer keeps between documents (its bound is
  // six bytes per byte of text); the buffer is released after it, and the next record is right.
  ExplanationRecord big;
  big.id = "big";
  big.text = std::string(12u << 20, 'a');
  big.text[5] = '\n';
  big.prediction = big.target = "x";
  std::string line;
  append_jsonl(line, big);
  std::string big_reference;
  reference_jsonl(big_reference, big);
  REQUIRE(line == big_reference);
  REQUIRE(nlohmann::json::parse(line)["text"] == big.text);
  std::mt19937_64 rng(9);
  const ExplanationRecord small = random_record(rng, 30, false);
  std::string fast, reference;
  append_jsonl(fast, small);
  reference_jsonl(reference, small);
  REQUIRE(fast == reference);
}
