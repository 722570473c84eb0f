#include "explain/explanation.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "core/error.h"
#include "core/json_write.h"
#include "core/utf8.h"
#include "explain/json_count.h"

namespace textlrp::explain {
namespace {

// The JSONL writer: append_jsonl() sizes a per-thread buffer once for the whole record (an upper
// bound of what it can write), writes into it through a raw pointer and appends the result to the
// caller's string in one go: no per-token allocation, no format string, no bounds check per byte.
// Numbers print as fmt's "{}" always printed them (core/json_write.h). Non-finite numbers are
// written as 0 (JSON has no NaN or infinity, and null is not a number); *n_nonfinite counts them,
// so that the record says so in its "warnings".

constexpr std::size_t kNumberBound = kShortestNumberBound;

char* write_literal(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* write_double(char* p, double v, std::size_t* n_nonfinite) {
  if (!std::isfinite(v)) {
    *p++ = '0';
    ++*n_nonfinite;
    return p;
  }
  return write_shortest(p, v);
}

char* write_uint(char* p, std::uint32_t v) { return std::to_chars(p, p + 10, v).ptr; }

// A relevance: as a float, or as a double beyond float's range (as_written).
char* write_float(char* p, double v, std::size_t* n_nonfinite, ShortestCache& cache) {
  if (!std::isfinite(v)) {
    *p++ = '0';
    ++*n_nonfinite;
    return p;
  }
  return cache.write(p, v, std::abs(v) <= static_cast<double>(std::numeric_limits<float>::max()));
}

// "key":
char* write_key(char* p, std::string_view key) {
  p = write_json_string(p, key);
  *p++ = ':';
  return p;
}

// ,"begin":B,"end":E — a token's or word's byte span.
char* write_span(char* p, std::uint32_t begin, std::uint32_t end) {
  p = write_literal(p, ",\"begin\":");
  p = write_uint(p, begin);
  p = write_literal(p, ",\"end\":");
  return write_uint(p, end);
}

// The calling thread's buffer, grown to at least n bytes (never zero-filled). A buffer grown past
// kKeptBufferBytes by a huge document is released after that document (release_thread_buffer), so
// that a thread does not hold the worst-case bound of its largest document for the rest of the run.
constexpr std::size_t kKeptBufferBytes = std::size_t{64} << 20;
thread_local std::unique_ptr<char[]> t_buffer;
thread_local std::size_t t_capacity = 0;

char* thread_buffer(std::size_t n) {
  if (t_capacity < n) {
    t_buffer.reset();  // before allocating the larger one
    t_capacity = std::max(n, 2 * t_capacity);
    t_buffer = std::make_unique_for_overwrite<char[]>(t_capacity);
  }
  return t_buffer.get();
}
void release_thread_buffer_if_huge() {
  if (t_capacity > kKeptBufferBytes) {
    t_buffer.reset();
    t_capacity = 0;
  }
}

}  // namespace

// Token relevances in float precision (9 significant digits) keep the JSONL compact; a value
// beyond float's range is written as a double (as a float it would print "inf", which is not JSON).
double as_written(double v) {
  if (!std::isfinite(v)) return 0;
  if (std::abs(v) > static_cast<double>(std::numeric_limits<float>::max())) return v;
  return static_cast<double>(static_cast<float>(v));
}

static_assert(JsonlLineWriter::kNumber >= kNumberBound);

JsonlLineWriter::JsonlLineWriter(std::size_t bound) : begin_(thread_buffer(bound)), p_(begin_) {}

void JsonlLineWriter::head(std::string_view id, std::string_view model, std::string_view text,
                           const std::string* label, std::string_view prediction, std::string_view target,
                           std::string_view method, std::string_view rule) {
  char* p = p_;
  p = write_literal(p, "{\"schema\":1,");
  p = write_key(p, "id");
  p = write_json_string(p, id);
  if (!model.empty()) {
    *p++ = ',';
    p = write_key(p, "model");
    p = write_json_string(p, model);
  }
  *p++ = ',';
  p = write_key(p, "text");
  p = write_json_string(p, text);
  if (label) {
    *p++ = ',';
    p = write_key(p, "label");
    p = write_json_string(p, *label);
  }
  *p++ = ',';
  p = write_key(p, "prediction");
  p = write_json_string(p, prediction);
  *p++ = ',';
  p = write_key(p, "target");
  p = write_json_string(p, target);
  *p++ = ',';
  p = write_key(p, "method");
  p = write_json_string(p, method);
  *p++ = ',';
  p = write_key(p, "rule");
  p = write_json_string(p, rule);
  p_ = write_literal(p, ",\"scores\":{");
}

void JsonlLineWriter::score(std::size_t i, std::string_view label, double v) {
  if (i) *p_++ = ',';
  p_ = write_key(p_, label);
  p_ = write_double(p_, v, &nonfinite_);
}

void JsonlLineWriter::scores_end(double score, bool truncated,
                                 const std::optional<std::uint32_t>& max_tokens) {
  p_ = write_literal(p_, "},\"score\":");
  p_ = write_double(p_, score, &nonfinite_);
  if (truncated) p_ = write_literal(p_, ",\"truncated\":true");
  if (max_tokens) {
    p_ = write_literal(p_, ",\"max_tokens\":");
    p_ = write_uint(p_, *max_tokens);
  }
  p_ = write_literal(p_, ",\"tokens\":[");
}

void JsonlLineWriter::token(std::size_t i, std::string_view text, bool spans, std::uint32_t begin,
                            std::uint32_t end, double relevance, bool oov, bool unseen) {
  char* p = p_;
  if (i) *p++ = ',';
  p = write_literal(p, "{\"text\":");
  p = write_json_string(p, text);
  if (spans) p = write_span(p, begin, end);
  p = write_literal(p, ",\"relevance\":");
  p = write_float(p, relevance, &nonfinite_, floats_);
  if (oov) p = write_literal(p, ",\"oov\":true");
  if (unseen) p = write_literal(p, ",\"unseen\":true");
  *p++ = '}';
  p_ = p;
}

void JsonlLineWriter::span_token(std::size_t i, std::string_view document, std::uint32_t begin,
                                 std::uint32_t end, double relevance, bool oov) {
  char* p = p_;
  if (i) *p++ = ',';
  p = write_literal(p, "{\"text\":");
  p = write_json_string_within(p, document.substr(begin, end - begin), document.size() - begin);
  p = write_span(p, begin, end);
  p = write_literal(p, ",\"relevance\":");
  p = write_float(p, relevance, &nonfinite_, floats_);
  if (oov) p = write_literal(p, ",\"oov\":true");
  *p++ = '}';
  p_ = p;
}

void JsonlLineWriter::tokens_end() { *p_++ = ']'; }

void JsonlLineWriter::word(std::size_t i, std::string_view text, std::uint32_t begin, std::uint32_t end,
                           double relevance) {
  if (i) *p_++ = ',';
  p_ = write_literal(p_, "{\"text\":");
  p_ = write_json_string(p_, text);
  p_ = write_span(p_, begin, end);
  p_ = write_literal(p_, ",\"relevance\":");
  p_ = write_float(p_, relevance, &nonfinite_, floats_);
  *p_++ = '}';
}

void JsonlLineWriter::words_begin() { p_ = write_literal(p_, ",\"words\":["); }
void JsonlLineWriter::special_begin() { p_ = write_literal(p_, ",\"special\":["); }
void JsonlLineWriter::words_end() { *p_++ = ']'; }

void JsonlLineWriter::special(std::size_t i, std::string_view text, double relevance) {
  if (i) *p_++ = ',';
  p_ = write_literal(p_, "{\"text\":");
  p_ = write_json_string(p_, text);
  p_ = write_literal(p_, ",\"relevance\":");
  p_ = write_float(p_, relevance, &nonfinite_, floats_);
  *p_++ = '}';
}

void JsonlLineWriter::special_end() { *p_++ = ']'; }

void JsonlLineWriter::finish(std::string& out, double relevance_sum, double bias_relevance,
                             const std::vector<std::string>& warnings) {
  char* p = p_;
  p = write_literal(p, ",\"relevance_sum\":");
  p = write_double(p, relevance_sum, &nonfinite_);
  p = write_literal(p, ",\"bias_relevance\":");
  p = write_double(p, bias_relevance, &nonfinite_);
  if (warnings.empty() && nonfinite_ == 0) {  // the usual end: one append of the whole line
    p = write_literal(p, "}\n");
    out.append(begin_, static_cast<std::size_t>(p - begin_));
    release_thread_buffer_if_huge();
    return;
  }
  out.append(begin_, static_cast<std::size_t>(p - begin_));
  release_thread_buffer_if_huge();
  out += ",\"warnings\":[";
  for (std::size_t i = 0; i < warnings.size(); ++i) {
    if (i) out.push_back(',');
    append_json_string(out, warnings[i]);
  }
  if (nonfinite_ > 0) {
    if (!warnings.empty()) out.push_back(',');
    append_json_string(out, fmt::format("{} non-finite value(s) (NaN or infinity) written as 0", nonfinite_));
  }
  out += "]}\n";
}

namespace {

// Upper bound of the bytes append_jsonl writes for `r` before "warnings" (which it appends
// separately): every string at its worst escape, every number and offset at its longest, every
// key and punctuation counted generously (the fixed keys are < 200 bytes; a token's keys and
// punctuation < 70).
std::size_t record_bound(const ExplanationRecord& r) {
  using W = JsonlLineWriter;
  std::size_t n = W::kFixedBound;
  n += W::string_bound(r.id.size()) + W::string_bound(r.model.size()) + W::string_bound(r.text.size());
  if (r.label) n += W::string_bound(r.label->size());
  n += W::string_bound(r.prediction.size()) + W::string_bound(r.target.size());
  n += W::string_bound(r.method.size()) + W::string_bound(r.rule.size());
  for (const auto& [label, s] : r.scores) n += W::string_bound(label.size()) + W::kScoreBound;
  for (const TokenRelevance& t : r.tokens) n += W::string_bound(t.text.size()) + W::kItemBound;
  if (r.words) {
    for (const WordRelevance& w : *r.words) n += W::string_bound(w.text.size()) + W::kItemBound;
  }
  for (const auto& [text, rel] : r.special) n += W::string_bound(text.size()) + W::kItemBound;
  return n;
}

}  // namespace

void append_jsonl(std::string& out, const ExplanationRecord& r) {
  JsonlLineWriter w(record_bound(r));
  w.head(r.id, r.model, r.text, r.label ? &*r.label : nullptr, r.prediction, r.target, r.method, r.rule);
  for (std::size_t i = 0; i < r.scores.size(); ++i) w.score(i, r.scores[i].first, r.scores[i].second);
  w.scores_end(r.score, r.truncated, r.max_tokens);
  for (std::size_t i = 0; i < r.tokens.size(); ++i) {
    const TokenRelevance& t = r.tokens[i];
    const bool spans = t.begin && t.end;
    w.token(i, t.text, spans, spans ? *t.begin : 0, spans ? *t.end : 0, t.relevance, t.oov, t.unseen);
  }
  w.tokens_end();
  if (r.words) {
    w.words_begin();
    for (std::size_t i = 0; i < r.words->size(); ++i) {
      const WordRelevance& x = (*r.words)[i];
      w.word(i, x.text, x.begin, x.end, x.relevance);
    }
    w.words_end();
  }
  if (!r.special.empty()) {
    w.special_begin();
    for (std::size_t i = 0; i < r.special.size(); ++i) w.special(i, r.special[i].first, r.special[i].second);
    w.special_end();
  }
  w.finish(out, r.relevance_sum, r.bias_relevance, r.warnings);
}

bool check_explanation(ExplanationRecord& r, double tolerance) {
  const std::size_t before = r.warnings.size();
  std::size_t bad_tokens = 0, bad_other = 0;
  auto fix = [](double& v, std::size_t& count) {
    if (!std::isfinite(v)) {
      v = 0;
      ++count;
    }
  };
  for (auto& [label, s] : r.scores) fix(s, bad_other);
  fix(r.score, bad_other);
  for (TokenRelevance& t : r.tokens) fix(t.relevance, bad_tokens);
  if (r.words) {
    for (WordRelevance& w : *r.words) fix(w.relevance, bad_other);
  }
  double special = 0;  // a transformer's [CLS] and [SEP]: score = relevance_sum + Σ special + bias_relevance
  for (auto& sp : r.special) {
    fix(sp.second, bad_other);
    special += sp.second;
  }
  double written_sum = 0, largest = 0;
  for (const TokenRelevance& t : r.tokens) {
    written_sum += as_written(t.relevance);
    largest = std::max(largest, std::abs(t.relevance));
  }
  if (!std::isfinite(r.relevance_sum)) {
    r.relevance_sum = written_sum;
    ++bad_other;
  }
  if (!std::isfinite(r.bias_relevance)) {
    r.bias_relevance = r.score - r.relevance_sum - special;
    ++bad_other;
  }
  if (bad_tokens + bad_other > 0) {
    r.warnings.push_back(fmt::format(
        "non-finite values (NaN or infinity) written as 0: {} of {} token relevances, {} other values; the "
        "explanation is not usable",
        bad_tokens, r.tokens.size(), bad_other));
  }
  const double scale = std::max(1.0, std::abs(r.score));
  const double sum_err = std::abs(written_sum - r.relevance_sum) / scale;
  const double total_err = std::abs(r.relevance_sum + special + r.bias_relevance - r.score) / scale;
  if (!(sum_err <= tolerance) || !(total_err <= tolerance)) {
    r.warnings.push_back(fmt::format(
        "relevance not conserved within {:g}: token relevances as large as {:.3g} for a score of {:.6g} "
        "cancel "
        "each other (as written they sum to {:.9g}, relevance_sum {:.9g}, bias_relevance {:.9g}); the "
        "explanation is numerically unreliable",
        tolerance, largest, r.score, written_sum, r.relevance_sum, r.bias_relevance));
  }
  return r.warnings.size() > before;
}

namespace {

template <class T>
T get_key(const nlohmann::json& j, const char* key, const std::string& where, const char* type) {
  const auto it = j.find(key);
  if (it == j.end()) throw FormatError(fmt::format("{}: missing key \"{}\"", where, key));
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw FormatError(fmt::format("{}: key \"{}\": expected {}, got {}", where, key, type, it->type_name()));
  }
}

// An integer key in [0, max] (json_count); a FormatError naming the key otherwise.
std::uint64_t get_count(const nlohmann::json& j, const char* key, const std::string& where,
                        std::uint64_t max) {
  const auto it = j.find(key);
  if (it == j.end()) throw FormatError(fmt::format("{}: missing key \"{}\"", where, key));
  const std::optional<std::uint64_t> n = json_count(*it, max);
  if (!n) {
    throw FormatError(fmt::format("{}: key \"{}\": expected an integer 0..{}, got {}", where, key, max,
                                  it->dump().substr(0, 40)));
  }
  return *n;
}
std::uint32_t get_offset(const nlohmann::json& j, const char* key, const std::string& where) {
  return static_cast<std::uint32_t>(get_count(j, key, where, std::numeric_limits<std::uint32_t>::max()));
}

double get_number(const nlohmann::json& j, const char* key, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end()) throw FormatError(fmt::format("{}: missing key \"{}\"", where, key));
  if (it->is_null()) return std::nan("");
  if (!it->is_number()) {
    throw FormatError(fmt::format("{}: key \"{}\": expected a number, got {}", where, key, it->type_name()));
  }
  return it->get<double>();
}

}  // namespace

