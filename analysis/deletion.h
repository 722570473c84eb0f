// analysis/deletion.h — word-deletion curves and the area over the perturbation curve (AOPC):
// how faithful an explanation is to the model (Arras et al. 2016 "Explaining predictions of
// non-linear classifiers in NLP", 2017 "What is relevant in a text document?"; AOPC: Samek et al.
// 2017 "Evaluating the visualization of what a deep neural network has learned").
//
// Experiment, per document with true class c and an ordering of its token positions:
//   - documents the model classifies correctly: delete tokens in DEcreasing order of their
//     relevance for c; a faithful explanation makes the accuracy drop fast;
//   - misclassified documents: delete in INcreasing order of relevance for c (the evidence against
//     c first); a faithful explanation makes the accuracy rise fast.
// After each of k = 0..K deletions the document is scored again; a document with fewer than K
// deletable tokens keeps its last state. "Deleting" replaces the token id by `deleted_id` (-1 by
// default): an id outside the vocabulary, which the BoW/SVM ignores (the token is removed from the
// bag) and the CNN embeds as the zero vector (the position stays, its embedding is zero).
//
//   accuracy[k] = (1/N) Σ_docs [argmax s(x^(k)) = c]
//   AOPC        = 1/(K+1) Σ_{k=0..K} (accuracy[0] − accuracy[k])   (correct documents: drop)
//               = 1/(K+1) Σ_{k=0..K} (accuracy[k] − accuracy[0])   (misclassified: rise)
//   score AOPC  = 1/(K+1) Σ_k (1/N) Σ_docs (s_c(x^(0)) − s_c(x^(k)))  (Samek et al.; sign as above)
// Larger AOPC = better explanation in both directions. Nothing here knows a model: the caller
// supplies a scorer callback. Used by `textlrp deletion` and the analysis report.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/tensor.h"
#include "lrp/models/classifier.h"

namespace textlrp::analysis {

// Decision values [C] for a token-id sequence (e.g. Classifier::scores). Must be thread-safe if
// the caller runs documents in parallel.
using Scorer = std::function<Vec(std::span<const TokenId> ids)>;

// The positions of `candidates` sorted by relevance[position], largest first when `descending`
// (else smallest first); equal relevances keep position order. NaN sorts last either way.
std::vector<std::size_t> relevance_order(std::span<const double> relevance,
                                         std::span<const std::size_t> candidates, bool descending);
// `candidates` in a seeded random order (SplitMix64 Fisher-Yates: identical on every platform).
std::vector<std::size_t> random_order(std::span<const std::size_t> candidates, std::uint64_t seed);

// One document deleted along one ordering.
struct DeletionTrace {
  std::vector<int> predicted;  // [K+1] predicted class after 0..K deletions
  std::vector<double> score;   // [K+1] score of `target` after 0..K deletions
};

// Scores `ids` with the first k positions of `order` replaced by deleted_id, k = 0..max_delete:
// min(max_delete, order.size()) + 1 calls of `scorer`. Throws InvalidArgument when max_delete < 0,
// target is out of range of the scores, or a position is out of range.
DeletionTrace delete_and_score(const Scorer& scorer, std::span<const TokenId> ids,
                               std::span<const std::size_t> order, int max_delete, int target,
                               TokenId deleted_id = -1);

// Scores a batch of token-id sequences: element b holds the decision values [C] of docs[b] (e.g.
// Differentiable::batch_scores_of, one matrix product per layer over the batch). Must be
// thread-safe if the caller runs documents in parallel.
using BatchScorer = std::function<std::vector<Vec>(std::span<const std::vector<TokenId>> docs)>;

// Every ordering of one document at once: for each orders[i] the trace delete_and_score(scorer, ids,
// orders[i], max_delete, target, deleted_id) would give, with all the variants (the document itself
// once, and after 1..min(max_delete, |order|) deletions along each ordering) scored in ONE call of
// `scorer`. Same errors as delete_and_score.
std::vector<DeletionTrace> delete_and_score_batch(const BatchScorer& scorer, std::span<const TokenId> ids,
                                                  std::span<const std::vector<std::size_t>> orders,
                                                  int max_delete, int target, TokenId deleted_id = -1);

// A document that is scored again after each deletion. The generic one (IdsScorer) rescores the
// whole id sequence with a Scorer (delete_and_score_batch above scores all the states at once); a
// model can offer a faster one that only recomputes what a deletion changes (Classifier::deletion_scorer();
// lrp/models/cnn_deletion_scorer.h for the CNN).
using DocumentScorer = textlrp::lrp::DeletionScorer;

class IdsScorer final : public DocumentScorer {
 public:
  IdsScorer(Scorer scorer, std::span<const TokenId> ids, TokenId deleted_id = -1)
      : scorer_(std::move(scorer)), ids_(ids.begin(), ids.end()), deleted_id_(deleted_id) {}
  Vec scores() override { return scorer_(ids_); }
  void remove(std::size_t position) override { ids_.at(position) = deleted_id_; }
  std::size_t size() const override { return ids_.size(); }

 private:
  Scorer scorer_;
  std::vector<TokenId> ids_;
  TokenId deleted_id_;
};

// The same experiment on any DocumentScorer (which it modifies).
DeletionTrace delete_and_score(DocumentScorer& scorer, std::span<const std::size_t> order, int max_delete,
                               int target);

// Sums traces of many documents into one curve.
class DeletionCurve {
 public:
  explicit DeletionCurve(int max_delete = 0);
  // Adds one trace of a document whose true class is `label`, counted with `weight` (e.g.
  // 1/n_seeds for each seed of the random ordering, so the document still counts once).
  // Precondition: trace.predicted.size() == max_delete + 1 == trace.score.size().
  void add(const DeletionTrace& trace, int label, double weight = 1.0);
  // Merges another curve with the same max_delete.
  void merge(const DeletionCurve& other);

  int max_delete() const { return max_delete_; }
  double documents() const { return weight_; }  // Σ weights (= number of documents)
  std::vector<double> accuracy() const;         // [K+1]; zeros when empty
  std::vector<double> mean_score() const;       // [K+1] mean target score
  // AOPC of the accuracy curve; `rising` = the misclassified-documents convention (see above).
  double aopc(bool rising = false) const;
  double score_aopc(bool rising = false) const;

 private:
  int max_delete_;
  double weight_ = 0;
  std::vector<double> correct_;    // [K+1] Σ weight · [predicted == label]
  std::vector<double> score_sum_;  // [K+1] Σ weight · score
};

// 1/(K+1) Σ_k (curve[0] − curve[k]) (or the negation when rising); 0 for an empty curve.
double area_over_curve(std::span<const double> curve, bool rising);

}  // namespace textlrp::analysis
