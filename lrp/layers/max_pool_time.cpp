#include "lrp/layers/max_pool_time.h"

#include "core/error.h"
#include "lrp/kernels.h"

namespace textlrp::lrp {

Mat MaxOverTime::forward(const Mat& x, Cache* cache) const {
  TEXTLRP_ASSERT(x.rows() >= 1);
  Mat y = x.row(0);  // [1 x F] running max, scanned row by row (x is row-major)
  std::vector<Index> winner(static_cast<std::size_t>(x.cols()), 0);
  for (Index t = 1; t < x.rows(); ++t) {
    for (Index f = 0; f < x.cols(); ++f) {
      if (x(t, f) > y(0, f)) {  // strict: the first maximum wins ties
        y(0, f) = x(t, f);
        winner[static_cast<std::size_t>(f)] = t;
      }
    }
  }
  if (cache != nullptr) {
    cache->winner = std::move(winner);
    cache->n_rows = x.rows();
  }
  return y;
}

Mat MaxOverTime::relevance(const Cache& cache, const Mat& r_out, const Rule& /*rule*/) const {
  return wta_relevance(cache.winner, cache.n_rows, r_out);  // [T x F]
}

Mat MaxOverTime::backward(const Cache& cache, const Mat& grad_out, Grads* /*grads*/) const {
  return wta_relevance(cache.winner, cache.n_rows, grad_out);  // [T x F]
}

}  // namespace textlrp::lrp
