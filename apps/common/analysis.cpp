#include "apps/common/analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <thread>

#include "explain/json_count.h"
#include "core/error.h"
#include "core/file.h"
#include "embeddings/load.h"
#include "lrp/models/bow_classifier.h"
#include "lrp/models/differentiable.h"
#include "nlp/wordpiece_tokenizer.h"

namespace textlrp::app {

namespace la = analysis;

// ---------------------------------------------------------------------------------------------
// Documents and threads

namespace {

// A corpus already in memory, for run_stream.
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

// Little binary records passed from the worker threads to the in-order sink.
class Packer {
 public:
  template <class T>
  void put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const char*>(&v);
    out.append(p, sizeof(T));
  }
  void put_string(std::string_view s) {
    put(static_cast<std::uint32_t>(s.size()));
    out.append(s);
  }
  std::string out;
};

class Unpacker {
 public:
  explicit Unpacker(std::string_view in) : in_(in) {}
  template <class T>
  T get() {
    TEXTLRP_ASSERT(pos_ + sizeof(T) <= in_.size());
    T v;
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string get_string() {
    const auto n = get<std::uint32_t>();
    TEXTLRP_ASSERT(pos_ + n <= in_.size());
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

double rounded(double v, double scale = 1e6) { return std::isfinite(v) ? std::round(v * scale) / scale : v; }

nlohmann::ordered_json rounded_array(const std::vector<double>& v) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (double x : v) a.push_back(rounded(x));
  return a;
}

}  // namespace

std::vector<corpora::Example> read_documents(const InputOptions& input, std::size_t max_docs, const LogFn& log) {
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

int resolve_threads(int threads) {
  if (threads > 0) return threads;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

namespace {

std::size_t for_each_document_in(corpora::CorpusReader& reader, std::size_t total, int threads, std::size_t batch,
                                 const std::string& what, bool quiet,
                                 const std::function<std::string(const corpora::Example&)>& fn,
                                 const std::function<void(const corpora::Example&, std::string_view)>& sink) {
  Progress progress(what, !quiet, total);
  const bool log_lines = !quiet && !stderr_is_tty();
  double last_log = now_seconds();
  const std::size_t n = run_stream(
      reader, {resolve_threads(threads), std::max<std::size_t>(1, batch)}, fn, sink, [&](std::size_t done) {
        progress.update(done);
        const double t = now_seconds();
        if (!log_lines || t - last_log < 30 || (total > 0 && done >= total)) return;
        last_log = t;
        const double rate = static_cast<double>(done) / std::max(1e-9, progress.elapsed());
        if (total == 0) {
          log_line(fmt::format("{}: {} documents, {:.2f} docs/s", what, done, rate));
          return;
        }
        const int eta = static_cast<int>(static_cast<double>(total - done) / std::max(rate, 1e-9));
        log_line(fmt::format("{}: {}/{} documents ({:.1f}%), {:.2f} docs/s, ETA {}:{:02d}:{:02d}", what, done, total,
                             100.0 * static_cast<double>(done) / static_cast<double>(total), rate, eta / 3600,
                             eta / 60 % 60, eta % 60));
      });
  progress.finish(n, quiet);
  return n;
}

}  // namespace

std::size_t for_each_document(const std::vector<corpora::Example>& docs, int threads, std::size_t batch,
                              const std::string& what, bool quiet,
                              const std::function<std::string(const corpora::Example&)>& fn,
                              const std::function<void(std::string_view)>& sink) {
  MemoryReader reader(docs);
  return for_each_document_in(reader, docs.size(), threads, batch, what, quiet, fn,
                              [&](const corpora::Example&, std::string_view r) { sink(r); });
}

std::size_t for_each_document(const Documents& docs, int threads, std::size_t batch, const std::string& what,
                              bool quiet, const std::function<std::string(const corpora::Example&)>& fn,
                              const std::function<void(const corpora::Example&, std::string_view)>& sink) {
  auto reader = docs.open();
  return for_each_document_in(*reader, docs.known_size(), threads, batch, what, quiet, fn, sink);
}

int label_of(const Model& model, const corpora::Example& doc, bool required) {
  if (!doc.label) {
    if (required) throw FormatError(fmt::format("document '{}' has no label; this analysis needs labelled documents", doc.id));
    return -1;
  }
  const int idx = model.label_index(*doc.label);
  if (idx < 0 && required) {
    throw FormatError(fmt::format("document '{}': label '{}' is not one of the model's labels", doc.id, *doc.label));
  }
  return idx;
}

std::vector<std::size_t> visible_positions(const Model& model, std::span<const TokenId> ids) {
  std::size_t limit = ids.size();
  const lrp::TokenDeletion deletion = model.classifier->token_deletion();
  if (deletion.within_max_tokens && model.classifier->max_tokens() > 0) {
    limit = std::min(limit, static_cast<std::size_t>(model.classifier->max_tokens()));
  }
  const Index n_vocab = model.classifier->n_vocab();
  std::vector<std::size_t> out;
  out.reserve(limit);
  for (std::size_t t = 0; t < limit; ++t) {
    const TokenId id = ids[t];
    if (id < 0 || id >= n_vocab) continue;
    if (id == deletion.ignored_id) continue;  // the model ignores it anyway
    out.push_back(t);
  }
  return out;
}

MethodPlan plan_method(const Model& model, lrp::Method method, const lrp::ExplainOptions& base) {
  MethodPlan plan;
  plan.method = method;
  lrp::ExplainOptions o = base;
  o.method = method;
  o.target = 0;
  if (method == lrp::Method::kOcclusion && !model.classifier->supports(method)) {
    plan.generic_occlusion = true;  // s(x) − s(x without the token), with scores() alone
    return plan;
  }
  // Fails here, before any document, when the method or an option does not apply to the model
  // (InvalidArgument naming it).
  const std::vector<TokenId> probe = {model.classifier->n_vocab() > 1 ? 1 : 0};
  (void)model.classifier->explain(probe, o);
  return plan;
}

std::vector<double> token_relevance(const Model& model, std::span<const TokenId> ids, const MethodPlan& plan,
                                    int target, const lrp::ExplainOptions& base) {
  if (!plan.generic_occlusion) {
    lrp::ExplainOptions o = base;
    o.method = plan.method;
    o.target = target;
    return model.classifier->explain(ids, o).relevance;
  }
  const Vec s = model.classifier->scores(ids);
  const int c = target >= 0 ? target : lrp::argmax(s);
  std::vector<double> r(ids.size(), 0.0);
  std::vector<TokenId> work(ids.begin(), ids.end());
  const bool drop = deletes_words(model);  // it reads pieces only: the piece leaves the sequence
  for (std::size_t t : visible_positions(model, ids)) {
    if (drop) {
      work.erase(work.begin() + static_cast<std::ptrdiff_t>(t));
    } else {
      work[t] = -1;
    }
    r[t] = static_cast<double>(s[c]) - static_cast<double>(model.classifier->scores(work)[c]);
    if (drop) {
      work.insert(work.begin() + static_cast<std::ptrdiff_t>(t), ids[t]);
    } else {
      work[t] = ids[t];
    }
  }
  return r;
}

bool deletes_words(const Model& model) { return model.classifier->token_deletion().words; }

std::string rule_name(const Model& model, const lrp::ExplainOptions& options) {
  // A model whose rules are not a role map (the transformer: attnlrp | cp-lrp, set_rule()).
  if (!model.classifier->default_rules().rules().empty()) return options.rules.to_string();
  return options.transformer_rule.empty() ? "attnlrp" : options.transformer_rule;
}

std::vector<PieceWord> piece_words(const Model& model, const Encoded& enc) {
  std::vector<PieceWord> out;
  if (!deletes_words(model) || !enc.spans) return out;
  nlp::WordPieceEncoding pieces;
  pieces.pieces.reserve(enc.tokens.size());
  for (const auto& t : enc.tokens) pieces.pieces.push_back({t.text, 0, t.begin, t.end, false});
  for (auto& w : nlp::merge_word_pieces(pieces)) {
    bool unk = false;
    for (std::size_t p = w.first; p < w.last; ++p) unk = unk || model.encoder.is_oov(enc.ids[p], enc.tokens[p].text);
    out.push_back({w.first, w.last, std::move(w.text), unk});
  }
  return out;
}

std::uint64_t stable_hash(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// ---------------------------------------------------------------------------------------------
// Document vectors

Weighting parse_weighting(std::string_view name, std::string_view method) {
  Weighting w;
  if (name == "uniform") {
    w.name = "uniform";
    w.kind = Weighting::Kind::kUniform;
    return w;
  }
  if (name == "tfidf") {
    w.name = "tfidf";
    w.kind = Weighting::Kind::kTfidf;
    return w;
  }
  std::string_view m = name == "relevance" ? method : name;
  if (m == "random") {
    throw InvalidArgument("weighting 'random' makes no document vector worth the name; valid weightings: uniform, "
                          "tfidf, lrp, sa, gi, ig, occlusion, relevance (with --method)");
  }
  try {
    w.method = lrp::parse_method(m);
  } catch (const InvalidArgument&) {
    throw InvalidArgument(fmt::format(
        "unknown weighting '{}'; valid weightings: uniform, tfidf, lrp, sa, gi, ig, occlusion, relevance (with --method)",
        name));
  }
  w.kind = Weighting::Kind::kRelevance;
  w.name = std::string(lrp::method_name(w.method));
  return w;
}

DocvecSetup make_docvec_setup(const Model& model, const std::string& embeddings, std::vector<Weighting> weightings,
                              const lrp::ExplainOptions& explain, const Documents& docs, const LogFn& log) {
  DocvecSetup s;
  s.model = &model;
  s.weightings = std::move(weightings);
  s.explain = explain;
  if (embeddings.empty()) {
    // The model's own embedding matrix (a CNN's or a BiLSTM's; a BoW/SVM has none).
    std::optional<Mat> own = model.classifier->embedding_matrix();
    if (!own) {
      throw InvalidArgument(fmt::format("model '{}' ({}) has no word embeddings of its own: give the word vectors with "
                                        "--embeddings FILE (word2vec, fastText .vec or GloVe)",
                                        model.name, model.classifier->architecture()));
    }
    s.table = std::move(*own);
    s.table_source = fmt::format("the embedding matrix of model '{}' ({} x {})", model.name, s.table.rows(), s.table.cols());
  } else {
    emb::LoadOptions lo;
    lo.only = &model.vocab();
    lo.allow_short_header = true;
    const emb::EmbeddingTable t = emb::load_embeddings(embeddings, emb::Format::kAuto, log, lo);
    emb::Coverage cov;
    s.table = emb::embedding_matrix(t, model.vocab(), 0, 0.0f, &cov);  // scale 0: words without a vector get 0
    s.table_source = fmt::format("{} ({})", embeddings, emb::to_string(cov));
  }
  if (log) log(fmt::format("docvec: word vectors from {}", s.table_source));
  for (const Weighting& w : s.weightings) {
    s.plans.push_back(w.kind == Weighting::Kind::kRelevance ? plan_method(model, w.method, explain) : MethodPlan{});
  }
  const bool need_tfidf = std::any_of(s.weightings.begin(), s.weightings.end(),
                                      [](const Weighting& w) { return w.kind == Weighting::Kind::kTfidf; });
  if (need_tfidf) {
    if (model.classifier->tfidf_features({})) {
      s.bow_features = true;
      s.idf_source = "the BoW/SVM model's idf";
    } else {
      const auto n_vocab = static_cast<std::size_t>(model.classifier->n_vocab());
      std::vector<std::size_t> df(n_vocab, 0);
      std::vector<char> seen(n_vocab, 0);
      auto reader = docs.open_unsharded();
      std::size_t n_docs = 0;
      corpora::Example doc;
      while (reader->next(doc)) {
        ++n_docs;
        const Encoded enc = encode(model, doc);
        std::vector<std::size_t> touched;
        for (TokenId id : enc.ids) {
          if (id < 0 || static_cast<std::size_t>(id) >= n_vocab || seen[static_cast<std::size_t>(id)]) continue;
          seen[static_cast<std::size_t>(id)] = 1;
          touched.push_back(static_cast<std::size_t>(id));
        }
        for (std::size_t id : touched) {
          ++df[id];
          seen[id] = 0;
        }
      }
      s.idf = lrp::smooth_idf(df, n_docs);
      s.idf_source = fmt::format("smooth idf of the analysed corpus ({} documents)", n_docs);
    }
    if (log) log(fmt::format("docvec: tfidf weights from {}", s.idf_source));
  }
  return s;
}

bool docvec_needs_corpus_idf(const Model& model, const std::vector<Weighting>& weightings) {
  const bool tfidf = std::any_of(weightings.begin(), weightings.end(),
                                 [](const Weighting& w) { return w.kind == Weighting::Kind::kTfidf; });
  return tfidf && !model.classifier->tfidf_features({});
}

DocVectors document_vectors(const DocvecSetup& setup, const corpora::Example& doc) {
  const Model& model = *setup.model;
  const Encoded enc = encode(model, doc);
  const std::vector<TokenId>& ids = enc.ids;
  DocVectors out;
  out.prediction = lrp::argmax(model.classifier->scores(ids));
  const Index dim = setup.table.cols();
  const Index n_rows = setup.table.rows();
  const TokenId unk = model.vocab().unk_id();
  auto usable = [&](TokenId id) { return id >= 0 && id < n_rows && id != unk; };
  for (std::size_t w = 0; w < setup.weightings.size(); ++w) {
    const Weighting& wt = setup.weightings[w];
    std::vector<double> weight(ids.size(), 0.0);
    switch (wt.kind) {
      case Weighting::Kind::kUniform:
        std::fill(weight.begin(), weight.end(), 1.0);
        break;
      case Weighting::Kind::kTfidf: {
        std::map<TokenId, std::pair<double, int>> x;  // id -> (x_i, count_i)
        if (setup.bow_features) {
          // Held in a variable: a range-for over *temporary would read a destroyed optional.
          const auto features = model.classifier->tfidf_features(ids);
          for (const auto& [id, v] : *features) x[id] = {static_cast<double>(v), 0};
          for (TokenId id : ids) {
            auto it = x.find(id);
            if (it != x.end()) ++it->second.second;
          }
        } else {
          for (TokenId id : ids) {
            if (id < 0 || id >= setup.idf.size() || id == unk) continue;
            ++x[id].second;
          }
          double norm2 = 0;
          for (auto& [id, p] : x) {
            p.first = p.second * static_cast<double>(setup.idf[id]);
            norm2 += p.first * p.first;
          }
          const double norm = std::sqrt(norm2);
          for (auto& [id, p] : x) p.first = norm > 0 ? p.first / norm : 0.0;
        }
        for (std::size_t t = 0; t < ids.size(); ++t) {
          auto it = x.find(ids[t]);
          if (it != x.end() && it->second.second > 0) weight[t] = it->second.first / it->second.second;
        }
        break;
      }
      case Weighting::Kind::kRelevance:
        weight = token_relevance(model, ids, setup.plans[w], out.prediction, setup.explain);
        break;
    }
    std::vector<double> v(static_cast<std::size_t>(dim), 0.0);
    for (std::size_t t = 0; t < ids.size(); ++t) {
      if (!usable(ids[t]) || weight[t] == 0 || !std::isfinite(weight[t])) continue;
      const auto row = setup.table.row(ids[t]);
      for (Index e = 0; e < dim; ++e) v[static_cast<std::size_t>(e)] += weight[t] * static_cast<double>(row[e]);
    }
    out.vectors.push_back(std::move(v));
  }
  return out;
}

std::string pack(const DocVectors& d) {
  Packer p;
  p.put<std::int32_t>(d.prediction);
  p.put<std::uint32_t>(static_cast<std::uint32_t>(d.vectors.size()));
  for (const auto& v : d.vectors) {
    p.put<std::uint32_t>(static_cast<std::uint32_t>(v.size()));
    for (double x : v) p.put<double>(x);
  }
  return std::move(p.out);
}

DocVectors unpack_vectors(std::string_view bytes) {
  Unpacker u(bytes);
  DocVectors d;
  d.prediction = u.get<std::int32_t>();
  d.vectors.resize(u.get<std::uint32_t>());
  for (auto& v : d.vectors) {
    v.resize(u.get<std::uint32_t>());
    for (double& x : v) x = u.get<double>();
  }
  return d;
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

void append_vectors_tsv(std::string& out, const std::string& id, const std::string& label, const std::string& prediction,
                        const std::string& model, const std::string& weighting, std::span<const double> v) {
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
  if (!reader.next(line)) throw FormatError(fmt::format("{}: empty file; expected a docvec TSV header", reader.name()));
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
      throw FormatError(fmt::format("{}:{}: a docvec header with {} vector columns, but the file began with {}",
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
        throw FormatError(fmt::format("{}:{}: field {} is not a number: '{:.40}'", reader.name(), reader.line_number(),
                                      k + 1, f[k]));
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
        throw FormatError(fmt::format("{}: vectors of {} dimensions, but {} has {}", path, part.x.cols(), first_file, dim));
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

std::vector<std::string> class_indices(const VectorSet& set, std::vector<int>& labels, std::vector<Index>& keep) {
  std::vector<std::string> names;
  for (const auto& l : set.labels) {
    if (!l.empty()) names.push_back(l);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  labels.clear();
  keep.clear();
  for (std::size_t i = 0; i < set.labels.size(); ++i) {
    if (set.labels[i].empty()) continue;
    labels.push_back(static_cast<int>(std::lower_bound(names.begin(), names.end(), set.labels[i]) - names.begin()));
    keep.push_back(static_cast<Index>(i));
  }
  return names;
}

EpiRow explanatory_power(const VectorSet& set, const EpiOptions& options) {
  std::vector<int> labels;
  std::vector<Index> keep;
  const auto names = class_indices(set, labels, keep);
  if (names.size() < 2) {
    throw FormatError(fmt::format("epi: the {} vectors of model '{}' need labels of at least two classes",
                                  set.weighting, set.model));
  }
  la::DMat x = set.x(keep, Eigen::all);
  if (options.normalize) la::normalize_rows(x);
  EpiRow row;
  row.model = set.model;
  row.weighting = set.weighting;
  row.documents = keep.size();
  row.cv = la::knn_cross_validate(x, labels, options.k_max, options.folds, options.distance, options.seed);
  return row;
}

nlohmann::ordered_json epi_json(const std::vector<EpiRow>& rows, const EpiOptions& options) {
  nlohmann::ordered_json j;
  j["measure"] = "explanatory power index: best mean k-NN accuracy over k = 1..k_max, stratified cross-validation";
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
  std::string out = fmt::format("{:<24} {:<10} {:>9} {:>8} {:>6}\n", "model", "weighting", "documents", "EPI", "best k");
  for (const EpiRow& r : rows) {
    out += fmt::format("{:<24} {:<10} {:>9} {:>7.2f}% {:>6}\n", r.model, r.weighting, r.documents,
                       100 * r.cv.best_accuracy, r.cv.best_k);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Word deletion

namespace {
// Up to this many tokens every state of a CNN document's deletion curves is rescored in one batch;
// a longer one is rescored incrementally (Classifier::deletion_scorer, lrp/models/cnn_deletion_scorer.h: K rows per deletion, not T).
constexpr std::size_t kBatchDeletionTokens = 128;
}  // namespace

std::vector<std::string> DeletionSetup::names() const {
  std::vector<std::string> out;
  for (const MethodPlan& p : methods) out.emplace_back(lrp::method_name(p.method));
  if (random) out.emplace_back("random");
  return out;
}

DeletionSetup make_deletion_setup(const Model& model, const std::vector<std::string>& methods, int max_delete,
                                  int random_seeds, std::uint64_t seed, const lrp::ExplainOptions& explain,
                                  const LogFn& log) {
  if (max_delete < 0) throw InvalidArgument(fmt::format("--max-delete must be >= 0, got {}", max_delete));
  if (random_seeds < 1) throw InvalidArgument(fmt::format("--random-seeds must be >= 1, got {}", random_seeds));
  DeletionSetup s;
  s.max_delete = max_delete;
  s.random_seeds = random_seeds;
  s.seed = seed;
  s.explain = explain;
  for (const std::string& name : methods) {
    if (name == "random") {
      s.random = true;
      continue;
    }
    const lrp::Method m = lrp::parse_method(name);  // unknown names: InvalidArgument
    if (std::any_of(s.methods.begin(), s.methods.end(), [m](const MethodPlan& p) { return p.method == m; })) continue;
    try {
      s.methods.push_back(plan_method(model, m, explain));
      if (s.methods.back().generic_occlusion && log) {
        log(fmt::format("deletion: model '{}' has no occlusion of its own; computing s(x) − s(x without the token) "
                        "per token",
                        model.name));
      }
    } catch (const InvalidArgument& e) {
      s.skipped.emplace_back(name, e.what());
      if (log) log(fmt::format("deletion: skipping method '{}' for model '{}': {}", name, model.name, e.what()));
    }
  }
  if (s.methods.empty() && !s.random) throw InvalidArgument("deletion: no method left to run");
  return s;
}

namespace {

// A transformer's document deleted word by word (PieceWord): each call of scores() reads the pieces of
// the words not yet removed, between [CLS] and [SEP].
class WordDeletionScorer final : public la::DocumentScorer {
 public:
  WordDeletionScorer(const lrp::Classifier& classifier, std::span<const TokenId> ids, const std::vector<PieceWord>& words)
      : classifier_(classifier), ids_(ids), words_(words), removed_(words.size(), 0) {}
  Vec scores() override {
    std::vector<TokenId> kept;
    kept.reserve(ids_.size());
    std::size_t next = 0;  // pieces outside every word (none for WordPiece) are kept as they are
    for (std::size_t w = 0; w < words_.size(); ++w) {
      kept.insert(kept.end(), ids_.begin() + static_cast<std::ptrdiff_t>(next),
                  ids_.begin() + static_cast<std::ptrdiff_t>(words_[w].first));
      if (!removed_[w]) {
        kept.insert(kept.end(), ids_.begin() + static_cast<std::ptrdiff_t>(words_[w].first),
                    ids_.begin() + static_cast<std::ptrdiff_t>(words_[w].last));
      }
      next = words_[w].last;
    }
    kept.insert(kept.end(), ids_.begin() + static_cast<std::ptrdiff_t>(next), ids_.end());
    return classifier_.scores(kept);
  }
  void remove(std::size_t position) override { removed_.at(position) = 1; }
  std::size_t size() const override { return words_.size(); }

 private:
  const lrp::Classifier& classifier_;
  std::span<const TokenId> ids_;
  const std::vector<PieceWord>& words_;
  std::vector<char> removed_;
};

}  // namespace

DocDeletion delete_document(const Model& model, const DeletionSetup& setup, const corpora::Example& doc) {
  const Encoded enc = encode(model, doc);
  const std::vector<TokenId>& ids = enc.ids;
  DocDeletion d;
  d.label = label_of(model, doc, true);
  d.correct = lrp::argmax(model.classifier->scores(ids)) == d.label;
  std::vector<std::size_t> candidates = visible_positions(model, ids);
  // A transformer deletes words (a piece with its "##" pieces), each word's relevance the sum of
  // its pieces': the positions below are then word indices.
  const std::vector<PieceWord> words = piece_words(model, enc);
  const bool by_word = deletes_words(model) && enc.spans;
  if (by_word) {
    const std::size_t limit = candidates.empty() ? 0 : candidates.back() + 1;
    candidates.clear();
    for (std::size_t w = 0; w < words.size() && words[w].last <= limit; ++w) candidates.push_back(w);
  }
  auto word_relevance = [&](const std::vector<double>& r) {
    if (!by_word) return r;
    std::vector<double> out(words.size(), 0.0);
    for (std::size_t w = 0; w < words.size(); ++w) {
      for (std::size_t p = words[w].first; p < words[w].last; ++p) out[w] += r[p];
    }
    return out;
  };
  // Every ordering first (the explanations), then every state of every ordering scored in ONE
  // batch: one matrix product per layer (or time step) over the batch for a model with embeddings
  // (Differentiable::batch_scores_of), one scores() call per state otherwise.
  std::vector<std::vector<std::size_t>> orders;
  for (const MethodPlan& plan : setup.methods) {
    const std::vector<double> r = token_relevance(model, ids, plan, d.label, setup.explain);
    orders.push_back(la::relevance_order(word_relevance(r), candidates, d.correct));
  }
  if (setup.random) {
    const std::uint64_t h = stable_hash(doc.id);
    for (int k = 0; k < setup.random_seeds; ++k) {
      std::uint64_t state = h ^ (setup.seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(k + 1));
      orders.push_back(la::random_order(candidates, la::splitmix64_next(state)));
    }
  }
  std::vector<la::DeletionTrace> traces;
  if (by_word) {
    for (const auto& order : orders) {
      WordDeletionScorer scorer(*model.classifier, ids, words);
      traces.push_back(la::delete_and_score(scorer, order, setup.max_delete, d.label));
    }
  }
  // A long document of a model with its own rescoring (the CNN recomputes only the windows a
  // deletion touches: lrp/models/cnn_deletion_scorer.h): far less work than rescoring every state in full.
  std::unique_ptr<lrp::DeletionScorer> fast =
      !by_word && ids.size() > kBatchDeletionTokens ? model.classifier->deletion_scorer(ids) : nullptr;
  if (by_word) {
    // scored above, word by word
  } else if (fast != nullptr) {
    for (const auto& order : orders) {
      if (traces.size() > 0) fast = model.classifier->deletion_scorer(ids);  // a fresh one per ordering
      traces.push_back(la::delete_and_score(*fast, order, setup.max_delete, d.label));
    }
  } else {
    const lrp::Classifier& clf = *model.classifier;
    const la::BatchScorer scorer = [&clf](std::span<const std::vector<TokenId>> docs) {
      std::vector<Vec> out;
      out.reserve(docs.size());
      if (const lrp::Differentiable* diff = clf.differentiable()) {
        const lrp::MatD64 s = diff->batch_scores_of(docs);
        // float, as Classifier::scores returns them (the same argmax and scores as before)
        for (Index b = 0; b < s.rows(); ++b) out.push_back(s.row(b).transpose().cast<Scalar>());
      } else {
        for (const auto& x : docs) out.push_back(clf.scores(x));
      }
      return out;
    };
    traces = la::delete_and_score_batch(scorer, ids, orders, setup.max_delete, d.label);
  }
  for (std::size_t m = 0; m < setup.methods.size(); ++m) d.traces.push_back({traces[m]});
  if (setup.random) d.traces.emplace_back(traces.begin() + static_cast<std::ptrdiff_t>(setup.methods.size()), traces.end());
  return d;
}

std::string pack(const DocDeletion& d) {
  Packer p;
  p.put<std::int32_t>(d.label);
  p.put<std::uint8_t>(d.correct ? 1 : 0);
  p.put<std::uint32_t>(static_cast<std::uint32_t>(d.traces.size()));
  for (const auto& traces : d.traces) {
    p.put<std::uint32_t>(static_cast<std::uint32_t>(traces.size()));
    for (const auto& t : traces) {
      p.put<std::uint32_t>(static_cast<std::uint32_t>(t.predicted.size()));
      for (int v : t.predicted) p.put<std::int32_t>(v);
      for (double v : t.score) p.put<double>(v);
    }
  }
  return std::move(p.out);
}

DocDeletion unpack_deletion(std::string_view bytes) {
  Unpacker u(bytes);
  DocDeletion d;
  d.label = u.get<std::int32_t>();
  d.correct = u.get<std::uint8_t>() != 0;
  const auto n_methods = u.get<std::uint32_t>();
  d.traces.resize(n_methods);
  for (auto& traces : d.traces) {
    traces.resize(u.get<std::uint32_t>());
    for (auto& t : traces) {
      const auto n = u.get<std::uint32_t>();
      t.predicted.resize(n);
      t.score.resize(n);
      for (auto& v : t.predicted) v = u.get<std::int32_t>();
      for (auto& v : t.score) v = u.get<double>();
    }
  }
  return d;
}

void DeletionResult::add(const DocDeletion& d) {
  TEXTLRP_ASSERT(d.traces.size() == curves.size());
  ++documents;
  correct += d.correct ? 1 : 0;
  for (std::size_t m = 0; m < curves.size(); ++m) {
    const double w = 1.0 / static_cast<double>(std::max<std::size_t>(1, d.traces[m].size()));
    for (const auto& t : d.traces[m]) (d.correct ? curves[m].correct : curves[m].misclassified).add(t, d.label, w);
  }
}

DeletionResult make_deletion_result(const Model& model, const DeletionSetup& setup) {
  DeletionResult r;
  r.model = model.name;
  r.architecture = std::string(model.classifier->architecture());
  r.deletion = deletion_meaning(model);
  r.max_delete = setup.max_delete;
  r.random_seeds = setup.random ? setup.random_seeds : 0;
  r.skipped = setup.skipped;
  r.rule = rule_name(model, setup.explain);
  for (const auto& name : setup.names()) {
    r.curves.push_back({name, la::DeletionCurve(setup.max_delete), la::DeletionCurve(setup.max_delete)});
  }
  return r;
}

std::string deletion_meaning(const Model& model) { return model.classifier->token_deletion().meaning; }

nlohmann::ordered_json deletion_json(const DeletionResult& r) {
  nlohmann::ordered_json j;
  j["schema"] = 1;
  j["model"] = r.model;
  j["architecture"] = r.architecture;
  j["deletion"] = r.deletion;
  j["order"] =
      "relevance for the true class: decreasing for correctly classified documents (accuracy falls), increasing for "
      "misclassified ones (accuracy rises); random: seeded permutations, averaged";
  j["max_delete"] = r.max_delete;
  j["documents"] = r.documents;
  j["correct"] = r.correct;
  j["misclassified"] = r.documents - r.correct;
  j["random_seeds"] = r.random_seeds;
  j["rule"] = r.rule;
  j["methods"] = nlohmann::ordered_json::object();
  for (const DeletionCurves& c : r.curves) {
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
      throw FormatError(fmt::format("{}: not a `textlrp deletion` result: \"{}\": expected an integer 0..{}, got {}",
                                    where, key, INT32_MAX, v.dump().substr(0, 40)));
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
      for (const auto& [name, why] : j["skipped"].items()) d.skipped.emplace_back(name, why.get<std::string>());
    }
    return d;
  } catch (const nlohmann::ordered_json::exception& e) {
    throw FormatError(fmt::format("{}: not a `textlrp deletion` result: {}", where, e.what()));
  }
}

// ---------------------------------------------------------------------------------------------
// Top words

DocWords document_words(const Model& model, const corpora::Example& doc, const MethodPlan& plan,
                        const lrp::ExplainOptions& explain) {
  const Encoded enc = encode(model, doc);
  DocWords out;
  out.cls = label_of(model, doc, false);
  if (out.cls < 0) out.cls = lrp::argmax(model.classifier->scores(enc.ids));
  const std::vector<double> r = token_relevance(model, enc.ids, plan, out.cls, explain);
  const TokenId unk = model.vocab().unk_id();
  std::vector<std::string> words;
  std::vector<double> rel;
  if (deletes_words(model) && enc.spans) {
    // Words, not pieces: a piece with its "##" pieces, as the tokenizer normalised them ("tepid").
    const std::vector<std::size_t> visible = visible_positions(model, enc.ids);
    const std::size_t limit = visible.empty() ? 0 : visible.back() + 1;
    for (const PieceWord& w : piece_words(model, enc)) {
      if (w.last > limit) break;
      if (w.oov) continue;
      double sum = 0;
      for (std::size_t p = w.first; p < w.last; ++p) sum += r[p];
      words.push_back(w.text);
      rel.push_back(sum);
    }
    out.words = la::aggregate_document(words, rel);
    return out;
  }
  for (std::size_t t : visible_positions(model, enc.ids)) {
    if (enc.ids[t] == unk) continue;
    words.push_back(enc.tokens[t].text);
    rel.push_back(r[t]);
  }
  out.words = la::aggregate_document(words, rel);
  return out;
}

std::string pack(const DocWords& d) {
  Packer p;
  p.put<std::int32_t>(d.cls);
  p.put<std::uint32_t>(static_cast<std::uint32_t>(d.words.size()));
  for (const auto& [word, s] : d.words) {
    p.put_string(word);
    p.put<double>(s.sum);
    p.put<std::uint64_t>(s.occurrences);
  }
  return std::move(p.out);
}

DocWords unpack_words(std::string_view bytes) {
  Unpacker u(bytes);
  DocWords d;
  d.cls = u.get<std::int32_t>();
  const auto n = u.get<std::uint32_t>();
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string w = u.get_string();
    la::WordStats s;
    s.sum = u.get<double>();
    s.occurrences = u.get<std::uint64_t>();
    s.documents = 1;
    d.words.emplace(std::move(w), s);
  }
  return d;
}

}  // namespace textlrp::app
