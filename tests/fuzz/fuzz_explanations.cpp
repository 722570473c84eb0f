// tests/fuzz/fuzz_explanations.cpp — libFuzzer target: explain/explanation: the schema-1
// explanation JSONL reader and writer. What one input does: run_explanations() in
// tests/fuzz/fuzz_entry_points.h. Run with ./scripts/fuzz explanations.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return textlrp::fuzz::run_one(textlrp::fuzz::run_explanations, data, size);
}
