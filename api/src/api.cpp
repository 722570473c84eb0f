// api/src/api.cpp — the public API (textlrp/textlrp.h): models load with the library's model
// directory (lrp/model_dir.h) and encode with its text encoder; explaining goes through the
// library's explain pipeline (explain/pipeline.h), the one `textlrp explain` calls, so that an
// Explanation's to_json() is the line `textlrp explain` writes.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <mutex>
#include <span>
#include <utility>

#include "core/error.h"
#include "core/file.h"
#include "core/safetensors.h"
#include "core/thread_pool.h"
#include "corpora/line_utils.h"
#include "explain/explain_request.h"
#include "explain/explanation.h"
#include "explain/import.h"
#include "explain/model.h"
#include "explain/pipeline.h"
#include "model_impl.h"
#include "report/report.h"
#include "textlrp/textlrp.h"

namespace textlrp {

namespace {

Explanation from_record(explain::ExplanationRecord&& r) {
  Explanation e;
  e.id = std::move(r.id);
  e.text = std::move(r.text);
  e.label = std::move(r.label);
  e.prediction = std::move(r.prediction);
  e.target = std::move(r.target);
  e.method = std::move(r.method);
  e.rule = std::move(r.rule);
  e.scores = std::move(r.scores);
  e.score = r.score;
  e.tokens.reserve(r.tokens.size());
  for (auto& t : r.tokens)
    e.tokens.push_back({std::move(t.text), t.begin, t.end, t.relevance, t.oov, t.unseen});
  if (r.words) {
    e.words.emplace();
    e.words->reserve(r.words->size());
    for (auto& w : *r.words) e.words->push_back({std::move(w.text), w.begin, w.end, w.relevance});
  }
  e.special = std::move(r.special);
  e.relevance_sum = r.relevance_sum;
  e.bias_relevance = r.bias_relevance;
  e.model = std::move(r.model);
  e.truncated = r.truncated;
  e.max_tokens = r.max_tokens;
  e.warnings = std::move(r.warnings);
  return e;
}

explain::ExplanationRecord to_record(const Explanation& e) {
  explain::ExplanationRecord r;
  r.id = e.id;
  r.text = e.text;
  r.label = e.label;
  r.prediction = e.prediction;
  r.target = e.target;
  r.method = e.method;
  r.rule = e.rule;
  r.scores = e.scores;
  r.score = e.score;
  r.tokens.reserve(e.tokens.size());
  for (const auto& t : e.tokens) r.tokens.push_back({t.text, t.begin, t.end, t.relevance, t.oov, t.unseen});
  if (e.words) {
    r.words.emplace();
    for (const auto& w : *e.words) r.words->push_back({w.text, w.begin, w.end, w.relevance});
  }
  r.special = e.special;
  r.relevance_sum = e.relevance_sum;
  r.bias_relevance = e.bias_relevance;
  r.model = e.model;
  r.truncated = e.truncated;
  r.max_tokens = e.max_tokens;
  r.warnings = e.warnings;
  return r;
}

template <typename T>
T parse_number(const std::string& key, const std::string& value) {
  T v{};
  const char* end = value.data() + value.size();
  if constexpr (std::is_floating_point_v<T>) {
    // std::from_chars for double: the same grammar as strtod without locale.
    const auto [p, ec] = std::from_chars(value.data(), end, v);
    if (ec != std::errc() || p != end) {
      throw InvalidArgument(fmt::format("option '{}': expected a number, got '{}'", key, value));
    }
  } else {
    const auto [p, ec] = std::from_chars(value.data(), end, v);
    if (ec != std::errc() || p != end) {
      throw InvalidArgument(fmt::format("option '{}': expected an integer, got '{}'", key, value));
    }
  }
  return v;
}

// The request's options by name, as the flags of `textlrp explain`; then the options that command
// builds from them, in one place (explain/explain_request.h).
lrp::ExplainOptions explain_options(const lrp::ModelDir& model, const ExplainRequest& req) {
  explain::ExplainSettings s;
  s.method = req.method;
  s.rule = req.rule;
  for (const auto& [key, value] : req.options) {
    if (key == "lstm-rule") {
      s.lstm_rule = value;
      if (value.empty()) (void)lrp::parse_gate_rule(value);  // "" is no rule: InvalidArgument listing them
    } else if (key == "bias-factor") {
      s.bias_factor = parse_number<double>(key, value);
    } else if (key == "precision") {
      s.precision = value;
      if (value.empty()) (void)lrp::parse_precision(value);
    } else if (key == "steps") {
      s.steps = parse_number<int>(key, value);
      if (s.steps < 1) throw InvalidArgument("option 'steps' must be at least 1");
    } else if (key == "seed") {
      s.seed = parse_number<std::uint64_t>(key, value);
    } else {
      throw InvalidArgument(
          fmt::format("unknown explain option '{}' (valid: bias-factor, lstm-rule, precision, "
                      "seed, steps)",
                      key));
    }
  }
  return explain::explain_options(model, s);
}

// The threads of a pool for n tasks: `threads` (< 1: every core), but never more than the tasks.
int pool_size(int threads, std::size_t n) {
  const auto cores = static_cast<std::size_t>(resolve_threads(threads));
  return static_cast<int>(std::min<std::size_t>(cores, std::max<std::size_t>(n, 1)));
}

Explanation explain_one(const lrp::ModelDir& model, corpora::Example&& ex, const ExplainRequest& req,
                        const lrp::ExplainOptions& eo, const explain::TargetSpec& target) {
  ex.label = req.label;
  return from_record(explain::explain_example(model, ex, eo, target));
}

}  // namespace

Model::Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

Model Model::open(const std::filesystem::path& dir, bool verify) {
  auto impl = std::make_shared<Impl>();
  impl->model = lrp::load_model_dir(dir, verify);
  return Model(std::move(impl));
}

Model Model::from_memory(const std::string& config_json, std::map<std::string, TensorData> tensors,
                         std::vector<std::string> vocabulary) {
  nlohmann::json c;
  try {
    c = nlohmann::json::parse(config_json);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(fmt::format("config: not valid JSON: {}", e.what()));
  }
  if (!c.is_object()) throw InvalidArgument(fmt::format("config: expected a JSON object, got {}", c.dump()));
  static const std::vector<std::string> kKeys = {
      "architecture",     "name",       "labels",      "lowercase",
      "keep_punctuation", "max_tokens", "huggingface", "tokenizer_config"};
  for (const auto& [key, value] : c.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      throw InvalidArgument(
          fmt::format("config: unknown key \"{}\" (valid: {})", key, fmt::join(kKeys, ", ")));
    }
  }
  auto string_key = [&](const char* key, std::string fallback) {
    if (!c.contains(key)) return fallback;
    if (!c[key].is_string())
      throw InvalidArgument(fmt::format("config: \"{}\" must be a string, got {}", key, c[key].dump()));
    return c[key].get<std::string>();
  };
  auto bool_key = [&](const char* key, bool fallback) {
    if (!c.contains(key)) return fallback;
    if (!c[key].is_boolean())
      throw InvalidArgument(fmt::format("config: \"{}\" must be true or false, got {}", key, c[key].dump()));
    return c[key].get<bool>();
  };
  const std::string arch = string_key("architecture", "");
  if (arch != "cnn" && arch != "bilstm" && arch != "bert") {
    throw InvalidArgument(fmt::format("config: \"architecture\" must be cnn, bilstm or bert, got {}",
                                      c.contains("architecture") ? c["architecture"].dump() : "nothing"));
  }
  const std::string name = string_key("name", "from_memory");
  const char* const own_keys_bert[] = {"labels", "lowercase", "keep_punctuation", "max_tokens"};
  const char* const own_keys_word[] = {"huggingface", "tokenizer_config"};
  for (const char* key : arch == "bert" ? std::span<const char* const>(own_keys_bert)
                                        : std::span<const char* const>(own_keys_word)) {
    if (c.contains(key)) {
      throw InvalidArgument(fmt::format("config: \"{}\" does not apply to architecture {}", key, arch));
    }
  }
  // The tensors as a safetensors buffer, read back by the same reader as a model file (shapes,
  // offsets, names, finiteness: core/safetensors.h).
  TensorWriter writer;
  for (auto& [tensor_name, t] : tensors) {
    std::int64_t n = 1;
    for (const auto d : t.shape) {
      if (d < 0) {
        throw InvalidArgument(fmt::format("state_dict: tensor '{}' has shape {}: negative dimension",
                                          tensor_name, shape_string(t.shape)));
      }
      if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d) {
        throw InvalidArgument(fmt::format("state_dict: tensor '{}' has shape {}: too large", tensor_name,
                                          shape_string(t.shape)));
      }
      n *= d;
    }
    if (static_cast<std::uint64_t>(n) != t.values.size()) {
      throw InvalidArgument(
          fmt::format("state_dict: tensor '{}' has shape {} ({} values), but {} values were given",
                      tensor_name, shape_string(t.shape), n, t.values.size()));
    }
    writer.add(tensor_name, std::move(t.shape), std::move(t.values));
  }
  tensors.clear();
  const TensorStore store = TensorStore::parse(writer.serialize(), "state_dict");
  writer = TensorWriter();
  explain::ImportedModel imported;
  if (arch == "bert") {
    if (!c.contains("huggingface") || !c["huggingface"].is_object()) {
      throw InvalidArgument(
          "config: architecture bert needs \"huggingface\": the Hugging Face config.json object");
    }
    const nlohmann::json tc = c.contains("tokenizer_config") ? c["tokenizer_config"] : nlohmann::json();
    imported = explain::import_huggingface(store, c["huggingface"], "config: huggingface", tc,
                                           "config: tokenizer_config", std::move(vocabulary), "vocabulary");
  } else {
    explain::PytorchImport spec;
    spec.arch = arch;
    if (c.contains("labels")) {
      if (!c["labels"].is_array())
        throw InvalidArgument(
            fmt::format("config: \"labels\" must be an array of strings, got {}", c["labels"].dump()));
      for (const auto& l : c["labels"]) {
        if (!l.is_string())
          throw InvalidArgument(fmt::format("config: \"labels\": expected strings, got {}", l.dump()));
        spec.labels.push_back(l.get<std::string>());
      }
    }
    spec.lowercase = bool_key("lowercase", true);
    spec.keep_punctuation = bool_key("keep_punctuation", false);
    if (c.contains("max_tokens")) {
      if (!c["max_tokens"].is_number_integer() || c["max_tokens"].get<std::int64_t>() < 1 ||
          c["max_tokens"].get<std::int64_t>() > std::numeric_limits<std::int32_t>::max()) {
        throw InvalidArgument(
            fmt::format("config: \"max_tokens\" must be a positive integer, got {}", c["max_tokens"].dump()));
      }
      spec.max_tokens = static_cast<Index>(c["max_tokens"].get<std::int64_t>());
    }
    if (vocabulary.empty()) throw FormatError("vocabulary: empty vocabulary (no tokens)");
    for (std::size_t i = 0; i < vocabulary.size(); ++i) {
      if (vocabulary[i].empty()) throw FormatError(fmt::format("vocabulary: token {}: empty", i));
    }
    nlp::Vocabulary vocab;
    try {
      vocab = nlp::Vocabulary(std::move(vocabulary));
    } catch (const InvalidArgument& e) {
      throw FormatError(fmt::format("vocabulary: {}", e.what()));
    }
    imported = explain::import_pytorch(store, std::move(vocab), "vocabulary", spec);
  }
  auto impl = std::make_shared<Impl>();
  impl->model = explain::in_memory_model(std::move(imported), name);
  return Model(std::move(impl));
}

