// tests/apps/explain_request_test.cpp — explain::explain_options(): the one conversion of explain
// settings into lrp::ExplainOptions that `textlrp explain` and the public API share.
#include "explain/explain_request.h"

#include <memory>

#include "core/error.h"
#include "lrp/models/bow_classifier.h"
#include "tests/catch.h"

using namespace textlrp;
using Catch::Matchers::Contains;

TEST_CASE("explain settings: converted once for the CLI and the API", "[apps][explain_request]") {
  explain::Model model;
  model.classifier = std::make_unique<lrp::BowClassifier>(std::vector<std::string>{"a", "b"}, Vec::Ones(3),
                                                          Mat::Zero(2, 3), Vec::Zero(2), lrp::BowOptions{});
  explain::ExplainSettings s;
  lrp::ExplainOptions o = explain::explain_options(model, s);
  CHECK(o.method == lrp::Method::kLrp);
  CHECK(o.ig_steps == 32);
  CHECK(o.rules.to_string() == model.classifier->default_rules().to_string());
  CHECK_FALSE(o.gate_rule);
  CHECK_FALSE(o.bias_factor);
  CHECK_FALSE(o.precision);

  s.method = "ig";
  s.steps = 7;
  s.seed = 9;
  s.lstm_rule = "half";
  s.bias_factor = 1.0;
  s.precision = "float32";
  o = explain::explain_options(model, s);
  CHECK(o.method == lrp::Method::kIntegratedGradients);
  CHECK(o.ig_steps == 7);
  CHECK(o.seed == 9);
  CHECK(o.gate_rule == lrp::GateRule::kHalf);
  CHECK(o.bias_factor == 1.0);
  CHECK(o.precision == lrp::Precision::kFloat32);
  // ... and the model says that they do not apply to it when it explains.
  CHECK_THROWS_WITH(model.classifier->explain(std::vector<TokenId>{1}, o), Contains("bilstm"));

  s = {};
  s.steps = 0;
  CHECK_THROWS_WITH(explain::explain_options(model, s), Contains("--steps must be at least 1"));
  s = {};
  s.method = "bogus";
  CHECK_THROWS_WITH(explain::explain_options(model, s), Contains("valid methods"));
  s = {};
  s.lstm_rule = "bogus";
  CHECK_THROWS_AS(explain::explain_options(model, s), InvalidArgument);
  s = {};
  s.rule = "nosuchrole=epsilon";
  CHECK_THROWS_AS(explain::explain_options(model, s), InvalidArgument);
}
