// apps/no_training/cmd_train.cpp — `textlrp train` in an explain-only build
// (-DTEXTLRP_WITH_TRAINING=OFF; apps/CMakeLists.txt compiles this file instead of apps/cmd_train.cpp).
#include "apps/commands.h"
#include "apps/training.h"

namespace textlrp::app {

void setup_train(CLI::App& root, Action& action) { add_training_unavailable(root, "train", "train", action); }

}  // namespace textlrp::app
