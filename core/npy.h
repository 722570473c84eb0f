// core/npy.h — a small, hardened reader for NumPy .npy files of float arrays.
//
// Users: the BiLSTM importer (`textlrp import arras-bilstm`, the weights and embeddings of Arras
// et al. 2017 are .npy files). Only what such files need is supported: little-endian float64
// ('<f8') or float32 ('<f4') data in C order.
//
// Byte layout (https://numpy.org/devdocs/reference/generated/numpy.lib.format.html):
//   [0, 6)       magic "\x93NUMPY"
//   [6, 8)       version major, minor: 1.0 or 2.0 (3.0, a UTF-8 header, is rejected)
//   [8, 10)      v1.0: u16 little-endian header length HLEN
//   [8, 12)      v2.0: u32 little-endian header length HLEN
//   [10|12, +HLEN)  ASCII Python dict literal, padded with spaces and ending in '\n', e.g.
//                {'descr': '<f8', 'fortran_order': False, 'shape': (19538, 60), }
//   [.., EOF)    the data: product(shape) elements of the dtype, C order, nothing after them
// The reader distrusts its input and checks, before allocating: the magic and version; HLEN
// against the bytes present (and <= 1 MiB); the dict syntax (exactly the keys descr,
// fortran_order and shape, each once; string, bool and tuple-of-integers values; a trailing comma
// and Python 2 'L' suffixes are allowed); descr '<f8' or '<f4' ('|' and '=' byte orders and
// big-endian data are refused by name); fortran_order False; shape entries non-negative and their
// product times the item size free of overflow and equal to the data size. Every element must be
// finite. Each failure is a FormatError "<file>: byte <offset>: <what was expected>, got <what>".
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace textlrp {

// A float array read from a .npy file, widened to float64 (float32 values are exact in float64).
struct NpyArray {
  std::vector<std::int64_t> shape;  // () for a scalar, (n,) for a vector, (r, c) for a matrix, ...
  std::vector<double> data;         // product(shape) values in C (row-major) order
  bool was_float32 = false;         // descr was '<f4'
  std::int64_t numel() const;
};

// Reads `path`. Throws IoError (cannot read) or FormatError (anything wrong with the content).
NpyArray read_npy(const std::filesystem::path& path);

// Parses .npy bytes already in memory; `name` is used in error messages.
NpyArray parse_npy(std::string_view bytes, const std::string& name);

}  // namespace textlrp
