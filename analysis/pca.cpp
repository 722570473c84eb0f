#include "analysis/pca.h"

#include <fmt/format.h>

#include <Eigen/Eigenvalues>
#include <cmath>

#include "core/error.h"

namespace textlrp::analysis {

std::vector<double> Pca::explained_ratio() const {
  std::vector<double> r(static_cast<std::size_t>(variance.size()), 0.0);
  if (total_variance <= 0) return r;
  for (Index i = 0; i < variance.size(); ++i) r[static_cast<std::size_t>(i)] = variance[i] / total_variance;
  return r;
}

DMat Pca::project(const DMat& x) const {
  TEXTLRP_ASSERT(x.cols() == mean.size());
  DMat centred = x.rowwise() - mean.transpose();
  DMat out = centred * components.transpose();  // [m x d] · [d x k]
  return out;
}

Pca fit_pca(const DMat& x, Index k) {
  const Index n = x.rows();
  const Index d = x.cols();
  if (n == 0 || d == 0) {
    throw InvalidArgument(
        fmt::format("pca: need at least one vector of at least one dimension, got [{} x {}]", n, d));
  }
  if (k < 1 || k > d) throw InvalidArgument(fmt::format("pca: components must be in [1, {}], got {}", d, k));
  for (Index i = 0; i < n; ++i) {
    if (!x.row(i).allFinite())
      throw InvalidArgument(fmt::format("pca: vector {} has a non-finite value", i + 1));
  }
  Pca p;
  p.mean = x.colwise().mean().transpose();
  const DMat centred = x.rowwise() - p.mean.transpose();
  Eigen::MatrixXd cov = centred.transpose() * centred;  // [d x d]
  cov /= static_cast<double>(std::max<Index>(1, n - 1));
  p.total_variance = cov.trace();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(cov);
  if (solver.info() != Eigen::Success)
    throw Error("pca: the eigen-decomposition of the covariance did not converge");
  // Eigenvalues come in increasing order: the last k columns, reversed.
  p.components.resize(k, d);
  p.variance.resize(k);
  for (Index i = 0; i < k; ++i) {
    const Index col = d - 1 - i;
    DVec v = solver.eigenvectors().col(col);
    Index arg = 0;
    for (Index j = 1; j < d; ++j) {
      if (std::abs(v[j]) > std::abs(v[arg])) arg = j;
    }
    if (v[arg] < 0) v = -v;
    p.components.row(i) = v.transpose();
    p.variance[i] = std::max(0.0, solver.eigenvalues()[col]);
  }
  return p;
}

void normalize_rows(DMat& x) {
  for (Index i = 0; i < x.rows(); ++i) {
    const double norm = x.row(i).norm();
    if (norm > 0) x.row(i) /= norm;
  }
}

}  // namespace textlrp::analysis
