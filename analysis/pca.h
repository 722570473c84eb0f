// analysis/pca.h — principal component analysis of row vectors (document vectors).
//
// Used by `textlrp pca` and the analysis report (apps/cmd_pca.cpp, apps/common/analysis_report.cpp)
// to draw relevance-weighted document vectors in 2-D, as Arras et al. (2017, "What is relevant in
// a text document?") do. The solver is Eigen's SelfAdjointEigenSolver on the d x d covariance
// matrix (documents are many, dimensions few: d = the word-vector size), never a hand-written one.
//
//   X  [n x d]          one row per document
//   μ  = mean of the rows,  Xc = X − 1μᵀ
//   C  = Xcᵀ Xc / (n − 1)   [d x d]  (the sample covariance; / 1 when n = 1)
//   C = V Λ Vᵀ, λ_1 ≥ λ_2 ≥ …:  component i = column i of V, its variance λ_i
//   projection of a row x: (x − μ)ᵀ V[:, :k]
// Sign convention (so results are reproducible): each component is flipped so that its
// coefficient of largest magnitude (the first such on ties) is positive.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "core/tensor.h"

namespace textlrp::analysis {

using DMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using DVec = Eigen::VectorXd;

struct Pca {
  DVec mean;                  // [d]
  DMat components;            // [k x d], row i = i-th principal axis (unit length)
  DVec variance;              // [k]   variance of the data along each axis (eigenvalue of C)
  double total_variance = 0;  // trace(C): the variance of all d dimensions together

  Index n_components() const { return components.rows(); }
  // Fraction of the total variance each component explains ([k]; zeros when total_variance = 0).
  std::vector<double> explained_ratio() const;
  // Rows of x [m x d] -> their coordinates [m x k]. Precondition: x.cols() == mean.size().
  DMat project(const DMat& x) const;
};

// Fits the first k components of the rows of x [n x d]. Throws InvalidArgument when x has no rows
// or no columns, or k is not in [1, d]. Non-finite values are an InvalidArgument too (naming the row).
Pca fit_pca(const DMat& x, Index k);

// Scales every row of x to unit Euclidean length (rows of length 0 stay 0).
void normalize_rows(DMat& x);

}  // namespace textlrp::analysis
