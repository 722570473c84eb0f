// api/src/api.cpp — the public API (textlrp/textlrp.h): models load with the library's model
// directory (lrp/model_dir.h) and encode with its text encoder; explaining goes through the
// command-line tool's pipeline (apps/common), so that an Explanation's to_json() is the line
// `textlrp explain` writes.
#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <utility>

#include "apps/common/explain_request.h"
#include "apps/common/explanation.h"
#include "apps/common/pipeline.h"
#include "apps/common/report.h"
#include "core/error.h"
#include "core/file.h"
#include "core/thread_pool.h"
#include "corpora/line_utils.h"
#include "model_impl.h"
#include "textlrp/textlrp.h"

namespace textlrp {


namespace {

Explanation from_record(app::ExplanationRecord&& r) {
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
  for (auto& t : r.tokens) e.tokens.push_back({std::move(t.text), t.begin, t.end, t.relevance, t.oov, t.unseen});
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

app::ExplanationRecord to_record(const Explanation& e) {
  app::ExplanationRecord r;
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
// builds from them, in one place (apps/common/explain_request.h).
lrp::ExplainOptions explain_options(const lrp::ModelDir& model, const ExplainRequest& req) {
  app::ExplainSettings s;
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
      throw InvalidArgument(fmt::format("unknown explain option '{}' (valid: bias-factor, lstm-rule, precision, "
                                        "seed, steps)", key));
    }
  }
  return app::explain_options(model, s);
}

Explanation explain_one(const lrp::ModelDir& model, corpora::Example&& ex, const ExplainRequest& req,
                        const lrp::ExplainOptions& eo, const app::TargetSpec& target) {
  ex.label = req.label;
  return from_record(app::explain_example(model, ex, eo, target));
}

}  // namespace

Model::Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

Model Model::open(const std::filesystem::path& dir, bool verify) {
  auto impl = std::make_shared<Impl>();
  impl->model = lrp::load_model_dir(dir, verify);
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
  for (std::size_t c = 0; c < m.labels().size(); ++c) p.scores.emplace_back(m.labels()[c], s[static_cast<Index>(c)]);
  if (p.index >= 0) p.label = m.labels()[static_cast<std::size_t>(p.index)];
  return p;
}

Explanation Model::explain(std::string_view text, const ExplainRequest& request) const {
  const lrp::ModelDir& m = impl_->model;
  const lrp::ExplainOptions eo = explain_options(m, request);
  const app::TargetSpec target = app::TargetSpec::parse(request.target, m);
  corpora::Example ex;
  ex.text = std::string(text);
  ex.id = request.id.empty() ? corpora::detail::generated_id(1, ex.text) : request.id;
  return explain_one(m, std::move(ex), request, eo, target);
}

Explanation Model::explain(const std::vector<std::string>& tokens, const ExplainRequest& request) const {
  const lrp::ModelDir& m = impl_->model;
  const lrp::ExplainOptions eo = explain_options(m, request);
  const app::TargetSpec target = app::TargetSpec::parse(request.target, m);
  corpora::Example ex;
  ex.tokens = tokens;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i) ex.text.push_back(' ');
    ex.text += tokens[i];
  }
  ex.id = request.id.empty() ? corpora::detail::generated_id(1, ex.text) : request.id;
  return explain_one(m, std::move(ex), request, eo, target);
}

std::vector<Explanation> Model::explain_many(std::span<const std::string> texts, const ExplainRequest& request,
                                             int threads) const {
  const lrp::ModelDir& m = impl_->model;
  const lrp::ExplainOptions eo = explain_options(m, request);
  const app::TargetSpec target = app::TargetSpec::parse(request.target, m);
  std::vector<Explanation> out(texts.size());
  ThreadPool pool(resolve_threads(threads));
  pool.parallel_for(texts.size(), [&](std::size_t i) {
    corpora::Example ex;
    ex.text = texts[i];
    ex.id = request.id.empty() ? corpora::detail::generated_id(i + 1, ex.text) : request.id;
    out[i] = explain_one(m, std::move(ex), request, eo, target);
  });
  return out;
}

std::string to_json(const Explanation& explanation) {
  std::string line;
  app::append_jsonl(line, to_record(explanation));
  return line;
}

std::string render_report(const std::vector<Explanation>& explanations, const ReportOptions& options) {
  app::ReportOptions ro;
  ro.title = options.title;
  ro.max_documents = options.max_documents;
  ro.color_scale = app::parse_color_scale(options.color_scale);
  std::vector<app::ExplanationRecord> records;
  records.reserve(explanations.size());
  for (const auto& e : explanations) records.push_back(to_record(e));
  return app::render_report(app::group_by_id(std::move(records)), ro);
}

void write_report(const std::vector<Explanation>& explanations, const std::filesystem::path& html,
                  const ReportOptions& options) {
  write_file_atomic(html, render_report(explanations, options));
}

}  // namespace textlrp
