// Conformance with the original NumPy implementation of Arras et al. 2017 (LSTM_bidi.py, run
// unmodified) on ../shared/data/arras-bilstm: the real trained bi-LSTM weights with the synthetic
// splitmix64 embedding matrix, imported through BiLstmClassifier::from_arras (the code path of
// `textlrp import arras-bilstm`). For the 100 reference sentences: scores within 1e-5, and word
// relevances within 1e-4·max_t|ref_t| for LRP (epsilon(0.001), signal-take-all) with bias factor 0
// and 1, for the true class, and for sa and gi; with bias factor 1 the word relevances plus R_rest
// (the initial states' share) sum to the score. The LRP settings again with --precision float32,
// within the same tolerances. Plus the per-dimension relevances and final states
// of the notebook example. The maximum errors are printed (WARN).
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/file.h"
#include "lrp/models/bilstm_classifier.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
using namespace textlrp::lrp;

namespace {

const BiLstmClassifier& arras_model(const std::filesystem::path& dir) {
  static const std::unique_ptr<BiLstmClassifier> m =
      BiLstmClassifier::from_arras(dir, dir / "embeddings_SYNTHETIC_splitmix64.npy", {});
  return *m;
}

ExplainOptions lrp_options(const BiLstmClassifier& m, double bias_factor, int target = -1,
                           Precision precision = Precision::kFloat64) {
  ExplainOptions o;
  o.precision = precision;
  o.rules = m.default_rules();
  o.rules.apply("epsilon(0.001)");
  o.gate_rule = GateRule::kSignalTakeAll;
  o.bias_factor = bias_factor;
  o.target = target;
  return o;
}

}  // namespace

TEST_CASE("bilstm: matches the reference NumPy code of Arras et al. on 100 SST sentences",
          "[lrp][bilstm][shared]") {
  const auto dir = test::shared_data_path("arras-bilstm");
  if (dir.empty() || !std::filesystem::exists(dir / "Wxh_Left.npy")) {
    WARN("../shared/data/arras-bilstm is absent; skipping");
    return;
  }
  const BiLstmClassifier& m = arras_model(dir);
  REQUIRE(m.n_vocab() == 19538);
  REQUIRE(m.n_embd() == 60);
  REQUIRE(m.n_hidden() == 60);
  REQUIRE(m.labels() == std::vector<std::string>{"0", "1", "2", "3", "4"});
  const nlohmann::json ref = nlohmann::json::parse(read_file(dir / "reference_relevances.json"));
  const auto& sentences = ref.at("sentences");
  REQUIRE(sentences.size() == 100);

  std::map<std::string, double> max_err;  // setting -> max over sentences of max_t |ours - ref| / max_t |ref|
  double max_score_err = 0, max_conservation = 0, max_rest_err = 0, max_score_err32 = 0,
         max_conservation32 = 0;
  auto compare = [&](const std::string& setting, const std::vector<double>& ours,
                     const nlohmann::json& theirs, int sent_no, double tolerance = 1e-4) {
    REQUIRE(ours.size() == theirs.size());
    double scale = 0, err = 0;
    for (const auto& v : theirs) scale = std::max(scale, std::abs(v.get<double>()));
    for (std::size_t t = 0; t < ours.size(); ++t)
      err = std::max(err, std::abs(ours[t] - theirs[t].get<double>()));
    err /= std::max(scale, 1e-300);
    max_err[setting] = std::max(max_err[setting], err);
    INFO("sentence " << sent_no << ", " << setting << ": relative error " << err);
    CHECK(err <= tolerance);
  };
  for (const auto& s : sentences) {
    const int sent_no = s.at("sent_no").get<int>();
    const auto ids = s.at("token_ids").get<std::vector<TokenId>>();
    const VecD scores = m.forward(ids);
    const auto ref_scores = s.at("scores").get<std::vector<double>>();
    REQUIRE(static_cast<std::size_t>(scores.size()) == ref_scores.size());
    for (Index c = 0; c < scores.size(); ++c) {
      const double err = std::abs(scores[c] - ref_scores[static_cast<std::size_t>(c)]);
      max_score_err = std::max(max_score_err, err);
      CHECK(err <= 1e-5);
    }
    const int target = s.at("target_class").get<int>();
    const int true_class = s.at("true_class").get<int>();
    const Explanation bf0 = m.explain(ids, lrp_options(m, 0.0));
    REQUIRE(bf0.target == target);
    compare("lrp bf0", bf0.relevance, s.at("lrp_bf0").at("word"), sent_no);
    const Explanation bf1 = m.explain(ids, lrp_options(m, 1.0));
    compare("lrp bf1", bf1.relevance, s.at("lrp_bf1").at("word"), sent_no);
    // Conservation with bias factor 1: Σ words + R_rest = s_target, and R_rest is the reference's.
    BiLstmClassifier::Trace trace;
    m.forward(ids, &trace);
    BiLstmClassifier::LrpSettings st;
    st.bias_factor = 1;
    const double r_rest = m.relevance(trace, target, st).r_rest;
    const double sum = std::accumulate(bf1.relevance.begin(), bf1.relevance.end(), 0.0);
    const double conservation = std::abs(sum + r_rest - scores[target]);
    max_conservation = std::max(max_conservation, conservation);
    CHECK(conservation <= 1e-10);
    CHECK(std::abs(bf1.bias_relevance - r_rest) <= 1e-10);
    const double rest_err = std::abs(r_rest - s.at("lrp_bf1").at("R_rest").get<double>());
    max_rest_err = std::max(max_rest_err, rest_err);
    CHECK(rest_err <= 1e-4 * std::max(1.0, std::abs(scores[target])));
    compare("lrp bf0 true class", m.explain(ids, lrp_options(m, 0.0, true_class)).relevance,
            s.at("lrp_bf0_true_class"), sent_no);
    // The same LRP in float32 (--precision float32): the same class, scores within 1e-5, relevance
    // conserved to 1e-5 with bias factor 1, word relevances within 1e-3·max|ref| (measured: 7e-5 for
    // bias factor 0, 2.3e-4 for bias factor 1; the forward pass's float32 rounding, ~1e-7, is divided
    // by denominators down to ε = 0.001, so 1e-4 cannot be promised: float64 is the default).
    const Explanation bf0_32 = m.explain(ids, lrp_options(m, 0.0, -1, Precision::kFloat32));
    REQUIRE(bf0_32.target == target);
    for (Index c = 0; c < bf0_32.scores.size(); ++c) {
      const double err =
          std::abs(static_cast<double>(bf0_32.scores[c]) - ref_scores[static_cast<std::size_t>(c)]);
      max_score_err32 = std::max(max_score_err32, err);
      CHECK(err <= 1e-5);
    }
    compare("float32 lrp bf0", bf0_32.relevance, s.at("lrp_bf0").at("word"), sent_no, 1e-3);
    const Explanation bf1_32 = m.explain(ids, lrp_options(m, 1.0, -1, Precision::kFloat32));
    compare("float32 lrp bf1", bf1_32.relevance, s.at("lrp_bf1").at("word"), sent_no, 1e-3);
    const double conservation32 =
        std::abs(std::accumulate(bf1_32.relevance.begin(), bf1_32.relevance.end(), 0.0) +
                 bf1_32.bias_relevance - ref_scores[static_cast<std::size_t>(target)]);
    CHECK(conservation32 <= 1e-5);
    compare("float32 lrp bf0 true class",
            m.explain(ids, lrp_options(m, 0.0, true_class, Precision::kFloat32)).relevance,
            s.at("lrp_bf0_true_class"), sent_no, 1e-3);
    max_conservation32 = std::max(max_conservation32, conservation32);
    ExplainOptions sa;
    sa.method = Method::kSensitivity;
    compare("sa", m.explain(ids, sa).relevance, s.at("sa"), sent_no);
    sa.target = true_class;
    compare("sa true class", m.explain(ids, sa).relevance, s.at("sa_true_class"), sent_no);
    ExplainOptions gi;
    gi.method = Method::kGradientInput;
    compare("gi", m.explain(ids, gi).relevance, s.at("gi"), sent_no);
  }
  REQUIRE(max_err.size() == 9);
  std::string summary = fmt::format(
      "arras-bilstm conformance over 100 sentences: max score error {:.2e} (float32 {:.2e}); bf1 "
      "conservation "
      "{:.2e} (float32 {:.2e}); R_rest {:.2e}",
      max_score_err, max_score_err32, max_conservation, max_conservation32, max_rest_err);
  for (const auto& [setting, err] : max_err) summary += fmt::format("; {} {:.2e}", setting, err);
  WARN(summary);
}

