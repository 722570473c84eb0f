// core/npy: the .npy reader on hand-made byte buffers (written to a temporary folder and read
// back through read_npy): valid v1.0 and v2.0 files, then one corruption per check, each a
// FormatError naming the file and the byte offset.
#include "core/npy.h"

#include <cstring>
#include <limits>

#include "core/endian.h"
#include "core/error.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
using Catch::Matchers::Contains;

namespace {

// A .npy file: magic, version, header length (u16 for v1, u32 for v2), the dict padded with
// spaces to a multiple of 64 bytes and ended by '\n' (as numpy writes it), then `data`.
std::string npy(const std::string& dict, const std::string& data, int major = 1, bool pad = true) {
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  const std::size_t prefix = out.size() + (major == 1 ? 2 : 4);
  std::string header = dict;
  if (pad) {
    while ((prefix + header.size() + 1) % 64 != 0) header.push_back(' ');
    header.push_back('\n');
  }
  char len[4];
  if (major == 1) {
    store_le<std::uint16_t>(len, static_cast<std::uint16_t>(header.size()));
    out.append(len, 2);
  } else {
    store_le<std::uint32_t>(len, static_cast<std::uint32_t>(header.size()));
    out.append(len, 4);
  }
  return out + header + data;
}

std::string f8(std::initializer_list<double> v) {
  std::string s;
  for (double d : v) {
    char b[8];
    store_le<double>(b, d);
    s.append(b, 8);
  }
  return s;
}

std::string f4(std::initializer_list<float> v) {
  std::string s;
  for (float f : v) {
    char b[4];
    store_le<float>(b, f);
    s.append(b, 4);
  }
  return s;
}

const std::string kDict23 = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
const std::string kData23 = f8({1, 2, 3, 4, 5, -6.5});

// Writes `bytes` to a temporary file and reads it with read_npy.
NpyArray read_bytes(const test::TempDir& dir, const std::string& bytes) {
  const auto path = dir / "a.npy";
  test::write_bytes(path, bytes);
  return read_npy(path);
}

}  // namespace

TEST_CASE("npy: reads v1.0 float64 and float32 files as numpy writes them", "[core][npy]") {
  test::TempDir dir;
  const NpyArray a = read_bytes(dir, npy(kDict23, kData23));
  REQUIRE(a.shape == std::vector<std::int64_t>{2, 3});
  REQUIRE(a.data == std::vector<double>{1, 2, 3, 4, 5, -6.5});
  REQUIRE_FALSE(a.was_float32);
  REQUIRE(a.numel() == 6);
  const NpyArray b =
      read_bytes(dir, npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4({0.5f, -1, 3})));
  REQUIRE(b.shape == std::vector<std::int64_t>{3});
  REQUIRE(b.data == std::vector<double>{0.5, -1, 3});
  REQUIRE(b.was_float32);
  // Key order, quotes, spacing, no trailing comma, Python 2 longs, a scalar, an empty array.
  REQUIRE(read_bytes(dir, npy("{\"shape\":(2L,3L),\"fortran_order\":False,\"descr\":\"<f8\"}", kData23))
              .data.size() == 6);
  const NpyArray scalar =
      read_bytes(dir, npy("{'descr': '<f8', 'fortran_order': False, 'shape': ()}", f8({7})));
  REQUIRE(scalar.shape.empty());
  REQUIRE(scalar.data == std::vector<double>{7});
  REQUIRE(
      read_bytes(dir, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 60), }", "")).data.empty());
}

TEST_CASE("npy: reads v2.0 files (u32 header length)", "[core][npy]") {
  test::TempDir dir;
  const NpyArray a = read_bytes(dir, npy(kDict23, kData23, 2));
  REQUIRE(a.shape == std::vector<std::int64_t>{2, 3});
  REQUIRE(a.data[5] == -6.5);
}

