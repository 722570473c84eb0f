// lrp/isa/bert_kernels.h — the element-wise passes of the transformer (lrp/models/bert_classifier.cpp)
// between its matrix products: bias + GELU, bias + residual + LayerNorm, the row softmax and their
// (modified) backward passes, compiled once per instruction-set level (bert_kernels.isa.cpp;
// cmake/textlrp_isa.cmake) and called through TEXTLRP_ISA_DISPATCH. Raw pointers and sizes only (see
// cmake/textlrp_isa.cmake for why). All matrices are float32, row-major, contiguous ([rows x cols],
// leading dimension cols) unless a leading dimension is given.
//
// GELU is the exact one, 0.5·x·(1 + erf(x/√2)), with erf the rational approximation Eigen
// vectorizes (accurate to a few ulp in float32; ±1 beyond |x| = 4): forward and backward use the
// same function, so the LRP identity rule sees exactly the forward's activations.
#pragma once

#include "core/cpu_isa.h"
#include "lrp/isa/dense_kernels.h"  // isa::isize

// u[r, :] += bias (if not null); m = GELU(u). m may be u.
TEXTLRP_ISA_DECLARE(void bert_bias_gelu(float* u, const float* bias, ::textlrp::isa::isize rows,
                                        ::textlrp::isa::isize cols, float* m))

// g[i] *= lrp ? GELU(u[i]) / (u[i] + 1e-10) (LXT's identity rule) : GELU'(u[i])  (i < n).
TEXTLRP_ISA_DECLARE(void bert_gelu_backward(float* g, const float* u, ::textlrp::isa::isize n, bool lrp))

// y[r, :] += bias.
TEXTLRP_ISA_DECLARE(void bert_add_bias(float* y, const float* bias, ::textlrp::isa::isize rows,
                                       ::textlrp::isa::isize cols))

// Per row r: p = x[r] + bias + res[r] (bias, res may be null), mu = mean(p), s[r] = sqrt(var(p) + eps)
// (population variance), xhat[r] = (p − mu) / s[r], y[r] = gamma ⊙ xhat[r] + beta. xhat and s may be
// null (not kept); y may be x or res.
TEXTLRP_ISA_DECLARE(void bert_add_layer_norm(const float* x, const float* bias, const float* res,
                                             ::textlrp::isa::isize rows, ::textlrp::isa::isize cols,
                                             const float* gamma, const float* beta, float eps, float* y,
                                             float* xhat, float* s))

// The backward pass of bert_add_layer_norm to p, per row with h = gamma ⊙ gy[r]:
//   lrp (normaliser held constant):  gx[r] = (h − mean(h)) / s[r]
//   gradient:                        gx[r] = (h − mean(h) − xhat[r] · mean(h ⊙ xhat[r])) / s[r]
// gx may be gy.
TEXTLRP_ISA_DECLARE(void bert_layer_norm_backward(const float* gy, const float* gamma, const float* xhat,
                                                  const float* s, ::textlrp::isa::isize rows,
                                                  ::textlrp::isa::isize cols, bool lrp, float* gx))

// z[r, :] = softmax(scale · z[r, :]) in place, rows of `cols` floats `ld` apart.
TEXTLRP_ISA_DECLARE(void bert_softmax_rows(float* z, ::textlrp::isa::isize rows, ::textlrp::isa::isize cols,
                                           ::textlrp::isa::isize ld, float scale))

// The gradient through the row softmax: gz[r] = alpha · a[r] ⊙ (ga[r] − <ga[r], a[r]>). gz may be ga.
TEXTLRP_ISA_DECLARE(void bert_softmax_backward(const float* ga, const float* a, ::textlrp::isa::isize rows,
                                               ::textlrp::isa::isize cols, float alpha, float* gz))
