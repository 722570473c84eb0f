// lrp/models/bow_classifier.h — the bag-of-words linear classifier (TF-IDF + one-vs-rest linear SVM).
//
// Forward, for a document with term counts c_i over vocabulary ids i:
//   tf_i = c_i (or 1 + ln c_i with sublinear_tf),  x_i = tf_i · idf_i,  x ← x / ||x||₂,
//   s_c  = w_c · x + b_c                                     (liblinear's decision values)
// LRP (Arras et al. 2016/2017, BoW/SVM): the score is a sum of per-term contributions, so
//   R_i = x_i · w_ci   (Σ_i R_i + b_c = s_c exactly),
// spread evenly over the term's occurrences in the text; the bias b_c is reported separately.
// zero / epsilon / zplus / alphabeta / gamma all give this decomposition for a single linear
// layer whose output relevance is its own score; `flat` gives R_i = s_c / n for each of the n
// in-vocabulary tokens, `wsquare` R_i = w²_ci / Σ_j w²_cj · s_c over the document's terms (both
// with bias relevance 0). Ids equal to BowOptions::ignore_id (<unk>) and ids outside the vocabulary
// are ignored and get relevance 0. Tensors: "idf" [V], "weight" [C x V], "bias" [C].
//
// Baselines (ExplainOptions::method; the same target; ignored tokens get exactly 0 under every
// method). The input of a token is its OCCURRENCE: occurrence t has a weight a_t (1 in the
// document), term i the count c_i = Σ_{t: id_t = i} a_t, and the score is the forward pass above
// on these counts. With sublinear_tf a count enters as tf(c) = c for c ≤ 1 and 1 + ln c above:
// 1 + ln c at every count ≥ 1, 0 at 0, and continuously differentiable, so that fractional weights
// have a score and a gradient. With x̂ = x/‖x‖₂ and the occurrence's gradient
//   g_t = ∂s_c/∂a_t = tf'(c_i)·idf_i·(w_ci − (w_c·x̂)·x̂_i) / ‖x‖₂   (tf'(c_i)·idf_i·w_ci unnormalised),
//   sa        = g_t²  (the squared gradient norm; an occurrence's input is a single number);
//   gi        = g_t · a_t = g_t  (gradient × input). With L2 normalisation and plain tf the score
//               is scale-invariant in the counts, so Σ_t gi_t = 0 (Euler's theorem): gi is each
//               occurrence's marginal effect, including how it dilutes every other term, not a
//               decomposition of the score;
//   ig        = integrated gradients from the empty document along a = α·1, α: 0 → 1, with the
//               L2 norm held at the document's ‖x‖₂: ig_t = (1/m) Σ_k tf'(α_k c_i)·idf_i·w_ci/‖x‖₂,
//               midpoint α_k = (k + ½)/m, m = ig_steps (the CNN's quadrature). The norm is held
//               fixed because the normalised score is constant along α·1 for α > 0 and jumps to
//               b_c at α = 0: the straight path has no integral ending at the empty document's
//               score (its gradients grow like 1/α). With the normaliser held constant, as LRP
//               treats normalisers, completeness holds: Σ_t ig_t = s_c(doc) − s_c(empty) = s_c − b_c,
//               and ig gives term i exactly LRP's x_i·w_ci, spread evenly over its occurrences
//               (with sublinear_tf, up to the quadrature error of m steps);
//   occlusion = s_c(doc) − s_c(doc without occurrence t), re-scored with the normalisation of the
//               shorter document (removal, as for the CNN); every occurrence of a term gets the
//               same value;
//   random    = uniform in [-1, 1], seeded by options.seed and the ids (the CNN's generator).
// bias_relevance = s_c − Σ_t relevance_t (what no token received), as for the CNN; for ig that is
// b_c up to the quadrature error. Baselines use double precision and ignore options.rules.
#pragma once

#include "lrp/models/classifier.h"

namespace textlrp::lrp {

struct BowOptions {
  bool sublinear_tf = false;
  bool normalize = true;  // L2
  TokenId ignore_id = 0;  // the <unk> id: unknown words are ignored (as scikit-learn does); -1 = none
};

class BowClassifier final : public Classifier {
 public:
  // idf [V], weight [C x V], bias [C]; throws FormatError on mismatched shapes.
  BowClassifier(std::vector<std::string> labels, Vec idf, Mat weight, Vec bias, BowOptions options);
  static std::unique_ptr<BowClassifier> load(const std::filesystem::path& dir, const nlohmann::json& config);

  std::string_view architecture() const override { return "bow_svm"; }
  const std::vector<std::string>& labels() const override { return labels_; }
  Index n_vocab() const override { return idf_.size(); }
  RuleMap default_rules() const override;
  Vec scores(std::span<const TokenId> ids) const override;
  Explanation explain(std::span<const TokenId> ids, const ExplainOptions& options) const override;
  nlohmann::json save(const std::filesystem::path& dir) const override;
  // Its TF-IDF features (features() below).
  std::optional<std::vector<std::pair<TokenId, float>>> tfidf_features(
      std::span<const TokenId> ids) const override {
    return features(ids);
  }
  // Removal from the bag of words; the ignored id (<unk>) is no candidate.
  TokenDeletion token_deletion() const override {
    return {"removal: the token leaves the bag of words (its id becomes -1, which the model ignores)",
            options_.ignore_id, false};
  }

  // The TF-IDF vector of a document as sparse (id, value) pairs, sorted by id.
  std::vector<std::pair<TokenId, float>> features(std::span<const TokenId> ids) const;
  const Mat& weight() const { return weight_; }
  const Vec& bias() const { return bias_; }

 private:
  // The baselines above (options.method != kLrp).
  Explanation explain_baseline(std::span<const TokenId> ids, const ExplainOptions& options) const;

  std::vector<std::string> labels_;
  Vec idf_;       // [V]
  Mat weight_;    // [C x V]
  Mat weight_t_;  // [V x C], the transpose, for contiguous access per term
  Vec bias_;      // [C]
  BowOptions options_;
};

// Term-frequency / TF-IDF helpers shared with training: smooth idf as scikit-learn computes it,
// idf_i = ln((1 + n_docs) / (1 + df_i)) + 1.
Vec smooth_idf(const std::vector<std::size_t>& document_frequency, std::size_t n_docs);

}  // namespace textlrp::lrp
