// tests/fuzz/fuzz_embeddings.cpp — libFuzzer target: embeddings: format detection + the word2vec binary, word2vec text (.vec) and GloVe readers (byte 0 picks reader and options).
// What one input does: run_embeddings() in tests/fuzz/fuzz_entry_points.h. Run with ./scripts/fuzz embeddings.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return textlrp::fuzz::run_one(textlrp::fuzz::run_embeddings, data, size);
}
