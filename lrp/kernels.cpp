#include "lrp/kernels.h"

#include <algorithm>
#include <array>

#include "core/cpu_isa.h"
#include "core/error.h"
#include "lrp/isa/dense_kernels.h"

namespace textlrp::lrp {
namespace {

using RowVec = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

// The generic rule form of kernels.h: input transform φ, weight transform V, modified bias b'.
enum class In { kX, kPos, kNeg, kOne };
enum class Wt { kW, kPos, kNeg, kSquare, kOne, kGammaPos, kGammaNeg };  // kGammaPos = W + γW⁺
enum class Bias { kB, kPos, kNeg, kZero, kGammaPos, kGammaNeg };        // kGammaPos = b + γb⁺
enum class Mask { kAll, kZPositive, kZNegative };

struct Term {
  In in;
  Wt w;
};
struct Group {
  std::array<Term, 2> terms{};
  int n_terms = 1;
  Bias bias = Bias::kB;
  Mask mask = Mask::kAll;
  Scalar coef = 1;
  Scalar eps = kRuleStabilizer;
};
struct Spec {
  std::array<Group, 2> groups{};
  int n_groups = 1;
  Scalar gamma = 0;
  bool needs_z() const {
    for (int g = 0; g < n_groups; ++g) {
      if (groups[static_cast<std::size_t>(g)].mask != Mask::kAll) return true;
    }
    return false;
  }
  // The group is the plain pre-activation z = x·Wᵀ + b (zero, epsilon).
  bool plain() const {
    const Group& g = groups[0];
    return n_groups == 1 && g.n_terms == 1 && g.terms[0].in == In::kX && g.terms[0].w == Wt::kW &&
           g.bias == Bias::kB;
  }
};

Spec spec_for(const Rule& rule) {
  Spec s;
  Group& g0 = s.groups[0];
  Group& g1 = s.groups[1];
  std::visit(Overloaded{
                 [&](const rules::Zero&) {
                   g0.terms[0] = {In::kX, Wt::kW};
                   g0.eps = 0;
                 },
                 [&](const rules::Epsilon& r) {
                   g0.terms[0] = {In::kX, Wt::kW};
                   g0.eps = static_cast<Scalar>(r.epsilon);
                 },
                 [&](const rules::ZPlus&) {
                   g0.terms = {Term{In::kPos, Wt::kPos}, Term{In::kNeg, Wt::kNeg}};
                   g0.n_terms = 2;
                   g0.bias = Bias::kPos;
                 },
                 [&](const rules::AlphaBeta& r) {
                   g0.terms = {Term{In::kPos, Wt::kPos}, Term{In::kNeg, Wt::kNeg}};
                   g0.n_terms = 2;
                   g0.bias = Bias::kPos;
                   g0.coef = static_cast<Scalar>(r.alpha);
                   g1.terms = {Term{In::kPos, Wt::kNeg}, Term{In::kNeg, Wt::kPos}};
                   g1.n_terms = 2;
                   g1.bias = Bias::kNeg;
                   g1.coef = static_cast<Scalar>(-r.beta);
                   s.n_groups = 2;
                 },
                 [&](const rules::Gamma& r) {
                   s.gamma = static_cast<Scalar>(r.gamma);
                   g0.terms = {Term{In::kPos, Wt::kGammaPos}, Term{In::kNeg, Wt::kGammaNeg}};
                   g0.n_terms = 2;
                   g0.bias = Bias::kGammaPos;
                   g0.mask = Mask::kZPositive;
                   g1.terms = {Term{In::kPos, Wt::kGammaNeg}, Term{In::kNeg, Wt::kGammaPos}};
                   g1.n_terms = 2;
                   g1.bias = Bias::kGammaNeg;
                   g1.mask = Mask::kZNegative;
                   s.n_groups = 2;
                 },
                 [&](const rules::Flat&) {
                   g0.terms[0] = {In::kOne, Wt::kOne};
                   g0.bias = Bias::kZero;
                 },
                 [&](const rules::WSquare&) {
                   g0.terms[0] = {In::kOne, Wt::kSquare};
                   g0.bias = Bias::kZero;
                 },
             },
             rule);
  return s;
}

// φ(x) for a matrix or a row.
template <class M>
Mat input_transform(const M& x, In in) {
  switch (in) {
    case In::kX: return x;
    case In::kPos: return x.cwiseMax(Scalar(0));
    case In::kNeg: return x.cwiseMin(Scalar(0));
    case In::kOne: return Mat::Ones(x.rows(), x.cols());
  }
  return x;
}

template <class M>
Mat weight_transform(const M& w, Wt t, Scalar gamma) {
  switch (t) {
    case Wt::kW: return w;
    case Wt::kPos: return w.cwiseMax(Scalar(0));
    case Wt::kNeg: return w.cwiseMin(Scalar(0));
    case Wt::kSquare: return w.cwiseAbs2();
    case Wt::kOne: return Mat::Ones(w.rows(), w.cols());
    case Wt::kGammaPos: return w + gamma * w.cwiseMax(Scalar(0));
    case Wt::kGammaNeg: return w + gamma * w.cwiseMin(Scalar(0));
  }
  return w;
}

Scalar bias_transform(Scalar b, Bias t, Scalar gamma) {
  switch (t) {
    case Bias::kB: return b;
    case Bias::kPos: return std::max(b, Scalar(0));
    case Bias::kNeg: return std::min(b, Scalar(0));
    case Bias::kZero: return 0;
    case Bias::kGammaPos: return b + gamma * std::max(b, Scalar(0));
    case Bias::kGammaNeg: return b + gamma * std::min(b, Scalar(0));
  }
  return b;
}

// out [a.rows() x b.rows()] (=|+=) a · bᵀ, in the per-ISA GEMM.
void gemm_abt(const Mat& a, const Mat& b, Mat& out, bool accumulate) {
  if (!accumulate) out.resize(a.rows(), b.rows());
  TEXTLRP_ISA_DISPATCH(sgemm(false, true, a.rows(), b.rows(), a.cols(), 1.0f, a.data(), a.cols(), b.data(),
                             b.cols(), accumulate ? 1.0f : 0.0f, out.data(), out.cols()));
}

// out [a.rows() x b.cols()] = a · b, in the per-ISA GEMM.
Mat gemm_ab(const Mat& a, const Mat& b) {
  Mat out(a.rows(), b.cols());
  TEXTLRP_ISA_DISPATCH(sgemm(false, false, a.rows(), b.cols(), a.cols(), 1.0f, a.data(), a.cols(), b.data(),
                             b.cols(), 0.0f, out.data(), out.cols()));
  return out;
}

inline bool mask_passes(Mask m, Scalar z) {
  switch (m) {
    case Mask::kAll: return true;
    case Mask::kZPositive: return z > 0;
    case Mask::kZNegative: return z < 0;
  }
  return true;
}

void check_shapes(const Mat& x, const Mat& w, const Vec& b, const Mat& r_out) {
  TEXTLRP_ASSERT(x.cols() == w.cols());
  TEXTLRP_ASSERT(b.size() == w.rows());
  TEXTLRP_ASSERT(r_out.rows() == x.rows() && r_out.cols() == w.rows());
}

}  // namespace

std::optional<Scalar> plain_rule_epsilon(const Rule& rule) {
  const Spec spec = spec_for(rule);
  if (!spec.plain()) return std::nullopt;
  return spec.groups[0].eps;
}

Mat linear_relevance_dense(const Mat& x, const Mat& w, const Vec& b, const Mat& r_out, const Rule& rule,
                           const Mat* z) {
  check_shapes(x, w, b, r_out);
  const Spec spec = spec_for(rule);
  Mat z_own;
  if (z == nullptr && spec.needs_z()) {
    gemm_abt(x, w, z_own, false);  // [N x n_out]
    z_own.rowwise() += b.transpose();
    z = &z_own;
  }
  if (z != nullptr) TEXTLRP_ASSERT(z->rows() == r_out.rows() && z->cols() == r_out.cols());
  Mat r_in = Mat::Zero(x.rows(), x.cols());  // [N x n_in]
  for (int gi = 0; gi < spec.n_groups; ++gi) {
    const Group& g = spec.groups[static_cast<std::size_t>(gi)];
    std::array<Mat, 2> phi;  // φ_k(x): [N x n_in]
    std::array<Mat, 2> v;    // V_k:    [n_out x n_in]
    for (int k = 0; k < g.n_terms; ++k) {
      phi[static_cast<std::size_t>(k)] = input_transform(x, g.terms[static_cast<std::size_t>(k)].in);
      v[static_cast<std::size_t>(k)] =
          weight_transform(w, g.terms[static_cast<std::size_t>(k)].w, spec.gamma);
    }
    // d = Σ_k φ_k(x)·V_kᵀ + b'  [N x n_out]
    Mat d;
    if (z != nullptr && spec.plain()) {
      d = *z;
    } else {
      gemm_abt(phi[0], v[0], d, false);
      if (g.n_terms == 2) gemm_abt(phi[1], v[1], d, true);
      for (Index j = 0; j < d.cols(); ++j) d.col(j).array() += bias_transform(b[j], g.bias, spec.gamma);
    }
    // s = c · m · R / stab(d)  [N x n_out]
    Mat s(d.rows(), d.cols());
    for (Index n = 0; n < d.rows(); ++n) {
      for (Index j = 0; j < d.cols(); ++j) {
        const Scalar r = r_out(n, j);
        s(n, j) = (r != 0 && (g.mask == Mask::kAll || mask_passes(g.mask, (*z)(n, j))))
                      ? g.coef * stabilized_ratio(r, d(n, j), g.eps)
                      : Scalar(0);
      }
    }
    // R_in += Σ_k φ_k(x) ⊙ (s·V_k)  [N x n_in]
    for (int k = 0; k < g.n_terms; ++k) {
      const Mat c = gemm_ab(s, v[static_cast<std::size_t>(k)]);  // [N x n_in]
      r_in.array() += phi[static_cast<std::size_t>(k)].array() * c.array();
    }
  }
  return r_in;
}

Mat linear_relevance_sparse(const Mat& x, const Mat& w, const Vec& b, const Mat& r_out, const Rule& rule) {
  check_shapes(x, w, b, r_out);
  const Spec spec = spec_for(rule);
  Mat r_in = Mat::Zero(x.rows(), x.cols());  // [N x n_in]
  for (Index n = 0; n < r_out.rows(); ++n) {
    bool any = false;
    for (Index j = 0; j < r_out.cols() && !any; ++j) any = r_out(n, j) != 0;
    if (!any) continue;
    // φ_k(x_n) for every input transform the rule uses: [1 x n_in] each.
    std::array<Mat, 2 * 2> phi;
    for (int gi = 0; gi < spec.n_groups; ++gi) {
      const Group& g = spec.groups[static_cast<std::size_t>(gi)];
      for (int k = 0; k < g.n_terms; ++k) {
        phi[static_cast<std::size_t>(2 * gi + k)] =
            input_transform(x.row(n), g.terms[static_cast<std::size_t>(k)].in);
      }
    }
    for (Index j = 0; j < r_out.cols(); ++j) {
      const Scalar r = r_out(n, j);
      if (r == 0) continue;
      const Scalar z_nj = spec.needs_z() ? x.row(n).dot(w.row(j)) + b[j] : Scalar(0);
      for (int gi = 0; gi < spec.n_groups; ++gi) {
        const Group& g = spec.groups[static_cast<std::size_t>(gi)];
        if (!mask_passes(g.mask, z_nj)) continue;
        std::array<RowVec, 2> v;  // V_k row j: [1 x n_in]
        Scalar d = bias_transform(b[j], g.bias, spec.gamma);
        for (int k = 0; k < g.n_terms; ++k) {
          v[static_cast<std::size_t>(k)] =
              weight_transform(w.row(j), g.terms[static_cast<std::size_t>(k)].w, spec.gamma);
          d += phi[static_cast<std::size_t>(2 * gi + k)].row(0).dot(v[static_cast<std::size_t>(k)]);
        }
        const Scalar s = g.coef * stabilized_ratio(r, d, g.eps);
        if (s == 0) continue;
        for (int k = 0; k < g.n_terms; ++k) {
          r_in.row(n).array() += s * phi[static_cast<std::size_t>(2 * gi + k)].row(0).array() *
                                 v[static_cast<std::size_t>(k)].array();
        }
      }
    }
  }
  return r_in;
}

Mat linear_relevance(const Mat& x, const Mat& w, const Vec& b, const Mat& r_out, const Rule& rule,
                     const Mat* z) {
  Index nnz = 0;
  for (Index n = 0; n < r_out.rows(); ++n) {
    for (Index j = 0; j < r_out.cols(); ++j) nnz += r_out(n, j) != 0 ? 1 : 0;
  }
  if (8 * nnz <= r_out.size()) return linear_relevance_sparse(x, w, b, r_out, rule);
  return linear_relevance_dense(x, w, b, r_out, rule, z);
}

Mat wta_relevance(const std::vector<Index>& winner, Index n_rows, const Mat& r_out) {
  TEXTLRP_ASSERT(r_out.rows() == 1 && static_cast<Index>(winner.size()) == r_out.cols());
  Mat r_in = Mat::Zero(n_rows, r_out.cols());  // [N x F]
  for (Index f = 0; f < r_out.cols(); ++f) {
    if (winner[static_cast<std::size_t>(f)] >= 0) r_in(winner[static_cast<std::size_t>(f)], f) = r_out(0, f);
  }
  return r_in;
}

}  // namespace textlrp::lrp
