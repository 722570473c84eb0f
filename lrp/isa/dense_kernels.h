// lrp/isa/dense_kernels.h — the dense-algebra kernels of the CNN and the LRP rules, compiled once per
// instruction-set level (dense_kernels.isa.cpp; cmake/textlrp_isa.cmake) and called through
// TEXTLRP_ISA_DISPATCH. Raw pointers and sizes only: no Eigen or std:: type crosses this interface
// (see cmake/textlrp_isa.cmake for why). All matrices are float32, row-major, with a leading
// dimension (the distance between the starts of two rows, in floats).
#pragma once

#include <cstddef>

#include "core/cpu_isa.h"

namespace textlrp::isa {

using isize = std::ptrdiff_t;  // == Eigen::Index (textlrp::Index)

}  // namespace textlrp::isa

// C[m x n] = alpha · op(A) · op(B) + beta · C, where op(A) is A [m x k] (lda) or, with trans_a, the
// transpose of a stored A [k x m]; likewise op(B) [k x n] or the transpose of a stored B [n x k].
// beta == 0 overwrites C (whatever it held).
TEXTLRP_ISA_DECLARE(void sgemm(bool trans_a, bool trans_b, ::textlrp::isa::isize m, ::textlrp::isa::isize n,
                               ::textlrp::isa::isize k, float alpha, const float* a,
                               ::textlrp::isa::isize lda, const float* b, ::textlrp::isa::isize ldb,
                               float beta, float* c, ::textlrp::isa::isize ldc))

// 1-D convolution (stride 1) as one GEMM over the strided im2col view of x, with ReLU and max over
// time fused: window t of x is the contiguous run x + t·row_stride of `window` = K·E floats, so
//   z[t, f] = bias[f] + Σ_i x[t·row_stride + i] · w[f·window + i]        (t < n_windows, f < n_filters)
//   pooled[f] = max_t max(z[t, f], 0), winner[f] = the first t reaching it, z_win[f] = z[winner[f], f].
// `z` [n_windows x n_filters] is scratch the caller provides (and keeps, for a trace).
TEXTLRP_ISA_DECLARE(void conv_relu_maxpool(const float* x, ::textlrp::isa::isize n_windows,
                                           ::textlrp::isa::isize window, ::textlrp::isa::isize row_stride,
                                           const float* w, ::textlrp::isa::isize n_filters, const float* bias,
                                           float* z, float* pooled, ::textlrp::isa::isize* winner,
                                           float* z_win))

// The adjoint of the strided im2col view for one row per filter: for every f with s[f] != 0,
//   g[winner[f]·row_stride + i] += s[f] · w[f·window + i]      (i < window)
// (g is [T x row_stride]; overlapping windows add up).
TEXTLRP_ISA_DECLARE(void scatter_windows(const float* s, const ::textlrp::isa::isize* winner,
                                         ::textlrp::isa::isize n_filters, const float* w,
                                         ::textlrp::isa::isize window, ::textlrp::isa::isize row_stride,
                                         float* g))
