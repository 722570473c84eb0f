#include "apps/common/analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>

#include "core/error.h"
#include "core/file.h"
#include "explain/json_count.h"

namespace textlrp::app {

namespace la = analysis;

// ---------------------------------------------------------------------------------------------
// Documents and threads

namespace {

// A corpus already in memory, as a reader.
class MemoryReader final : public corpora::CorpusReader {
 public:
  explicit MemoryReader(const std::vector<corpora::Example>& docs) : docs_(docs) {}
  bool next(corpora::Example& out) override {
    if (next_ >= docs_.size()) return false;
    out = docs_[next_++];
    return true;
  }
  std::string_view format() const override { return "memory"; }

 private:
  const std::vector<corpora::Example>& docs_;
  std::size_t next_ = 0;
};

double rounded(double v, double scale = 1e6) { return std::isfinite(v) ? std::round(v * scale) / scale : v; }

nlohmann::ordered_json rounded_array(const std::vector<double>& v) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (double x : v) a.push_back(rounded(x));
  return a;
}

}  // namespace

std::vector<corpora::Example> read_documents(const InputOptions& input, std::size_t max_docs,
                                             const LogFn& log) {
  auto reader = input.open(log);
  std::vector<corpora::Example> all;
  corpora::Example ex;
  while (reader->next(ex)) {
    all.push_back(std::move(ex));
    ex = corpora::Example();
  }
  if (max_docs == 0 || all.size() <= max_docs) return all;
  std::vector<corpora::Example> kept;
  kept.reserve(max_docs);
  for (std::size_t i = 0; i < max_docs; ++i) kept.push_back(std::move(all[i * all.size() / max_docs]));
  if (log) log(fmt::format("using {} of {} documents, spread evenly over the corpus", max_docs, all.size()));
  return kept;
}

Documents Documents::in_memory(std::vector<corpora::Example> docs) {
  Documents d;
  d.docs_ = std::move(docs);
  return d;
}

Documents Documents::streamed(const InputOptions& input, LogFn log) {
  Documents d;
  d.input_ = &input;
  d.log_ = std::move(log);
  return d;
}

bool Documents::can_reopen(const InputOptions& input) {
  auto is_stdin = [](const std::string& spec) {
    return spec == "-" || (spec.size() >= 2 && spec.compare(spec.size() - 2, 2, ":-") == 0);
  };
  return !is_stdin(input.input) && !is_stdin(input.corpus);
}

std::unique_ptr<corpora::CorpusReader> Documents::open() const {
  if (input_) return input_->open(log_);
  return std::make_unique<MemoryReader>(docs_);
}

std::unique_ptr<corpora::CorpusReader> Documents::open_unsharded() const {
  if (!input_) return std::make_unique<MemoryReader>(docs_);
  InputOptions all = *input_;
  all.shard.clear();
  return all.open({});  // the first pass already reported the detected format
}

DocumentProgress::DocumentProgress(std::string what, bool quiet, std::size_t total)
    : what_(std::move(what)),
      quiet_(quiet),
      total_(total),
      progress_(what_, !quiet, total),
      log_lines_(!quiet && !stderr_is_tty()),
      last_log_(now_seconds()) {}

void DocumentProgress::update(std::size_t done) {
  progress_.update(done);
  const double t = now_seconds();
  if (!log_lines_ || t - last_log_ < 30 || (total_ > 0 && done >= total_)) return;
  last_log_ = t;
  const double rate = static_cast<double>(done) / std::max(1e-9, progress_.elapsed());
  if (total_ == 0) {
    log_line(fmt::format("{}: {} documents, {:.2f} docs/s", what_, done, rate));
    return;
  }
  const int eta = static_cast<int>(static_cast<double>(total_ - done) / std::max(rate, 1e-9));
  log_line(fmt::format("{}: {}/{} documents ({:.1f}%), {:.2f} docs/s, ETA {}:{:02d}:{:02d}", what_, done,
                       total_, 100.0 * static_cast<double>(done) / static_cast<double>(total_), rate,
                       eta / 3600, eta / 60 % 60, eta % 60));
}

