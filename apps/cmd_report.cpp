// textlrp report — one self-contained HTML file with highlighted explanations, from an explanations
// JSONL file or by explaining a corpus with one or more models (side by side).
#include <fmt/format.h>

#include "apps/commands.h"
#include "apps/common/cli.h"
#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"
#include "report/report.h"

namespace textlrp::app {
namespace {

struct ReportCmdOptions {
  std::string explanations;
  std::vector<std::string> models;
  InputOptions input;
  std::string out;
  std::string method = "lrp";
  std::string rule;
  std::string target = "predicted";
  std::size_t max_documents = 50;
  std::string select = "stratified";
  std::string color_scale = "view";
  std::string title = "textlrp report";
  bool quiet = false;
  bool no_verify = false;
};

std::vector<ExplanationRecord> read_explanations(const std::string& path) {
  LineReader reader(path);
  std::vector<ExplanationRecord> out;
  std::string line;
  while (reader.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out.push_back(parse_explanation_line(line, fmt::format("{}:{}", reader.name(), reader.line_number())));
  }
  return out;
}

std::string_view select_name(SelectMode m) {
  switch (m) {
    case SelectMode::kFirst: return "the first";
    case SelectMode::kStratified: return "spread over the classes (--select stratified)";
    case SelectMode::kMisclassified: return "misclassified, spread over the classes (--select misclassified)";
  }
  return "";
}

int run_report(const ReportCmdOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  if (o.explanations.empty() == o.models.empty()) {
    throw InvalidArgument("give either --explanations FILE or --model DIR (with --corpus or --input)");
  }
  const SelectMode select = parse_select_mode(o.select);
  ReportOptions ro;
  ro.title = o.title;
  ro.color_scale = parse_color_scale(o.color_scale);
  std::vector<ReportDocument> docs;
  std::string source;
  if (!o.explanations.empty()) {
    source = o.explanations;
    std::vector<std::string> warnings;
    docs = group_by_id(read_explanations(o.explanations), &warnings);
    for (const auto& w : warnings) warn(w);
  } else {
    source = o.input.corpus.empty() ? o.input.input : o.input.corpus;
    std::vector<Model> models;
    for (const auto& m : o.models) models.push_back(load_model(m, !o.no_verify));
    auto reader = input_for_models(o.input, models, warn).open(warn);
    // Every document is read (cheap); only the selected ones are explained. For the selection each
    // document stands as a view without tokens: its label and the first model's prediction.
    std::vector<corpora::Example> examples;
    std::vector<ReportDocument> stubs;
    corpora::Example ex;
    while (reader->next(ex)) {
      ExplanationRecord stub;
      stub.id = ex.id;
      stub.label = ex.label;
      if (select == SelectMode::kMisclassified) {
        const Encoded enc = encode(models.front(), ex);
        const Vec s = models.front().classifier->scores(enc.ids);
        stub.prediction = models.front().labels()[static_cast<std::size_t>(lrp::argmax(s))];
      }
      stubs.push_back(ReportDocument{{std::move(stub)}});
      examples.push_back(std::move(ex));
      ex = corpora::Example();
    }
    const std::vector<std::size_t> picked = select_documents(stubs, o.max_documents, select);
    ro.total_documents = examples.size();
    std::vector<ExplanationRecord> records;
    for (const std::size_t i : picked) {
      for (const auto& model : models) {
        lrp::ExplainOptions eo;
        eo.method = lrp::parse_method(o.method);
        model.classifier->set_rule(eo, o.rule);
        records.push_back(explain_example(model, examples[i], eo, TargetSpec::parse(o.target, model)));
      }
    }
    std::vector<std::string> warnings;
    docs = group_by_id(std::move(records), &warnings);
    for (const auto& w : warnings) warn(w);
    if (examples.empty()) throw FormatError(fmt::format("report: {}: no documents to report", source));
    if (picked.size() < examples.size()) {
      ro.selection_note =
          fmt::format("Shown: {} of {} documents, {}.", picked.size(), examples.size(), select_name(select));
    }
  }
  if (!o.explanations.empty()) {
    if (docs.empty()) {
      throw FormatError(
          fmt::format("report: {}: no explanations (empty file); expected JSONL written by "
                      "textlrp explain",
                      source));
    }
    const std::vector<std::size_t> picked = select_documents(docs, o.max_documents, select);
    ro.total_documents = docs.size();
    if (picked.size() < docs.size()) {
      ro.selection_note =
          fmt::format("Shown: {} of {} documents, {}.", picked.size(), docs.size(), select_name(select));
      std::vector<ReportDocument> kept;
      kept.reserve(picked.size());
      for (const std::size_t i : picked) kept.push_back(std::move(docs[i]));
      docs = std::move(kept);
    }
  }
  if (docs.empty()) {
    warn(fmt::format("report: no document matches --select {} (of {})", o.select, ro.total_documents));
  }
  write_file_atomic(o.out, render_report(docs, ro));
  warn(fmt::format("wrote {} documents to {}", docs.size(), o.out));
  return 0;
}

}  // namespace

void setup_report(CLI::App& root, Action& action) {
  auto opt = std::make_shared<ReportCmdOptions>();
  CLI::App* cmd = root.add_subcommand(
      "report",
      "write one self-contained HTML report (no external requests; a small inline script adds filters): a "
      "summary (accuracy, confusion matrix), an index of the documents and each document's words highlighted "
      "by relevance (red = evidence for the target class, blue = against), with prediction, label and "
      "scores. "
      "Several --model options (or several models' explanations in one file) show the models side by side.");
  cmd->add_option("--explanations", opt->explanations, "explanations JSONL written by textlrp explain");
  cmd->add_option("--model", opt->models, "model directory (repeat to compare models side by side)");
  add_input_options(cmd, opt->input);
  cmd->add_option("-o,--output,--out", opt->out, "HTML file to write (atomically); --out is an alias")
      ->required();
  cmd->add_option("--method", opt->method, "explanation method when explaining with --model")
      ->capture_default_str();
  cmd->add_option("--rule", opt->rule,
                  "LRP rule when explaining with --model (default: each model's own; see explain --help)");
  cmd->add_option("--target", opt->target, "predicted, true or a label name")->capture_default_str();
  cmd->add_option("--max-docs,--max-documents", opt->max_documents,
                  "documents in the report (0 = all); which ones: --select (--max-documents is an alias)")
      ->capture_default_str();
  cmd->add_option("--select", opt->select,
                  "which documents --max-documents keeps: first (the first N), stratified (N spread over the "
                  "true classes, in input order) or misclassified (only those the first model got wrong, "
                  "spread over the classes)")
      ->capture_default_str();
  cmd->add_option("--color-scale", opt->color_scale,
                  "token colour scale: view (each explanation by its own largest |relevance|) or shared (one "
                  "scale for all views of a document, to compare models side by side)")
      ->capture_default_str();
  cmd->add_option("--title", opt->title, "report title")->capture_default_str();
  cmd->add_flag("--no-verify", opt->no_verify, "skip the models' self-tests at load");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_report(*opt); }; });
}

}  // namespace textlrp::app