const std::vector<std::string>& Model::labels() const { return impl_->model.labels(); }
std::string Model::architecture() const { return std::string(impl_->model.classifier->architecture()); }
std::string Model::name() const { return impl_->model.name; }
const std::filesystem::path& Model::dir() const { return impl_->model.dir; }
bool Model::subword() const { return impl_->model.subword(); }

Prediction Model::predict(std::string_view text) const {
  const lrp::ModelDir& m = impl_->model;
  const Vec s = m.classifier->scores(m.encoder.encode(text));
  Prediction p;
  p.index = lrp::argmax(s);
  for (std::size_t c = 0; c < m.labels().size(); ++c)
    p.scores.emplace_back(m.labels()[c], s[static_cast<Index>(c)]);
  if (p.index >= 0) p.label = m.labels()[static_cast<std::size_t>(p.index)];
  return p;
}

std::vector<Prediction> Model::predict_many(std::span<const std::string> texts, int threads) const {
  std::vector<Prediction> out(texts.size());
  ThreadPool pool(pool_size(threads, texts.size()));
  pool.parallel_for(texts.size(), [&](std::size_t i) { out[i] = predict(texts[i]); });
  return out;
}

Explanation Model::explain(std::string_view text, const ExplainRequest& request) const {
  const lrp::ModelDir& m = impl_->model;
  const lrp::ExplainOptions eo = explain_options(m, request);
  const explain::TargetSpec target = explain::TargetSpec::parse(request.target, m);
  corpora::Example ex;
  ex.text = std::string(text);
  ex.id = request.id.empty() ? corpora::detail::generated_id(1, ex.text) : request.id;
  return explain_one(m, std::move(ex), request, eo, target);
}

