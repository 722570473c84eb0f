#include "analysis/deletion.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "analysis/knn.h"
#include "core/error.h"
#include "lrp/models/classifier.h"

namespace textlrp::analysis {

std::vector<std::size_t> relevance_order(std::span<const double> relevance,
                                         std::span<const std::size_t> candidates, bool descending) {
  std::vector<std::size_t> order(candidates.begin(), candidates.end());
  for (std::size_t p : order) TEXTLRP_ASSERT(p < relevance.size());
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const double ra = relevance[a];
    const double rb = relevance[b];
    if (std::isnan(ra) || std::isnan(rb)) return !std::isnan(ra) && std::isnan(rb);
    return descending ? ra > rb : ra < rb;
  });
  return order;
}

std::vector<std::size_t> random_order(std::span<const std::size_t> candidates, std::uint64_t seed) {
  std::vector<Index> idx(candidates.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<Index>(i);
  seeded_shuffle(idx, seed);
  std::vector<std::size_t> out;
  out.reserve(idx.size());
  for (Index i : idx) out.push_back(candidates[static_cast<std::size_t>(i)]);
  return out;
}

DeletionTrace delete_and_score(DocumentScorer& scorer, std::span<const std::size_t> order, int max_delete,
                               int target) {
  if (max_delete < 0)
    throw InvalidArgument(fmt::format("deletion: max_delete must be >= 0, got {}", max_delete));
  DeletionTrace t;
  t.predicted.reserve(static_cast<std::size_t>(max_delete) + 1);
  t.score.reserve(static_cast<std::size_t>(max_delete) + 1);
  auto record = [&] {
    const Vec s = scorer.scores();
    if (target < 0 || target >= s.size()) {
      throw InvalidArgument(
          fmt::format("deletion: target class {} is out of range ({} classes)", target, s.size()));
    }
    t.predicted.push_back(lrp::argmax(s));
    t.score.push_back(static_cast<double>(s[target]));
  };
  record();
  const std::size_t n = std::min(order.size(), static_cast<std::size_t>(max_delete));
  for (std::size_t k = 0; k < n; ++k) {
    if (order[k] >= scorer.size()) {
      throw InvalidArgument(
          fmt::format("deletion: position {} is outside the document ({} tokens)", order[k], scorer.size()));
    }
    scorer.remove(order[k]);
    record();
  }
  // Fewer deletable tokens than max_delete: the document keeps its last state.
  while (t.predicted.size() < static_cast<std::size_t>(max_delete) + 1) {
    t.predicted.push_back(t.predicted.back());
    t.score.push_back(t.score.back());
  }
  return t;
}

DeletionTrace delete_and_score(const Scorer& scorer, std::span<const TokenId> ids,
                               std::span<const std::size_t> order, int max_delete, int target,
                               TokenId deleted_id) {
  IdsScorer s(scorer, ids, deleted_id);
  return delete_and_score(s, order, max_delete, target);
}

std::vector<DeletionTrace> delete_and_score_batch(const BatchScorer& scorer, std::span<const TokenId> ids,
                                                  std::span<const std::vector<std::size_t>> orders,
                                                  int max_delete, int target, TokenId deleted_id) {
  if (max_delete < 0)
    throw InvalidArgument(fmt::format("deletion: max_delete must be >= 0, got {}", max_delete));
  // variants[0] = the document; then, per ordering, the document after 1..n deletions.
  std::vector<std::vector<TokenId>> variants;
  variants.emplace_back(ids.begin(), ids.end());
  std::vector<std::size_t> first(orders.size());  // index in `variants` of each ordering's first deletion
  for (std::size_t i = 0; i < orders.size(); ++i) {
    first[i] = variants.size();
    std::vector<TokenId> work(ids.begin(), ids.end());
    const std::size_t n = std::min(orders[i].size(), static_cast<std::size_t>(max_delete));
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t p = orders[i][k];
      if (p >= work.size()) {
        throw InvalidArgument(
            fmt::format("deletion: position {} is outside the document ({} tokens)", p, work.size()));
      }
      work[p] = deleted_id;
      variants.push_back(work);
    }
  }
  const std::vector<Vec> scores = scorer(variants);
  TEXTLRP_ASSERT(scores.size() == variants.size());
  auto record = [&](DeletionTrace& t, const Vec& s) {
    if (target < 0 || target >= s.size()) {
      throw InvalidArgument(
          fmt::format("deletion: target class {} is out of range ({} classes)", target, s.size()));
    }
    t.predicted.push_back(lrp::argmax(s));
    t.score.push_back(static_cast<double>(s[target]));
  };
  std::vector<DeletionTrace> out(orders.size());
  for (std::size_t i = 0; i < orders.size(); ++i) {
    DeletionTrace& t = out[i];
    t.predicted.reserve(static_cast<std::size_t>(max_delete) + 1);
    t.score.reserve(static_cast<std::size_t>(max_delete) + 1);
    record(t, scores[0]);
    const std::size_t n = std::min(orders[i].size(), static_cast<std::size_t>(max_delete));
    for (std::size_t k = 0; k < n; ++k) record(t, scores[first[i] + k]);
    // Fewer deletable tokens than max_delete: the document keeps its last state.
    while (t.predicted.size() < static_cast<std::size_t>(max_delete) + 1) {
      t.predicted.push_back(t.predicted.back());
      t.score.push_back(t.score.back());
    }
  }
  if (orders.empty()) {
    DeletionTrace probe;  // the target is checked even without an ordering, as delete_and_score does
    record(probe, scores[0]);
  }
  return out;
}

