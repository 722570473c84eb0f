// explain/explain_request.h — the one place where explain settings become lrp::ExplainOptions
// for a model: `textlrp explain` (its flags) and the public API (textlrp::ExplainRequest, whose
// string options api/src/api.cpp parses into these settings) both call explain_options().
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "explain/model.h"
#include "lrp/models/classifier.h"

namespace textlrp::explain {

struct ExplainSettings {
  std::string method = "lrp";
  std::string rule;                   // --rule; empty = the model's defaults
  std::string lstm_rule;              // empty = the model's default (set only when given)
  std::optional<double> bias_factor;  // set only when given
  std::string precision;              // empty = float64 (set only when given)
  int steps = 32;                     // integrated gradients
  std::uint64_t seed = 0;             // random baseline
};

// Checks and converts, in this order: the method (InvalidArgument listing the valid ones), steps
// (at least 1), the rule (Classifier::set_rule), the LSTM gate rule, the bias factor, the precision.
// Whether the model takes an option is explain()'s to say (InvalidArgument there).
lrp::ExplainOptions explain_options(const Model& model, const ExplainSettings& settings);

}  // namespace textlrp::explain
