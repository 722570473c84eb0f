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

  // The TF-IDF vector of a document as sparse (id, value) pairs, sorted by id.
  std::vector<std::pair<TokenId, float>> features(std::span<const TokenId> ids) const;
  const Mat& weight() const { return weight_; }
  const Vec& bias() const { return bias_; }

 private:
  std::vector<std::string> labels_;
  Vec idf_;     // [V]
  Mat weight_;  // [C x V]
  Mat weight_t_;  // [V x C], the transpose, for contiguous access per term
  Vec bias_;    // [C]
  BowOptions options_;
};

// Term-frequency / TF-IDF helpers shared with training: smooth idf as scikit-learn computes it,
// idf_i = ln((1 + n_docs) / (1 + df_i)) + 1.
Vec smooth_idf(const std::vector<std::size_t>& document_frequency, std::size_t n_docs);

}  // namespace textlrp::lrp
