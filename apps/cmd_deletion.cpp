// textlrp deletion — word-deletion curves and AOPC per explanation method (how faithful is each
// explanation to the model?), as JSON on stdout. See apps/common/analysis.h and
// analysis/deletion.h for the experiment.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "apps/commands.h"
#include "apps/common/analysis.h"
#include "core/error.h"
#include "core/file.h"

namespace textlrp::app {
namespace {

struct DeletionCmdOptions {
  std::string model;
  InputOptions input;
  std::vector<std::string> methods = {"lrp", "sa", "gi", "ig", "occlusion", "random"};
  int max_delete = 20;
  int random_seeds = 5;
  std::uint64_t seed = 0;
  std::string rule;
  int steps = 32;
  std::size_t max_docs = 0;
  std::string output = "-";
  int threads = 0;
  bool quiet = false;
  bool no_verify = false;
};

int run_deletion(const DeletionCmdOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  if (o.steps < 1) throw InvalidArgument("--steps must be at least 1");
  const Model model = load_model(o.model, !o.no_verify);
  lrp::ExplainOptions explain;
  model.classifier->set_rule(explain, o.rule);
  explain.ig_steps = o.steps;
  const InputOptions input = input_for_model(o.input, model, warn);
  const DeletionSetup setup =
      make_deletion_setup(model, o.methods, o.max_delete, o.random_seeds, o.seed, explain, warn);
  // Streamed in bounded memory unless --max-docs samples the corpus. A document without a known label
  // stops the run: checked up front when in memory, when it is reached when streamed.
  const Documents docs = o.max_docs == 0 ? Documents::streamed(input, warn)
                                         : Documents::in_memory(read_documents(input, o.max_docs, warn));
  for (const auto& d : docs.vector()) (void)label_of(model, d, true);  // fail early, before hours of work
  warn(fmt::format("deletion: {} documents, methods {}, up to {} deletions ({})",
                   docs.is_streamed() ? std::string("streaming the") : std::to_string(docs.known_size()),
                   fmt::join(setup.names(), ","), o.max_delete, deletion_meaning(model)));
  DeletionResult result = make_deletion_result(model, setup);
  const double start = now_seconds();
  for_each_document(
      docs, o.threads, 4, "deletion", o.quiet,
      [&](const corpora::Example& ex) { return delete_document(model, setup, ex); },
      [&](const corpora::Example&, const DocDeletion& d) { result.add(d); });
  result.seconds = now_seconds() - start;
  Output out(o.output);
  out.write(deletion_json(result).dump(1));
  out.write("\n");
  out.commit();
  if (!o.quiet) {
    for (const auto& c : result.curves) {
      log_line(fmt::format("deletion: {:<10} AOPC {:.4f} (correct, falling)  {:.4f} (misclassified, rising)",
                           c.name, c.correct.aopc(), c.misclassified.aopc(true)));
    }
  }
  return 0;
}

}  // namespace

void setup_deletion(CLI::App& root, Action& action) {
  auto opt = std::make_shared<DeletionCmdOptions>();
  CLI::App* cmd = root.add_subcommand(
      "deletion",
      "word-deletion curves (Arras et al. 2016/2017): for each correctly classified document, delete its "
      "tokens\n"
      "one by one in DEcreasing order of relevance for the true class and record the accuracy after 0..K\n"
      "deletions (a faithful explanation makes it fall fast); for misclassified documents delete in "
      "INcreasing\n"
      "order (it should rise). Deleting = the BoW/SVM drops the token, the CNN and the BiLSTM set its "
      "embedding to\n"
      "zero, a transformer deletes words (a piece and its ## pieces leave the sequence).\n"
      "random = seeded random orders, averaged over --random-seeds. AOPC = mean over k = 0..K of\n"
      "acc[0] - acc[k] (misclassified: acc[k] - acc[0]); larger is better. JSON on stdout:\n"
      "{\"methods\":{\"lrp\":{\"accuracy\":[...],\"aopc\":x,\"score\":[...],\"aopc_score\":y,\n"
      "  \"misclassified\":{\"accuracy\":[...],\"aopc\":x,...}},...},\"documents\":n,\"correct\":c,...}\n"
      "Every model (BoW/SVM, CNN, BiLSTM) computes all six methods; a method that fails with the given "
      "options\n"
      "(e.g. a --rule the BiLSTM does not support, for lrp) is skipped, with the reason under \"skipped\".");
  cmd->add_option("--model", opt->model, "model directory")->required();
  add_input_options(cmd, opt->input);
  cmd->add_option("--methods", opt->methods, "comma-separated: lrp, sa, gi, ig, occlusion, random")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--max-delete,-K", opt->max_delete, "largest number of deleted tokens")
      ->capture_default_str();
  cmd->add_option("--random-seeds", opt->random_seeds, "random orders averaged per document")
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "base seed of the random orders")->capture_default_str();
  cmd->add_option("--rule", opt->rule, "LRP rule (see explain --help; default: the model's)");
  cmd->add_option("--steps", opt->steps, "integrated gradients: steps")->capture_default_str();
  cmd->add_option("--max-docs", opt->max_docs,
                  "use at most this many documents, spread evenly over the corpus (0 = all)")
      ->capture_default_str();
  cmd->add_option("-o,--output,--out", opt->output, "JSON file (- = stdout); written atomically")
      ->capture_default_str();
  cmd->add_option("--threads", opt->threads, "worker threads (default: all cores)");
  cmd->add_flag("--no-verify", opt->no_verify, "skip the model's self-tests at load");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages or progress on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_deletion(*opt); }; });
}

}  // namespace textlrp::app
