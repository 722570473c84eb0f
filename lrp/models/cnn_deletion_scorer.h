// lrp/models/cnn_deletion_scorer.h — fast rescoring of a CNN document under word deletion
// (CnnClassifier::deletion_scorer(), used by the word-deletion experiment of analysis/deletion.h).
//
// Deleting token p (its embedding row set to zero, as CnnClassifier does for an id outside the
// vocabulary) changes only the convolution windows that cover p: for width K the K rows
// t ∈ [p−K+1, p] of the pre-activations z [T' x F]. This scorer keeps z for every width, recomputes
// just those rows with the layer's own Conv1d::forward on the slab of input rows they read, and then
// redoes the cheap part (ReLU, max over time, the dense layer). A full forward costs T'·F·K·E
// multiply-adds per width; an update costs K·F·K·E, so a 50-step deletion curve of a 1000-token
// document is ~100x cheaper than rescoring it from scratch. The scores equal
// CnnClassifier::scores(ids with the deleted ids replaced by -1) up to float rounding (checked in
// tests/analysis/analysis_test.cpp). Positions beyond max_tokens are not read by the model: removing
// them changes nothing.
#pragma once

#include <span>
#include <vector>

#include "lrp/models/classifier.h"
#include "lrp/models/cnn_classifier.h"

namespace textlrp::lrp {

class CnnDeletionScorer final : public DeletionScorer {
 public:
  // The model must outlive the scorer.
  CnnDeletionScorer(const CnnClassifier& model, std::span<const TokenId> ids);
  Vec scores() override;
  void remove(std::size_t position) override;
  std::size_t size() const override { return n_ids_; }

 private:
  const CnnClassifier& model_;
  std::size_t n_ids_;
  Index n_used_;        // tokens the model reads (after truncation)
  Mat x_;               // [T₊ x E] embedded input
  std::vector<Mat> z_;  // per width: [T' x F] pre-activations
};

}  // namespace textlrp::lrp
