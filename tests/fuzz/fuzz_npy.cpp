// tests/fuzz/fuzz_npy.cpp — libFuzzer target: core/npy: parse_npy on arbitrary bytes.
// What one input does: run_npy() in tests/fuzz/fuzz_entry_points.h. Run with ./scripts/fuzz npy.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return textlrp::fuzz::run_one(textlrp::fuzz::run_npy, data, size);
}
