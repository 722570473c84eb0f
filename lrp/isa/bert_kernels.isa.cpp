// Compiled once per ISA level (cmake/textlrp_isa.cmake): everything here is in textlrp::isa_<level>,
// and Eigen's namespace is renamed per level. Include nothing that defines inline code shared with
// generic translation units. The loops are Eigen array expressions over one row (or one flat run)
// at a time, so exp and erf run in Eigen's packet math at this level's vector width. Every sum is
// over an Eigen temporary or an expression (never over a Map of the caller's memory), so its order,
// and so the result to the last bit, does not depend on the buffer's alignment.
// Transcendentals: Eigen computes an element-wise expression with its packet functions from the
// destination's first aligned element on and with the scalar functions (std::erf, std::exp) before
// it; the two differ in the last bits. So erf and exp are always evaluated into an Eigen temporary
// (which starts aligned: the same elements take the same path whatever the caller's buffers) and only
// exact arithmetic (+, -, *, /) is written into the caller's memory.
#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include <cmath>

#include "lrp/isa/bert_kernels.h"

namespace textlrp::TEXTLRP_ISA_NS {
namespace {

using isa::isize;
using ArrF = Eigen::Array<float, 1, Eigen::Dynamic>;
using Row = Eigen::Map<ArrF>;
using CRow = Eigen::Map<const ArrF>;

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr float kIdentityEps = 1e-10f;  // LXT identity_rule_implicit

// Elements per chunk of the flat GELU backward pass (keeps the temporaries in L1/L2).
constexpr isize kChunk = 1024;

}  // namespace

void bert_bias_gelu(float* u, const float* bias, isize rows, isize cols, float* m) {
  ArrF t(cols);
  for (isize r = 0; r < rows; ++r) {
    Row ur(u + r * cols, cols);
    if (bias != nullptr) ur += CRow(bias, cols);
    t = (ur * kInvSqrt2).erf();  // into an aligned temporary: see "Transcendentals" above
    Row(m + r * cols, cols) = 0.5f * ur * (1.0f + t);
  }
}

void bert_gelu_backward(float* g, const float* u, isize n, bool lrp) {
  for (isize i = 0; i < n; i += kChunk) {
    const isize len = n - i < kChunk ? n - i : kChunk;
    Row gr(g + i, len);
    const CRow ur(u + i, len);
    const ArrF phi = 0.5f * (1.0f + (ur * kInvSqrt2).erf());  // Φ(u)
    if (lrp) {
      gr *= ur * phi / (ur + kIdentityEps);
    } else {
      const ArrF density = (-0.5f * ur.square()).exp();  // aligned temporary (see above)
      gr *= phi + ur * kInvSqrt2Pi * density;
    }
  }
}

void bert_add_bias(float* y, const float* bias, isize rows, isize cols) {
  const CRow b(bias, cols);
  for (isize r = 0; r < rows; ++r) Row(y + r * cols, cols) += b;
}

void bert_add_layer_norm(const float* x, const float* bias, const float* res, isize rows, isize cols,
                         const float* gamma, const float* beta, float eps, float* y, float* xhat, float* s) {
  const CRow g(gamma, cols), b(beta, cols);
  ArrF p(cols);
  for (isize r = 0; r < rows; ++r) {
    p = CRow(x + r * cols, cols);
    if (bias != nullptr) p += CRow(bias, cols);
    if (res != nullptr) p += CRow(res + r * cols, cols);
    const float mu = p.sum() / static_cast<float>(cols);
    p -= mu;
    const float sr = std::sqrt(p.square().sum() / static_cast<float>(cols) + eps);
    p /= sr;
    if (xhat != nullptr) Row(xhat + r * cols, cols) = p;
    if (s != nullptr) s[r] = sr;
    Row(y + r * cols, cols) = p * g + b;
  }
}

void bert_layer_norm_backward(const float* gy, const float* gamma, const float* xhat, const float* s,
                              isize rows, isize cols, bool lrp, float* gx) {
  const CRow g(gamma, cols);
  ArrF h(cols);
  for (isize r = 0; r < rows; ++r) {
    h = CRow(gy + r * cols, cols) * g;
    const float m = h.sum() / static_cast<float>(cols);
    Row out(gx + r * cols, cols);
    if (lrp) {
      out = (h - m) / s[r];
    } else {
      const CRow xr(xhat + r * cols, cols);
      const float mx = (h * xr).sum() / static_cast<float>(cols);
      out = (h - m - xr * mx) / s[r];
    }
  }
}

void bert_softmax_rows(float* z, isize rows, isize cols, isize ld, float scale) {
  // The sum runs over an aligned temporary: Eigen reduces a plain Map from its first aligned
  // element, so summing the row in place would make the result depend on where the caller's
  // buffer happens to start (a different last bit between a CLI run, a Python call and another
  // thread). A temporary always starts aligned, so the order of the additions is fixed.
  ArrF e(cols);
  for (isize r = 0; r < rows; ++r) {
    Row zr(z + r * ld, cols);
    e = zr * scale;
    e = (e - e.maxCoeff()).exp();
    zr = e / e.sum();
  }
}

void bert_softmax_backward(const float* ga, const float* a, isize rows, isize cols, float alpha, float* gz) {
  for (isize r = 0; r < rows; ++r) {
    const CRow gr(ga + r * cols, cols), ar(a + r * cols, cols);
    const float dot = (gr * ar).sum();
    Row(gz + r * cols, cols) = alpha * ar * (gr - dot);
  }
}

}  // namespace textlrp::TEXTLRP_ISA_NS