DeletionCurve::DeletionCurve(int max_delete)
    : max_delete_(std::max(0, max_delete)),
      correct_(static_cast<std::size_t>(max_delete_) + 1, 0.0),
      score_sum_(static_cast<std::size_t>(max_delete_) + 1, 0.0) {}

void DeletionCurve::add(const DeletionTrace& trace, int label, double weight) {
  TEXTLRP_ASSERT(trace.predicted.size() == correct_.size() && trace.score.size() == correct_.size());
  weight_ += weight;
  for (std::size_t k = 0; k < correct_.size(); ++k) {
    if (trace.predicted[k] == label) correct_[k] += weight;
    score_sum_[k] += weight * trace.score[k];
  }
}

void DeletionCurve::merge(const DeletionCurve& other) {
  TEXTLRP_ASSERT(other.max_delete_ == max_delete_);
  weight_ += other.weight_;
  for (std::size_t k = 0; k < correct_.size(); ++k) {
    correct_[k] += other.correct_[k];
    score_sum_[k] += other.score_sum_[k];
  }
}

std::vector<double> DeletionCurve::accuracy() const {
  std::vector<double> a(correct_.size(), 0.0);
  if (weight_ <= 0) return a;
  for (std::size_t k = 0; k < a.size(); ++k) a[k] = correct_[k] / weight_;
  return a;
}

std::vector<double> DeletionCurve::mean_score() const {
  std::vector<double> a(score_sum_.size(), 0.0);
  if (weight_ <= 0) return a;
  for (std::size_t k = 0; k < a.size(); ++k) a[k] = score_sum_[k] / weight_;
  return a;
}

double area_over_curve(std::span<const double> curve, bool rising) {
  if (curve.empty()) return 0;
  double sum = 0;
  for (double v : curve) sum += curve[0] - v;
  const double aopc = sum / static_cast<double>(curve.size());
  return rising ? 0.0 - aopc : aopc;  // (0.0 - x, not -x: no "-0" in the output)
}

double DeletionCurve::aopc(bool rising) const { return area_over_curve(accuracy(), rising); }
double DeletionCurve::score_aopc(bool rising) const { return area_over_curve(mean_score(), rising); }

}  // namespace textlrp::analysis
