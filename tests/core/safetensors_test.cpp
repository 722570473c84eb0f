#include "core/safetensors.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "core/endian.h"
#include "core/error.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
using Catch::Matchers::Contains;

namespace {

// Builds a safetensors file from a header string and a data buffer.
std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  store_le<std::uint64_t>(out.data(), header.size());
  return out + header + data;
}

std::string floats_bytes(std::initializer_list<float> v) {
  std::string s;
  for (float f : v) {
    char b[4];
    store_le<float>(b, f);
    s.append(b, 4);
  }
  return s;
}

}  // namespace

TEST_CASE("safetensors: write then read round trip", "[core][safetensors]") {
  Mat m(2, 3);
  m << 1, 2, 3, 4, 5, -6.5f;
  Vec v(2);
  v << 0.25f, -1e-7f;
  TensorWriter w;
  w.add("weight", m);
  w.add("bias", v);
  w.set_metadata("textlrp.format_version", "1");
  const TensorStore st = TensorStore::parse(w.serialize(), "mem");
  REQUIRE(st.names() == std::vector<std::string>{"bias", "weight"});
  REQUIRE(st.metadata().at("textlrp.format_version") == "1");
  REQUIRE(st.matrix("weight", 2, 3) == m);
  REQUIRE(st.vector("bias", 2) == v);
  REQUIRE(st.info("weight").shape == std::vector<std::int64_t>{2, 3});
  // Through a file, too.
  test::TempDir dir;
  w.write(dir / "x.safetensors");
  REQUIRE(TensorStore::load(dir / "x.safetensors").matrix("weight") == m);
}

TEST_CASE("safetensors: reads a hand-made file with F64 and padding", "[core][safetensors]") {
  std::string data;
  for (double d : {1.5, -2.0}) {
    char b[8];
    store_le<double>(b, d);
    data.append(b, 8);
  }
  const std::string header = R"({"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}    )";
  const TensorStore st = TensorStore::parse(make_file(header, data), "h");
  REQUIRE(st.vector("x")[1] == -2.0f);
}

TEST_CASE("safetensors: hostile files are clear errors", "[core][safetensors]") {
  const std::string ok_header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string data = floats_bytes({1, 2});
  REQUIRE_NOTHROW(TensorStore::parse(make_file(ok_header, data), "f"));
  SECTION("shorter than the length field") {
    REQUIRE_THROWS_WITH(TensorStore::parse("abc", "f.st"),
                        Contains("f.st") && Contains("8-byte header length"));
  }
  SECTION("empty file") { REQUIRE_THROWS_AS(TensorStore::parse("", "f"), FormatError); }
  SECTION("header length past the end") {
    std::string f = make_file(ok_header, data);
    store_le<std::uint64_t>(f.data(), 1000000);
    REQUIRE_THROWS_WITH(TensorStore::parse(f, "f"), Contains("header length 1000000"));
  }
  SECTION("huge header length does not allocate") {
    std::string f = make_file(ok_header, data);
    store_le<std::uint64_t>(f.data(), ~std::uint64_t{0});
    REQUIRE_THROWS_AS(TensorStore::parse(f, "f"), FormatError);
  }
  SECTION("truncated data") {
    std::string f = make_file(ok_header, data);
    f.resize(f.size() - 3);
    REQUIRE_THROWS_WITH(TensorStore::parse(f, "f"),
                        Contains("tensor 'a'") && Contains("outside the data buffer"));
  }
  SECTION("header is not JSON") {
    REQUIRE_THROWS_WITH(TensorStore::parse(make_file("{nope", data), "f"), Contains("not valid JSON"));
  }
  SECTION("header is not an object") {
    REQUIRE_THROWS_WITH(TensorStore::parse(make_file("[1,2]", data), "f"),
                        Contains("expected a JSON object"));
  }
  SECTION("unknown dtype") {
    REQUIRE_THROWS_WITH(
        TensorStore::parse(make_file(R"({"a":{"dtype":"F8","shape":[2],"data_offsets":[0,8]}})", data), "f"),
        Contains("unknown dtype 'F8'"));
  }
  SECTION("shape does not match the byte count") {
    REQUIRE_THROWS_WITH(
        TensorStore::parse(make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data), "f"),
        Contains("needs 12 bytes"));
  }
  SECTION("overflowing shape") {
    REQUIRE_THROWS_WITH(
        TensorStore::parse(
            make_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}})",
                      data),
            "f"),
        Contains("overflows"));
  }
  SECTION("negative shape") {
    REQUIRE_THROWS_AS(TensorStore::parse(
                          make_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data), "f"),
                      FormatError);
  }
  SECTION("overlapping tensors") {
    const std::string h =
        R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
    REQUIRE_THROWS_WITH(TensorStore::parse(make_file(h, data), "f"), Contains("overlap"));
  }
  SECTION("duplicate names") {
    const std::string h =
        R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
    REQUIRE_THROWS_AS(TensorStore::parse(make_file(h, data), "f"), FormatError);
  }
  SECTION("wrong dtype for reading as floats") {
    const TensorStore st =
        TensorStore::parse(make_file(R"({"a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})", data), "f");
    REQUIRE_THROWS_WITH(st.vector("a"), Contains("dtype I32"));
  }
  SECTION("wrong shape for the caller") {
    const TensorStore st = TensorStore::parse(make_file(ok_header, data), "f");
    REQUIRE_THROWS_WITH(st.vector("a", 3), Contains("has shape [2], expected [3]"));
    REQUIRE_THROWS_WITH(st.matrix("a"), Contains("expected [? x ?]"));
  }
  SECTION("NaN weights") {
    const TensorStore st = TensorStore::parse(make_file(ok_header, floats_bytes({1, NAN})), "f");
    REQUIRE_THROWS_WITH(st.vector("a"), Contains("finite"));
  }
  SECTION("missing tensor") {
    const TensorStore st = TensorStore::parse(make_file(ok_header, data), "f");
    REQUIRE_THROWS_WITH(st.vector("zz"), Contains("missing tensor 'zz'"));
  }
  SECTION("every truncation of a valid file fails cleanly or parses") {
    const std::string f = make_file(ok_header, data);
    for (std::size_t n = 0; n < f.size(); ++n) {
      REQUIRE_THROWS_AS(TensorStore::parse(f.substr(0, n), "f"), FormatError);
    }
  }
}

