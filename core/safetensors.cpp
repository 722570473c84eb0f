#include "core/safetensors.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/endian.h"
#include "core/error.h"
#include "core/file.h"

namespace textlrp {
namespace {

constexpr std::uint64_t kMaxHeader = 100ull << 20;

struct DTypeEntry {
  const char* name;
  DType dtype;
  std::size_t size;
};
constexpr DTypeEntry kDTypes[] = {{"F32", DType::kF32, 4},   {"F64", DType::kF64, 8}, {"F16", DType::kF16, 2},
                                  {"BF16", DType::kBF16, 2}, {"I64", DType::kI64, 8}, {"I32", DType::kI32, 4},
                                  {"I16", DType::kI16, 2},   {"I8", DType::kI8, 1},   {"U8", DType::kU8, 1},
                                  {"BOOL", DType::kBool, 1}};

}  // namespace

std::string_view dtype_name(DType d) {
  for (const auto& e : kDTypes)
    if (e.dtype == d) return e.name;
  return "?";
}
std::size_t dtype_size(DType d) {
  for (const auto& e : kDTypes)
    if (e.dtype == d) return e.size;
  return 0;
}

std::int64_t TensorInfo::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += " x ";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

TensorStore TensorStore::load(const std::filesystem::path& path) {
  return parse(read_file(path), path.string());
}

TensorStore TensorStore::parse(std::string bytes, std::string name) {
  TensorStore st;
  st.name_ = std::move(name);
  const std::string& file = st.name_;
  if (bytes.size() < 8) {
    throw FormatError(fmt::format("{}: byte 0: expected an 8-byte header length, got a file of {} bytes",
                                  file, bytes.size()));
  }
  const auto n = load_le<std::uint64_t>(bytes.data());
  if (n > kMaxHeader || n > bytes.size() - 8) {
    throw FormatError(fmt::format(
        "{}: byte 0: header length {} is larger than the file allows ({} bytes after the length, limit {})",
        file, n, bytes.size() - 8, kMaxHeader));
  }
  nlohmann::json header;
  // nlohmann keeps the last of duplicate keys silently; a parser callback sees every key.
  std::set<std::string> seen_keys;
  std::string duplicate;
  const nlohmann::json::parser_callback_t on_event = [&](int depth, nlohmann::json::parse_event_t event,
                                                         nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key && depth == 1 &&
        !seen_keys.insert(parsed.get<std::string>()).second && duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n),
                                   on_event);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: byte 8: the header is not valid JSON: {}", file, e.what()));
  }
  if (!duplicate.empty()) {
    throw FormatError(fmt::format("{}: tensor '{}': duplicate name in the header", file, duplicate));
  }
  if (!header.is_object()) {
    throw FormatError(
        fmt::format("{}: byte 8: expected a JSON object as header, got {}", file, header.type_name()));
  }
  st.data_start_ = 8 + static_cast<std::size_t>(n);
  const std::size_t buffer_size = bytes.size() - st.data_start_;
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) throw FormatError(fmt::format("{}: __metadata__ must be an object", file));
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string()) {
          throw FormatError(
              fmt::format("{}: __metadata__['{}']: expected a string, got {}", file, mk, mv.type_name()));
        }
        st.metadata_[mk] = mv.get<std::string>();
      }
      continue;
    }
    const std::string where = fmt::format("{}: tensor '{}'", file, key);
    if (!value.is_object())
      throw FormatError(fmt::format("{}: expected an object, got {}", where, value.type_name()));
    TensorInfo info;
    const auto dt = value.find("dtype");
    if (dt == value.end() || !dt->is_string())
      throw FormatError(fmt::format("{}: missing string 'dtype'", where));
    const std::string dts = dt->get<std::string>();
    const auto e = std::find_if(std::begin(kDTypes), std::end(kDTypes),
                                [&](const DTypeEntry& x) { return dts == x.name; });
    if (e == std::end(kDTypes)) throw FormatError(fmt::format("{}: unknown dtype '{}'", where, dts));
    info.dtype = e->dtype;
    const auto sh = value.find("shape");
    if (sh == value.end() || !sh->is_array())
      throw FormatError(fmt::format("{}: missing array 'shape'", where));
    if (sh->size() > 8)
      throw FormatError(fmt::format("{}: shape has {} dimensions, at most 8 supported", where, sh->size()));
    std::uint64_t bytes_needed = e->size;
    for (const auto& d : *sh) {
      if (!d.is_number_integer() || d.get<std::int64_t>() < 0) {
        throw FormatError(
            fmt::format("{}: shape entries must be non-negative integers, got {}", where, d.dump()));
      }
      const auto dim = d.get<std::uint64_t>();
      if (dim != 0 && bytes_needed > (std::uint64_t{1} << 62) / dim) {
        throw FormatError(fmt::format("{}: shape {} overflows", where, sh->dump()));
      }
      bytes_needed *= dim;
      info.shape.push_back(static_cast<std::int64_t>(dim));
    }
    const auto off = value.find("data_offsets");
    if (off == value.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned()) {
      throw FormatError(
          fmt::format("{}: expected 'data_offsets' as [begin, end] of non-negative integers", where));
    }
    const auto b = (*off)[0].get<std::uint64_t>();
    const auto en = (*off)[1].get<std::uint64_t>();
    if (b > en || en > buffer_size) {
      throw FormatError(fmt::format("{}: data_offsets [{}, {}) lie outside the data buffer of {} bytes",
                                    where, b, en, buffer_size));
    }
    if (en - b != bytes_needed) {
      throw FormatError(fmt::format("{}: shape {} with dtype {} needs {} bytes, data_offsets give {}", where,
                                    shape_string(info.shape), dts, bytes_needed, en - b));
    }
    info.begin = static_cast<std::size_t>(b);
    info.end = static_cast<std::size_t>(en);
    if (!st.tensors_.emplace(key, info).second) throw FormatError(fmt::format("{}: duplicate name", where));
    ranges.emplace_back(info.begin, info.end);
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) {
      std::string a, bname;
      for (const auto& [k, v] : st.tensors_) {
        if (v.begin == ranges[i - 1].first && v.end == ranges[i - 1].second && a.empty())
          a = k;
        else if (v.begin == ranges[i].first && v.end == ranges[i].second)
          bname = k;
      }
      throw FormatError(fmt::format("{}: tensors '{}' and '{}' overlap in the data buffer", file, a, bname));
    }
  }
  st.bytes_ = std::move(bytes);
  return st;
}

