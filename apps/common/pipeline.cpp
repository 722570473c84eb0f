#include "apps/common/pipeline.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>

#include "core/error.h"
#include "core/utf8.h"
#include "nlp/word_groups.h"
#include "nlp/wordpiece_tokenizer.h"

namespace textlrp::app {

void log_line(std::string_view message) { std::fprintf(stderr, "textlrp: %.*s\n", static_cast<int>(message.size()), message.data()); }

bool stderr_is_tty() { return ::isatty(2) == 1; }

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void InputOptions::add_to(CLI::App* cmd, bool input_allowed) {
  cmd->add_option("--corpus", corpus,
                  "labelled corpus as FORMAT:PATH with FORMAT one of folder, spamassassin, jsonl, tsv, sst, sst-binary, text; "
                  "without a prefix the format is detected (and reported)");
  if (input_allowed) {
    cmd->add_option("--input", input,
                    "documents to read instead of a corpus: a .jsonl file ({\"text\"} or {\"tokens\"} per line, "
                    "optional \"id\" and \"label\"), a .txt file (one document a line) or - for stdin (JSONL)");
    cmd->add_option("--input-format", input_format, "format of --input: auto, jsonl or text")
        ->check(CLI::IsMember({"auto", "jsonl", "text"}))
        ->capture_default_str();
  }
  cmd->add_option("--strip", strip,
                  "for folder corpora (20 Newsgroups): remove e-mail headers, signature footers and/or quoted "
                  "reply lines, as scikit-learn's remove=(...) (default: none)")
      ->check(CLI::IsMember({"headers", "footers", "quotes"}))
      ->delimiter(',');
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
  corpora::CorpusOptions co;
  co.warn = warn;
  for (const auto& s : strip) {
    if (s == "headers") co.strip_headers = true;
    if (s == "footers") co.strip_footers = true;
    if (s == "quotes") co.strip_quotes = true;
  }
  const corpora::Shard part = shard.empty() ? corpora::Shard{} : corpora::Shard::parse(shard);
  if (!corpus.empty()) return corpora::shard_corpus(corpora::open_corpus(corpus, co), part);
  std::string fmt_name = input_format;
  if (fmt_name == "auto") {
    const bool is_txt = input.size() > 4 && input.substr(input.size() - 4) == ".txt";
    fmt_name = is_txt ? "text" : "jsonl";
  }
  return corpora::shard_corpus(corpora::open_corpus(fmt_name + ":" + input, co), part);
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

Encoded encode(const Model& model, const corpora::Example& example) {
  Encoded e;
  if (example.tokens && !model.subword) {
    e.tokens = nlp::pretokenized(*example.tokens, model.config["tokenizer"].value("lowercase", true));
    e.spans = false;
    e.ids = to_ids(model, e.tokens);
  } else {
    // A subword model splits pre-tokenized input like any text: its words joined by spaces
    // (example.text), so the pieces keep spans into that text.
    e.ids = encode_text(*model.tokenizer, model.vocab, example.text, &e.tokens);
  }
  return e;
}

ExplanationRecord explain_example(const Model& model, const corpora::Example& example,
                                  const lrp::ExplainOptions& options, const TargetSpec& target) {
  const Encoded enc = encode(model, example);
  lrp::ExplainOptions opt = options;
  if (target.kind == TargetKind::kLabel) opt.target = target.label;
  if (target.kind == TargetKind::kTrue) {
    if (!example.label) {
      throw InvalidArgument(fmt::format("document '{}' has no label, but --target true needs one", example.id));
    }
    opt.target = model.label_index(*example.label);
    if (opt.target < 0) {
      throw InvalidArgument(fmt::format("document '{}': label '{}' is not one of the model's labels", example.id,
                                        *example.label));
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
    tr.oov = is_oov(model.vocab, enc.ids[t], tok.text);
    sum += tr.relevance;
    r.tokens.push_back(std::move(tr));
  }
  if (example.tokens) {
    // Pre-tokenized input: the document text is the tokens joined by spaces.
    r.text = example.text;
  }
  if (const auto* wp = dynamic_cast<const nlp::WordPieceTextTokenizer*>(model.tokenizer.get()); wp && enc.spans) {
    // Per word: a piece and the "##" pieces after it.
    nlp::WordPieceEncoding pieces;
    for (const auto& t : enc.tokens) pieces.pieces.push_back({t.text, 0, t.begin, t.end, false});
    r.words.emplace();
    for (const auto& g : nlp::merge_word_pieces(pieces)) {
      WordRelevance w;
      w.text = example.text.substr(g.begin, g.end - g.begin);
      w.begin = g.begin;
      w.end = g.end;
      for (std::size_t p = g.first; p < g.last; ++p) w.relevance += r.tokens[p].relevance;
      r.words->push_back(std::move(w));
    }
  } else if (model.subword && enc.spans) {
    // Per word: the pieces of each ICU word of the text, summed (nlp/word_groups.h).
    const auto groups = nlp::group_pieces_by_word(example.text, enc.tokens, nlp::default_word_tokenizer());
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
  return r;
}

std::string predict_line(const Model& model, const corpora::Example& example) {
  const Encoded enc = encode(model, example);
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
    : what_(std::move(what)), tty_(enabled && stderr_is_tty()), total_(total), start_(now_seconds()) {}

double Progress::elapsed() const { return now_seconds() - start_; }

void Progress::update(std::size_t done) {
  if (!tty_) return;
  const double t = now_seconds();
  if (t - last_ < 0.2) return;
  last_ = t;
  const double rate = done / std::max(1e-9, t - start_);
  if (total_ > 0) {
    const double eta = (total_ > done ? static_cast<double>(total_ - done) : 0.0) / std::max(rate, 1e-9);
    std::fprintf(stderr, "\r%s: %zu/%zu (%.1f%%)  %.0f docs/s  ETA %d:%02d   ", what_.c_str(), done, total_,
                 100.0 * static_cast<double>(done) / static_cast<double>(total_), rate, static_cast<int>(eta) / 60,
                 static_cast<int>(eta) % 60);
  } else {
    std::fprintf(stderr, "\r%s: %zu docs  %.0f docs/s   ", what_.c_str(), done, rate);
  }
  std::fflush(stderr);
}

double Progress::finish(std::size_t done, bool quiet) {
  const double secs = elapsed();
  if (tty_) std::fprintf(stderr, "\r\033[K");
  if (!quiet) {
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
  const int n_threads = std::max(1, options.threads);
  const std::size_t batch_size = std::max<std::size_t>(1, options.batch) * static_cast<std::size_t>(n_threads);
  std::vector<corpora::Example> batch;
  std::vector<std::string> results;
  std::size_t total = 0;
  bool more = true;
  while (more) {
    batch.clear();
    while (batch.size() < batch_size) {
      corpora::Example ex;
      if (!reader.next(ex)) {
        more = false;
        break;
      }
      batch.push_back(std::move(ex));
    }
    if (batch.empty()) break;
    results.assign(batch.size(), std::string());
    if (n_threads == 1 || batch.size() < 2) {
      for (std::size_t i = 0; i < batch.size(); ++i) results[i] = fn(batch[i]);
    } else {
      std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n_threads));
      std::vector<std::thread> workers;
      for (int w = 0; w < n_threads; ++w) {
        workers.emplace_back([&, w] {
          try {
            for (std::size_t i = static_cast<std::size_t>(w); i < batch.size(); i += static_cast<std::size_t>(n_threads)) {
              results[i] = fn(batch[i]);
            }
          } catch (...) {
            errors[static_cast<std::size_t>(w)] = std::current_exception();
          }
        });
      }
      for (auto& t : workers) t.join();
      // Rethrow the first failing worker's error (worker order, not document order).
      for (auto& e : errors) {
        if (e) std::rethrow_exception(e);
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) sink(batch[i], results[i]);
    total += batch.size();
    if (on_batch) on_batch(total);
  }
  return total;
}

}  // namespace textlrp::app
