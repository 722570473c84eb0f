// Conformance with ../shared/data/tiny-bert (a random BertForSequenceClassification in Hugging Face
// layout and reference explanations from PyTorch, cross-checked against LXT): for the 40 documents,
// the WordPiece ids, logits within 1e-4, and AttnLRP, CP-LRP, gradient × input and sensitivity
// (reference: the L2 norm; ours: its square) within 1e-4·max(1, max_t |ref_t|). The equations are
// in the fixture's README.txt and lrp/models/bert_classifier.h.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "lrp/models/bert_classifier.h"
#include "nlp/wordpiece_tokenizer.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
using namespace textlrp::lrp;

TEST_CASE("bert: matches the tiny-bert reference logits and explanations", "[lrp][bert][shared]") {
  const auto dir = test::shared_data_path("tiny-bert");
  if (dir.empty()) {
    WARN("../shared/data/tiny-bert is absent; skipping");
    return;
  }
  const auto model = BertClassifier::from_huggingface_directory(dir);
  CHECK(model->config().labels == std::vector<std::string>{"negative", "neutral", "positive"});
  CHECK(model->config().layers == 2);
  nlp::WordPieceOptions o;
  o.max_length = 128;
  const auto tok = nlp::WordPieceTokenizer::load(dir / "vocab.txt", o);
  const nlohmann::json ref = nlohmann::json::parse(read_file(dir / "reference.json"));
  const auto& docs = ref.at("documents");
  REQUIRE(docs.size() == 40);

  const std::map<std::string, BertMethod> methods = {{"attnlrp", BertMethod::kAttnLrp},
                                                     {"cplrp", BertMethod::kCpLrp},
                                                     {"gradient_x_input", BertMethod::kGradientInput},
                                                     {"sensitivity", BertMethod::kSensitivity}};
  std::map<std::string, double> max_err;
  double max_logit_err = 0;
  for (const auto& doc : docs) {
    INFO("document " << doc.at("index").get<int>());
    const auto ids = doc.at("token_ids").get<std::vector<TokenId>>();
    REQUIRE(tok.encode(doc.at("text").get<std::string>()).ids() == ids);
    const Vec logits = model->logits(ids);
    const auto ref_logits = doc.at("logits").get<std::vector<double>>();
    REQUIRE(static_cast<std::size_t>(logits.size()) == ref_logits.size());
    for (std::size_t c = 0; c < ref_logits.size(); ++c) {
      const double err = std::abs(logits[static_cast<Index>(c)] - ref_logits[c]);
      max_logit_err = std::max(max_logit_err, err);
      CHECK(err <= 1e-4);
    }
    const int target = doc.at("target").get<int>();
    for (const auto& [key, method] : methods) {
      INFO("method " << key);
      const BertExplanation e = model->explain(ids, method);
      CHECK(e.target == target);
      auto r = doc.at("relevance").at(key).get<std::vector<double>>();
      if (method == BertMethod::kSensitivity) {
        for (double& v : r) v *= v;  // the reference lists the norm; sa is its square here
      }
      REQUIRE(e.relevance.size() == r.size());
      double scale = 1, err = 0;
      for (double v : r) scale = std::max(scale, std::abs(v));
      for (std::size_t t = 0; t < r.size(); ++t) err = std::max(err, std::abs(e.relevance[t] - r[t]));
      err /= scale;
      max_err[key] = std::max(max_err[key], err);
      CHECK(err <= 1e-4);
      if (method != BertMethod::kSensitivity) {
        const double rest = doc.at("rest").at(key).get<double>();
        const double share = doc.at("position_type_share").at(key).get<double>();
        CHECK(std::abs(e.bias_relevance - rest) <=
              1e-4 * std::max(1.0, std::abs(rest)) * static_cast<double>(r.size()));
        CHECK(std::abs(e.position_type_share - share) <=
              1e-4 * std::max(1.0, std::abs(share)) * static_cast<double>(r.size()));
      }
    }
  }
  std::string summary = fmt::format("max |logit error| {:.2e}", max_logit_err);
  for (const auto& [k, v] : max_err) summary += fmt::format(", {} {:.2e}", k, v);
  WARN(summary);  // the figures, visible in the test log
}