ExplanationRecord parse_explanation(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object())
    throw FormatError(fmt::format("{}: expected a JSON object, got {}", where, j.type_name()));
  const auto schema = get_count(j, "schema", where, std::numeric_limits<std::uint32_t>::max());
  if (schema != 1) throw FormatError(fmt::format("{}: unsupported schema {}, expected 1", where, schema));
  ExplanationRecord r;
  r.id = get_key<std::string>(j, "id", where, "a string");
  r.text = get_key<std::string>(j, "text", where, "a string");
  if (j.contains("label") && !j["label"].is_null())
    r.label = get_key<std::string>(j, "label", where, "a string");
  r.prediction = get_key<std::string>(j, "prediction", where, "a string");
  r.target = get_key<std::string>(j, "target", where, "a string");
  r.method = get_key<std::string>(j, "method", where, "a string");
  if (j.contains("rule")) r.rule = get_key<std::string>(j, "rule", where, "a string");
  if (j.contains("model")) r.model = get_key<std::string>(j, "model", where, "a string");
  if (j.contains("truncated")) r.truncated = get_key<bool>(j, "truncated", where, "a boolean");
  if (j.contains("max_tokens")) {
    r.max_tokens = static_cast<std::uint32_t>(
        get_count(j, "max_tokens", where, std::numeric_limits<std::uint32_t>::max()));
  }
  const auto& scores = j.find("scores");
  if (scores == j.end() || !scores->is_object()) {
    throw FormatError(fmt::format("{}: key \"scores\": expected an object", where));
  }
  for (const auto& [k, v] : scores->items()) {
    if (!v.is_number()) throw FormatError(fmt::format("{}: scores[\"{}\"]: expected a number", where, k));
    r.scores.emplace_back(k, v.get<double>());
  }
  r.score = get_number(j, "score", where);
  const auto& tokens = j.find("tokens");
  if (tokens == j.end() || !tokens->is_array()) {
    throw FormatError(fmt::format("{}: key \"tokens\": expected an array", where));
  }
  for (std::size_t i = 0; i < tokens->size(); ++i) {
    const auto& t = (*tokens)[i];
    const std::string tw = fmt::format("{}: tokens[{}]", where, i);
    if (!t.is_object()) throw FormatError(fmt::format("{}: expected an object", tw));
    TokenRelevance tr;
    tr.text = get_key<std::string>(t, "text", tw, "a string");
    if (t.contains("begin") || t.contains("end")) {
      tr.begin = get_offset(t, "begin", tw);
      tr.end = get_offset(t, "end", tw);
      if (*tr.begin > *tr.end || *tr.end > r.text.size()) {
        throw FormatError(fmt::format("{}: span [{}, {}) is outside the text ({} bytes)", tw, *tr.begin,
                                      *tr.end, r.text.size()));
      }
    }
    tr.relevance = get_number(t, "relevance", tw);
    if (t.contains("oov")) tr.oov = get_key<bool>(t, "oov", tw, "a boolean");
    if (t.contains("unseen")) tr.unseen = get_key<bool>(t, "unseen", tw, "a boolean");
    if (r.max_tokens && i >= *r.max_tokens) tr.unseen = true;
    r.tokens.push_back(std::move(tr));
  }
  if (const auto words = j.find("words"); words != j.end()) {
    if (!words->is_array()) throw FormatError(fmt::format("{}: key \"words\": expected an array", where));
    r.words.emplace();
    r.words->reserve(words->size());
    for (std::size_t i = 0; i < words->size(); ++i) {
      const auto& w = (*words)[i];
      const std::string ww = fmt::format("{}: words[{}]", where, i);
      if (!w.is_object()) throw FormatError(fmt::format("{}: expected an object", ww));
      WordRelevance wr;
      wr.text = get_key<std::string>(w, "text", ww, "a string");
      wr.begin = get_offset(w, "begin", ww);
      wr.end = get_offset(w, "end", ww);
      if (wr.begin > wr.end || wr.end > r.text.size()) {
        throw FormatError(fmt::format("{}: span [{}, {}) is outside the text ({} bytes)", ww, wr.begin,
                                      wr.end, r.text.size()));
      }
      wr.relevance = get_number(w, "relevance", ww);
      r.words->push_back(std::move(wr));
    }
  }
  if (const auto special = j.find("special"); special != j.end()) {
    if (!special->is_array()) throw FormatError(fmt::format("{}: key \"special\": expected an array", where));
    for (std::size_t i = 0; i < special->size(); ++i) {
      const auto& sp = (*special)[i];
      const std::string sw = fmt::format("{}: special[{}]", where, i);
      if (!sp.is_object()) throw FormatError(fmt::format("{}: expected an object", sw));
      r.special.emplace_back(get_key<std::string>(sp, "text", sw, "a string"),
                             get_number(sp, "relevance", sw));
    }
  }
  r.relevance_sum = j.contains("relevance_sum") ? get_number(j, "relevance_sum", where) : 0.0;
  r.bias_relevance = j.contains("bias_relevance") ? get_number(j, "bias_relevance", where) : 0.0;
  if (const auto warnings = j.find("warnings"); warnings != j.end()) {
    if (!warnings->is_array())
      throw FormatError(fmt::format("{}: key \"warnings\": expected an array", where));
    for (std::size_t i = 0; i < warnings->size(); ++i) {
      if (!(*warnings)[i].is_string()) {
        throw FormatError(
            fmt::format("{}: warnings[{}]: expected a string, got {}", where, i, (*warnings)[i].type_name()));
      }
      r.warnings.push_back((*warnings)[i].get<std::string>());
    }
  }
  return r;
}

ExplanationRecord parse_explanation_line(const std::string& line, const std::string& where) {
  if (const auto bad = find_invalid_utf8(line)) {
    throw FormatError(fmt::format("{}: byte {}: invalid UTF-8", where, *bad + 1));
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {  // also out_of_range: 1e999
    throw FormatError(fmt::format("{}: not valid JSON: {}", where, e.what()));
  }
  return parse_explanation(j, where);
}

}  // namespace textlrp::explain
