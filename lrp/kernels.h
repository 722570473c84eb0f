// lrp/kernels.h — stateless LRP kernels for a linear map  z = x·Wᵀ + b, shared by Dense and Conv1d.
//
// Users: lrp/layers/dense.cpp (directly) and lrp/layers/conv1d.cpp (on the unfolded input, where a
// 1-D convolution is exactly a linear map from each window [K·E] to the F filter outputs). Models
// never call these directly.
//
// Shapes:  x [N x n_in]   W [n_out x n_in] (PyTorch layout)   b [n_out]   r_out [N x n_out]
// Result:  r_in [N x n_in].
//
// Every rule is written in one generic form (zennit's "modified gradient" view; Montavon et al.
// 2019, "Layer-wise Relevance Propagation: An Overview", Eq. 7): a rule is one or two groups g, each
// a list of terms (φ_k(x), V_k) plus a modified bias b'_g, and
//   d_gj   = Σ_k φ_k(x)·V_k,jᵀ + b'_gj                    (modified pre-activation)
//   s_gj   = c_g · m_gj · R_j / stab(d_gj)               (c_g a coefficient, m_gj ∈ {0,1} a mask)
//   R_i    = Σ_g Σ_k φ_k(x)_i · Σ_j V_k,ji · s_gj
// with stab(d) = d + ε·sign(d), sign(0) = +1, and s = 0 where stab(d) == 0. The rules, with x⁺ =
// max(x,0), x⁻ = min(x,0), W⁺/W⁻ likewise, z the plain pre-activation (the exact equations of
// ../shared/data/zennit-cnn/reference.json "meta", which follow Zennit):
//   zero          one group  {(x, W)},             b'= b,        ε = 0
//   epsilon(e)    one group  {(x, W)},             b'= b,        ε = e   (the bias keeps its share)
//   zplus         one group  {(x⁺,W⁺),(x⁻,W⁻)},    b'= b⁺,       ε = 1e-6
//   alphabeta(α,β) {(x⁺,W⁺),(x⁻,W⁻)}, b⁺, c = α  and  {(x⁺,W⁻),(x⁻,W⁺)}, b⁻, c = −β;  ε = 1e-6
//   gamma(γ)      z>0: {(x⁺,W+γW⁺),(x⁻,W+γW⁻)}, b+γb⁺;  z<0: {(x⁺,W+γW⁻),(x⁻,W+γW⁺)}, b+γb⁻;
//                 z=0 passes nothing; ε = 1e-6
//   flat          one group  {(1, 1)},             b'= 0,        ε = 1e-6  (uniform over the inputs)
//   wsquare       one group  {(1, W²)},            b'= 0,        ε = 1e-6  (R_i ∝ w²_ij)
// For zplus with x ≥ 0 this is the classic z⁺ rule; for inputs of either sign it keeps the
// positive contributions x_i·w_ij > 0 (Zennit's generalised ZPlus).
//
// Two equivalent code paths: a dense one (GEMMs: d = φ(x)·Vᵀ, then c = s·V, in the per-ISA kernels
// of lrp/isa/dense_kernels.h — used when r_out is dense) and a sparse one used when at most 1/8 of r_out is non-zero (e.g. after max over time,
// where a conv layer receives one relevance per filter): it visits only the non-zero R_j and costs
// O(nnz · n_in) instead of O(N · n_out · n_in). Results agree up to float rounding.
#pragma once

#include <optional>
#include <vector>

#include "core/tensor.h"
#include "lrp/rules.h"

namespace textlrp::lrp {

// The stabiliser every non-epsilon rule uses (Zennit's default).
inline constexpr Scalar kRuleStabilizer = 1e-6f;

// Relevance of the inputs of z = x·Wᵀ + b under `rule`. `z` (optional, [N x n_out]) is the plain
// pre-activation x·Wᵀ + b when the caller already has it (it saves one GEMM for zero/epsilon/gamma);
// pass nullptr otherwise. Preconditions (TEXTLRP_ASSERT): shapes as above. Never throws.
Mat linear_relevance(const Mat& x, const Mat& w, const Vec& b, const Mat& r_out, const Rule& rule,
                     const Mat* z = nullptr);

// As linear_relevance, forcing one code path (for tests that compare them).
Mat linear_relevance_dense(const Mat& x, const Mat& w, const Vec& b, const Mat& r_out, const Rule& rule,
                           const Mat* z = nullptr);
Mat linear_relevance_sparse(const Mat& x, const Mat& w, const Vec& b, const Mat& r_out, const Rule& rule);

// For the rules whose group is the plain pre-activation (zero, epsilon): their ε (0 for zero);
// nullopt for every other rule.
std::optional<Scalar> plain_rule_epsilon(const Rule& rule);

// R / (d + ε·sign d) with sign(0) = +1; 0 where the denominator vanishes (the s of the rules above,
// before the coefficient and the mask).
inline Scalar stabilized_ratio(Scalar r, Scalar d, Scalar eps) {
  const Scalar dd = d >= 0 ? d + eps : d - eps;
  return dd == 0 ? Scalar(0) : r / dd;
}

// Winner-take-all: r_in [N x F] is zero except r_in(winner[f], f) = r_out(0, f). r_out is [1 x F].
Mat wta_relevance(const std::vector<Index>& winner, Index n_rows, const Mat& r_out);

}  // namespace textlrp::lrp
