// tests/fuzz/fuzz_safetensors.cpp — libFuzzer target: core/safetensors: TensorStore::parse on arbitrary bytes, then every tensor read back.
// What one input does: run_safetensors() in tests/fuzz/fuzz_entry_points.h. Run with ./scripts/fuzz safetensors.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return textlrp::fuzz::run_one(textlrp::fuzz::run_safetensors, data, size);
}
