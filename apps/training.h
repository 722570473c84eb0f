// apps/training.h — the training commands in an explain-only build (-DTEXTLRP_WITH_TRAINING=OFF).
//
// There the training module (train/: liblinear, libfasttext, SentencePiece's trainer) is not built,
// and `textlrp train`, `textlrp embeddings train` and `textlrp tokenizer train` are replaced by
// subcommands of the same name that take any arguments and exit 2 with
//   textlrp: usage error: textlrp train: this textlrp was built without training (TEXTLRP_WITH_TRAINING=OFF)
// so a script calling them learns why at once instead of from an "unknown command".
#pragma once

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <string>

#include "apps/commands.h"
#include "core/error.h"
#include "textlrp/config.h"

namespace textlrp::app {

inline constexpr bool kWithTraining = TEXTLRP_WITH_TRAINING != 0;

// The error a training command raises in an explain-only build; `command` is e.g. "embeddings train".
[[noreturn]] inline void throw_training_unavailable(const std::string& command) {
  throw InvalidArgument(fmt::format(
      "textlrp {}: this textlrp was built without training (TEXTLRP_WITH_TRAINING=OFF)", command));
}

// Adds to `parent` a subcommand `name` that accepts any arguments and, when run, raises
// throw_training_unavailable(command); replaces `existing` (a subcommand of `parent` already set
// up with its options) when given. Returns the new subcommand.
inline CLI::App* add_training_unavailable(CLI::App& parent, const std::string& name,
                                          const std::string& command, Action& action,
                                          CLI::App* existing = nullptr) {
  if (existing != nullptr) parent.remove_subcommand(existing);
  CLI::App* cmd = parent.add_subcommand(
      name, "(not available: this textlrp was built without training, TEXTLRP_WITH_TRAINING=OFF)");
  cmd->allow_extras();
  cmd->callback([command, &action] { action = [command]() -> int { throw_training_unavailable(command); }; });
  return cmd;
}

}  // namespace textlrp::app