void DocumentProgress::finish(std::size_t done) { progress_.finish(done, quiet_); }

// ---------------------------------------------------------------------------------------------
// Document vectors

DocvecSetup make_docvec_setup(const Model& model, const std::string& embeddings,
                              std::vector<Weighting> weightings, const lrp::ExplainOptions& explain,
                              const Documents& docs, const LogFn& log) {
  const la::DocumentPass corpus = [&docs](const std::function<void(const corpora::Example&)>& visit) {
    auto reader = docs.open_unsharded();
    corpora::Example doc;
    while (reader->next(doc)) visit(doc);
  };
  return la::make_docvec_setup(model, embeddings, std::move(weightings), explain, corpus, log);
}

std::string tsv_escape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (char c : field) {
    switch (c) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

namespace {

std::string tsv_unescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out.push_back(field[i]);
      continue;
    }
    const char n = field[++i];
    out.push_back(n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n);
  }
  return out;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

constexpr std::string_view kTsvColumns = "id\tlabel\tprediction\tmodel\tweighting";

}  // namespace

std::string vectors_tsv_header(Index dim) {
  std::string h(kTsvColumns);
  for (Index i = 1; i <= dim; ++i) fmt::format_to(std::back_inserter(h), "\tv{}", i);
  h += '\n';
  return h;
}

void append_vectors_tsv(std::string& out, const std::string& id, const std::string& label,
                        const std::string& prediction, const std::string& model, const std::string& weighting,
                        std::span<const double> v) {
  out += tsv_escape(id);
  out += '\t';
  out += tsv_escape(label);
  out += '\t';
  out += tsv_escape(prediction);
  out += '\t';
  out += tsv_escape(model);
  out += '\t';
  out += tsv_escape(weighting);
  for (double x : v) fmt::format_to(std::back_inserter(out), "\t{:.7g}", x);
  out += '\n';
}

std::vector<VectorSet> read_vectors_tsv(const std::string& path) {
  LineReader reader(path);
  std::string line;
  if (!reader.next(line))
    throw FormatError(fmt::format("{}: empty file; expected a docvec TSV header", reader.name()));
  if (line.rfind(kTsvColumns, 0) != 0) {
    throw FormatError(fmt::format("{}:1: expected the docvec header '{}\\tv1…', got '{:.60}'", reader.name(),
                                  "id\\tlabel\\tprediction\\tmodel\\tweighting", line));
  }
  const std::size_t n_fields = split_tabs(line).size();
  if (n_fields < 6) throw FormatError(fmt::format("{}:1: the header names no vector column", reader.name()));
  const std::size_t dim = n_fields - 5;
  std::vector<VectorSet> sets;
  std::vector<std::vector<double>> rows_of;  // flattened rows per set
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  const std::string header = line;
  while (reader.next(line)) {
    if (line.empty()) continue;
    // The header again: files concatenated (the outputs of `docvec --shard I/N`, cat part-*.tsv).
    if (line == header) continue;
    if (line.rfind(kTsvColumns, 0) == 0) {
      throw FormatError(
          fmt::format("{}:{}: a docvec header with {} vector columns, but the file began with {}",
                      reader.name(), reader.line_number(), split_tabs(line).size() - 5, dim));
    }
    const auto f = split_tabs(line);
    if (f.size() != n_fields) {
      throw FormatError(fmt::format("{}:{}: expected {} tab-separated fields, got {}", reader.name(),
                                    reader.line_number(), n_fields, f.size()));
    }
    const std::string model = tsv_unescape(f[3]);
    const std::string weighting = tsv_unescape(f[4]);
    const auto [it, inserted] = index.try_emplace({model, weighting}, sets.size());
    if (inserted) {
      sets.emplace_back();
      sets.back().model = model;
      sets.back().weighting = weighting;
      sets.back().source = reader.name();
      rows_of.emplace_back();
    }
    VectorSet& s = sets[it->second];
    s.ids.push_back(tsv_unescape(f[0]));
    s.labels.push_back(tsv_unescape(f[1]));
    s.predictions.push_back(tsv_unescape(f[2]));
    auto& flat = rows_of[it->second];
    for (std::size_t k = 5; k < f.size(); ++k) {
      double v = 0;
      const auto* b = f[k].data();
      const auto* e = b + f[k].size();
      const auto r = std::from_chars(b, e, v);
      if (r.ec != std::errc() || r.ptr != e) {
        throw FormatError(fmt::format("{}:{}: field {} is not a number: '{:.40}'", reader.name(),
                                      reader.line_number(), k + 1, f[k]));
      }
      flat.push_back(v);
    }
  }
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const auto n = static_cast<Index>(sets[i].ids.size());
    sets[i].x = Eigen::Map<const la::DMat>(rows_of[i].data(), n, static_cast<Index>(dim));
  }
  return sets;
}

