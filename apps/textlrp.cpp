// textlrp — explain text classifiers with Layer-wise Relevance Propagation.
//
// main() is the only place that catches: InvalidArgument and CLI11 parse errors exit 2, every
// other error exits 1, with "textlrp: error: <what>" on stderr.
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "apps/commands.h"
#include "core/cpu_isa.h"
#include "core/error.h"
#include "core/file.h"
#include "textlrp/version.h"

int main(int argc, char** argv) {
  textlrp::install_interrupt_cleanup();
  CLI::App app{
      "textlrp: train and load text classifiers (BoW/linear SVM, CNN, BiLSTM) and explain their\n"
      "predictions with Layer-wise Relevance Propagation down to the words of the input.\n"
      "Data goes to stdout (JSONL), logs and progress to stderr.",
      "textlrp"};
  app.require_subcommand(1);
  // The kernel level is decided here, once: a bad TEXTLRP_ISA is a usage error of every command.
  try {
    textlrp::cpu_isa();
  } catch (const textlrp::InvalidArgument& e) {
    std::fprintf(stderr, "textlrp: usage error: %s\n", e.what());
    return 2;
  }
  app.set_version_flag("--version",
                       fmt::format("textlrp {} (kernels: {})", TEXTLRP_VERSION, textlrp::isa_description()));
  textlrp::app::Action action;
  textlrp::app::setup_train(app, action);
  textlrp::app::setup_predict(app, action);
  textlrp::app::setup_evaluate(app, action);
  textlrp::app::setup_explain(app, action);
  textlrp::app::setup_report(app, action);
  textlrp::app::setup_bench(app, action);
  textlrp::app::setup_validate(app, action);
  textlrp::app::setup_tokenizer(app, action);
  textlrp::app::setup_embeddings(app, action);
  textlrp::app::setup_import(app, action);
  for (auto* setup :
       {textlrp::app::setup_docvec, textlrp::app::setup_pca, textlrp::app::setup_epi,
        textlrp::app::setup_deletion, textlrp::app::setup_topwords, textlrp::app::setup_analyze})
    setup(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    return action ? action() : 0;
  } catch (const textlrp::InvalidArgument& e) {
    std::fprintf(stderr, "textlrp: usage error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "textlrp: error: %s\n", e.what());
    return 1;
  }
}
