// tests/fuzz/fuzz_sst.cpp — libFuzzer target: corpora/sst: the SST tree corpus (sst and sst-binary, with and without phrases; byte 0 picks).
// What one input does: run_sst() in tests/fuzz/fuzz_entry_points.h. Run with ./scripts/fuzz sst.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return textlrp::fuzz::run_one(textlrp::fuzz::run_sst, data, size);
}