Explanation Model::explain(const std::vector<std::string>& tokens, const ExplainRequest& request) const {
  const lrp::ModelDir& m = impl_->model;
  const lrp::ExplainOptions eo = explain_options(m, request);
  const explain::TargetSpec target = explain::TargetSpec::parse(request.target, m);
  corpora::Example ex;
  ex.tokens = tokens;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i) ex.text.push_back(' ');
    ex.text += tokens[i];
  }
  ex.id = request.id.empty() ? corpora::detail::generated_id(1, ex.text) : request.id;
  return explain_one(m, std::move(ex), request, eo, target);
}

std::vector<Explanation> Model::explain_many(std::span<const std::string> texts,
                                             const ExplainRequest& request, int threads) const {
  const lrp::ModelDir& m = impl_->model;
  const lrp::ExplainOptions eo = explain_options(m, request);
  const explain::TargetSpec target = explain::TargetSpec::parse(request.target, m);
  std::vector<Explanation> out(texts.size());
  ThreadPool pool(pool_size(threads, texts.size()));
  pool.parallel_for(texts.size(), [&](std::size_t i) {
    corpora::Example ex;
    ex.text = texts[i];
    ex.id = request.id.empty() ? corpora::detail::generated_id(i + 1, ex.text) : request.id;
    out[i] = explain_one(m, std::move(ex), request, eo, target);
  });
  return out;
}