TEST_CASE("npy: corrupt files are FormatErrors naming the file and byte offset", "[core][npy]") {
  test::TempDir dir;
  const std::string good = npy(kDict23, kData23);
  auto fails = [&](const std::string& bytes, const std::string& what) {
    INFO(what);
    REQUIRE_THROWS_AS(read_bytes(dir, bytes), FormatError);
    REQUIRE_THROWS_WITH(read_bytes(dir, bytes), Contains("a.npy: byte ") && Contains(what));
  };
  // Magic, version, header length.
  fails("", "byte 0: expected the .npy magic");
  fails("\x93NUMPX" + good.substr(6), "byte 0: expected the .npy magic");
  fails("PK\x03\x04 not numpy at all", "magic");
  std::string v3 = good;
  v3[6] = 3;
  fails(v3, "byte 6: .npy version 3.0 is not supported");
  std::string v11 = good;
  v11[7] = 1;
  fails(v11, "version 1.1");
  fails(good.substr(0, 9), "byte 0: expected the .npy magic");  // shorter than magic + version + length
  fails(npy(kDict23, kData23, 2).substr(0, 11), "byte 8: truncated");
  fails(good.substr(0, 40), "byte 8: header length");  // the header runs past EOF
  std::string huge = npy(kDict23, kData23, 2);
  store_le<std::uint32_t>(huge.data() + 8, 0xFFFFFFF0u);
  fails(huge, "byte 8: header length 4294967280");
  // Malformed dicts (offsets point into the header, which starts at byte 10).
  fails(npy("['descr', '<f8']", kData23), "byte 10: malformed .npy header: expected '{'");
  fails(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)", kData23, 1, false),
        "expected ',' or '}'");
  fails(npy("{'descr': '<f8", kData23, 1, false), "unterminated string");
  fails(npy("{'descr': '<f8' 'fortran_order': False, 'shape': (2, 3)}", kData23), "expected ',' or '}'");
  fails(npy("{'descr': '<f8', 'fortran_order': Nope, 'shape': (2, 3)}", kData23),
        "expected a string, True, False");
  fails(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3)}", kData23), "non-negative integer");
  fails(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2 3)}", kData23), "expected ',' or ')'");
  fails(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,)}", kData23),
        "63 bits");
  fails(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)} trailing", kData23), "after the dict");
  fails(npy("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", kData23),
        "duplicate key 'descr'");
  fails(npy("{'descr': '<f8', 'fortran_order': False}", kData23), "lacks 'shape'");
  fails(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}", kData23),
        "expected a string, True");
  fails(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'extra': True}", kData23),
        "unexpected key 'extra'");
  fails(npy("{'descr': '<f\\x38', 'fortran_order': False, 'shape': (2, 3)}", kData23), "without escapes");
  fails(npy("{'descr': True, 'fortran_order': False, 'shape': (2, 3)}", kData23), "'descr' must be a string");
  fails(npy("{'descr': '<f8', 'fortran_order': 'no', 'shape': (2, 3)}", kData23),
        "'fortran_order' must be True or False");
  fails(npy("{'descr': '<f8', 'fortran_order': False, 'shape': '2,3'}", kData23), "'shape' must be a tuple");
  // Unsupported dtypes and layouts.
  fails(npy("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3)}", kData23), "unsupported dtype '>f8'");
  fails(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3)}", kData23), "unsupported dtype '<i8'");
  fails(npy("{'descr': '|O', 'fortran_order': False, 'shape': (2, 3)}", kData23), "unsupported dtype '|O'");
  fails(npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3)}", kData23), "fortran_order True");
  // Shape against data (numpy pads these headers to 128 bytes: the data starts at byte 128).
  fails(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", kData23),
        "overflows");
  fails(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 3)}", kData23),
        "byte 128: shape (3, 3) of <f8 needs 72 data bytes, the file has 48");
  fails(npy(kDict23, kData23 + "x"), "needs 48 data bytes, the file has 49");
  fails(good.substr(0, good.size() - 1), "needs 48 data bytes, the file has 47");
  // Non-finite values name the element's byte offset.
  fails(npy(kDict23, f8({1, 2, std::numeric_limits<double>::quiet_NaN(), 4, 5, 6})),
        "byte 144: element 2 is nan");
  fails(npy(kDict23, f8({1, 2, 3, 4, 5, std::numeric_limits<double>::infinity()})),
        "byte 168: element 5 is inf");
  fails(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
            f4({1, -std::numeric_limits<float>::infinity()})),
        "element 1 is -inf");
}

TEST_CASE("npy: a missing file is an IoError naming it", "[core][npy]") {
  test::TempDir dir;
  REQUIRE_THROWS_AS(read_npy(dir / "nope.npy"), IoError);
  REQUIRE_THROWS_WITH(read_npy(dir / "nope.npy"), Contains("nope.npy"));
}
