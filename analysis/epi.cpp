#include "analysis/epi.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

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

std::string describe(const VectorSet& set) {
  std::string what;
  if (!set.model.empty()) {
    what = set.weighting.empty() ? fmt::format("the vectors of model '{}'", set.model)
                                 : fmt::format("the {} vectors of model '{}'", set.weighting, set.model);
  } else if (!set.weighting.empty()) {
    what = fmt::format("the {} vectors", set.weighting);
  }
  if (!set.source.empty()) what += fmt::format("{}in {}", what.empty() ? "the vectors " : " ", set.source);
  return what;
}

EpiRow explanatory_power(const VectorSet& set, const EpiOptions& options) {
  const std::string what = describe(set);
  const std::string head = what.empty() ? std::string("epi") : "epi: " + what;
  if (static_cast<std::size_t>(set.x.rows()) != set.labels.size()) {
    throw InvalidArgument(fmt::format("{}: {} vectors but {} labels", head, set.x.rows(), set.labels.size()));
  }
  std::vector<int> labels;
  std::vector<Index> keep;
  const auto names = class_indices(set, labels, keep);
  const std::size_t unlabelled = set.labels.size() - keep.size();
  if (names.empty()) {
    throw FormatError(fmt::format(
        "{}: none of the {} documents has a label; the explanatory power index needs labelled documents "
        "of at least two classes",
        head, set.labels.size()));
  }
  if (names.size() < 2) {
    throw FormatError(fmt::format(
        "{}: all {} labelled documents are of class '{}'{}; the explanatory power index needs labelled "
        "documents of at least two classes",
        head, keep.size(), names.front(),
        unlabelled ? fmt::format(" ({} more without a label)", unlabelled) : std::string()));
  }
  if (options.folds >= 2 && keep.size() < static_cast<std::size_t>(options.folds)) {
    throw InvalidArgument(fmt::format(
        "{}: {} labelled documents for --folds {}: the cross-validation needs at least one document per "
        "fold (--folds {} or fewer)",
        head, keep.size(), options.folds, keep.size()));
  }
  for (Index i : keep) {
    for (Index j = 0; j < set.x.cols(); ++j) {
      const double v = set.x(i, j);
      if (std::isfinite(v)) continue;
      const auto r = static_cast<std::size_t>(i);
      const std::string id =
          r < set.ids.size() && !set.ids[r].empty() ? fmt::format(" '{}'", set.ids[r]) : "";
      throw FormatError(fmt::format("{}: document{} (row {}), column {}: expected a finite number, found {}",
                                    head, id, r + 1, j + 1, v));
    }
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
