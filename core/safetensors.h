// core/safetensors.h — reading and writing safetensors files, hardened against hostile input.
//
// Byte layout (https://github.com/huggingface/safetensors, little-endian, C order):
//   [0, 8)            u64 N: length of the JSON header in bytes
//   [8, 8+N)          UTF-8 JSON object: name -> {"dtype": "F32", "shape": [d0, d1, ...],
//                     "data_offsets": [begin, end]} plus an optional "__metadata__": {str: str}
//                     (the header may be padded with trailing spaces)
//   [8+N, EOF)        the byte buffer; data_offsets are relative to its start
// The reader checks, before any allocation: N <= 100 MiB and N <= file size - 8; the header is a
// JSON object; every dtype is known (F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL are parsed;
// F32 and F64 can be read as numbers, F16 and BF16 too through floats_widened()); shape entries are non-negative integers whose product
// times the dtype size (checked for overflow) equals end - begin; offsets lie inside the buffer;
// tensors do not overlap; names are unique. Every failure is a FormatError naming the file and the
// tensor. Users: model_io (our model.safetensors), the PyTorch importer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace textlrp {

enum class DType { kF32, kF64, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };
std::string_view dtype_name(DType d);
std::size_t dtype_size(DType d);

struct TensorInfo {
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  std::size_t begin = 0;  // offsets into the data buffer
  std::size_t end = 0;
  std::int64_t numel() const;
};

// An in-memory safetensors file. Immutable after load.
class TensorStore {
 public:
  // Reads and validates `path`. Throws IoError (cannot read) or FormatError (bad content).
  static TensorStore load(const std::filesystem::path& path);
  // Validates bytes already in memory; `name` is used in error messages.
  static TensorStore parse(std::string bytes, std::string name);

  bool contains(std::string_view name) const { return tensors_.count(std::string(name)) > 0; }
  const TensorInfo& info(std::string_view name) const;  // throws FormatError if absent
  std::vector<std::string> names() const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& name() const { return name_; }

  // Converts a tensor to float32 (from F32 or F64; other dtypes are a FormatError naming the
  // tensor and its dtype). The shape must have `expected` (-1 = any size in that dimension);
  // otherwise FormatError "<file>: tensor 'x' has shape [..], expected [..]".
  std::vector<float> floats(std::string_view name, const std::vector<std::int64_t>& expected) const;
  // Like floats(), but F16 and BF16 tensors are accepted too (widened to float32 exactly).
  // Users: the Hugging Face importer (lrp/models/bert_classifier).
  std::vector<float> floats_widened(std::string_view name, const std::vector<std::int64_t>& expected) const;
  // A 2-D tensor as a row-major matrix; a 1-D tensor as a vector.
  Mat matrix(std::string_view name, std::int64_t rows = -1, std::int64_t cols = -1) const;
  Vec vector(std::string_view name, std::int64_t size = -1) const;
  // Like floats(), but as float64: F64 tensors are read exactly, F32 ones widened. The same shape,
  // dtype and finiteness checks and errors. Users: the BiLSTM (float64 parameters).
  std::vector<double> doubles(std::string_view name, const std::vector<std::int64_t>& expected) const;

 private:
  // floats(), floats_widened() and doubles(): shape check, conversion to T, finiteness check.
  template <class T>
  // half: also accept F16 and BF16.
  std::vector<T> numbers(std::string_view name, const std::vector<std::int64_t>& expected, bool half) const;

  std::string name_;
  std::string bytes_;
  std::size_t data_start_ = 0;
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Collects float32 (and float64) tensors and writes them as one safetensors file (atomically).
class TensorWriter {
 public:
  void add(std::string name, std::vector<std::int64_t> shape, std::vector<float> data);
  void add(std::string name, const Mat& m);
  void add(std::string name, const Vec& v);
  // An F64 tensor (stored exactly). data.size() must be the product of shape.
  void add_f64(std::string name, std::vector<std::int64_t> shape, std::vector<double> data);
  void set_metadata(std::string key, std::string value) { metadata_[std::move(key)] = std::move(value); }
  std::string serialize() const;
  void write(const std::filesystem::path& path) const;

 private:
  struct Entry {
    std::string name;
    std::vector<std::int64_t> shape;
    std::vector<float> data;     // F32 tensors
    std::vector<double> data64;  // F64 tensors
    bool f64 = false;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

std::string shape_string(const std::vector<std::int64_t>& shape);

// IEEE 754 half precision (F16) and bfloat16 (BF16) bit patterns to float32 (exact).
float half_to_float(std::uint16_t h);
float bfloat16_to_float(std::uint16_t b);

}  // namespace textlrp
