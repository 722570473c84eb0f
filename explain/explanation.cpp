#include "explain/explanation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "explain/json_count.h"
#include "core/error.h"
#include "core/utf8.h"

namespace textlrp::explain {
namespace {

// Non-finite numbers are written as 0 (JSON has no NaN or infinity, and null is not a number);
// *n_nonfinite counts them, so that the record says so in its "warnings".
void append_number(std::string& out, double v, std::size_t* n_nonfinite) {
  if (!std::isfinite(v)) {
    out.push_back('0');
    ++*n_nonfinite;
    return;
  }
  fmt::format_to(std::back_inserter(out), "{}", v);
}

// Token relevances in float precision (9 significant digits) keep the JSONL compact; a value
// beyond float's range is written as a double (as a float it would print "inf", which is not JSON).
double as_written(double v) {
  if (!std::isfinite(v)) return 0;
  if (std::abs(v) > static_cast<double>(std::numeric_limits<float>::max())) return v;
  return static_cast<double>(static_cast<float>(v));
}
void append_float(std::string& out, double v, std::size_t* n_nonfinite) {
  if (!std::isfinite(v)) {
    out.push_back('0');
    ++*n_nonfinite;
    return;
  }
  if (std::abs(v) > static_cast<double>(std::numeric_limits<float>::max())) {
    fmt::format_to(std::back_inserter(out), "{}", v);
    return;
  }
  fmt::format_to(std::back_inserter(out), "{}", static_cast<float>(v));
}

void append_key(std::string& out, std::string_view key) {
  append_json_string(out, key);
  out.push_back(':');
}

}  // namespace

void append_jsonl(std::string& out, const ExplanationRecord& r) {
  std::size_t nonfinite = 0;  // written as 0; check_explanation() normally replaced them already
  out += "{\"schema\":1,";
  append_key(out, "id");
  append_json_string(out, r.id);
  if (!r.model.empty()) {
    out.push_back(',');
    append_key(out, "model");
    append_json_string(out, r.model);
  }
  out.push_back(',');
  append_key(out, "text");
  append_json_string(out, r.text);
  if (r.label) {
    out.push_back(',');
    append_key(out, "label");
    append_json_string(out, *r.label);
  }
  out.push_back(',');
  append_key(out, "prediction");
  append_json_string(out, r.prediction);
  out.push_back(',');
  append_key(out, "target");
  append_json_string(out, r.target);
  out.push_back(',');
  append_key(out, "method");
  append_json_string(out, r.method);
  out.push_back(',');
  append_key(out, "rule");
  append_json_string(out, r.rule);
  out += ",\"scores\":{";
  for (std::size_t i = 0; i < r.scores.size(); ++i) {
    if (i) out.push_back(',');
    append_key(out, r.scores[i].first);
    append_number(out, r.scores[i].second, &nonfinite);
  }
  out += "},\"score\":";
  append_number(out, r.score, &nonfinite);
  if (r.truncated) out += ",\"truncated\":true";
  if (r.max_tokens) fmt::format_to(std::back_inserter(out), ",\"max_tokens\":{}", *r.max_tokens);
  out += ",\"tokens\":[";
  for (std::size_t i = 0; i < r.tokens.size(); ++i) {
    const TokenRelevance& t = r.tokens[i];
    if (i) out.push_back(',');
    out += "{\"text\":";
    append_json_string(out, t.text);
    if (t.begin && t.end) fmt::format_to(std::back_inserter(out), ",\"begin\":{},\"end\":{}", *t.begin, *t.end);
    out += ",\"relevance\":";
    append_float(out, t.relevance, &nonfinite);
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
      append_json_string(out, w.text);
      fmt::format_to(std::back_inserter(out), ",\"begin\":{},\"end\":{},\"relevance\":", w.begin, w.end);
      append_float(out, w.relevance, &nonfinite);
      out.push_back('}');
    }
    out.push_back(']');
  }
  if (!r.special.empty()) {
    out += ",\"special\":[";
    for (std::size_t i = 0; i < r.special.size(); ++i) {
      if (i) out.push_back(',');
      out += "{\"text\":";
      append_json_string(out, r.special[i].first);
      out += ",\"relevance\":";
      append_float(out, r.special[i].second, &nonfinite);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out += ",\"relevance_sum\":";
  append_number(out, r.relevance_sum, &nonfinite);
  out += ",\"bias_relevance\":";
  append_number(out, r.bias_relevance, &nonfinite);
  if (!r.warnings.empty() || nonfinite > 0) {
    out += ",\"warnings\":[";
    for (std::size_t i = 0; i < r.warnings.size(); ++i) {
      if (i) out.push_back(',');
      append_json_string(out, r.warnings[i]);
    }
    if (nonfinite > 0) {
      if (!r.warnings.empty()) out.push_back(',');
      append_json_string(out, fmt::format("{} non-finite value(s) (NaN or infinity) written as 0", nonfinite));
    }
    out.push_back(']');
  }
  out += "}\n";
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
        "relevance not conserved within {:g}: token relevances as large as {:.3g} for a score of {:.6g} cancel "
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
std::uint64_t get_count(const nlohmann::json& j, const char* key, const std::string& where, std::uint64_t max) {
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
  if (!j.is_object()) throw FormatError(fmt::format("{}: expected a JSON object, got {}", where, j.type_name()));
  const auto schema = get_count(j, "schema", where, std::numeric_limits<std::uint32_t>::max());
  if (schema != 1) throw FormatError(fmt::format("{}: unsupported schema {}, expected 1", where, schema));
  ExplanationRecord r;
  r.id = get_key<std::string>(j, "id", where, "a string");
  r.text = get_key<std::string>(j, "text", where, "a string");
  if (j.contains("label") && !j["label"].is_null()) r.label = get_key<std::string>(j, "label", where, "a string");
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
        throw FormatError(fmt::format("{}: span [{}, {}) is outside the text ({} bytes)", ww, wr.begin, wr.end,
                                      r.text.size()));
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
      r.special.emplace_back(get_key<std::string>(sp, "text", sw, "a string"), get_number(sp, "relevance", sw));
    }
  }
  r.relevance_sum = j.contains("relevance_sum") ? get_number(j, "relevance_sum", where) : 0.0;
  r.bias_relevance = j.contains("bias_relevance") ? get_number(j, "bias_relevance", where) : 0.0;
  if (const auto warnings = j.find("warnings"); warnings != j.end()) {
    if (!warnings->is_array()) throw FormatError(fmt::format("{}: key \"warnings\": expected an array", where));
    for (std::size_t i = 0; i < warnings->size(); ++i) {
      if (!(*warnings)[i].is_string()) {
        throw FormatError(fmt::format("{}: warnings[{}]: expected a string, got {}", where, i,
                                      (*warnings)[i].type_name()));
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
