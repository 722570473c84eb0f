// textlrp predict / evaluate — scores documents; evaluate reports accuracy, per-class
// precision/recall/F1 and the confusion matrix of a labelled corpus as JSON.
#include <fmt/format.h>

#include "apps/commands.h"
#include "apps/common/analysis.h"
#include "apps/common/cli.h"
#include "core/error.h"
#include "core/file.h"

namespace textlrp::app {
namespace {

struct PredictOptions {
  std::string model;
  InputOptions input;
  std::string output = "-";
  std::size_t max_docs = 0;
  int threads = 0;
  bool quiet = false;
  bool no_verify = false;
};

int run_predict(const PredictOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  const Model model = load_model(o.model, !o.no_verify);
  const InputOptions input = input_for_model(o.input, model, warn);
  const Documents docs = o.max_docs == 0 ? Documents::streamed(input, warn)
                                         : Documents::in_memory(read_documents(input, o.max_docs, warn));
  auto reader = docs.open();
  Output out(o.output);
  Progress progress("predict", !o.quiet, docs.known_size());
  progress.log_every(30);
  const std::size_t n = run_stream(
      *reader, {resolve_threads(o.threads), 256},
      [&](const corpora::Example& ex) { return predict_line(model, ex); },
      [&](std::string_view line) { out.write(line); }, [&](std::size_t done) { progress.update(done); });
  out.commit();
  progress.finish(n, o.quiet);
  return 0;
}

struct EvaluateOptions {
  std::string model;
  InputOptions input;
  std::string output = "-";
  std::size_t max_docs = 0;
  int threads = 0;
  bool quiet = false;
  bool no_verify = false;
};

int run_evaluate(const EvaluateOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  const Model model = load_model(o.model, !o.no_verify);
  const InputOptions input = input_for_model(o.input, model, warn);
  const Documents docs = o.max_docs == 0 ? Documents::streamed(input, warn)
                                         : Documents::in_memory(read_documents(input, o.max_docs, warn));
  auto reader = docs.open();
  const auto& labels = model.labels();
  const std::size_t C = labels.size();
  std::vector<std::vector<std::size_t>> confusion(C, std::vector<std::size_t>(C, 0));
  Progress progress("evaluate", !o.quiet, docs.known_size());
  progress.log_every(30);
  // The mapped string is "true_index predicted_index".
  const std::size_t n = run_stream(
      *reader, {resolve_threads(o.threads), 256},
      [&](const corpora::Example& ex) {
        if (!ex.label)
          throw FormatError(fmt::format("document '{}' has no label; evaluate needs labels", ex.id));
        const int y = model.label_index(*ex.label);
        if (y < 0) {
          throw FormatError(
              fmt::format("document '{}': label '{}' is not one of the model's labels", ex.id, *ex.label));
        }
        const Encoded enc = encode(model, ex);
        return fmt::format("{} {}", y, lrp::argmax(model.classifier->scores(enc.ids)));
      },
      [&](std::string_view r) {
        const auto sp = r.find(' ');
        const auto y = std::stoul(std::string(r.substr(0, sp)));
        const auto p = std::stoul(std::string(r.substr(sp + 1)));
        ++confusion[y][p];
      },
      [&](std::size_t done) { progress.update(done); });
  progress.finish(n, o.quiet);
  if (n == 0) throw FormatError("the corpus holds no documents");
  std::size_t correct = 0;
  nlohmann::ordered_json per_class = nlohmann::ordered_json::object();
  double macro_f1 = 0;
  for (std::size_t c = 0; c < C; ++c) {
    correct += confusion[c][c];
    std::size_t support = 0, predicted = 0;
    for (std::size_t k = 0; k < C; ++k) {
      support += confusion[c][k];
      predicted += confusion[k][c];
    }
    const double p = predicted ? static_cast<double>(confusion[c][c]) / static_cast<double>(predicted) : 0.0;
    const double r = support ? static_cast<double>(confusion[c][c]) / static_cast<double>(support) : 0.0;
    const double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    macro_f1 += f1;
    per_class[labels[c]] = {{"precision", p}, {"recall", r}, {"f1", f1}, {"support", support}};
  }
  nlohmann::ordered_json result;
  result["model"] = model.name;
  result["corpus"] = o.input.corpus.empty() ? o.input.input : o.input.corpus;
  if (!input.strip.empty()) result["strip"] = input.strip;
  result["documents"] = n;
  result["accuracy"] = static_cast<double>(correct) / static_cast<double>(n);
  result["macro_f1"] = macro_f1 / static_cast<double>(C);
  result["per_class"] = per_class;
  result["confusion"] = {
      {"labels", labels}, {"rows", "true"}, {"columns", "predicted"}, {"matrix", confusion}};
  Output out(o.output);
  out.write(result.dump(2) + "\n");
  out.commit();
  if (!o.quiet)
    log_line(fmt::format("accuracy {:.2f} % on {} documents", 100.0 * correct / static_cast<double>(n), n));
  return 0;
}

}  // namespace

void setup_predict(CLI::App& root, Action& action) {
  auto opt = std::make_shared<PredictOptions>();
  CLI::App* cmd =
      root.add_subcommand("predict", "predict labels; JSONL {\"id\",\"prediction\",\"scores\"} on stdout");
  cmd->add_option("--model", opt->model, "model directory")->required();
  add_input_options(cmd, opt->input);
  add_shard_option(cmd, opt->input);
  cmd->add_option("-o,--output,--out", opt->output, "output file (- = stdout); written atomically")
      ->capture_default_str();
  cmd->add_option("--max-docs", opt->max_docs,
                  "use at most this many documents, spread evenly over the corpus (0 = all)")
      ->capture_default_str();
  cmd->add_option("--threads", opt->threads, "worker threads (default: all cores)");
  cmd->add_flag("--no-verify", opt->no_verify, "skip the model's self-tests at load");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages or progress on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_predict(*opt); }; });
}

void setup_evaluate(CLI::App& root, Action& action) {
  auto opt = std::make_shared<EvaluateOptions>();
  CLI::App* cmd = root.add_subcommand(
      "evaluate",
      "accuracy, per-class precision/recall/F1 and the confusion matrix on a labelled corpus (JSON)");
  cmd->add_option("--model", opt->model, "model directory")->required();
  add_input_options(cmd, opt->input);
  cmd->add_option("-o,--output,--out", opt->output, "output file (- = stdout); written atomically")
      ->capture_default_str();
  cmd->add_option("--max-docs", opt->max_docs,
                  "use at most this many documents, spread evenly over the corpus (0 = all)")
      ->capture_default_str();
  cmd->add_option("--threads", opt->threads, "worker threads (default: all cores)");
  cmd->add_flag("--no-verify", opt->no_verify, "skip the model's self-tests at load");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages or progress on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_evaluate(*opt); }; });
}

}  // namespace textlrp::app
