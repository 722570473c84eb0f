// tests/fuzz/fuzz_jsonl.cpp — libFuzzer target: corpora/jsonl: the JSONL input corpus.
// What one input does: run_jsonl() in tests/fuzz/fuzz_entry_points.h. Run with ./scripts/fuzz jsonl.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return textlrp::fuzz::run_one(textlrp::fuzz::run_jsonl, data, size);
}