const TensorInfo& TensorStore::info(std::string_view name) const {
  const auto it = tensors_.find(std::string(name));
  if (it == tensors_.end()) throw FormatError(fmt::format("{}: missing tensor '{}'", name_, name));
  return it->second;
}

std::vector<std::string> TensorStore::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : tensors_) out.push_back(k);
  return out;
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1Fu;
  const std::uint32_t mant = h & 0x3FFu;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24
    const float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  std::uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);  // inf or NaN
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);  // rebias 15 -> 127
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bfloat16_to_float(std::uint16_t b) {
  const std::uint32_t bits = static_cast<std::uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

template <class T>
std::vector<T> TensorStore::numbers(std::string_view name, const std::vector<std::int64_t>& expected,
                                    bool half) const {
  const TensorInfo& t = info(name);
  bool ok = t.shape.size() == expected.size();
  for (std::size_t i = 0; ok && i < expected.size(); ++i) ok = expected[i] < 0 || expected[i] == t.shape[i];
  if (!ok) {
    throw FormatError(fmt::format("{}: tensor '{}' has shape {}, expected {}", name_, name,
                                  shape_string(t.shape), shape_string(expected)));
  }
  const char* p = bytes_.data() + data_start_ + t.begin;
  const auto n = static_cast<std::size_t>(t.numel());
  std::vector<T> out(n);
  if (t.dtype == DType::kF32) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(load_le<float>(p + 4 * i));
  } else if (t.dtype == DType::kF64) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(load_le<double>(p + 8 * i));
  } else if (t.dtype == DType::kF16 && half) {
    for (std::size_t i = 0; i < n; ++i)
      out[i] = static_cast<T>(half_to_float(load_le<std::uint16_t>(p + 2 * i)));
  } else if (t.dtype == DType::kBF16 && half) {
    for (std::size_t i = 0; i < n; ++i)
      out[i] = static_cast<T>(bfloat16_to_float(load_le<std::uint16_t>(p + 2 * i)));
  } else {
    throw FormatError(fmt::format("{}: tensor '{}' has dtype {}, expected {}", name_, name,
                                  dtype_name(t.dtype), half ? "F32, F64, F16 or BF16" : "F32 or F64"));
  }
  // After the conversion: an F64 value beyond float's range is not finite as float32.
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(out[i])) {
      throw FormatError(
          fmt::format("{}: tensor '{}' element {} is {}, expected a finite number", name_, name, i, out[i]));
    }
  }
  return out;
}

