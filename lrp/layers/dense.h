// lrp/layers/dense.h — fully connected layer  y = x·Wᵀ + b  (PyTorch nn.Linear layout).
//
//   x: [N x n_in]   W: [n_out x n_in]   b: [n_out]   y: [N x n_out]
// Used by the CNN's output layer (role "fc"); LRP goes through lrp/kernels.h, so every rule of
// lrp/rules.h is supported with the equations documented there.
#pragma once

#include "core/tensor.h"
#include "lrp/rules.h"

namespace textlrp::lrp {

class Dense {
 public:
  struct Cache {
    Mat x;  // [N x n_in]  input
    Mat z;  // [N x n_out] output (pre-activation), reused by relevance()
  };
  struct Grads {
    Mat weight;  // [n_out x n_in]
    Vec bias;    // [n_out]
  };

  // Throws InvalidArgument if bias.size() != weight.rows().
  Dense(Mat weight, Vec bias);

  // x: [N x n_in] (precondition, TEXTLRP_ASSERT) -> [N x n_out]. `cache` may be nullptr.
  Mat forward(const Mat& x, Cache* cache = nullptr) const;
  // r_out: [N x n_out] -> r_in [N x n_in]. `cache` must come from forward().
  Mat relevance(const Cache& cache, const Mat& r_out, const Rule& rule) const;
  // grad_out = dL/dy [N x n_out] -> dL/dx [N x n_in]. If `grads` is not nullptr, adds
  // dL/dW = grad_outᵀ·x and dL/db = Σ_n grad_out to it (sized and zeroed first if empty).
  Mat backward(const Cache& cache, const Mat& grad_out, Grads* grads) const;

  Index n_in() const { return weight_.cols(); }
  Index n_out() const { return weight_.rows(); }
  const Mat& weight() const { return weight_; }
  const Vec& bias() const { return bias_; }

 private:
  Mat weight_;  // [n_out x n_in]
  Vec bias_;    // [n_out]
};

}  // namespace textlrp::lrp
