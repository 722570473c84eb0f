// lrp/layers/max_pool_time.h — max over time: one value per feature (column), the text CNN's pooling.
//   x: [T x F] -> y: [1 x F],  y[f] = max_t x[t, f]; the winner is the first t holding the max.
// LRP is winner-take-all: all of y[f]'s relevance goes to (winner[f], f) (lrp/kernels.h
// wta_relevance); the gradient flows the same way. Users: lrp/models/cnn_classifier.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "lrp/rules.h"

namespace textlrp::lrp {

class MaxOverTime {
 public:
  struct Cache {
    std::vector<Index> winner;  // [F] time step of each column's max
    Index n_rows = 0;           // T
  };
  struct Grads {};  // no parameters

  // x: [T x F] with T >= 1 (precondition, TEXTLRP_ASSERT) -> [1 x F].
  Mat forward(const Mat& x, Cache* cache = nullptr) const;
  // r_out: [1 x F] -> [T x F], zero except at the winners. The rule is not used.
  Mat relevance(const Cache& cache, const Mat& r_out, const Rule& rule) const;
  Mat backward(const Cache& cache, const Mat& grad_out, Grads* grads) const;
};

}  // namespace textlrp::lrp
