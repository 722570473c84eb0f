#include "apps/common/pipeline.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/ordered_stream.h"
#include "core/thread_pool.h"
#include "core/utf8.h"
#include "lrp/models/cnn_classifier.h"

namespace textlrp::app {

void log_line(std::string_view message) { std::fprintf(stderr, "textlrp: %.*s\n", static_cast<int>(message.size()), message.data()); }

bool stderr_is_tty() { return ::isatty(2) == 1; }

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace {

// Maps the labels of another reader's documents (InputOptions::relabel).
class RelabelReader : public corpora::CorpusReader {
 public:
  RelabelReader(std::unique_ptr<corpora::CorpusReader> inner, std::vector<std::pair<std::string, std::string>> map)
      : inner_(std::move(inner)), map_(std::move(map)) {}
  bool next(corpora::Example& out) override {
    if (!inner_->next(out)) return false;
    if (out.label) {
      for (const auto& [from, to] : map_) {
        if (*out.label == from) {
          out.label = to;
          break;
        }
      }
    }
    return true;
  }
  std::string_view format() const override { return inner_->format(); }

 private:
  std::unique_ptr<corpora::CorpusReader> inner_;
  std::vector<std::pair<std::string, std::string>> map_;
};

std::unique_ptr<corpora::CorpusReader> relabeled(std::unique_ptr<corpora::CorpusReader> reader,
                                                 const std::vector<std::pair<std::string, std::string>>& map) {
  if (map.empty()) return reader;
  return std::make_unique<RelabelReader>(std::move(reader), map);
}

}  // namespace

void InputOptions::add_to(CLI::App* cmd, bool input_allowed) {
  cmd->add_option("--corpus", corpus,
                  "labelled corpus as FORMAT:PATH with FORMAT one of folder, spamassassin, jsonl, tsv, csv, sst, sst-binary, "
                  "text; without a prefix the format is detected (and reported)");
  if (input_allowed) {
    cmd->add_option("--input", input,
                    "documents to read instead of a corpus: a .jsonl file ({\"text\"} or {\"tokens\"} per line, "
                    "optional \"id\" and \"label\"), a .txt file (one document a line), a .tsv or .csv file, "
                    "or - for stdin (JSONL unless --input-format says otherwise)");
    cmd->add_option("--input-format", input_format,
                    "format of --input: auto (by the file's extension: .txt text, .tsv tsv, .csv csv, else jsonl), "
                    "jsonl, text, tsv or csv")
        ->check(CLI::IsMember({"auto", "jsonl", "text", "tsv", "csv"}))
        ->capture_default_str();
  }
  cmd->add_option("--strip", strip,
                  "for folder corpora (20 Newsgroups): remove e-mail headers, signature footers and/or quoted "
                  "reply lines, as scikit-learn's remove=(...); none strips nothing. A model remembers its "
                  "training --strip and applies it by itself; an explicit different --strip wins, with a warning "
                  "(default: the model's, else none)")
      ->check(CLI::IsMember({"headers", "footers", "quotes", "none"}))
      ->delimiter(',');
  cmd->add_option("--encoding", encoding,
                  "byte decoding of line formats (jsonl, text, tsv, csv, sst): utf-8 (invalid bytes are an error "
                  "naming the line and byte), latin-1 (every byte one Latin-1 character) or replace (invalid "
                  "sequences become U+FFFD, counted on stderr). Folder corpora fall back to Latin-1 per file")
      ->check(CLI::IsMember({"utf-8", "utf8", "latin-1", "latin1", "replace"}))
      ->capture_default_str();
  cmd->add_option("--csv-label-column", csv_label_column,
                  "csv: the label column, a 1-based number or a header name")
      ->capture_default_str();
  cmd->add_option("--csv-text-columns", csv_text_columns,
                  "csv: the text column(s), 1-based numbers or header names, comma-separated, joined by --csv-join "
                  "(default: every column but the label's)")
      ->delimiter(',');
  cmd->add_option("--csv-header", csv_header,
                  "csv: whether the first record is a header: yes, no or auto (yes when a column is given by name or "
                  "the label field reads label, class, category, ...)")
      ->check(CLI::IsMember({"auto", "yes", "no"}))
      ->capture_default_str();
  cmd->add_option("--csv-join", csv_join,
                  "csv: what joins several text columns: newline, space or period (\". \")")
      ->check(CLI::IsMember({"newline", "space", "period"}))
      ->capture_default_str();
}

corpora::CorpusOptions InputOptions::corpus_options(const std::function<void(std::string_view)>& warn) const {
  corpora::CorpusOptions co;
  co.warn = warn;
  co.encoding = corpora::parse_encoding(encoding);
  co.csv_label_column = csv_label_column;
  co.csv_text_columns = csv_text_columns;
  co.csv_header = csv_header == "yes" ? corpora::CsvHeader::kYes
                  : csv_header == "no" ? corpora::CsvHeader::kNo
                                       : corpora::CsvHeader::kAuto;
  co.csv_join = csv_join == "space" ? " " : csv_join == "period" ? ". " : "\n";
  for (const auto& s : strip) {
    if (s == "headers") co.strip_headers = true;
    if (s == "footers") co.strip_footers = true;
    if (s == "quotes") co.strip_quotes = true;
  }
  return co;
}

bool InputOptions::reads_stdin() const {
  if (!input.empty()) return input == "-";
  const std::size_t colon = corpus.find(':');
  return corpus == "-" || (colon != std::string::npos && corpus.substr(colon + 1) == "-");
}

void InputOptions::add_shard_option(CLI::App* cmd) {
  cmd->add_option("--shard", shard,
                  "process only shard I of N (1 <= I <= N): documents I, I+N, I+2N, ... of the input (1-based). "
                  "Run N processes (or machines) with 1/N .. N/N and concatenate their outputs: every document "
                  "appears exactly once, with its id")
      ->type_name("I/N");
}

std::unique_ptr<corpora::CorpusReader> InputOptions::open(const std::function<void(std::string_view)>& warn) const {
  if (corpus.empty() == input.empty()) {
    throw InvalidArgument(corpus.empty() ? "give the documents with --corpus SPEC or --input FILE"
                                         : "give either --corpus or --input, not both");
  }
  const corpora::CorpusOptions co = corpus_options(warn);
  const corpora::Shard part = shard.empty() ? corpora::Shard{} : corpora::Shard::parse(shard);
  if (!corpus.empty()) return relabeled(corpora::shard_corpus(corpora::open_corpus(corpus, co), part), relabel);
  std::string fmt_name = input_format;
  if (fmt_name == "auto") {
    auto ends_with = [&](std::string_view suffix) {
      return input.size() > suffix.size() && input.compare(input.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    fmt_name = ends_with(".txt") || ends_with(".text") ? "text"
               : ends_with(".tsv")                     ? "tsv"
               : ends_with(".csv")                     ? "csv"
                                                       : "jsonl";
    if ((fmt_name == "tsv" || fmt_name == "csv") && warn) warn(fmt::format("input: reading {} as {} (by its extension)", input, fmt_name));
  }
  return relabeled(corpora::shard_corpus(corpora::open_corpus(fmt_name + ":" + input, co), part), relabel);
}

namespace {

std::string strip_text(const std::vector<std::string>& strip) {
  std::string s;
  for (const auto& p : strip) {
    if (p != "none") s += (s.empty() ? "" : ",") + p;
  }
  return s.empty() ? "none" : s;
}

// The set of parts, order-independent ("headers,quotes" == "quotes,headers").
std::vector<std::string> strip_set(const std::vector<std::string>& strip) {
  std::vector<std::string> out;
  for (const char* p : {"headers", "footers", "quotes"}) {
    if (std::find(strip.begin(), strip.end(), p) != strip.end()) out.emplace_back(p);
  }
  return out;
}

}  // namespace

InputOptions input_for_models(const InputOptions& given, const std::vector<const Model*>& models,
                              const std::function<void(std::string_view)>& warn) {
  InputOptions in = given;
  if (models.empty()) return in;
  const Model& first = *models.front();
  for (const Model* m : models) {
    if (strip_set(m->strip) != strip_set(first.strip)) {
      if (warn) {
        warn(fmt::format("models {} and {} were trained with different --strip ({} and {}); reading the documents "
                         "with {}",
                         first.name, m->name, strip_text(first.strip), strip_text(m->strip),
                         given.strip.empty() ? strip_text(first.strip) : strip_text(given.strip)));
      }
      break;
    }
  }
  if (given.strip.empty()) {
    in.strip = first.strip;
    // Only worth saying where --strip does something: folder and spamassassin corpora (or a bare path).
    const auto colon = given.corpus.find(':');
    const std::string prefix = colon == std::string::npos ? std::string() : given.corpus.substr(0, colon);
    const bool line_format = prefix == "jsonl" || prefix == "tsv" || prefix == "sst" || prefix == "sst-binary" ||
                             prefix == "text";
    if (!first.strip.empty() && !given.corpus.empty() && !line_format && warn) {
      warn(fmt::format("reading the documents with --strip {}, as model {} was trained (--strip none reads them as "
                       "they are)",
                       strip_text(first.strip), first.name));
    }
  } else if (strip_set(given.strip) != strip_set(first.strip) && warn) {
    warn(fmt::format("--strip {} differs from the --strip {} model {} was trained with; using --strip {} as given",
                     strip_text(given.strip), strip_text(first.strip), first.name, strip_text(given.strip)));
  }
  for (const Model* m : models) {
    for (std::size_t c = 0; c < m->corpus_labels.size() && c < m->labels().size(); ++c) {
      in.relabel.emplace_back(m->corpus_labels[c], m->labels()[c]);
    }
    if (!m->corpus_labels.empty()) break;  // the first model that names its labels decides
  }
  return in;
}

InputOptions input_for_model(const InputOptions& given, const Model& model,
                             const std::function<void(std::string_view)>& warn) {
  return input_for_models(given, {&model}, warn);
}

InputOptions input_for_models(const InputOptions& given, const std::vector<Model>& models,
                              const std::function<void(std::string_view)>& warn) {
  std::vector<const Model*> ptrs;
  for (const auto& m : models) ptrs.push_back(&m);
  return input_for_models(given, ptrs, warn);
}

DocumentCounter::DocumentCounter(const InputOptions& input) {
  auto is_stdin = [](const std::string& spec) {
    return spec == "-" || (spec.size() >= 2 && spec.compare(spec.size() - 2, 2, ":-") == 0);
  };
  if (is_stdin(input.input) || is_stdin(input.corpus)) return;
  thread_ = std::thread([this, in = input] {
    try {
      auto reader = in.open({});
      corpora::Example ex;
      std::size_t n = 0;
      while (!stop_.load(std::memory_order_relaxed) && reader->next(ex)) ++n;
      if (!stop_.load()) total_.store(n);
    } catch (...) {
      // The main pass reads the same input and reports the error.
    }
  });
}

DocumentCounter::~DocumentCounter() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

TargetSpec TargetSpec::parse(const std::string& text, const Model& model) {
  TargetSpec t;
  if (text == "predicted" || text == "pred") return t;
  if (text == "true") {
    t.kind = TargetKind::kTrue;
    return t;
  }
  const int idx = model.label_index(text);
  if (idx < 0) {
    std::string labels;
    for (const auto& l : model.labels()) labels += (labels.empty() ? "" : ", ") + l;
    throw InvalidArgument(fmt::format("--target '{}': expected predicted, true or one of the labels: {}", text, labels));
  }
  t.kind = TargetKind::kLabel;
  t.label = idx;
  return t;
}

namespace {

// Documents that give the model nothing to read: counted across threads, summed up once per run by
// Progress::finish() (the count and the first few ids), so a big corpus does not flood stderr.
class EmptyInputCounter {
 public:
  void note(const Model& model, const corpora::Example& example, const Encoded& enc) {
    const bool empty = enc.ids.empty();
    bool all_oov = !empty;
    for (std::size_t t = 0; all_oov && t < enc.ids.size(); ++t) {
      all_oov = model.encoder.is_oov(enc.ids[t], enc.tokens[t].text);
    }
    if (!empty && !all_oov) return;
    std::lock_guard<std::mutex> lock(mutex_);
    Kind& k = empty ? empty_ : all_oov_;
    // The first kShown in input order (source line, then id), whichever thread finishes first.
    const std::pair<std::size_t, std::string> key{example.line, example.id};
    k.ids.insert(std::upper_bound(k.ids.begin(), k.ids.end(), key), key);
    if (k.ids.size() > kShown) k.ids.pop_back();
    ++k.count;
  }
  // The warning lines (without the "textlrp: " prefix), and a reset.
  std::vector<std::string> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    auto line = [&](Kind& k, std::string_view what) {
      if (k.count == 0) return;
      std::string ids;
      for (const auto& [line, id] : k.ids) ids += (ids.empty() ? "" : ", ") + visible(id, 40);
      out.push_back(fmt::format("warning: {} document{} {} ({}{}{})", k.count, k.count == 1 ? "" : "s", what,
                                k.count == 1 ? "id " : "ids ", ids, k.count > k.ids.size() ? ", ..." : ""));
      k = Kind{};
    };
    line(empty_, "had no tokens (empty or blank text): their scores are the classifier's bias alone");
    line(all_oov_, "had only out-of-vocabulary tokens: the model saw nothing it knows");
    return out;
  }

 private:
  static constexpr std::size_t kShown = 5;
  struct Kind {
    std::size_t count = 0;
    std::vector<std::pair<std::size_t, std::string>> ids;  // (line, id), sorted, at most kShown
  };
  std::mutex mutex_;
  Kind empty_, all_oov_;
};

EmptyInputCounter& empty_input_counter() {
  static EmptyInputCounter counter;
  return counter;
}

}  // namespace

Encoded encode(const Model& model, const corpora::Example& example) {
  Encoded e;
  if (example.tokens && !model.subword()) {
    e.spans = false;
    e.ids = model.encoder.encode_words(*example.tokens, &e.tokens);
  } else {
    // A subword model splits pre-tokenized input like any text: its words joined by spaces
    // (example.text), so the pieces keep spans into that text.
    e.ids = model.encoder.encode(example.text, &e.tokens);
  }
  return e;
}

ExplanationRecord explain_example(const Model& model, const corpora::Example& example,
                                  const lrp::ExplainOptions& options, const TargetSpec& target) {
  const Encoded enc = encode(model, example);
  empty_input_counter().note(model, example, enc);
  lrp::ExplainOptions opt = options;
  if (target.kind == TargetKind::kLabel) opt.target = target.label;
  if (target.kind == TargetKind::kTrue) {
    if (!example.label) {
      throw FormatError(fmt::format("document '{}' has no label, but --target true needs one", visible(example.id)));
    }
    opt.target = model.label_index(*example.label);
    if (opt.target < 0) {
      throw FormatError(fmt::format("document '{}': label '{}' is not one of the model's labels", visible(example.id),
                                    visible(*example.label)));
    }
  }
  const lrp::Explanation ex = model.classifier->explain(enc.ids, opt);
  ExplanationRecord r;
  r.id = example.id;
  r.text = example.tokens ? std::string() : example.text;
  r.label = example.label;
  const auto& labels = model.labels();
  r.prediction = labels[static_cast<std::size_t>(lrp::argmax(ex.scores))];
  r.target = labels[static_cast<std::size_t>(ex.target)];
  r.method = std::string(lrp::method_name(opt.method));
  r.rule = opt.method == lrp::Method::kLrp ? ex.rule : "";
  for (std::size_t c = 0; c < labels.size(); ++c) r.scores.emplace_back(labels[c], ex.scores[static_cast<Index>(c)]);
  r.score = ex.scores[ex.target];
  r.model = model.name;
  r.tokens.reserve(enc.tokens.size());
  double sum = 0;
  for (std::size_t t = 0; t < enc.tokens.size(); ++t) {
    TokenRelevance tr;
    const nlp::Token& tok = enc.tokens[t];
    if (enc.spans) {
      tr.text = example.text.substr(tok.begin, tok.end - tok.begin);
      tr.begin = tok.begin;
      tr.end = tok.end;
    } else {
      tr.text = (*example.tokens)[t];
    }
    tr.relevance = ex.relevance[t];
    tr.oov = model.encoder.is_oov(enc.ids[t], tok.text);
    sum += tr.relevance;
    r.tokens.push_back(std::move(tr));
  }
  if (example.tokens) {
    // Pre-tokenized input: the document text is the tokens joined by spaces.
    r.text = example.text;
  }
  if (model.subword() && enc.spans) {
    // Per word: a WordPiece piece and its "##" pieces, or the SentencePiece pieces of each ICU word
    // of the text (nlp/text_encoder.h), summed.
    const auto groups = model.encoder.words(example.text, enc.tokens);
    r.words.emplace();
    r.words->reserve(groups.size());
    for (const auto& g : groups) {
      WordRelevance w;
      w.text = example.text.substr(g.begin, g.end - g.begin);
      w.begin = g.begin;
      w.end = g.end;
      for (const std::size_t p : g.pieces) w.relevance += r.tokens[p].relevance;
      r.words->push_back(std::move(w));
    }
  }
  r.relevance_sum = sum;
  r.bias_relevance = ex.bias_relevance;
  r.truncated = ex.truncated;
  r.special = ex.special;
  if (ex.truncated) {
    // The model's limit: "hyper"."max_tokens" of its config (a CNN saved without it uses the
    // default). Tokens from there on were never read: mark them (ExplanationRecord::max_tokens).
    std::uint64_t limit = static_cast<std::uint64_t>(lrp::kDefaultMaxTokens);
    if (const auto h = model.config.find("hyper"); h != model.config.end() && h->is_object()) {
      if (const auto m = h->find("max_tokens"); m != h->end() && m->is_number_unsigned()) limit = m->get<std::uint64_t>();
      // A transformer's "max_length" counts its [CLS] and [SEP].
      if (const auto m = h->find("max_length"); m != h->end() && m->is_number_unsigned() && m->get<std::uint64_t>() >= 2) {
        limit = m->get<std::uint64_t>() - 2;
      }
    }
    if (limit < r.tokens.size()) {
      r.max_tokens = static_cast<std::uint32_t>(limit);
      for (std::size_t t = limit; t < r.tokens.size(); ++t) r.tokens[t].unseen = true;
    }
  }
  check_explanation(r);  // never a NaN in the JSON, never an unconserved explanation without a warning
  return r;
}

std::string predict_line(const Model& model, const corpora::Example& example) {
  const Encoded enc = encode(model, example);
  empty_input_counter().note(model, example, enc);
  const Vec s = model.classifier->scores(enc.ids);
  std::string out = "{\"id\":";
  append_json_string(out, example.id);
  if (example.label) {
    out += ",\"label\":";
    append_json_string(out, *example.label);
  }
  out += ",\"prediction\":";
  append_json_string(out, model.labels()[static_cast<std::size_t>(lrp::argmax(s))]);
  out += ",\"scores\":{";
  for (std::size_t c = 0; c < model.labels().size(); ++c) {
    if (c) out.push_back(',');
    append_json_string(out, model.labels()[c]);
    fmt::format_to(std::back_inserter(out), ":{}", s[static_cast<Index>(c)]);
  }
  out += "}}\n";
  return out;
}

Progress::Progress(std::string what, bool enabled, std::size_t total)
    : what_(std::move(what)),
      enabled_(enabled),
      tty_(enabled && stderr_is_tty()),
      total_(total),
      start_(now_seconds()),
      last_log_(start_) {}

Progress& Progress::log_every(double seconds) {
  log_every_ = seconds;
  return *this;
}

Progress& Progress::total_from(std::function<std::size_t()> total) {
  total_from_ = std::move(total);
  return *this;
}

double Progress::elapsed() const { return now_seconds() - start_; }

std::size_t Progress::total() const {
  if (total_ > 0) return total_;
  return total_from_ ? total_from_() : 0;
}

void Progress::update(std::size_t done) {
  if (!enabled_) return;
  const double t = now_seconds();
  const bool log_line_now = !tty_ && log_every_ > 0 && t - last_log_ >= log_every_;
  if (!tty_ && !log_line_now) return;
  if (tty_ && t - last_ < 0.2) return;
  last_ = t;
  const double rate = done / std::max(1e-9, t - start_);
  const std::size_t total = this->total();
  const std::string rate_text = rate >= 100 ? fmt::format("{:.0f}", rate) : fmt::format("{:.2f}", rate);
  std::string line;
  if (total > 0) {
    const double eta = (total > done ? static_cast<double>(total - done) : 0.0) / std::max(rate, 1e-9);
    const int e = static_cast<int>(eta);
    line = fmt::format("{}: {}/{} ({:.1f}%)  {} docs/s  ETA {}", what_, done, total,
                       100.0 * static_cast<double>(done) / static_cast<double>(total), rate_text,
                       e >= 3600 ? fmt::format("{}:{:02d}:{:02d}", e / 3600, e / 60 % 60, e % 60)
                                 : fmt::format("{}:{:02d}", e / 60, e % 60));
  } else {
    line = fmt::format("{}: {} docs  {} docs/s", what_, done, rate_text);
  }
  if (tty_) {
    std::fprintf(stderr, "\r%s   ", line.c_str());
    std::fflush(stderr);
  } else {
    last_log_ = t;
    log_line(line);
  }
}

double Progress::finish(std::size_t done, bool quiet) {
  const double secs = elapsed();
  if (tty_) std::fprintf(stderr, "\r\033[K");
  const std::vector<std::string> warnings = empty_input_counter().take();
  if (!quiet) {
    for (const auto& w : warnings) log_line(w);
    std::fprintf(stderr, "textlrp: %s: %zu documents in %.2f s (%.0f docs/s)\n", what_.c_str(), done, secs,
                 done / std::max(secs, 1e-9));
  }
  return secs;
}

std::size_t run_stream(corpora::CorpusReader& reader, const StreamOptions& options,
                       const std::function<std::string(const corpora::Example&)>& fn,
                       const std::function<void(std::string_view)>& sink,
                       const std::function<void(std::size_t)>& on_batch) {
  return run_stream(
      reader, options, fn, [&](const corpora::Example&, std::string_view r) { sink(r); }, on_batch);
}

std::size_t run_stream(corpora::CorpusReader& reader, const StreamOptions& options,
                       const std::function<std::string(const corpora::Example&)>& fn,
                       const std::function<void(const corpora::Example&, std::string_view)>& sink,
                       const std::function<void(std::size_t)>& on_batch) {
  // core/ordered_stream.h: document i of a batch on thread i % threads; an error is that of the
  // first failing document (in input order), as with one thread.
  ThreadPool pool(std::max(1, options.threads));
  return map_in_order<corpora::Example>(
      pool, options.batch, [&](corpora::Example& ex) { return reader.next(ex); }, fn,
      [&](const corpora::Example& ex, std::string& r) { sink(ex, r); }, on_batch);
}

}  // namespace textlrp::app
