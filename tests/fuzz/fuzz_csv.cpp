// tests/fuzz/fuzz_csv.cpp — libFuzzer target: corpora/csv: the CSV corpus reader.
// What one input does: run_csv() in tests/fuzz/fuzz_entry_points.h. Run with ./scripts/fuzz csv.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return textlrp::fuzz::run_one(textlrp::fuzz::run_csv, data, size);
}