TEST_CASE("safetensors: a missing file is an IoError naming it", "[core][safetensors]") {
  REQUIRE_THROWS_WITH(TensorStore::load("/nonexistent/x.safetensors"),
                      Contains("/nonexistent/x.safetensors"));
}

TEST_CASE("safetensors: F64 tensors round trip exactly, mixed with F32", "[core][safetensors]") {
  const std::vector<double> w = {0.1, -1e-300, 3.141592653589793, 1.0 / 3.0, 0.0, -7.25};
  TensorWriter writer;
  writer.add_f64("w", {2, 3}, w);
  Vec v(3);  // an odd number of F32 values first in name order: the F64 data starts at 4 mod 8
  v << 1, 2, 3;
  writer.add("a", v);
  writer.add_f64("z", {0}, {});
  const TensorStore st = TensorStore::parse(writer.serialize(), "mem");
  REQUIRE(st.info("w").dtype == DType::kF64);
  REQUIRE(st.info("a").dtype == DType::kF32);
  REQUIRE(st.doubles("w", {2, 3}) == w);  // bit-identical
  REQUIRE(st.doubles("w", {-1, 3}) == w);
  REQUIRE(st.doubles("a", {3}) == std::vector<double>{1, 2, 3});  // F32 widened
  REQUIRE(st.doubles("z", {0}).empty());
  REQUIRE(st.vector("a")[2] == 3.0f);
  REQUIRE_THROWS_WITH(st.doubles("w", {3, 2}), Contains("tensor 'w' has shape [2 x 3], expected [3 x 2]"));
}

TEST_CASE("safetensors: doubles() rejects other dtypes and non-finite values", "[core][safetensors]") {
  std::string data(8, '\0');
  const std::string i64 = R"({"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})";
  REQUIRE_THROWS_WITH(TensorStore::parse(make_file(i64, data), "f").doubles("n", {1}),
                      Contains("tensor 'n' has dtype I64, expected F32 or F64"));
  store_le<double>(data.data(), std::numeric_limits<double>::quiet_NaN());
  const std::string f64 = R"({"n":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})";
  REQUIRE_THROWS_AS(TensorStore::parse(make_file(f64, data), "f").doubles("n", {1}), FormatError);
}

TEST_CASE("safetensors: F16 and BF16 widen exactly through floats_widened() only", "[core][safetensors]") {
  // F16: 1.0 = 0x3C00, -2.5 = 0xC100, 65504 (max) = 0x7BFF, 2^-24 (smallest subnormal) = 0x0001,
  // 2^-14 (smallest normal) = 0x0400. BF16: the top half of the float32 bits.
  std::string f16(10, '\0'), bf16(6, '\0');
  const std::uint16_t h[] = {0x3C00, 0xC100, 0x7BFF, 0x0001, 0x0400};
  for (int i = 0; i < 5; ++i) store_le<std::uint16_t>(f16.data() + 2 * i, h[i]);
  const std::uint16_t b[] = {0x3F80, 0xC020, 0x3EAB};  // 1, -2.5, 0.333984375
  for (int i = 0; i < 3; ++i) store_le<std::uint16_t>(bf16.data() + 2 * i, b[i]);
  const std::string header =
      R"({"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[10,16]}})";
  const TensorStore st = TensorStore::parse(make_file(header, f16 + bf16), "half");
  REQUIRE(st.floats_widened("h", {5}) ==
          std::vector<float>{1.0f, -2.5f, 65504.0f, std::ldexp(1.0f, -24), std::ldexp(1.0f, -14)});
  REQUIRE(st.floats_widened("b", {3}) == std::vector<float>{1.0f, -2.5f, 0.333984375f});
  // floats() keeps its F32/F64 contract.
  REQUIRE_THROWS_WITH(st.floats("h", {5}), Contains("tensor 'h' has dtype F16, expected F32 or F64"));
  // Infinity and NaN are rejected as for F32.
  std::string inf(2, '\0');
  store_le<std::uint16_t>(inf.data(), 0x7C00);
  const std::string ih = R"({"i":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}})";
  REQUIRE_THROWS_WITH(TensorStore::parse(make_file(ih, inf), "inf").floats_widened("i", {1}),
                      Contains("tensor 'i' element 0 is inf"));
  REQUIRE(half_to_float(0x8000) == 0.0f);
  REQUIRE(std::signbit(half_to_float(0x8000)));
}
