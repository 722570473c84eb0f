#include "core/npy.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <optional>

#include "core/endian.h"
#include "core/error.h"
#include "core/file.h"

namespace textlrp {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::uint32_t kMaxHeader = 1u << 20;

// A printable excerpt of untrusted bytes for error messages (at most 24 characters).
std::string excerpt(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 24)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", u);
  }
  if (s.size() > 24) out += "...";
  return out;
}

// "(19538, 60)", "(5,)", "()" as Python prints a shape.
std::string shape_text_of(const std::vector<std::int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// Recursive-descent parser for the header dict. `base` is the header's byte offset in the file,
// so that errors name file offsets.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::size_t base, const std::string& file)
      : text_(text), base_(base), file_(file) {}

  struct Value {
    enum class Kind { kString, kBool, kTuple } kind = Kind::kString;
    std::string str;
    bool boolean = false;
    std::vector<std::int64_t> tuple;
  };

  [[noreturn]] void fail(std::string_view what) const {
    throw FormatError(fmt::format("{}: byte {}: malformed .npy header: {}, got '{}'", file_, base_ + pos_,
                                  what, excerpt(text_.substr(pos_))));
  }
  std::size_t offset() const { return base_ + pos_; }

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  void expect(char c, std::string_view what) {
    if (!peek(c)) fail(what);
    ++pos_;
  }

  std::string parse_string() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) fail("expected a quoted string");
    const char quote = text_[pos_++];
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      const char c = text_[pos_];
      if (c == '\\' || c == '\n' || static_cast<unsigned char>(c) < 0x20 ||
          static_cast<unsigned char>(c) >= 0x7f) {
        fail("expected a plain ASCII string without escapes");
      }
      out.push_back(c);
      ++pos_;
    }
    if (pos_ >= text_.size()) fail("unterminated string");
    ++pos_;
    return out;
  }

  std::int64_t parse_int() {
    skip_space();
    const std::size_t start = pos_;
    std::uint64_t v = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const auto digit = static_cast<std::uint64_t>(text_[pos_] - '0');
      if (v > (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - digit) / 10) {
        pos_ = start;
        fail("a shape entry that fits in 63 bits");
      }
      v = v * 10 + digit;
      ++pos_;
    }
    if (pos_ == start) fail("expected a non-negative integer");
    if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 long
    return static_cast<std::int64_t>(v);
  }

  Value parse_value() {
    skip_space();
    Value v;
    if (pos_ >= text_.size()) fail("expected a value");
    const char c = text_[pos_];
    if (c == '\'' || c == '"') {
      v.kind = Value::Kind::kString;
      v.str = parse_string();
    } else if (text_.substr(pos_, 4) == "True") {
      v.kind = Value::Kind::kBool;
      v.boolean = true;
      pos_ += 4;
    } else if (text_.substr(pos_, 5) == "False") {
      v.kind = Value::Kind::kBool;
      v.boolean = false;
      pos_ += 5;
    } else if (c == '(') {
      v.kind = Value::Kind::kTuple;
      ++pos_;
      while (!peek(')')) {
        if (v.tuple.size() >= 32) fail("at most 32 dimensions");
        v.tuple.push_back(parse_int());
        if (peek(',')) {
          ++pos_;
        } else if (!peek(')')) {
          fail("expected ',' or ')' in the shape tuple");
        }
      }
      ++pos_;
    } else {
      fail("expected a string, True, False or a tuple");
    }
    return v;
  }

  // {'key': value, ...} with an optional trailing comma; returns the entries in order.
  std::vector<std::pair<std::string, Value>> parse_dict() {
    std::vector<std::pair<std::string, Value>> out;
    expect('{', "expected '{'");
    while (!peek('}')) {
      const std::size_t key_pos = pos_;
      std::string key = parse_string();
      for (const auto& [k, v] : out) {
        if (k == key) {
          pos_ = key_pos;
          fail(fmt::format("duplicate key '{}'", key));
        }
      }
      expect(':', "expected ':' after a key");
      out.emplace_back(std::move(key), parse_value());
      if (peek(',')) {
        ++pos_;
      } else if (!peek('}')) {
        fail("expected ',' or '}'");
      }
    }
    ++pos_;
    skip_space();
    if (pos_ != text_.size()) fail("expected only spaces and a newline after the dict");
    return out;
  }

 private:
  std::string_view text_;
  std::size_t base_;
  std::size_t pos_ = 0;
  const std::string& file_;
};

}  // namespace

std::int64_t NpyArray::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

NpyArray read_npy(const std::filesystem::path& path) { return parse_npy(read_file(path), path.string()); }

