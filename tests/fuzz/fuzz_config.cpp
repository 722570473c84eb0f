// tests/fuzz/fuzz_config.cpp — libFuzzer target: config.json of a model directory: apps/common
// load_model with its self-tests (on a tiny valid BoW/SVM directory written once per process).
// What one input does: run_config() in tests/fuzz/fuzz_entry_points.h. Run with ./scripts/fuzz config.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>

#include "tests/fuzz/fuzz_entry_points.h"

// With TEXTLRP_FUZZ_CONFIG_SEED=FILE, writes the valid config.json of the model directory to FILE
// (scripts/fuzz uses it as a seed, so the seed always matches what save_model writes).
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  if (const char* seed = std::getenv("TEXTLRP_FUZZ_CONFIG_SEED")) {
    std::ofstream(seed, std::ios::binary) << textlrp::fuzz::config_dir().valid_config();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return textlrp::fuzz::run_one(textlrp::fuzz::run_config, data, size);
}
