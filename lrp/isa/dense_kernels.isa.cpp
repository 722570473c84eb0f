// Compiled once per ISA level (cmake/textlrp_isa.cmake): everything here is in textlrp::isa_<level>,
// and Eigen's namespace is renamed per level. Include nothing that defines inline code shared with
// generic translation units.
#include <Eigen/Core>

#include "lrp/isa/dense_kernels.h"

namespace textlrp::TEXTLRP_ISA_NS {
namespace {

using isa::isize;
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Stride = Eigen::OuterStride<>;
using CMap = Eigen::Map<const RowMat, 0, Stride>;
using MMap = Eigen::Map<RowMat, 0, Stride>;

}  // namespace

void sgemm(bool trans_a, bool trans_b, isize m, isize n, isize k, float alpha, const float* a, isize lda,
           const float* b, isize ldb, float beta, float* c, isize ldc) {
  if (m == 0 || n == 0) return;
  MMap cm(c, m, n, Stride(ldc));
  if (beta == 0.0f) {
    cm.setZero();
  } else if (beta != 1.0f) {
    cm *= beta;
  }
  if (k == 0) return;
  const CMap am(a, trans_a ? k : m, trans_a ? m : k, Stride(lda));
  const CMap bm(b, trans_b ? n : k, trans_b ? k : n, Stride(ldb));
  if (!trans_a && !trans_b) {
    cm.noalias() += alpha * am * bm;
  } else if (!trans_a && trans_b) {
    cm.noalias() += alpha * am * bm.transpose();
  } else if (trans_a && !trans_b) {
    cm.noalias() += alpha * am.transpose() * bm;
  } else {
    cm.noalias() += alpha * am.transpose() * bm.transpose();
  }
}

void conv_relu_maxpool(const float* x, isize n_windows, isize window, isize row_stride, const float* w,
                       isize n_filters, const float* bias, float* z, float* pooled, isize* winner, float* z_win) {
  const CMap u(x, n_windows, window, Stride(row_stride));  // the im2col view, no copy
  const CMap wm(w, n_filters, window, Stride(window));
  MMap zm(z, n_windows, n_filters, Stride(n_filters));
  zm.noalias() = u * wm.transpose();
  // Bias, ReLU and the running max, row by row (z is row-major): the first maximum wins ties.
  for (isize f = 0; f < n_filters; ++f) {
    z[f] += bias[f];
    pooled[f] = z[f] > 0.0f ? z[f] : 0.0f;
    winner[f] = 0;
  }
  for (isize t = 1; t < n_windows; ++t) {
    float* zr = z + t * n_filters;
    for (isize f = 0; f < n_filters; ++f) {
      zr[f] += bias[f];
      const float y = zr[f] > 0.0f ? zr[f] : 0.0f;
      if (y > pooled[f]) {
        pooled[f] = y;
        winner[f] = t;
      }
    }
  }
  for (isize f = 0; f < n_filters; ++f) z_win[f] = z[winner[f] * n_filters + f];
}

void scatter_windows(const float* s, const isize* winner, isize n_filters, const float* w, isize window,
                     isize row_stride, float* g) {
  for (isize f = 0; f < n_filters; ++f) {
    const float sf = s[f];
    if (sf == 0.0f) continue;
    float* dst = g + winner[f] * row_stride;
    const float* src = w + f * window;
    for (isize i = 0; i < window; ++i) dst[i] += sf * src[i];
  }
}

}  // namespace textlrp::TEXTLRP_ISA_NS
