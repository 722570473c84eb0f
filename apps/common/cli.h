// apps/common/cli.h — what only the command-line tool needs around the library: the input flags
// (--corpus, --input, --strip, --encoding, --csv-*, --shard), progress on stderr and log lines.
// The library parts the commands call live in their modules: corpora/input.h (InputOptions),
// explain/ (models, the explain pipeline, schema-1 records, import, explain settings), report/ (the
// HTML page) and train/training_input.h; the using-declarations at the end give the commands (which
// are in namespace textlrp::app) their names unqualified.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "corpora/input.h"
#include "explain/explain_request.h"
#include "explain/explanation.h"
#include "explain/import.h"
#include "explain/json_count.h"
#include "explain/model.h"
#include "explain/pipeline.h"
#include "report/report.h"

namespace CLI {
class App;
}

namespace textlrp::app {

// Adds --corpus/--input/--input-format/--strip/--encoding/--csv-* to a subcommand, bound to `in`.
// `input_allowed` = false for commands that need labelled corpora only (no --input/--input-format).
void add_input_options(CLI::App* cmd, corpora::InputOptions& in, bool input_allowed = true);
// Adds --shard I/N (for commands whose output is one record per document).
void add_shard_option(CLI::App* cmd, corpora::InputOptions& in);

// Progress on stderr: a single line rewritten with '\r' when stderr is a terminal (and not quiet),
// with done/total, percent and ETA once the total is known. With log_every(s) > 0 and stderr not a
// terminal, a log line every s seconds instead (so that nohup logs show progress too).
// finish() also prints (unless quiet) the summary warnings of explain::take_input_warnings(): one
// for the documents explain_example() and predict_line() found to have no tokens, and one for those
// whose every token is out of vocabulary (the count and the first five ids).
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

// Logs a message on stderr (prefixed "textlrp: ") unless quiet.
void log_line(std::string_view message);
bool stderr_is_tty();
double now_seconds();

// The library's names as the commands use them (aliases that keep the commands' diff small).
using corpora::DocumentCounter;
using corpora::InputOptions;
using explain::append_explanation;
using explain::append_jsonl;
using explain::check_explanation;
using explain::encode;
using explain::Encoded;
using explain::explain_example;
using explain::explain_options;
using explain::ExplainSettings;
using explain::ExplanationRecord;
using explain::huggingface_tokenizer_options;
using explain::import_huggingface;
using explain::import_pytorch;
using explain::ImportedModel;
using explain::in_memory_model;
using explain::input_for_model;
using explain::input_for_models;
using explain::json_count;
using explain::kConservationTolerance;
using explain::kFormatVersion;
using explain::load_model;
using explain::Model;
using explain::parse_explanation;
using explain::parse_explanation_line;
using explain::predict_line;
using explain::PytorchImport;
using explain::run_stream;
using explain::save_model;
using explain::self_test_texts;
using explain::StreamOptions;
using explain::TargetKind;
using explain::TargetSpec;
using explain::TokenRelevance;
using explain::WordRelevance;
using report::append_report_document;
using report::ColorScale;
using report::group_by_id;
using report::parse_color_scale;
using report::parse_select_mode;
using report::render_report;
using report::report_css;
using report::ReportDocument;
using report::ReportOptions;
using report::select_documents;
using report::SelectMode;

}  // namespace textlrp::app
