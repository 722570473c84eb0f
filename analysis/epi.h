// analysis/epi.h — the explanatory power index of a set of document vectors (analysis/knn.h) with
// the documents' ids and labels beside them: what `textlrp epi`, `docvec --epi` and the analysis
// report compute per (model, weighting).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/knn.h"

namespace textlrp::analysis {

// Document vectors of one weighting (a docvec TSV's rows of one model and weighting).
struct VectorSet {
  std::string model;
  std::string weighting;
  std::vector<std::string> ids;
  std::vector<std::string> labels;  // "" = unlabelled
  std::vector<std::string> predictions;
  DMat x;  // [n x E]
};

// Labels of a vector set as class indices (classes sorted by name; rows without a label are
// dropped from `keep`). Returns the class names.
std::vector<std::string> class_indices(const VectorSet& set, std::vector<int>& labels,
                                       std::vector<Index>& keep);

struct EpiOptions {
  Distance distance = Distance::kCosine;
  int folds = 10;
  Index k_max = 20;
  std::uint64_t seed = 1;
  bool normalize = true;  // unit-length vectors first
};
struct EpiRow {
  std::string source;  // file name, or "" when computed in place
  std::string model;
  std::string weighting;
  std::size_t documents = 0;
  CrossValidation cv;
};
// k-NN cross-validation of the labelled rows. FormatError for fewer than two classes.
EpiRow explanatory_power(const VectorSet& set, const EpiOptions& options);

}  // namespace textlrp::analysis
