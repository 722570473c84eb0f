// textlrp explain — explains each document's prediction; JSONL schema 1 on stdout.
#include <fmt/format.h>

#include "apps/commands.h"
#include "apps/common/pipeline.h"
#include "core/error.h"
#include "core/file.h"

namespace textlrp::app {
namespace {

struct ExplainCmdOptions {
  std::string model;
  InputOptions input;
  std::string output = "-";
  std::string method = "lrp";
  std::string rule;
  std::string target = "predicted";
  int steps = 32;
  std::uint64_t seed = 0;
  int threads = 1;
  bool quiet = false;
  bool no_verify = false;
};

int run_explain(const ExplainCmdOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  const Model model = load_model(o.model, !o.no_verify);
  lrp::ExplainOptions eo;
  eo.method = lrp::parse_method(o.method);
  eo.ig_steps = o.steps;
  eo.seed = o.seed;
  if (o.steps < 1) throw InvalidArgument("--steps must be at least 1");
  eo.rules = model.classifier->default_rules();
  eo.rules.apply(o.rule);
  const TargetSpec target = TargetSpec::parse(o.target, model);
  auto reader = o.input.open(warn);
  Output out(o.output);
  Progress progress("explain", !o.quiet);
  const std::size_t n = run_stream(
      *reader, {o.threads, 256},
      [&](const corpora::Example& ex) {
        std::string line;
        append_jsonl(line, explain_example(model, ex, eo, target));
        return line;
      },
      [&](std::string_view line) { out.write(line); }, [&](std::size_t done) { progress.update(done); });
  out.commit();
  progress.finish(n, o.quiet);
  return 0;
}

}  // namespace

void setup_explain(CLI::App& root, Action& action) {
  auto opt = std::make_shared<ExplainCmdOptions>();
  CLI::App* cmd = root.add_subcommand(
      "explain",
      "explain each prediction down to the words: JSONL schema 1 on stdout, one object per document:\n"
      "{\"schema\":1,\"id\",\"text\",\"label\",\"prediction\",\"target\",\"method\",\"rule\",\"scores\",\"score\",\n"
      " \"tokens\":[{\"text\",\"begin\",\"end\",\"relevance\"}],\"relevance_sum\",\"bias_relevance\"}\n"
      "begin/end are byte offsets into text; relevance_sum + bias_relevance = score for the BoW/SVM.");
  cmd->add_option("--model", opt->model, "model directory")->required();
  opt->input.add_to(cmd);
  cmd->add_option("-o,--output", opt->output, "output file (- = stdout); written atomically")->capture_default_str();
  cmd->add_option("--method", opt->method,
                  "explanation method: lrp, sa (squared gradient norm), gi (gradient x input), ig (integrated "
                  "gradients), occlusion (score drop when the token is removed), random (seeded); the baselines "
                  "are implemented for the CNN, the BoW/SVM has lrp only so far")
      ->capture_default_str();
  cmd->add_option("--steps", opt->steps, "integrated gradients: steps from the all-zero embedding")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "random baseline: seed")->capture_default_str();
  cmd->add_option("--rule", opt->rule,
                  "LRP rule: RULE or ROLE=RULE,ROLE=RULE with RULE one of zero, epsilon(e), zplus, alphabeta(a,b), "
                  "gamma(g), flat, wsquare (default: the model's, epsilon(1e-06)). BoW/SVM: one role, fc; every rule "
                  "but flat and wsquare gives the exact decomposition R_i = x_i w_ci there, since a single linear "
                  "layer's output relevance is its own score");
  cmd->add_option("--target", opt->target, "class to explain: predicted, true (the document's label) or a label name")
      ->capture_default_str();
  cmd->add_option("--threads", opt->threads, "worker threads")->capture_default_str();
  cmd->add_flag("--no-verify", opt->no_verify, "skip the model's self-tests at load");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages or progress on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_explain(*opt); }; });
}

}  // namespace textlrp::app
