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
  std::string model;      // "" = unnamed
  std::string weighting;  // "" = unnamed
  std::string source;     // the file the vectors were read from, "" = computed in place (for errors)
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
// What the errors call a vector set: "the lrp vectors of model 'sms' in v.tsv", "the lrp vectors"
// (no model name), "" (neither name nor file: the rows of an API call).
std::string describe(const VectorSet& set);

// k-NN cross-validation of the labelled rows. FormatError, naming the set (describe) and saying
// what was found and what is needed, for labelled rows of fewer than two classes (none labelled,
// or all of one class) and for a value that is not finite (naming the document and column);
// InvalidArgument for fewer labelled rows than options.folds (and the other bad options of
// knn_cross_validate).
EpiRow explanatory_power(const VectorSet& set, const EpiOptions& options);

}  // namespace textlrp::analysis
