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
using CVec = Eigen::Map<const Eigen::ArrayXf>;
using MVec = Eigen::Map<Eigen::ArrayXf>;

// Matrix-vector shapes (m == 1 or n == 1). Eigen would switch to its GEMV kernel, which starts its
// vector loop at the first element that is aligned for this level's packets, so the order of the
// additions, and the last bit of the result, would depend on where the caller's buffers happen to
// start (16-byte malloc alignment against 64-byte AVX-512 packets): the same document gave
// different scores in the CLI and in Python. Here every sum has a fixed order: a dot product over
// an Eigen expression (reduced from element 0 whatever the alignment) or element-wise updates.
// Contiguous copies of strided vectors go to `scratch`.
float dot(const float* x, const float* y, isize len) { return (CVec(x, len) * CVec(y, len)).sum(); }

void gemv_fixed_order(bool trans_a, bool trans_b, isize m, isize n, isize k, float alpha, const float* a,
                      isize lda, const float* b, isize ldb, float* c, isize ldc) {
  Eigen::ArrayXf scratch;
  if (m == 1) {
    if (!trans_b) {  // c[j] += alpha * sum_p A(0,p) B(p,j): rows of B are contiguous
      MVec crow(c, n);
      for (isize p = 0; p < k; ++p) crow += (alpha * a[trans_a ? p * lda : p]) * CVec(b + p * ldb, n);
      return;
    }
    const float* x = a;  // A's row 0
    if (trans_a) {
      scratch.resize(k);
      for (isize p = 0; p < k; ++p) scratch[p] = a[p * lda];
      x = scratch.data();
    }
    for (isize j = 0; j < n; ++j) c[j] += alpha * dot(x, b + j * ldb, k);
    return;
  }
  // n == 1: C(i,0) += alpha * sum_p A(i,p) B(p,0)
  const float* y = b;  // B's column 0
  if (!trans_b) {
    scratch.resize(k);
    for (isize p = 0; p < k; ++p) scratch[p] = b[p * ldb];
    y = scratch.data();
  }
  if (!trans_a) {
    for (isize i = 0; i < m; ++i) c[i * ldc] += alpha * dot(a + i * lda, y, k);
    return;
  }
  Eigen::ArrayXf acc = Eigen::ArrayXf::Zero(m);  // A(i,p) = a[p*lda + i]: columns of A are contiguous
  for (isize p = 0; p < k; ++p) acc += y[p] * CVec(a + p * lda, m);
  for (isize i = 0; i < m; ++i) c[i * ldc] += alpha * acc[i];
}

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
  if (m == 1 || n == 1) {
    gemv_fixed_order(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, c, ldc);
    return;
  }
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
                       isize n_filters, const float* bias, float* z, float* pooled, isize* winner,
                       float* z_win) {
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
