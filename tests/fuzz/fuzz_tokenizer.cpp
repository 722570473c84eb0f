// tests/fuzz/fuzz_tokenizer.cpp — libFuzzer target: nlp: ICU word tokenizer, case folding and SentencePiece span mapping on arbitrary bytes (byte 0 picks).
// What one input does: run_tokenizer() in tests/fuzz/fuzz_entry_points.h. Run with ./scripts/fuzz tokenizer.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return textlrp::fuzz::run_one(textlrp::fuzz::run_tokenizer, data, size);
}
