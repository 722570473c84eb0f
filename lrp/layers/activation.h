// lrp/layers/activation.h — ReLU. LRP passes relevance through unchanged (Montavon et al. 2019:
// element-wise activations are part of the neuron whose pre-activation the next rule sees).
//   x: [N x n] -> y = max(x, 0): [N x n]
#pragma once

#include "core/tensor.h"
#include "lrp/rules.h"

namespace textlrp::lrp {

class Relu {
 public:
  struct Cache {
    Mat y;  // [N x n] output; y > 0 exactly where x > 0
  };
  struct Grads {};  // no parameters

  Mat forward(const Mat& x, Cache* cache = nullptr) const {
    Mat y = x.cwiseMax(Scalar(0));  // [N x n]
    if (cache != nullptr) cache->y = y;
    return y;
  }
  // Relevance passes unchanged; the rule is not used.
  Mat relevance(const Cache& /*cache*/, const Mat& r_out, const Rule& /*rule*/) const { return r_out; }
  // dL/dx = dL/dy ⊙ [x > 0]  (the subgradient at 0 is 0, as in PyTorch).
  Mat backward(const Cache& cache, const Mat& grad_out, Grads* /*grads*/) const {
    return (cache.y.array() > Scalar(0)).select(grad_out, Scalar(0));
  }
};

}  // namespace textlrp::lrp
