// Conformance with Zennit (PyTorch LRP library) on ../shared/data/zennit-cnn: 40 documents through
// a small text CNN imported from PyTorch safetensors (the `textlrp import pytorch` code path).
// Scores within 1e-5; every rule setting of reference.json plus sa and gi per token within
// 1e-4·max(1, max_t |ref_t|). The equations are in reference.json "meta" and lrp/kernels.h.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/safetensors.h"
#include "lrp/models/cnn_classifier.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
using namespace textlrp::lrp;

TEST_CASE("cnn: matches Zennit on every reference document and rule", "[lrp][cnn][shared]") {
  const auto dir = test::shared_data_path("zennit-cnn");
  if (dir.empty()) {
    WARN("../shared/data/zennit-cnn is absent; skipping");
    return;
  }
  const TensorStore store = TensorStore::load(dir / "cnn.safetensors");
  const auto model = CnnClassifier::from_pytorch(store, {});
  REQUIRE(model->labels().size() == 4);
  REQUIRE(model->convs().size() == 1);
  const nlohmann::json ref = nlohmann::json::parse(read_file(dir / "reference.json"));
  const auto& docs = ref.at("documents");
  REQUIRE(docs.size() == 40);

  std::map<std::string, double> max_err;  // setting -> max normalised error over documents
  double max_score_err = 0;
  auto compare = [&](const std::string& setting, const std::vector<double>& ours,
                     const nlohmann::json& theirs, std::size_t doc) {
    REQUIRE(ours.size() == theirs.size());
    double scale = 1;
    for (const auto& v : theirs) scale = std::max(scale, std::abs(v.get<double>()));
    double err = 0;
    for (std::size_t t = 0; t < ours.size(); ++t)
      err = std::max(err, std::abs(ours[t] - theirs[t].get<double>()));
    err /= scale;
    max_err[setting] = std::max(max_err[setting], err);
    INFO("document " << doc << ", " << setting << ": error " << err);
    CHECK(err <= 1e-4);
  };
  for (std::size_t d = 0; d < docs.size(); ++d) {
    const auto& doc = docs[d];
    const auto ids = doc.at("token_ids").get<std::vector<TokenId>>();
    const Vec s = model->scores(ids);
    const auto ref_scores = doc.at("scores").get<std::vector<double>>();
    REQUIRE(static_cast<std::size_t>(s.size()) == ref_scores.size());
    for (Index c = 0; c < s.size(); ++c) {
      const double err = std::abs(s[c] - ref_scores[static_cast<std::size_t>(c)]);
      max_score_err = std::max(max_score_err, err);
      CHECK(err <= 1e-5);
    }
    const int target = doc.at("target").get<int>();
    REQUIRE(argmax(s) == target);
    for (const auto& [setting, values] : doc.at("relevance").items()) {
      ExplainOptions o;
      o.rules = model->default_rules();
      o.rules.apply(setting);
      compare(setting, model->explain(ids, o).relevance, values, d);
    }
    ExplainOptions sa;
    sa.method = Method::kSensitivity;
    compare("sa", model->explain(ids, sa).relevance, doc.at("sensitivity"), d);
    ExplainOptions gi;
    gi.method = Method::kGradientInput;
    compare("gi", model->explain(ids, gi).relevance, doc.at("gradient_x_input"), d);
  }
  REQUIRE(max_err.size() == 7);  // five rule settings + sa + gi
  std::string summary = fmt::format("zennit-cnn conformance: max score error {:.2e}", max_score_err);
  for (const auto& [setting, err] : max_err) summary += fmt::format("; {} {:.2e}", setting, err);
  WARN(summary);
}