std::vector<VectorSet> read_vectors_tsv(const std::vector<std::string>& paths) {
  std::vector<VectorSet> sets;
  std::vector<std::vector<double>> rows_of;  // row-major rows per set
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  Index dim = -1;
  std::string first_file;
  for (const auto& path : paths) {
    for (VectorSet& part : read_vectors_tsv(path)) {
      if (dim < 0) {
        dim = part.x.cols();
        first_file = path;
      } else if (part.x.cols() != dim) {
        throw FormatError(
            fmt::format("{}: vectors of {} dimensions, but {} has {}", path, part.x.cols(), first_file, dim));
      }
      const auto [it, inserted] = index.try_emplace({part.model, part.weighting}, sets.size());
      if (inserted) {
        sets.emplace_back();
        sets.back().model = part.model;
        sets.back().weighting = part.weighting;
        rows_of.emplace_back();
      }
      VectorSet& s = sets[it->second];
      s.ids.insert(s.ids.end(), part.ids.begin(), part.ids.end());
      s.labels.insert(s.labels.end(), part.labels.begin(), part.labels.end());
      s.predictions.insert(s.predictions.end(), part.predictions.begin(), part.predictions.end());
      auto& flat = rows_of[it->second];
      for (Index i = 0; i < part.x.rows(); ++i) {
        for (Index k = 0; k < part.x.cols(); ++k) flat.push_back(part.x(i, k));
      }
    }
  }
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const auto n = static_cast<Index>(sets[i].ids.size());
    sets[i].x = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        rows_of[i].data(), n, std::max<Index>(dim, 0));
  }
  return sets;
}

nlohmann::ordered_json epi_json(const std::vector<EpiRow>& rows, const EpiOptions& options) {
  nlohmann::ordered_json j;
  j["measure"] =
      "explanatory power index: best mean k-NN accuracy over k = 1..k_max, stratified cross-validation";
  j["distance"] = std::string(la::distance_name(options.distance));
  j["normalized"] = options.normalize;
  j["folds"] = options.folds;
  j["k_max"] = options.k_max;
  j["seed"] = options.seed;
  j["rows"] = nlohmann::ordered_json::array();
  for (const EpiRow& r : rows) {
    nlohmann::ordered_json o;
    if (!r.source.empty()) o["vectors"] = r.source;
    o["model"] = r.model;
    o["weighting"] = r.weighting;
    o["documents"] = r.documents;
    o["epi"] = rounded(r.cv.best_accuracy);
    o["best_k"] = r.cv.best_k;
    o["accuracy"] = rounded_array(r.cv.accuracy);
    j["rows"].push_back(std::move(o));
  }
  return j;
}

