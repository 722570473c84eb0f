// apps/common/pipeline.h — where text meets relevance: documents -> tokens -> ids -> classifier ->
// per-span relevance records; plus the ordered, batched, multi-threaded stream every command uses.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "explain/explanation.h"
#include "apps/common/model.h"
#include "corpora/corpus.h"

namespace textlrp::app {

// What the user gave as input: --corpus SPEC, or --input FILE|- with --input-format.
struct InputOptions {
  std::string corpus;
  std::string input;
  std::string input_format = "auto";
  std::vector<std::string> strip;  // headers, footers, quotes (folder corpora)
  std::string shard;               // "I/N" (empty = everything); see corpora::Shard
  // Corpus label -> model label, applied to every document read (a model trained with
  // `train --labels`: "3" -> "positive"); set by input_for_models, empty = labels as read.
  std::vector<std::pair<std::string, std::string>> relabel;
  std::string encoding = "utf-8";  // line formats: utf-8, latin-1 or replace (corpora::Encoding)
  std::string csv_label_column = "1";
  std::vector<std::string> csv_text_columns;
  std::string csv_header = "auto";  // auto, yes, no
  std::string csv_join = "newline";  // newline, space, period
  // Adds --corpus/--input/--input-format/--strip/--encoding/--csv-* to a subcommand.
  // `input_allowed` = false for commands that need labelled corpora only.
  void add_to(CLI::App* cmd, bool input_allowed = true);
  // Adds --shard I/N (for commands whose output is one record per document).
  void add_shard_option(CLI::App* cmd);
  // Opens the reader. Throws InvalidArgument when neither or both of --corpus/--input are given.
  std::unique_ptr<corpora::CorpusReader> open(const std::function<void(std::string_view)>& warn) const;
  // The corpus options these flags give (--strip, --encoding, --csv-*), for opening further corpora
  // (a dev corpus) the same way. Throws InvalidArgument for a bad --encoding.
  corpora::CorpusOptions corpus_options(const std::function<void(std::string_view)>& warn) const;
  // True when the documents come from stdin (--input - or --corpus FORMAT:-), which can be read once only.
  bool reads_stdin() const;
};

// The input as `models` read it (every command that reads documents with a model calls this):
//  - --strip: the model's preprocessing (Model::strip) when --strip is not given; an explicit
//    --strip (or --strip none) that differs from the model's wins, with a warning naming both.
//    Several models that disagree: the first model's, with a warning.
//  - the models' corpus labels (Model::corpus_labels) are mapped to their label names.
InputOptions input_for_models(const InputOptions& given, const std::vector<const Model*>& models,
                              const std::function<void(std::string_view)>& warn);
InputOptions input_for_model(const InputOptions& given, const Model& model,
                             const std::function<void(std::string_view)>& warn);
InputOptions input_for_models(const InputOptions& given, const std::vector<Model>& models,
                              const std::function<void(std::string_view)>& warn);

// Counts the documents of `input` in a background thread (a second reader over the same input,
// without warnings), for progress totals; stdin is never counted. total() is 0 until the count is
// known (or when counting failed: the main pass reports the error). The destructor stops and joins.
class DocumentCounter {
 public:
  explicit DocumentCounter(const InputOptions& input);
  ~DocumentCounter();
  DocumentCounter(const DocumentCounter&) = delete;
  DocumentCounter& operator=(const DocumentCounter&) = delete;
  std::size_t total() const { return total_.load(); }

 private:
  std::atomic<std::size_t> total_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

enum class TargetKind { kPredicted, kTrue, kLabel };
struct TargetSpec {
  TargetKind kind = TargetKind::kPredicted;
  int label = -1;
  // "predicted" | "true" | a label name of the model. InvalidArgument lists the valid values.
  static TargetSpec parse(const std::string& text, const Model& model);
};

struct Encoded {
  std::vector<nlp::Token> tokens;
  std::vector<TokenId> ids;
  bool spans = true;  // false for pre-tokenized input
};
Encoded encode(const Model& model, const corpora::Example& example);

// Explains one document; the record has passed check_explanation() (its "warnings" say what it
// found). Throws FormatError (a data error) when target is "true" and the document has no
// label or a label the model does not know.
ExplanationRecord explain_example(const Model& model, const corpora::Example& example,
                                  const lrp::ExplainOptions& options, const TargetSpec& target);

// One predict JSONL line {"id","label"?,"prediction","scores"} (with the trailing newline).
std::string predict_line(const Model& model, const corpora::Example& example);

// Progress on stderr: a single line rewritten with '\r' when stderr is a terminal (and not quiet),
// with done/total, percent and ETA once the total is known. With log_every(s) > 0 and stderr not a
// terminal, a log line every s seconds instead (so that nohup logs show progress too).
// finish() also prints (unless quiet) one summary warning for the documents explain_example() and
// predict_line() found to have no tokens, and one for those whose every token is out of vocabulary:
// the count and the first five ids.
class Progress {
 public:
  Progress(std::string what, bool enabled, std::size_t total = 0);
  // Log lines every `seconds` when stderr is not a terminal (0 = none, the default).
  Progress& log_every(double seconds);
  // Where the total comes from when it is not known up front (e.g. a DocumentCounter); may
  // return 0 (unknown).
  Progress& total_from(std::function<std::size_t()> total);
  void update(std::size_t done);
  // Prints the one-line summary (always, unless quiet) and returns the elapsed seconds.
  double finish(std::size_t done, bool quiet);
  double elapsed() const;

 private:
  std::size_t total() const;
  std::string what_;
  bool enabled_;
  bool tty_;
  std::size_t total_;
  std::function<std::size_t()> total_from_;
  double start_;
  double last_ = 0;
  double log_every_ = 0;
  double last_log_;
};

struct StreamOptions {
  int threads = 1;
  std::size_t batch = 256;
};
// Reads every example, maps each with `fn` on `threads` threads (one batch at a time, so memory does
// not grow with the corpus) and passes the results to `sink` in input order. An exception thrown by
// `fn` stops the stream and is rethrown here. Returns the number of examples. `on_batch` (optional)
// is called after each batch with the running count.
std::size_t run_stream(corpora::CorpusReader& reader, const StreamOptions& options,
                       const std::function<std::string(const corpora::Example&)>& fn,
                       const std::function<void(std::string_view)>& sink,
                       const std::function<void(std::size_t)>& on_batch = {});
// The same, with the document beside its result in the sink (for sinks that need its id or label).
std::size_t run_stream(corpora::CorpusReader& reader, const StreamOptions& options,
                       const std::function<std::string(const corpora::Example&)>& fn,
                       const std::function<void(const corpora::Example&, std::string_view)>& sink,
                       const std::function<void(std::size_t)>& on_batch = {});

// Logs a message on stderr (prefixed "textlrp: ") unless quiet.
void log_line(std::string_view message);
bool stderr_is_tty();
double now_seconds();

}  // namespace textlrp::app
