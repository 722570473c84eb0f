#include "lrp/models/cnn_deletion_scorer.h"

#include <algorithm>

#include "core/error.h"

namespace textlrp::lrp {

std::unique_ptr<DeletionScorer> CnnClassifier::deletion_scorer(std::span<const TokenId> ids) const {
  return std::make_unique<CnnDeletionScorer>(*this, ids);
}

CnnDeletionScorer::CnnDeletionScorer(const CnnClassifier& model, std::span<const TokenId> ids)
    : model_(model), n_ids_(ids.size()) {
  n_used_ = std::min(static_cast<Index>(ids.size()), model.max_tokens());
  const Index n_rows = std::max(n_used_, model.max_kernel());
  x_ = model.embedding().forward(ids.first(static_cast<std::size_t>(n_used_)), n_rows);  // [T₊ x E]
  for (const lrp::Conv1d& conv : model.convs()) z_.push_back(conv.forward(x_));          // [T' x F]
}

Vec CnnDeletionScorer::scores() {
  const auto& convs = model_.convs();
  const Index n_filters = convs[0].n_filters();
  Mat pooled(1, static_cast<Index>(convs.size()) * n_filters);  // [1 x n_widths·F]
  for (std::size_t i = 0; i < convs.size(); ++i) {
    // max_t relu(z) = max(0, max_t z)
    pooled.middleCols(static_cast<Index>(i) * n_filters, n_filters) =
        z_[i].colwise().maxCoeff().cwiseMax(Scalar(0));
  }
  const Mat s = model_.fc().forward(pooled);  // [1 x C]
  return s.row(0).transpose();
}

void CnnDeletionScorer::remove(std::size_t position) {
  TEXTLRP_ASSERT(position < n_ids_);
  const auto p = static_cast<Index>(position);
  if (p >= n_used_) return;  // truncated away: the model never read it
  x_.row(p).setZero();
  const auto& convs = model_.convs();
  for (std::size_t i = 0; i < convs.size(); ++i) {
    const Index k = convs[i].kernel();
    const Index n_windows = z_[i].rows();  // T₊ − K + 1
    const Index t0 = std::max<Index>(0, p - k + 1);
    const Index t1 = std::min(p, n_windows - 1);
    if (t1 < t0) continue;
    const Mat slab = x_.middleRows(t0, t1 - t0 + k);             // the input rows windows t0..t1 read
    z_[i].middleRows(t0, t1 - t0 + 1) = convs[i].forward(slab);  // [t1-t0+1 x F]
  }
}

}  // namespace textlrp::lrp
