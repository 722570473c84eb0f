// apps/commands.h — how subcommands plug into the textlrp binary.
//
// Each apps/cmd_<name>.cpp defines one `void setup_<name>(CLI::App& root, Action& action)` that adds
// its subcommand with CLI11, binds the options to a struct and, in the subcommand's callback,
// stores the function to run in `action`. main() parses, then runs the stored action; only main()
// catches exceptions and maps them to exit codes (0 ok, 1 data/runtime error, 2 usage error).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace textlrp::app {

using Action = std::function<int()>;

void setup_train(CLI::App& root, Action& action);
void setup_predict(CLI::App& root, Action& action);
void setup_evaluate(CLI::App& root, Action& action);
void setup_explain(CLI::App& root, Action& action);
void setup_report(CLI::App& root, Action& action);
void setup_bench(CLI::App& root, Action& action);
void setup_validate(CLI::App& root, Action& action);
void setup_tokenizer(CLI::App& root, Action& action);
void setup_embeddings(CLI::App& root, Action& action);
void setup_import(CLI::App& root, Action& action);
void setup_docvec(CLI::App& root, Action& action);
void setup_pca(CLI::App& root, Action& action);
void setup_epi(CLI::App& root, Action& action);
void setup_deletion(CLI::App& root, Action& action);
void setup_topwords(CLI::App& root, Action& action);
void setup_analyze(CLI::App& root, Action& action);

}  // namespace textlrp::app
