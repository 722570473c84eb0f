#include "lrp/layers/conv1d.h"

#include <fmt/format.h>

#include "core/error.h"
#include "lrp/kernels.h"

namespace textlrp::lrp {

Conv1d::Conv1d(Mat weight, Index n_in, Index kernel, Vec bias)
    : n_in_(n_in), kernel_(kernel), weight_(std::move(weight)), bias_(std::move(bias)) {
  if (kernel_ < 1 || n_in_ < 1 || weight_.cols() != n_in_ * kernel_ || bias_.size() != weight_.rows()) {
    throw InvalidArgument(fmt::format("conv1d layer: weight [{} x {}] and bias [{}] do not fit E = {}, K = {}",
                                      weight_.rows(), weight_.cols(), bias_.size(), n_in_, kernel_));
  }
  // Permute [F x E x K] to [F x K x E] once, so a window is K contiguous rows of x.
  weight_km_.resize(weight_.rows(), weight_.cols());  // [F x K·E]
  for (Index f = 0; f < weight_.rows(); ++f) {
    for (Index e = 0; e < n_in_; ++e) {
      for (Index k = 0; k < kernel_; ++k) weight_km_(f, k * n_in_ + e) = weight_(f, e * kernel_ + k);
    }
  }
}

Mat Conv1d::unfold(const Mat& x) const {
  TEXTLRP_ASSERT(x.cols() == n_in_ && x.rows() >= kernel_);
  const Index n_out_rows = x.rows() - kernel_ + 1;
  Mat u(n_out_rows, kernel_ * n_in_);  // [T' x K·E]
  for (Index k = 0; k < kernel_; ++k) u.middleCols(k * n_in_, n_in_) = x.middleRows(k, n_out_rows);
  return u;
}

Mat Conv1d::fold(const Mat& u, Index n_rows) const {
  const Index n_out_rows = n_rows - kernel_ + 1;
  TEXTLRP_ASSERT(u.rows() == n_out_rows && u.cols() == kernel_ * n_in_);
  Mat x = Mat::Zero(n_rows, n_in_);  // [T x E]
  for (Index k = 0; k < kernel_; ++k) x.middleRows(k, n_out_rows) += u.middleCols(k * n_in_, n_in_);
  return x;
}

Mat Conv1d::forward(const Mat& x, Cache* cache) const {
  Mat u = unfold(x);  // [T' x K·E]
  Mat z;
  z.noalias() = u * weight_km_.transpose();  // [T' x F]
  z.rowwise() += bias_.transpose();
  if (cache != nullptr) {
    cache->unfolded = std::move(u);
    cache->z = z;
    cache->n_rows = x.rows();
  }
  return z;
}

Mat Conv1d::relevance(const Cache& cache, const Mat& r_out, const Rule& rule) const {
  const Mat r_u = linear_relevance(cache.unfolded, weight_km_, bias_, r_out, rule, &cache.z);  // [T' x K·E]
  return fold(r_u, cache.n_rows);                                                              // [T x E]
}

Mat Conv1d::backward(const Cache& cache, const Mat& grad_out, Grads* grads) const {
  TEXTLRP_ASSERT(grad_out.rows() == cache.unfolded.rows() && grad_out.cols() == n_filters());
  if (grads != nullptr) {
    if (grads->weight.size() == 0) {
      grads->weight = Mat::Zero(weight_.rows(), weight_.cols());
      grads->bias = Vec::Zero(n_filters());
    }
    Mat g_km;
    g_km.noalias() = grad_out.transpose() * cache.unfolded;  // [F x K·E]
    for (Index f = 0; f < g_km.rows(); ++f) {
      for (Index e = 0; e < n_in_; ++e) {
        for (Index k = 0; k < kernel_; ++k) grads->weight(f, e * kernel_ + k) += g_km(f, k * n_in_ + e);
      }
    }
    grads->bias += grad_out.colwise().sum().transpose();  // [F]
  }
  // dL/dU = grad_out · W̃  [T' x K·E]. After max over time grad_out has at most one non-zero per
  // filter, so a sparse accumulation (O(nnz·K·E)) replaces the GEMM when at most 1/8 is non-zero.
  Index nnz = 0;
  for (Index i = 0; i < grad_out.size(); ++i) nnz += grad_out.data()[i] != 0 ? 1 : 0;
  Mat g_u;
  if (8 * nnz <= grad_out.size()) {
    g_u = Mat::Zero(grad_out.rows(), weight_km_.cols());
    for (Index t = 0; t < grad_out.rows(); ++t) {
      for (Index f = 0; f < grad_out.cols(); ++f) {
        if (grad_out(t, f) != 0) g_u.row(t) += grad_out(t, f) * weight_km_.row(f);
      }
    }
  } else {
    g_u.noalias() = grad_out * weight_km_;
  }
  return fold(g_u, cache.n_rows);  // [T x E]
}

}  // namespace textlrp::lrp
