#include "lrp/layers/conv1d.h"

#include <fmt/format.h>

#include "core/cpu_isa.h"
#include "core/error.h"
#include "lrp/isa/dense_kernels.h"
#include "lrp/kernels.h"

namespace textlrp::lrp {

Conv1d::Conv1d(Mat weight, Index n_in, Index kernel, Vec bias)
    : n_in_(n_in), kernel_(kernel), weight_(std::move(weight)), bias_(std::move(bias)) {
  if (kernel_ < 1 || n_in_ < 1 || weight_.cols() != n_in_ * kernel_ || bias_.size() != weight_.rows()) {
    throw InvalidArgument(
        fmt::format("conv1d layer: weight [{} x {}] and bias [{}] do not fit E = {}, K = {}", weight_.rows(),
                    weight_.cols(), bias_.size(), n_in_, kernel_));
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
  TEXTLRP_ASSERT(x.cols() == n_in_ && x.rows() >= kernel_);
  const Index n_windows = x.rows() - kernel_ + 1;
  const Index window = kernel_ * n_in_;
  Mat z(n_windows, n_filters());  // [T' x F] = U · W̃ᵀ over the strided view U of x
  TEXTLRP_ISA_DISPATCH(sgemm(false, true, n_windows, n_filters(), window, 1.0f, x.data(), n_in_,
                             weight_km_.data(), window, 0.0f, z.data(), n_filters()));
  z.rowwise() += bias_.transpose();
  if (cache != nullptr) {
    cache->x = x;
    cache->z = z;
    cache->n_rows = x.rows();
  }
  return z;
}

Mat Conv1d::forward_relu_max(const Mat& x, std::vector<Index>* winner, Cache* cache) const {
  TEXTLRP_ASSERT(x.cols() == n_in_ && x.rows() >= kernel_ && winner != nullptr);
  const Index n_windows = x.rows() - kernel_ + 1;
  Mat z(n_windows, n_filters());  // [T' x F]
  Mat pooled(1, n_filters());     // [1 x F]
  Vec z_win(n_filters());
  winner->resize(static_cast<std::size_t>(n_filters()));
  TEXTLRP_ISA_DISPATCH(conv_relu_maxpool(x.data(), n_windows, kernel_ * n_in_, n_in_, weight_km_.data(),
                                         n_filters(), bias_.data(), z.data(), pooled.data(), winner->data(),
                                         z_win.data()));
  if (cache != nullptr) {
    cache->x = x;
    cache->z = std::move(z);
    cache->n_rows = x.rows();
  }
  return pooled;
}

Mat Conv1d::relevance(const Cache& cache, const Mat& r_out, const Rule& rule) const {
  const Mat r_u = linear_relevance(unfold(cache.x), weight_km_, bias_, r_out, rule, &cache.z);  // [T' x K·E]
  return fold(r_u, cache.n_rows);                                                               // [T x E]
}

Mat Conv1d::relevance_at(const Cache& cache, const std::vector<Index>& winner, const Mat& r_p,
                         const Rule& rule) const {
  const Index n_windows = cache.n_rows - kernel_ + 1;
  TEXTLRP_ASSERT(r_p.rows() == 1 && r_p.cols() == n_filters() &&
                 static_cast<Index>(winner.size()) == n_filters());
  TEXTLRP_ASSERT(cache.z.rows() == n_windows && cache.z.cols() == n_filters());
  const std::optional<Scalar> eps = plain_rule_epsilon(rule);
  if (!eps) {  // every other rule: the general kernels on the dense [T' x F] relevance
    Mat r_out = Mat::Zero(n_windows, n_filters());
    for (Index f = 0; f < n_filters(); ++f) r_out(winner[static_cast<std::size_t>(f)], f) = r_p(0, f);
    return relevance(cache, r_out, rule);
  }
  // zero / epsilon: R_i = x_i · Σ_f w̃_fi · s_f with s_f = R_f / stab(z_f) at f's winning window; the
  // Σ_f is one scatter of the weight rows into the windows (the adjoint of the im2col view).
  Vec s(n_filters());
  for (Index f = 0; f < n_filters(); ++f) {
    s[f] = stabilized_ratio(r_p(0, f), cache.z(winner[static_cast<std::size_t>(f)], f), *eps);
  }
  Mat g = Mat::Zero(cache.n_rows, n_in_);  // [T x E]
  TEXTLRP_ISA_DISPATCH(scatter_windows(s.data(), winner.data(), n_filters(), weight_km_.data(),
                                       kernel_ * n_in_, n_in_, g.data()));
  return cache.x.cwiseProduct(g);  // [T x E]
}

Mat Conv1d::backward(const Cache& cache, const Mat& grad_out, Grads* grads) const {
  TEXTLRP_ASSERT(grad_out.rows() == cache.n_rows - kernel_ + 1 && grad_out.cols() == n_filters());
  const Index window = kernel_ * n_in_;
  if (grads != nullptr) {
    if (grads->weight.size() == 0) {
      grads->weight = Mat::Zero(weight_.rows(), weight_.cols());
      grads->bias = Vec::Zero(n_filters());
    }
    Mat g_km(n_filters(), window);  // [F x K·E] = grad_outᵀ · U
    TEXTLRP_ISA_DISPATCH(sgemm(true, false, n_filters(), window, grad_out.rows(), 1.0f, grad_out.data(),
                               n_filters(), cache.x.data(), n_in_, 0.0f, g_km.data(), window));
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
    g_u.resize(grad_out.rows(), window);
    TEXTLRP_ISA_DISPATCH(sgemm(false, false, grad_out.rows(), window, n_filters(), 1.0f, grad_out.data(),
                               n_filters(), weight_km_.data(), window, 0.0f, g_u.data(), window));
  }
  return fold(g_u, cache.n_rows);  // [T x E]
}

}  // namespace textlrp::lrp
