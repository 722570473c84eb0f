// lrp/layers/conv1d.h — 1-D convolution over time, the text-CNN layer (PyTorch nn.Conv1d layout,
// stride 1, no padding, no dilation).
//
//   x: [T x E] (row = token)   W: [F x E x K]   b: [F]   z: [T' x F] with T' = T - K + 1,
//   z[t, f] = b[f] + Σ_{e,k} W[f, e, k] · x[t + k, e]
// It is computed as one GEMM over the im2col view of x:
//   U[t, k·E + e] = x[t + k, e]           U: [T' x K·E]   (window-major, so a window is K rows of x)
//   z = U · W̃ᵀ + b                        W̃: [F x K·E]   (W permuted once, at construction)
// x is row-major, so window t is the contiguous run of K·E floats from row t: U is a strided view of
// x (row stride E), never copied. The GEMM and the fused ReLU + max over time of forward_relu_max()
// run in the per-ISA kernels of lrp/isa/dense_kernels.h.
// and LRP runs the kernels of lrp/kernels.h on the unfolded input (a window is the receptive field
// of one output), then folds the window relevances back by summing overlapping windows. So every
// rule of lrp/rules.h works here with the same equations as for Dense; `flat` spreads each output's
// relevance uniformly over its K·E inputs. Used by lrp/models/cnn_classifier (role "conv").
#pragma once

#include <vector>

#include "core/tensor.h"
#include "lrp/rules.h"

namespace textlrp::lrp {

class Conv1d {
 public:
  struct Cache {
    Mat x;             // [T x E] input (U is a view of it)
    Mat z;             // [T' x F] output (pre-activation)
    Index n_rows = 0;  // T
  };
  struct Grads {
    Mat weight;  // [F x E·K]: the PyTorch [F x E x K] tensor flattened in C order
    Vec bias;    // [F]
  };

  // `weight` is the PyTorch tensor [F x E x K] flattened to [F x E·K] (C order: column e·K + k).
  // Throws InvalidArgument if weight.cols() != n_in·kernel, kernel < 1 or bias.size() != F.
  Conv1d(Mat weight, Index n_in, Index kernel, Vec bias);

  // x: [T x E] with T >= K (precondition, TEXTLRP_ASSERT; models pad short documents) -> [T' x F].
  Mat forward(const Mat& x, Cache* cache = nullptr) const;
  // r_out: [T' x F] -> r_in [T x E].
  Mat relevance(const Cache& cache, const Mat& r_out, const Rule& rule) const;

  // forward() fused with ReLU and max over time: returns p [1 x F], p[f] = max_t max(z[t, f], 0),
  // and winner[f] = the first t reaching it (MaxOverTime's rule). `cache` as for forward().
  Mat forward_relu_max(const Mat& x, std::vector<Index>* winner, Cache* cache = nullptr) const;
  // relevance() for r_out that is zero except r_out(winner[f], f) = r_p(0, f) (r_p [1 x F]: what
  // max over time and ReLU pass down); the same result, without the dense [T' x F] relevance.
  Mat relevance_at(const Cache& cache, const std::vector<Index>& winner, const Mat& r_p,
                   const Rule& rule) const;
  // grad_out: [T' x F] -> dL/dx [T x E]; adds dL/dW (PyTorch layout, flattened) and dL/db to *grads.
  Mat backward(const Cache& cache, const Mat& grad_out, Grads* grads) const;

  Index n_in() const { return n_in_; }                // E
  Index kernel() const { return kernel_; }            // K
  Index n_filters() const { return weight_.rows(); }  // F
  const Mat& weight() const { return weight_; }       // [F x E·K], PyTorch order
  const Vec& bias() const { return bias_; }

  // U [T' x K·E] from x [T x E] (T >= K), and its adjoint: sums window rows back into [T x E].
  Mat unfold(const Mat& x) const;
  Mat fold(const Mat& u, Index n_rows) const;

 private:
  Index n_in_;
  Index kernel_;
  Mat weight_;     // [F x E·K]  PyTorch order (e·K + k), for save and gradients
  Mat weight_km_;  // [F x K·E]  window-major order (k·E + e), for the GEMMs
  Vec bias_;       // [F]
};

}  // namespace textlrp::lrp
