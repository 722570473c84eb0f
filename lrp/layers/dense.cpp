#include "lrp/layers/dense.h"

#include <fmt/format.h>

#include "core/cpu_isa.h"
#include "core/error.h"
#include "lrp/isa/dense_kernels.h"
#include "lrp/kernels.h"

namespace textlrp::lrp {

Dense::Dense(Mat weight, Vec bias) : weight_(std::move(weight)), bias_(std::move(bias)) {
  if (bias_.size() != weight_.rows()) {
    throw InvalidArgument(fmt::format("dense layer: weight [{} x {}] needs a bias of size {}, got {}",
                                      weight_.rows(), weight_.cols(), weight_.rows(), bias_.size()));
  }
}

Mat Dense::forward(const Mat& x, Cache* cache) const {
  TEXTLRP_ASSERT(x.cols() == n_in());
  Mat y(x.rows(), n_out());  // [N x n_out]
  TEXTLRP_ISA_DISPATCH(sgemm(false, true, x.rows(), n_out(), n_in(), 1.0f, x.data(), n_in(), weight_.data(),
                             n_in(), 0.0f, y.data(), n_out()));
  y.rowwise() += bias_.transpose();
  if (cache != nullptr) {
    cache->x = x;
    cache->z = y;
  }
  return y;
}

Mat Dense::relevance(const Cache& cache, const Mat& r_out, const Rule& rule) const {
  return linear_relevance(cache.x, weight_, bias_, r_out, rule, &cache.z);  // [N x n_in]
}

Mat Dense::backward(const Cache& cache, const Mat& grad_out, Grads* grads) const {
  TEXTLRP_ASSERT(grad_out.rows() == cache.x.rows() && grad_out.cols() == n_out());
  if (grads != nullptr) {
    if (grads->weight.size() == 0) {
      grads->weight = Mat::Zero(n_out(), n_in());
      grads->bias = Vec::Zero(n_out());
    }
    grads->weight.noalias() += grad_out.transpose() * cache.x;  // [n_out x n_in]
    grads->bias += grad_out.colwise().sum().transpose();        // [n_out]
  }
  Mat grad_x;
  grad_x.noalias() = grad_out * weight_;  // [N x n_in]
  return grad_x;
}

}  // namespace textlrp::lrp
