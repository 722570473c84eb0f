// textlrp explain — explains each document's prediction; JSONL schema 1 on stdout.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <optional>

#include "apps/commands.h"
#include "apps/common/analysis.h"
#include "apps/common/cli.h"
#include "core/error.h"
#include "core/file.h"
#include "explain/explain_request.h"

namespace textlrp::app {
namespace {

struct ExplainCmdOptions {
  std::string model;
  InputOptions input;
  std::string output = "-";
  ExplainSettings explain;  // --method, --rule, --lstm-rule, --bias-factor, --precision, --steps, --seed
  std::string target = "predicted";
  std::size_t max_docs = 0;
  int threads = 0;
  bool quiet = false;
  bool no_verify = false;
};

int run_explain(const ExplainCmdOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  const Model model = load_model(o.model, !o.no_verify);
  const lrp::ExplainOptions eo = explain_options(model, o.explain);
  const TargetSpec target = TargetSpec::parse(o.target, model);
  const InputOptions input = input_for_model(o.input, model, warn);
  const Documents docs = o.max_docs == 0 ? Documents::streamed(input, warn)
                                         : Documents::in_memory(read_documents(input, o.max_docs, warn));
  auto reader = docs.open();
  Output out(o.output);
  Progress progress("explain", !o.quiet, docs.known_size());
  progress.log_every(30);
  // The total for the progress line and its ETA: counted beside the explaining (a file or a corpus).
  std::unique_ptr<DocumentCounter> counter;
  if (!o.quiet && docs.is_streamed()) {
    counter = std::make_unique<DocumentCounter>(input);
    progress.total_from([c = counter.get()] { return c->total(); });
  }
  // Records with warnings (non-finite values, relevance not conserved): the first few on stderr as
  // they come, then one count at the end, even with --quiet.
  constexpr std::size_t kShown = 5;
  std::atomic<std::size_t> n_warned{0};
  const std::size_t n = run_stream(
      *reader, {resolve_threads(o.threads), 256},
      [&](const corpora::Example& ex) {
        std::string line;
        const std::vector<std::string> warnings = append_explanation(line, model, ex, eo, target);
        if (!warnings.empty() && n_warned.fetch_add(1) < kShown && !o.quiet) {
          log_line(fmt::format("warning: document '{}': {}", ex.id, fmt::join(warnings, "; ")));
        }
        return line;
      },
      [&](std::string_view line) { out.write(line); }, [&](std::size_t done) { progress.update(done); });
  out.commit();
  progress.finish(n, o.quiet);
  if (const std::size_t w = n_warned.load(); w > 0) {
    log_line(fmt::format(
        "warning: {} of {} explanations carry warnings (their \"warnings\" field; "
        "`textlrp validate` lists them){}",
        w, n, w > kShown && !o.quiet ? fmt::format("; the first {} are shown above", kShown) : ""));
  }
  return 0;
}

}  // namespace

void setup_explain(CLI::App& root, Action& action) {
  auto opt = std::make_shared<ExplainCmdOptions>();
  CLI::App* cmd = root.add_subcommand(
      "explain",
      "explain each prediction down to the words: JSONL schema 1 on stdout, one object per document:\n"
      "{\"schema\":1,\"id\",\"text\",\"label\",\"prediction\",\"target\",\"method\",\"rule\",\"scores\","
      "\"score\",\n"
      " \"tokens\":[{\"text\",\"begin\",\"end\",\"relevance\"}],\"relevance_sum\",\"bias_relevance\"}\n"
      "begin/end are byte offsets into text; relevance_sum + bias_relevance = score for the BoW/SVM.\n"
      "Subword (SentencePiece) models add \"words\":[{\"text\",\"begin\",\"end\",\"relevance\"}], the pieces "
      "of "
      "each word summed.");
  cmd->add_option("--model", opt->model, "model directory")->required();
  add_input_options(cmd, opt->input);
  add_shard_option(cmd, opt->input);
  cmd->add_option("-o,--output,--out", opt->output, "output file (- = stdout); written atomically")
      ->capture_default_str();
  cmd->add_option("--max-docs", opt->max_docs,
                  "explain at most this many documents, spread evenly over the corpus (0 = all)")
      ->capture_default_str();
  cmd->add_option(
         "--method", opt->explain.method,
         "explanation method: lrp, sa (squared gradient norm), gi (gradient x input), ig (integrated "
         "gradients), occlusion (score drop when the token is removed; for a transformer the piece is "
         "dropped, "
         "not replaced by [MASK]), random (seeded); the baselines apply to every model (definitions in "
         "lrp/models/baselines.h and lrp/models/bow_classifier.h)")
      ->capture_default_str();
  cmd->add_option(
         "--steps", opt->explain.steps,
         "integrated gradients: steps from the all-zero embedding (CNN, BiLSTM; a transformer's word "
         "embeddings) or the empty document (BoW/SVM)")
      ->capture_default_str();
  cmd->add_option("--seed", opt->explain.seed, "random baseline: seed")->capture_default_str();
  cmd->add_option(
      "--rule", opt->explain.rule,
      "LRP rule: RULE or ROLE=RULE,ROLE=RULE with RULE one of zero, epsilon(e), zplus, alphabeta(a,b), "
      "gamma(g), flat, wsquare; a bare RULE applies to every role (default: the model's own: BoW/SVM "
      "fc=epsilon(1e-06), CNN conv and fc=epsilon(0.01), BiLSTM lstm and fc=epsilon(0.001); transformers: "
      "attnlrp (default) or cp-lrp). BoW/SVM: "
      "one role, fc; every rule but flat and wsquare gives the exact decomposition R_i = x_i w_ci there, "
      "since a single linear layer's output relevance is its own score. CNN: roles conv and fc. BiLSTM: "
      "roles lstm and fc, zero or epsilon(e) only");
  cmd->add_option(
         "--lstm-rule", opt->explain.lstm_rule,
         "BiLSTM, method lrp: how a gate product z = gate * signal passes relevance: signal-take-all (the "
         "signal gets all, as Arras et al. 2017), half, or proportional (to the magnitudes of the two "
         "factors); "
         "gate relevance then flows on through the gate's weights, the gate's constant sigmoid(0) = 1/2 "
         "keeping a share like a bias (lrp/models/bilstm_classifier.h) (default: signal-take-all)")
      ->check(CLI::IsMember({"signal-take-all", "half", "proportional"}));
  cmd->add_option_function<double>(
      "--bias-factor", [opt](const double& b) { opt->explain.bias_factor = b; },
      "BiLSTM, method lrp: share of the biases and the stabiliser given back to the inputs of every linear "
      "map: "
      "0 = they keep it (the reference's recommended setting), 1 = relevance is conserved exactly, "
      "sum of words + initial states = score (default: 0)");
  cmd->add_option(
         "--precision", opt->explain.precision,
         "BiLSTM, method lrp: arithmetic of the forward pass and LRP: float64 (within 1e-13 of the reference "
         "NumPy code) or float32 (about 1.8x faster; word relevances within about 3e-4 of the largest "
         "|relevance|, since rounding is divided by denominators as small as epsilon) (default: float64)")
      ->check(CLI::IsMember({"float64", "float32"}));
  cmd->add_option("--target", opt->target,
                  "class to explain: predicted, true (the document's label) or a label name")
      ->capture_default_str();
  cmd->add_option("--threads", opt->threads,
                  "worker threads (default: all cores; the output is the same for any number)");
  cmd->add_flag("--no-verify", opt->no_verify, "skip the model's self-tests at load");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages or progress on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_explain(*opt); }; });
}

}  // namespace textlrp::app