NpyArray parse_npy(std::string_view bytes, const std::string& name) {
  const std::string& file = name;
  if (bytes.size() < 10 || bytes.substr(0, 6) != kMagic) {
    throw FormatError(fmt::format("{}: byte 0: expected the .npy magic \"\\x93NUMPY\", got '{}' ({} bytes)",
                                  file, excerpt(bytes.substr(0, 8)), bytes.size()));
  }
  const auto major = static_cast<unsigned char>(bytes[6]);
  const auto minor = static_cast<unsigned char>(bytes[7]);
  if ((major != 1 && major != 2) || minor != 0) {
    throw FormatError(fmt::format("{}: byte 6: .npy version {}.{} is not supported (expected 1.0 or 2.0)",
                                  file, major, minor));
  }
  const std::size_t len_size = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + len_size) {
    throw FormatError(
        fmt::format("{}: byte 8: truncated: expected a {}-byte header length, the file has {} bytes", file,
                    len_size, bytes.size()));
  }
  const std::uint32_t header_len =
      major == 1 ? load_le<std::uint16_t>(bytes.data() + 8) : load_le<std::uint32_t>(bytes.data() + 8);
  const std::size_t header_start = 8 + len_size;
  if (header_len > kMaxHeader || header_len > bytes.size() - header_start) {
    throw FormatError(
        fmt::format("{}: byte 8: header length {} runs past the end of the file ({} bytes after byte "
                    "{}; limit {})",
                    file, header_len, bytes.size() - header_start, header_start, kMaxHeader));
  }
  const std::string_view header = bytes.substr(header_start, header_len);
  HeaderParser parser(header, header_start, file);
  const auto entries = parser.parse_dict();
  const HeaderParser::Value* descr = nullptr;
  const HeaderParser::Value* fortran = nullptr;
  const HeaderParser::Value* shape = nullptr;
  for (const auto& [key, value] : entries) {
    if (key == "descr") {
      descr = &value;
    } else if (key == "fortran_order") {
      fortran = &value;
    } else if (key == "shape") {
      shape = &value;
    } else {
      throw FormatError(
          fmt::format("{}: byte {}: unexpected key '{}' in the .npy header (expected descr, "
                      "fortran_order, shape)",
                      file, header_start, key));
    }
  }
  if (descr == nullptr || fortran == nullptr || shape == nullptr) {
    throw FormatError(fmt::format(
        "{}: byte {}: the .npy header lacks '{}' (it needs descr, fortran_order, shape)", file, header_start,
        descr == nullptr     ? "descr"
        : fortran == nullptr ? "fortran_order"
                             : "shape"));
  }
  if (descr->kind != HeaderParser::Value::Kind::kString) {
    throw FormatError(fmt::format("{}: byte {}: 'descr' must be a string such as '<f8'", file, header_start));
  }
  std::size_t item = 0;
  if (descr->str == "<f8") {
    item = 8;
  } else if (descr->str == "<f4") {
    item = 4;
  } else {
    throw FormatError(
        fmt::format("{}: byte {}: unsupported dtype '{}' (supported: '<f8' float64, '<f4' float32, "
                    "little-endian)",
                    file, header_start, descr->str));
  }
  if (fortran->kind != HeaderParser::Value::Kind::kBool) {
    throw FormatError(fmt::format("{}: byte {}: 'fortran_order' must be True or False", file, header_start));
  }
  if (fortran->boolean) {
    throw FormatError(
        fmt::format("{}: byte {}: fortran_order True (column-major data) is not supported; save the "
                    "array with numpy.ascontiguousarray first",
                    file, header_start));
  }
  if (shape->kind != HeaderParser::Value::Kind::kTuple) {
    throw FormatError(fmt::format("{}: byte {}: 'shape' must be a tuple of integers", file, header_start));
  }
  const std::size_t data_start = header_start + header_len;
  const std::size_t data_size = bytes.size() - data_start;
  std::uint64_t n_bytes = item;
  for (const std::int64_t d : shape->tuple) {
    const auto dim = static_cast<std::uint64_t>(d);
    if (dim != 0 && n_bytes > (std::uint64_t{1} << 62) / dim) {
      throw FormatError(
          fmt::format("{}: byte {}: shape {} overflows", file, header_start, shape_text_of(shape->tuple)));
    }
    n_bytes *= dim;
  }
  if (n_bytes != data_size) {
    throw FormatError(fmt::format("{}: byte {}: shape {} of {} needs {} data bytes, the file has {}", file,
                                  data_start, shape_text_of(shape->tuple), descr->str, n_bytes, data_size));
  }
  NpyArray out;
  out.shape = shape->tuple;
  out.was_float32 = item == 4;
  const std::size_t n = static_cast<std::size_t>(n_bytes / item);
  out.data.resize(n);
  const char* p = bytes.data() + data_start;
  for (std::size_t i = 0; i < n; ++i) {
    out.data[i] = item == 8 ? load_le<double>(p + 8 * i) : static_cast<double>(load_le<float>(p + 4 * i));
    if (!std::isfinite(out.data[i])) {
      throw FormatError(fmt::format("{}: byte {}: element {} is {}, expected a finite number", file,
                                    data_start + i * item, i, out.data[i]));
    }
  }
  return out;
}

}  // namespace textlrp
