#include "analysis/epi.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace textlrp::analysis {

std::vector<std::string> class_indices(const VectorSet& set, std::vector<int>& labels,
                                       std::vector<Index>& keep) {
  std::vector<std::string> names;
  for (const auto& l : set.labels) {
    if (!l.empty()) names.push_back(l);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  labels.clear();
  keep.clear();
  for (std::size_t i = 0; i < set.labels.size(); ++i) {
    if (set.labels[i].empty()) continue;
    labels.push_back(
        static_cast<int>(std::lower_bound(names.begin(), names.end(), set.labels[i]) - names.begin()));
    keep.push_back(static_cast<Index>(i));
  }
  return names;
}

EpiRow explanatory_power(const VectorSet& set, const EpiOptions& options) {
  std::vector<int> labels;
  std::vector<Index> keep;
  const auto names = class_indices(set, labels, keep);
  if (names.size() < 2) {
    throw FormatError(fmt::format("epi: the {} vectors of model '{}' need labels of at least two classes",
                                  set.weighting, set.model));
  }
  DMat x = set.x(keep, Eigen::all);
  if (options.normalize) normalize_rows(x);
  EpiRow row;
  row.model = set.model;
  row.weighting = set.weighting;
  row.documents = keep.size();
  row.cv = knn_cross_validate(x, labels, options.k_max, options.folds, options.distance, options.seed);
  return row;
}

}  // namespace textlrp::analysis