std::string epi_table(const std::vector<EpiRow>& rows) {
  std::string out =
      fmt::format("{:<24} {:<10} {:>9} {:>8} {:>6}\n", "model", "weighting", "documents", "EPI", "best k");
  for (const EpiRow& r : rows) {
    out += fmt::format("{:<24} {:<10} {:>9} {:>7.2f}% {:>6}\n", r.model, r.weighting, r.documents,
                       100 * r.cv.best_accuracy, r.cv.best_k);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Word deletion

nlohmann::ordered_json deletion_json(const DeletionResult& r) {
  nlohmann::ordered_json j;
  j["schema"] = 1;
  j["model"] = r.model;
  j["architecture"] = r.architecture;
  j["deletion"] = r.deletion;
  j["order"] =
      "relevance for the true class: decreasing for correctly classified documents (accuracy falls), "
      "increasing for "
      "misclassified ones (accuracy rises); random: seeded permutations, averaged";
  j["max_delete"] = r.max_delete;
  j["documents"] = r.documents;
  j["correct"] = r.correct;
  j["misclassified"] = r.documents - r.correct;
  j["random_seeds"] = r.random_seeds;
  j["rule"] = r.rule;
  j["methods"] = nlohmann::ordered_json::object();
  for (const la::MethodCurves& c : r.curves) {
    nlohmann::ordered_json m;
    m["accuracy"] = rounded_array(c.correct.accuracy());
    m["aopc"] = rounded(c.correct.aopc());
    m["score"] = rounded_array(c.correct.mean_score());
    m["aopc_score"] = rounded(c.correct.score_aopc());
    nlohmann::ordered_json w;
    w["accuracy"] = rounded_array(c.misclassified.accuracy());
    w["aopc"] = rounded(c.misclassified.aopc(true));
    w["score"] = rounded_array(c.misclassified.mean_score());
    w["aopc_score"] = rounded(c.misclassified.score_aopc(true));
    m["misclassified"] = std::move(w);
    j["methods"][c.name] = std::move(m);
  }
  j["skipped"] = nlohmann::ordered_json::object();
  for (const auto& [name, why] : r.skipped) j["skipped"][name] = why;
  j["seconds"] = rounded(r.seconds, 100);
  return j;
}

DeletionData deletion_data(const nlohmann::ordered_json& j, const std::string& where) {
  // A count in [0, 2^31) (json_count); `fallback` when the key is optional and absent.
  auto count = [&](const char* key, std::optional<int> fallback) -> int {
    if (!j.contains(key) && fallback) return *fallback;
    const auto& v = j.at(key);
    const std::optional<std::uint64_t> n = json_count(v, static_cast<std::uint64_t>(INT32_MAX));
    if (!n) {
      throw FormatError(
          fmt::format("{}: not a `textlrp deletion` result: \"{}\": expected an integer 0..{}, got {}", where,
                      key, INT32_MAX, v.dump().substr(0, 40)));
    }
    return static_cast<int>(*n);
  };
  try {
    DeletionData d;
    d.model = j.at("model").get<std::string>();
    d.deletion = j.value("deletion", "");
    d.max_delete = count("max_delete", std::nullopt);
    d.documents = static_cast<std::size_t>(count("documents", std::nullopt));
    d.correct = static_cast<std::size_t>(count("correct", 0));
    d.misclassified = static_cast<std::size_t>(count("misclassified", 0));
    d.random_seeds = count("random_seeds", 0);
    for (const auto& [name, m] : j.at("methods").items()) {  // ordered_json: in the order written
      DeletionCurveData c;
      c.name = name;
      c.correct_accuracy = m.at("accuracy").get<std::vector<double>>();
      c.aopc = m.at("aopc").get<double>();
      c.aopc_score = m.value("aopc_score", 0.0);
      if (m.contains("misclassified")) {
        c.misclassified_accuracy = m["misclassified"].at("accuracy").get<std::vector<double>>();
        c.misclassified_aopc = m["misclassified"].at("aopc").get<double>();
      }
      d.curves.push_back(std::move(c));
    }
    if (j.contains("skipped")) {
      for (const auto& [name, why] : j["skipped"].items())
        d.skipped.emplace_back(name, why.get<std::string>());
    }
    return d;
  } catch (const nlohmann::ordered_json::exception& e) {
    throw FormatError(fmt::format("{}: not a `textlrp deletion` result: {}", where, e.what()));
  }
}

}  // namespace textlrp::app