std::string document_id(std::size_t line, std::string_view text) {
  return corpora::detail::generated_id(line, text);
}

CorpusResult Model::explain_corpus(const CorpusRequest& corpus, const std::filesystem::path& output,
                                   const ExplainRequest& request, int threads) const {
  const explain::Model& m = impl_->model;
  if (request.label)
    throw InvalidArgument("explain_corpus: the documents carry their own labels; leave label unset");
  if (!request.id.empty())
    throw InvalidArgument("explain_corpus: the documents carry their own ids; leave id unset");
  const lrp::ExplainOptions eo = explain_options(m, request);
  const explain::TargetSpec target = explain::TargetSpec::parse(request.target, m);
  CorpusResult result;
  std::mutex warn_mutex;
  auto warn = [&](std::string_view w) {
    const std::lock_guard<std::mutex> lock(warn_mutex);
    result.warnings.emplace_back(w);
  };
  corpora::InputOptions given;
  given.input = corpus.input;
  given.corpus = corpus.corpus;
  given.input_format = corpus.format;
  given.shard = corpus.shard;
  given.encoding = corpus.encoding;
  given.strip = corpus.strip;
  const corpora::InputOptions input = explain::input_for_model(given, m, warn);
  auto reader = input.open(warn);
  Output out(output.string());
  std::atomic<std::size_t> n_warned{0};
  result.documents = explain::run_stream(
      *reader, {resolve_threads(threads), 256},
      [&](const corpora::Example& ex) {
        std::string line;
        const explain::ExplanationRecord r = explain::explain_example(m, ex, eo, target);
        if (!r.warnings.empty()) {
          n_warned.fetch_add(1);
          warn(fmt::format("warning: document '{}': {}", r.id, fmt::join(r.warnings, "; ")));
        }
        explain::append_jsonl(line, r);
        return line;
      },
      [&](std::string_view line) { out.write(line); });
  out.commit();
  return result;
}

std::vector<Explanation> Model::explain_many(std::span<const std::vector<std::string>> documents,
                                             const ExplainRequest& request, int threads) const {
  const explain::Model& m = impl_->model;
  const lrp::ExplainOptions eo = explain_options(m, request);
  const explain::TargetSpec target = explain::TargetSpec::parse(request.target, m);
  std::vector<Explanation> out(documents.size());
  ThreadPool pool(pool_size(threads, documents.size()));
  pool.parallel_for(documents.size(), [&](std::size_t i) {
    corpora::Example ex;
    const std::vector<std::string>& tokens = documents[i];
    ex.tokens = tokens;
    for (std::size_t k = 0; k < tokens.size(); ++k) {
      if (k) ex.text.push_back(' ');
      ex.text += tokens[k];
    }
    ex.id = request.id.empty() ? corpora::detail::generated_id(i + 1, ex.text) : request.id;
    out[i] = explain_one(m, std::move(ex), request, eo, target);
  });
  return out;
}

std::string to_json(const Explanation& explanation) {
  std::string line;
  explain::append_jsonl(line, to_record(explanation));
  return line;
}

Explanation from_json(const std::string& line, const std::string& where) {
  return from_record(explain::parse_explanation_line(line, where));
}

