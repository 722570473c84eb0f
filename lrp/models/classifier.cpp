#include "lrp/models/classifier.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/rng.h"
#include "lrp/models/bert_classifier.h"
#include "lrp/models/bilstm_classifier.h"
#include "lrp/models/bow_classifier.h"
#include "lrp/models/cnn_classifier.h"

namespace textlrp::lrp {

std::string_view method_name(Method m) {
  switch (m) {
    case Method::kLrp: return "lrp";
    case Method::kSensitivity: return "sa";
    case Method::kGradientInput: return "gi";
    case Method::kIntegratedGradients: return "ig";
    case Method::kOcclusion: return "occlusion";
    case Method::kRandom: return "random";
  }
  return "?";
}

Method parse_method(std::string_view name) {
  for (Method m : {Method::kLrp, Method::kSensitivity, Method::kGradientInput, Method::kIntegratedGradients,
                   Method::kOcclusion, Method::kRandom}) {
    if (name == method_name(m)) return m;
  }
  throw InvalidArgument(
      fmt::format("unknown method '{}'; valid methods: lrp, sa, gi, ig, occlusion, random", name));
}

std::vector<double> random_relevance(std::span<const TokenId> ids, std::uint64_t seed) {
  std::uint64_t state = seed ^ 0x5DEECE66Dull;
  for (const TokenId id : ids) state = (state ^ static_cast<std::uint32_t>(id)) * 0x100000001B3ull;  // FNV-1a
  std::vector<double> out(ids.size());
  for (double& r : out) {
    r = 2.0 * uniform01(splitmix64_next(state)) - 1.0;  // [0, 1) -> [-1, 1)
  }
  return out;
}

std::vector<double> occlusion_relevance(std::span<const TokenId> ids,
                                        const std::function<double(std::span<const TokenId>)>& drop) {
  std::vector<double> out(ids.size());
  std::vector<TokenId> without(ids.begin(), ids.end());
  for (std::size_t t = 0; t < ids.size(); ++t) {
    without.erase(without.begin() + static_cast<std::ptrdiff_t>(t));
    out[t] = drop(without);
    without.insert(without.begin() + static_cast<std::ptrdiff_t>(t), ids[t]);
  }
  return out;
}

std::string_view gate_rule_name(GateRule g) {
  switch (g) {
    case GateRule::kSignalTakeAll: return "signal-take-all";
    case GateRule::kHalf: return "half";
    case GateRule::kProportional: return "proportional";
  }
  return "?";
}

GateRule parse_gate_rule(std::string_view name) {
  for (GateRule g : {GateRule::kSignalTakeAll, GateRule::kHalf, GateRule::kProportional}) {
    if (name == gate_rule_name(g)) return g;
  }
  throw InvalidArgument(
      fmt::format("unknown LSTM gate rule '{}'; valid rules: signal-take-all, half, proportional", name));
}

std::string_view precision_name(Precision p) { return p == Precision::kFloat32 ? "float32" : "float64"; }

Precision parse_precision(std::string_view name) {
  for (Precision p : {Precision::kFloat64, Precision::kFloat32}) {
    if (name == precision_name(p)) return p;
  }
  throw InvalidArgument(fmt::format("unknown precision '{}'; valid: float64, float32", name));
}

std::vector<Explanation> Classifier::explain_methods(std::span<const TokenId> ids,
                                                     std::span<const ExplainOptions> options,
                                                     Vec* scores) const {
  if (scores != nullptr) *scores = this->scores(ids);
  std::vector<Explanation> out;
  out.reserve(options.size());
  for (const ExplainOptions& o : options) out.push_back(explain(ids, o));
  return out;
}

int argmax(const Vec& scores) {
  if (scores.size() == 0) return -1;
  Index best = 0;
  for (Index i = 1; i < scores.size(); ++i) {
    if (scores[i] > scores[best]) best = i;
  }
  return static_cast<int>(best);
}

std::unique_ptr<Classifier> load_classifier(const std::filesystem::path& dir, const nlohmann::json& config) {
  const std::string arch = config.at("architecture").get<std::string>();
  if (arch == "bow_svm") return BowClassifier::load(dir, config);
  if (arch == "cnn") return CnnClassifier::load(dir, config);
  if (arch == "bilstm") return BiLstmClassifier::load(dir, config);
  if (arch == "bert") return BertSequenceClassifier::load(dir, config);
  throw FormatError(fmt::format("{}: unknown architecture '{}'; this build knows: bow_svm, cnn, bilstm, bert",
                                (dir / "config.json").string(), arch));
}

}  // namespace textlrp::lrp
