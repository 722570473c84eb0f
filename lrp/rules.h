// lrp/rules.h — LRP rules as small value types, and the rule grammar shared by every model.
//
// Grammar (command line `--rule`):  RULE  |  ROLE=RULE[,ROLE=RULE...]
//   RULE := zero | epsilon[(e)] | zplus | alphabeta[(a,b)] | gamma[(g)] | flat | wsquare
// A bare RULE applies to every layer role of the model; ROLE=RULE sets one role (roles a model
// does not name keep the model's default). Roles are per architecture: the BoW/SVM has `fc`,
// the CNN `conv` and `fc`, the BiLSTM `lstm` and `fc`. Parameters default to epsilon(1e-06),
// alphabeta(2,1) and gamma(0.25). alphabeta requires alpha - beta == 1.
// Rules follow Montavon et al. (2019), "Layer-wise Relevance Propagation: An Overview":
//   zero      R_i = Σ_j z_ij / z_j · R_j                         (LRP-0)
//   epsilon   R_i = Σ_j z_ij / (z_j + ε·sign(z_j)) · R_j          (LRP-ε)
//   zplus     R_i = Σ_j z⁺_ij / Σ_i' z⁺_i'j · R_j                 (positive contributions only)
//   alphabeta R_i = Σ_j (α z⁺_ij / z⁺_j − β z⁻_ij / z⁻_j) · R_j
//   gamma     z_ij = x_i (w_ij + γ w⁺_ij)                         (LRP-γ)
//   flat      R_i = Σ_j 1 / n_j · R_j                             (uniform over the receptive field)
//   wsquare   R_i = Σ_j w²_ij / Σ_i' w²_i'j · R_j                 (LRP-w²)
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/tensor.h"

namespace textlrp::lrp {
namespace rules {
struct Zero {
  bool operator==(const Zero&) const = default;
};
struct Epsilon {
  double epsilon = 1e-6;
  bool operator==(const Epsilon&) const = default;
};
struct ZPlus {
  bool operator==(const ZPlus&) const = default;
};
struct AlphaBeta {
  double alpha = 2.0;
  double beta = 1.0;
  bool operator==(const AlphaBeta&) const = default;
};
struct Gamma {
  double gamma = 0.25;
  bool operator==(const Gamma&) const = default;
};
struct Flat {
  bool operator==(const Flat&) const = default;
};
struct WSquare {
  bool operator==(const WSquare&) const = default;
};
}  // namespace rules

using Rule = std::variant<rules::Zero, rules::Epsilon, rules::ZPlus, rules::AlphaBeta, rules::Gamma,
                          rules::Flat, rules::WSquare>;

// "epsilon(0.001)", "alphabeta(2,1)", "zplus".
std::string to_string(const Rule& rule);

// Parses one RULE. Throws InvalidArgument listing the valid rules for an unknown name, a
// malformed parameter list or an invalid value (negative epsilon/gamma, alpha - beta != 1).
Rule parse_rule(std::string_view text);

// Layer role -> rule. Built from the model's defaults, then overridden by a `--rule` string.
class RuleMap {
 public:
  RuleMap() = default;
  // `roles` is the model's role list with a default rule for each.
  explicit RuleMap(std::map<std::string, Rule> defaults) : rules_(std::move(defaults)) {}

  // Applies the grammar above. Throws InvalidArgument naming an unknown role and listing the
  // model's roles, or an unknown rule listing the valid rules.
  void apply(std::string_view spec);
  const Rule& at(const std::string& role) const;
  // "conv=zplus,fc=epsilon(1e-06)" (roles in name order); a single rule when all roles agree.
  std::string to_string() const;
  const std::map<std::string, Rule>& rules() const { return rules_; }

 private:
  std::map<std::string, Rule> rules_;
};

// The valid rule names, for help texts: "zero, epsilon(e), zplus, alphabeta(a,b), gamma(g), flat, wsquare".
std::string_view rule_names();

}  // namespace textlrp::lrp