void write_jsonl(std::span<const Explanation* const> explanations, const std::filesystem::path& path,
                 int threads) {
  for (std::size_t i = 0; i < explanations.size(); ++i) {
    if (!explanations[i]) throw InvalidArgument(fmt::format("write_jsonl: explanation {} is null", i));
  }
  // One chunk of consecutive lines per task, joined in order.
  const std::size_t n = explanations.size();
  const std::size_t chunks = std::min<std::size_t>(n, 64);
  std::vector<std::string> parts(chunks);
  ThreadPool pool(pool_size(threads, chunks));
  pool.parallel_for(chunks, [&](std::size_t c) {
    for (std::size_t i = c * n / chunks; i < (c + 1) * n / chunks; ++i) {
      explain::append_jsonl(parts[c], to_record(*explanations[i]));
    }
  });
  std::size_t size = 0;
  for (const auto& p : parts) size += p.size();
  std::string all;
  all.reserve(size);
  for (const auto& p : parts) all += p;
  write_file_atomic(path, all);
}

void write_jsonl(const std::vector<Explanation>& explanations, const std::filesystem::path& path,
                 int threads) {
  std::vector<const Explanation*> ptrs;
  ptrs.reserve(explanations.size());
  for (const auto& e : explanations) ptrs.push_back(&e);
  write_jsonl(std::span<const Explanation* const>(ptrs), path, threads);
}

std::string render_report(const std::vector<Explanation>& explanations, const ReportOptions& options) {
  report::ReportOptions ro;
  ro.title = options.title;
  ro.max_documents = options.max_documents;
  ro.color_scale = report::parse_color_scale(options.color_scale);
  std::vector<explain::ExplanationRecord> records;
  records.reserve(explanations.size());
  for (const auto& e : explanations) records.push_back(to_record(e));
  return report::render_report(report::group_by_id(std::move(records)), ro);
}

namespace {

// Prefixes every selector of one CSS rule list with `scope` (":root", "*" and "body" become the
// scope element itself), recursing into @media blocks, so that a stylesheet written for a whole
// page styles only the element it is embedded in.
void append_scoped_css(std::string& out, std::string_view css, std::string_view scope) {
  std::size_t i = 0;
  while (i < css.size()) {
    const std::size_t open = css.find('{', i);
    if (open == std::string_view::npos) break;
    std::string_view head = css.substr(i, open - i);
    while (!head.empty() && std::isspace(static_cast<unsigned char>(head.front()))) head.remove_prefix(1);
    while (!head.empty() && std::isspace(static_cast<unsigned char>(head.back()))) head.remove_suffix(1);
    // The matching closing brace.
    std::size_t depth = 1, close = open + 1;
    for (; close < css.size() && depth > 0; ++close) {
      if (css[close] == '{') ++depth;
      if (css[close] == '}') --depth;
    }
    const std::string_view body = css.substr(open + 1, close - open - 2);
    if (head.starts_with("@")) {
      out.append(head).push_back('{');
      append_scoped_css(out, body, scope);
      out += "}\n";
    } else {
      bool first = true;
      std::size_t s = 0;
      while (s <= head.size()) {
        std::size_t comma = head.find(',', s);
        if (comma == std::string_view::npos) comma = head.size();
        std::string_view sel = head.substr(s, comma - s);
        while (!sel.empty() && std::isspace(static_cast<unsigned char>(sel.front()))) sel.remove_prefix(1);
        while (!sel.empty() && std::isspace(static_cast<unsigned char>(sel.back()))) sel.remove_suffix(1);
        if (!first) out.push_back(',');
        first = false;
        out.append(scope);
        if (sel == "*") {
          out += ",";
          out.append(scope);
          out += " *";
        } else if (sel != ":root" && sel != "body") {
          out.push_back(' ');
          out.append(sel);
        }
        s = comma + 1;
      }
      out.push_back('{');
      out.append(body);
      out += "}\n";
    }
    i = close;
  }
}

}  // namespace

std::string render_html_fragment(const std::vector<Explanation>& explanations, const ReportOptions& options) {
  const report::ColorScale scale = report::parse_color_scale(options.color_scale);
  std::vector<explain::ExplanationRecord> records;
  records.reserve(explanations.size());
  for (const auto& e : explanations) records.push_back(to_record(e));
  const std::vector<report::ReportDocument> docs = report::group_by_id(std::move(records));
  std::string out = "<div class=\"textlrp\"><style>\n";
  append_scoped_css(out, report::report_css(), ".textlrp");
  out += "</style>\n";
  const std::size_t n =
      options.max_documents == 0 ? docs.size() : std::min(docs.size(), options.max_documents);
  for (std::size_t i = 0; i < n; ++i) report::append_report_document(out, docs[i], i, scale);
  out += "</div>\n";
  return out;
}

void write_report(const std::vector<Explanation>& explanations, const std::filesystem::path& html,
                  const ReportOptions& options) {
  write_file_atomic(html, render_report(explanations, options));
}

}  // namespace textlrp
