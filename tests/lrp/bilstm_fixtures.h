// tests/lrp/bilstm_fixtures.h — small BiLSTM models for the unit tests (bilstm_test.cpp,
// explain_methods_test.cpp): seeded random weights, a sentence and LRP options.
#pragma once

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "lrp/models/bilstm_classifier.h"

namespace textlrp::test::bilstm {

using lrp::BiLstmClassifier;
using lrp::BiLstmWeights;
using lrp::ExplainOptions;
using lrp::GateRule;
using lrp::LstmWeights;
using lrp::MatD;
using lrp::VecD;

// Uniform in [-scale, scale), from a seeded mt19937_64.
inline MatD rmat(Index rows, Index cols, unsigned seed, double scale) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  MatD m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = u(gen);
  return m;
}
inline VecD rvec(Index n, unsigned seed, double scale) { return rmat(n, 1, seed, scale).col(0); }

// V = 11, E = 4, H = 3, C = 3. Scales chosen so that the gates are neither saturated nor linear.
inline BiLstmWeights tiny_weights(bool biases, bool fc_bias, unsigned seed = 1) {
  const Index V = 11, E = 4, H = 3, C = 3;
  BiLstmWeights w;
  w.embedding = rmat(V, E, seed, 1.0);
  for (LstmWeights* lw : {&w.left, &w.right}) {
    seed += 10;
    lw->w_ih = rmat(4 * H, E, seed + 1, 0.9);
    lw->w_hh = rmat(4 * H, H, seed + 2, 0.9);
    lw->b_ih = biases ? rvec(4 * H, seed + 3, 0.5) : VecD::Zero(4 * H);
    lw->b_hh = biases ? rvec(4 * H, seed + 4, 0.5) : VecD::Zero(4 * H);
  }
  w.fc_left = rmat(C, H, seed + 5, 1.5);
  w.fc_right = rmat(C, H, seed + 6, 1.5);
  if (fc_bias) w.fc_bias = rvec(C, seed + 7, 0.5);
  return w;
}

inline BiLstmClassifier tiny(bool biases = true, bool fc_bias = false, unsigned seed = 1) {
  return BiLstmClassifier({"neg", "neu", "pos"}, tiny_weights(biases, fc_bias, seed));
}

inline const std::vector<TokenId> kSentence = {3, 1, 4, 1, 5, 9, 2, 6};

inline ExplainOptions lrp_options(std::optional<GateRule> gate, std::optional<double> bf,
                                  const std::string& rule = "") {
  ExplainOptions o;
  o.gate_rule = gate;
  o.bias_factor = bf;
  o.rules = lrp::RuleMap({{"lstm", lrp::rules::Epsilon{0.001}}, {"fc", lrp::rules::Epsilon{0.001}}});
  o.rules.apply(rule);
  return o;
}

}  // namespace textlrp::test::bilstm
