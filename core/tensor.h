// core/tensor.h — the numeric types shared by every module.
//
// Conventions, stated once: row = token / time step, column = feature. Storage is float32,
// row-major, so safetensors (C-order) buffers map without transposes. Weights keep the PyTorch
// layout (Linear.weight is [out x in]).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>

namespace textlrp {

using Scalar = float;
using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vec = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
using Index = Eigen::Index;
using TokenId = std::int32_t;

// "[3 x 5]"
inline std::string shape_string(Index rows, Index cols) {
  return std::string("[") + std::to_string(rows) + " x " + std::to_string(cols) + "]";
}
inline std::string shape_string(const Mat& m) { return shape_string(m.rows(), m.cols()); }

// The usual C++20 visitor helper for std::visit over rule variants.
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace textlrp
