#include "analysis/knn.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace textlrp::analysis {

std::string_view distance_name(Distance d) { return d == Distance::kCosine ? "cosine" : "euclidean"; }

Distance parse_distance(std::string_view name) {
  if (name == "cosine") return Distance::kCosine;
  if (name == "euclidean") return Distance::kEuclidean;
  throw InvalidArgument(fmt::format("unknown distance '{}'; valid distances: cosine, euclidean", name));
}

void seeded_shuffle(std::span<Index> values, std::uint64_t seed) {
  std::uint64_t state = seed;
  for (std::size_t i = values.size(); i > 1; --i) {
    // Unbiased enough for i << 2^64: the modulo bias is below 2^-40 for any realistic size.
    const std::size_t j = static_cast<std::size_t>(splitmix64_next(state) % i);
    std::swap(values[i - 1], values[j]);
  }
}

namespace {

// Distances [m x n] between the rows of query and train (squared for euclidean: same ranking).
DMat distance_matrix(const DMat& train, const DMat& query, Distance distance) {
  DMat dot = query * train.transpose();  // [m x n]
  if (distance == Distance::kCosine) {
    const DVec qn = query.rowwise().norm();
    const DVec tn = train.rowwise().norm();
    for (Index i = 0; i < dot.rows(); ++i) {
      for (Index j = 0; j < dot.cols(); ++j) {
        const double den = qn[i] * tn[j];
        dot(i, j) = den > 0 ? 1.0 - dot(i, j) / den : 1.0;
      }
    }
    return dot;
  }
  const DVec q2 = query.rowwise().squaredNorm();
  const DVec t2 = train.rowwise().squaredNorm();
  for (Index i = 0; i < dot.rows(); ++i) {
    for (Index j = 0; j < dot.cols(); ++j) dot(i, j) = std::max(0.0, q2[i] + t2[j] - 2.0 * dot(i, j));
  }
  return dot;
}

}  // namespace

std::vector<std::vector<Index>> nearest_neighbours(const DMat& train, const DMat& query, Index k_max,
                                                   Distance distance) {
  TEXTLRP_ASSERT(train.cols() == query.cols());
  const Index n = train.rows();
  const Index k = std::min(k_max, n);
  std::vector<std::vector<Index>> out(static_cast<std::size_t>(query.rows()));
  if (k <= 0) return out;
  // Row blocks keep the distance matrix small for large corpora.
  constexpr Index kBlock = 512;
  std::vector<Index> idx(static_cast<std::size_t>(n));
  for (Index b = 0; b < query.rows(); b += kBlock) {
    const Index rows = std::min(kBlock, query.rows() - b);
    const DMat d = distance_matrix(train, query.middleRows(b, rows), distance);
    for (Index i = 0; i < rows; ++i) {
      std::iota(idx.begin(), idx.end(), Index{0});
      auto less = [&](Index a, Index c) { return d(i, a) < d(i, c) || (d(i, a) == d(i, c) && a < c); };
      std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), less);
      out[static_cast<std::size_t>(b + i)].assign(idx.begin(), idx.begin() + k);
    }
  }
  return out;
}

int vote(std::span<const Index> neighbours, std::span<const int> labels, Index k, int n_classes) {
  TEXTLRP_ASSERT(k >= 1 && static_cast<std::size_t>(k) <= neighbours.size());
  std::vector<int> votes(static_cast<std::size_t>(n_classes), 0);
  std::vector<Index> first(static_cast<std::size_t>(n_classes), k);
  for (Index i = 0; i < k; ++i) {
    const int c = labels[static_cast<std::size_t>(neighbours[static_cast<std::size_t>(i)])];
    ++votes[static_cast<std::size_t>(c)];
    first[static_cast<std::size_t>(c)] = std::min(first[static_cast<std::size_t>(c)], i);
  }
  int best = -1;
  for (int c = 0; c < n_classes; ++c) {
    const auto uc = static_cast<std::size_t>(c);
    if (votes[uc] == 0) continue;
    if (best < 0 || votes[uc] > votes[static_cast<std::size_t>(best)] ||
        (votes[uc] == votes[static_cast<std::size_t>(best)] &&
         first[uc] < first[static_cast<std::size_t>(best)])) {
      best = c;
    }
  }
  return best;
}

