#include "lrp/layers/embedding.h"

#include "core/error.h"

namespace textlrp::lrp {

Mat Embedding::forward(std::span<const TokenId> ids, Index n_rows, Cache* cache) const {
  TEXTLRP_ASSERT(n_rows >= static_cast<Index>(ids.size()));
  Mat x = Mat::Zero(n_rows, n_embd());  // [n_rows x E]
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (valid(ids[t])) x.row(static_cast<Index>(t)) = weight_.row(ids[t]);
  }
  if (cache != nullptr) {
    cache->ids.assign(ids.begin(), ids.end());
    cache->n_rows = n_rows;
  }
  return x;
}

void Embedding::backward(const Cache& cache, const Mat& grad_out, Grads* grads) const {
  TEXTLRP_ASSERT(grad_out.rows() == cache.n_rows && grad_out.cols() == n_embd());
  if (grads == nullptr) return;
  for (std::size_t t = 0; t < cache.ids.size(); ++t) {
    if (!valid(cache.ids[t])) continue;
    grads->ids.push_back(cache.ids[t]);
    grads->rows.push_back(grad_out.row(static_cast<Index>(t)).transpose());
  }
}

}  // namespace textlrp::lrp
