#include "explain/explain_request.h"

#include "core/error.h"

namespace textlrp::explain {

lrp::ExplainOptions explain_options(const Model& model, const ExplainSettings& s) {
  lrp::ExplainOptions eo;
  eo.method = lrp::parse_method(s.method);
  eo.ig_steps = s.steps;
  eo.seed = s.seed;
  if (s.steps < 1) throw InvalidArgument("--steps must be at least 1");
  model.classifier->set_rule(eo, s.rule);
  if (!s.lstm_rule.empty()) eo.gate_rule = lrp::parse_gate_rule(s.lstm_rule);
  eo.bias_factor = s.bias_factor;
  if (!s.precision.empty()) eo.precision = lrp::parse_precision(s.precision);
  return eo;
}

}  // namespace textlrp::explain