TEST_CASE("bilstm: matches the reference per dimension on the notebook example", "[lrp][bilstm][shared]") {
  const auto dir = test::shared_data_path("arras-bilstm");
  if (dir.empty() || !std::filesystem::exists(dir / "Wxh_Left.npy")) {
    WARN("../shared/data/arras-bilstm is absent; skipping");
    return;
  }
  const BiLstmClassifier& m = arras_model(dir);
  const nlohmann::json ref = nlohmann::json::parse(read_file(dir / "reference_relevances.json"));
  const auto& ex = ref.at("notebook_example_synthetic");
  const auto ids = ex.at("token_ids").get<std::vector<TokenId>>();  // "neither funny nor suspenseful ..."
  BiLstmClassifier::Trace trace;
  const VecD s = m.forward(ids, &trace);
  const Index T = static_cast<Index>(ids.size());
  const auto& fwd = ex.at("debug_forward");
  const std::pair<const char*, VecD> states[] = {{"h_left_final", trace.left.h.row(T - 1).transpose()},
                                                 {"h_right_final", trace.right.h.row(T - 1).transpose()},
                                                 {"c_left_final", trace.left.c.row(T - 1).transpose()},
                                                 {"c_right_final", trace.right.c.row(T - 1).transpose()}};
  for (const auto& [key, ours] : states) {
    const auto theirs = fwd.at(key).get<std::vector<double>>();
    REQUIRE(static_cast<Index>(theirs.size()) == ours.size());
    for (Index k = 0; k < ours.size(); ++k)
      CHECK(std::abs(ours[k] - theirs[static_cast<std::size_t>(k)]) < 1e-12);
  }
  const BiLstmClassifier::Relevance r = m.relevance(trace, ex.at("target_class").get<int>(), {});
  double err = 0, scale = 0;
  for (const auto& [key, ours] :
       {std::pair<const char*, const MatD*>{"Rx_left", &r.x_left}, {"Rx_right", &r.x_right}}) {
    const auto theirs = ex.at("debug_lrp_bf0_dims").at(key).get<std::vector<std::vector<double>>>();
    REQUIRE(static_cast<Index>(theirs.size()) == T);
    for (Index t = 0; t < T; ++t) {
      REQUIRE(static_cast<Index>(theirs[static_cast<std::size_t>(t)].size()) == m.n_embd());
      for (Index k = 0; k < m.n_embd(); ++k) {
        const double v = theirs[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)];
        scale = std::max(scale, std::abs(v));
        err = std::max(err, std::abs((*ours)(t, k) - v));
      }
    }
  }
  CHECK(err <= 1e-9 * scale);
  CHECK(r.r_rest == 0);
  WARN(fmt::format("arras-bilstm notebook example: per-dimension LRP error {:.2e} (max |R| {:.3f})", err,
                   scale));
}