std::vector<int> knn_classify(const DMat& train, std::span<const int> train_labels, const DMat& query,
                              Index k, Distance distance) {
  if (static_cast<std::size_t>(train.rows()) != train_labels.size()) {
    throw InvalidArgument(
        fmt::format("knn: {} training vectors but {} labels", train.rows(), train_labels.size()));
  }
  if (k < 1) throw InvalidArgument("knn: k must be at least 1");
  int n_classes = 0;
  for (int l : train_labels) {
    if (l < 0) throw InvalidArgument("knn: labels must be >= 0");
    n_classes = std::max(n_classes, l + 1);
  }
  const auto nn = nearest_neighbours(train, query, k, distance);
  std::vector<int> out;
  out.reserve(nn.size());
  for (const auto& row : nn) {
    out.push_back(
        row.empty() ? -1
                    : vote(row, train_labels, std::min<Index>(k, static_cast<Index>(row.size())), n_classes));
  }
  return out;
}

std::vector<int> stratified_folds(std::span<const int> labels, int n_folds, std::uint64_t seed) {
  if (n_folds < 2)
    throw InvalidArgument(fmt::format("cross-validation needs at least 2 folds, got {}", n_folds));
  if (static_cast<std::size_t>(n_folds) > labels.size()) {
    throw InvalidArgument(
        fmt::format("cross-validation: {} folds for only {} documents", n_folds, labels.size()));
  }
  int n_classes = 0;
  for (int l : labels) n_classes = std::max(n_classes, l + 1);
  std::vector<int> fold(labels.size(), 0);
  int next = 0;  // dealing continues across classes so small classes do not all start in fold 0
  for (int c = 0; c < n_classes; ++c) {
    std::vector<Index> rows;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] == c) rows.push_back(static_cast<Index>(i));
    }
    seeded_shuffle(rows, seed + 0x51ED270Bull * static_cast<std::uint64_t>(c + 1));
    for (Index r : rows) {
      fold[static_cast<std::size_t>(r)] = next;
      next = (next + 1) % n_folds;
    }
  }
  return fold;
}

CrossValidation knn_cross_validate(const DMat& x, std::span<const int> labels, Index k_max, int n_folds,
                                   Distance distance, std::uint64_t seed) {
  if (static_cast<std::size_t>(x.rows()) != labels.size()) {
    throw InvalidArgument(fmt::format("knn: {} vectors but {} labels", x.rows(), labels.size()));
  }
  if (k_max < 1) throw InvalidArgument("knn: k_max must be at least 1");
  int n_classes = 0;
  for (int l : labels) {
    if (l < 0) throw InvalidArgument("knn: labels must be >= 0");
    n_classes = std::max(n_classes, l + 1);
  }
  const std::vector<int> fold = stratified_folds(labels, n_folds, seed);
  CrossValidation cv;
  cv.n_folds = n_folds;
  cv.k_max = k_max;
  cv.accuracy.assign(static_cast<std::size_t>(k_max), 0.0);
  for (int f = 0; f < n_folds; ++f) {
    std::vector<Index> train_rows, test_rows;
    for (std::size_t i = 0; i < fold.size(); ++i)
      (fold[i] == f ? test_rows : train_rows).push_back(static_cast<Index>(i));
    const DMat train = x(train_rows, Eigen::all);
    const DMat test = x(test_rows, Eigen::all);
    std::vector<int> train_labels;
    train_labels.reserve(train_rows.size());
    for (Index r : train_rows) train_labels.push_back(labels[static_cast<std::size_t>(r)]);
    const auto nn = nearest_neighbours(train, test, k_max, distance);
    std::vector<double> acc(static_cast<std::size_t>(k_max), 0.0);
    for (std::size_t q = 0; q < test_rows.size(); ++q) {
      const int truth = labels[static_cast<std::size_t>(test_rows[q])];
      for (Index k = 1; k <= k_max; ++k) {
        const Index kk = std::min<Index>(k, static_cast<Index>(nn[q].size()));
        if (kk > 0 && vote(nn[q], train_labels, kk, n_classes) == truth)
          acc[static_cast<std::size_t>(k - 1)] += 1;
      }
    }
    for (double& a : acc) a /= static_cast<double>(std::max<std::size_t>(1, test_rows.size()));
    for (Index k = 0; k < k_max; ++k)
      cv.accuracy[static_cast<std::size_t>(k)] += acc[static_cast<std::size_t>(k)] / n_folds;
    cv.fold_accuracy.push_back(std::move(acc));
  }
  cv.best_k = 1;
  cv.best_accuracy = cv.accuracy[0];
  for (Index k = 2; k <= k_max; ++k) {
    if (cv.accuracy[static_cast<std::size_t>(k - 1)] > cv.best_accuracy) {
      cv.best_accuracy = cv.accuracy[static_cast<std::size_t>(k - 1)];
      cv.best_k = k;
    }
  }
  return cv;
}

}  // namespace textlrp::analysis
