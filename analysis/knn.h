// analysis/knn.h — k-nearest-neighbour classification, stratified k-fold cross-validation, and
// the explanatory power index (EPI) of Arras et al. (2017, "What is relevant in a text document?
// An interpretable machine learning approach", PLoS ONE 12(8)).
//
// The EPI of a set of document vectors (one per document, e.g. word vectors weighted by LRP
// relevance) is how well their neighbourhoods agree with the documents' classes: the best mean
// KNN accuracy over k = 1..k_max (20 in the paper) under 10-fold cross-validation. A weighting
// that puts the words the classifier relies on into the vector gives a higher EPI.
//
// Determinism: neighbours are ordered by (distance, training-row index), so equal distances never
// depend on the sort; a vote tie between classes goes to the tied class whose nearest member is
// closest (for k = 1 that is just the nearest neighbour). Folds are stratified: each class's rows
// are shuffled with a seeded SplitMix64 Fisher-Yates shuffle (the same on every platform) and dealt
// to the folds in turn, class after class, so every fold gets ⌊n_c / n_folds⌋ or one more of class c.
//
// Used by `textlrp epi` (apps/cmd_epi.cpp) and the analysis report.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "analysis/pca.h"
#include "core/rng.h"

namespace textlrp::analysis {

// cosine: d(a, b) = 1 − a·b / (|a| |b|)  (a zero vector has cosine 0 to everything: distance 1).
// euclidean: d(a, b) = |a − b| (ranked by the squared distance).
enum class Distance { kCosine, kEuclidean };
std::string_view distance_name(Distance d);
// "cosine" or "euclidean"; InvalidArgument otherwise.
Distance parse_distance(std::string_view name);

// The k_max nearest rows of `train` [n x d] for each row of `query` [m x d], nearest first, as
// row indices into train ([m][min(k_max, n)]). Ties by lower index.
std::vector<std::vector<Index>> nearest_neighbours(const DMat& train, const DMat& query, Index k_max,
                                                   Distance distance);

// Majority vote among the first k of `neighbours` (indices into `labels`), with the tie-break above.
// Precondition: 1 <= k <= neighbours.size(), labels in [0, n_classes).
int vote(std::span<const Index> neighbours, std::span<const int> labels, Index k, int n_classes);

// KNN predictions for the rows of `query` with k neighbours.
std::vector<int> knn_classify(const DMat& train, std::span<const int> train_labels, const DMat& query,
                              Index k, Distance distance);

// Fold (0..n_folds-1) of each row, stratified by label as described above.
// Throws InvalidArgument if n_folds < 2 or n_folds > labels.size().
std::vector<int> stratified_folds(std::span<const int> labels, int n_folds, std::uint64_t seed);

struct CrossValidation {
  int n_folds = 0;
  Index k_max = 0;
  std::vector<double> accuracy;  // [k_max] mean over folds of the fold accuracy, k = 1..k_max
  std::vector<std::vector<double>> fold_accuracy;  // [n_folds][k_max]
  Index best_k = 0;                                // arg max of accuracy (the smallest such k)
  double best_accuracy = 0;                        // = the explanatory power index
};

// n_folds-fold cross-validation of KNN for k = 1..k_max on the rows of x with their labels
// (each label in [0, n_classes), n_classes = max label + 1). k larger than a fold's training set is
// capped at its size. Throws InvalidArgument for mismatched sizes, negative labels, k_max < 1, or a
// bad n_folds (see stratified_folds).
CrossValidation knn_cross_validate(const DMat& x, std::span<const int> labels, Index k_max, int n_folds,
                                   Distance distance, std::uint64_t seed);

// SplitMix64 (core/rng.h), the project's platform-independent seeded generator, drives the folds
// and the random deletion order.
using textlrp::splitmix64_next;
// Fisher-Yates shuffle driven by splitmix64_next (identical on every platform, unlike std::shuffle).
void seeded_shuffle(std::span<Index> values, std::uint64_t seed);

}  // namespace textlrp::analysis
