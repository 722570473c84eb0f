// textlrp report — one self-contained HTML file with highlighted explanations, from an explanations
// JSONL file or by explaining a corpus with one or more models (side by side).
#include <fmt/format.h>

#include "apps/commands.h"
#include "apps/common/pipeline.h"
#include "apps/common/report.h"
#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"

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
  std::string title = "textlrp report";
  int threads = 1;
  bool quiet = false;
  bool no_verify = false;
};

std::vector<ExplanationRecord> read_explanations(const std::string& path, std::size_t max_docs) {
  LineReader reader(path);
  std::vector<ExplanationRecord> out;
  std::string line;
  while (reader.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out.push_back(parse_explanation_line(line, fmt::format("{}:{}", reader.name(), reader.line_number())));
    if (max_docs > 0 && out.size() >= max_docs * 16) break;  // generous: several views per document
  }
  return out;
}

int run_report(const ReportCmdOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  if (o.explanations.empty() == o.models.empty()) {
    throw InvalidArgument("give either --explanations FILE or --model DIR (with --corpus or --input)");
  }
  std::vector<ExplanationRecord> records;
  if (!o.explanations.empty()) {
    records = read_explanations(o.explanations, o.max_documents);
  } else {
    std::vector<Model> models;
    for (const auto& m : o.models) models.push_back(load_model(m, !o.no_verify));
    auto reader = input_for_models(o.input, models, warn).open(warn);
    std::vector<corpora::Example> docs;
    corpora::Example ex;
    while ((o.max_documents == 0 || docs.size() < o.max_documents) && reader->next(ex)) {
      docs.push_back(std::move(ex));
      ex = corpora::Example();
    }
    for (const auto& doc : docs) {
      for (const auto& model : models) {
        lrp::ExplainOptions eo;
        eo.method = lrp::parse_method(o.method);
        eo.rules = model.classifier->default_rules();
        eo.rules.apply(o.rule);
        records.push_back(explain_example(model, doc, eo, TargetSpec::parse(o.target, model)));
      }
    }
  }
  std::vector<ReportDocument> docs = group_by_id(std::move(records));
  if (o.max_documents > 0 && docs.size() > o.max_documents) docs.resize(o.max_documents);
  ReportOptions ro;
  ro.title = o.title;
  write_file_atomic(o.out, render_report(docs, ro));
  warn(fmt::format("wrote {} documents to {}", docs.size(), o.out));
  return 0;
}

}  // namespace

void setup_report(CLI::App& root, Action& action) {
  auto opt = std::make_shared<ReportCmdOptions>();
  CLI::App* cmd = root.add_subcommand(
      "report",
      "write one self-contained HTML report (no scripts, no external requests): each document's words "
      "highlighted by relevance (red = evidence for the target class, blue = against), with prediction, "
      "label and scores. Several --model options show the models side by side.");
  cmd->add_option("--explanations", opt->explanations, "explanations JSONL written by textlrp explain");
  cmd->add_option("--model", opt->models, "model directory (repeat to compare models side by side)");
  opt->input.add_to(cmd);
  cmd->add_option("--out", opt->out, "HTML file to write (atomically)")->required();
  cmd->add_option("--method", opt->method, "explanation method when explaining with --model")->capture_default_str();
  cmd->add_option("--rule", opt->rule, "LRP rule when explaining with --model (see explain --help)");
  cmd->add_option("--target", opt->target, "predicted, true or a label name")->capture_default_str();
  cmd->add_option("--max-documents", opt->max_documents, "documents in the report (0 = all)")->capture_default_str();
  cmd->add_option("--title", opt->title, "report title")->capture_default_str();
  cmd->add_flag("--no-verify", opt->no_verify, "skip the models' self-tests at load");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_report(*opt); }; });
}

}  // namespace textlrp::app