std::vector<float> TensorStore::floats(std::string_view name,
                                       const std::vector<std::int64_t>& expected) const {
  return numbers<float>(name, expected, false);
}

std::vector<float> TensorStore::floats_widened(std::string_view name,
                                               const std::vector<std::int64_t>& expected) const {
  return numbers<float>(name, expected, true);
}

std::vector<double> TensorStore::doubles(std::string_view name,
                                         const std::vector<std::int64_t>& expected) const {
  return numbers<double>(name, expected, false);
}

Mat TensorStore::matrix(std::string_view name, std::int64_t rows, std::int64_t cols) const {
  const std::vector<float> v = floats(name, {rows, cols});
  const TensorInfo& t = info(name);
  Mat m(t.shape[0], t.shape[1]);
  if (!v.empty()) std::memcpy(m.data(), v.data(), v.size() * sizeof(float));
  return m;
}

Vec TensorStore::vector(std::string_view name, std::int64_t size) const {
  const std::vector<float> v = floats(name, {size});
  Vec out(static_cast<Index>(v.size()));
  if (!v.empty()) std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

void TensorWriter::add(std::string name, std::vector<std::int64_t> shape, std::vector<float> data) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  TEXTLRP_ASSERT(static_cast<std::size_t>(n) == data.size());
  entries_.push_back({std::move(name), std::move(shape), std::move(data), {}, false});
}

void TensorWriter::add_f64(std::string name, std::vector<std::int64_t> shape, std::vector<double> data) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  TEXTLRP_ASSERT(static_cast<std::size_t>(n) == data.size());
  Entry e{std::move(name), std::move(shape), {}, std::move(data), true};
  entries_.push_back(std::move(e));
}

void TensorWriter::add(std::string name, const Mat& m) {
  add(std::move(name), {m.rows(), m.cols()}, std::vector<float>(m.data(), m.data() + m.size()));
}

void TensorWriter::add(std::string name, const Vec& v) {
  add(std::move(name), {v.size()}, std::vector<float>(v.data(), v.data() + v.size()));
}

std::string TensorWriter::serialize() const {
  // Tensors in name order (as the Python writer does), data aligned to 8 bytes by header padding.
  std::vector<const Entry*> sorted;
  for (const auto& e : entries_) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) { return a->name < b->name; });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty()) {
    nlohmann::ordered_json md = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata_) md[k] = v;
    header["__metadata__"] = md;
  }
  std::size_t offset = 0;
  for (const Entry* e : sorted) {
    const std::size_t nbytes = e->f64 ? e->data64.size() * 8 : e->data.size() * 4;
    header[e->name] = {
        {"dtype", e->f64 ? "F64" : "F32"}, {"shape", e->shape}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string h = header.dump();
  while ((8 + h.size()) % 8 != 0) h.push_back(' ');
  std::string out(8, '\0');
  store_le<std::uint64_t>(out.data(), h.size());
  out += h;
  out.reserve(out.size() + offset);
  char buf[8];
  for (const Entry* e : sorted) {
    for (float f : e->data) {
      store_le<float>(buf, f);
      out.append(buf, 4);
    }
    for (double d : e->data64) {
      store_le<double>(buf, d);
      out.append(buf, 8);
    }
  }
  return out;
}

void TensorWriter::write(const std::filesystem::path& path) const { write_file_atomic(path, serialize()); }

}  // namespace textlrp
