// tests/core/fuzz_regressions_test.cpp — replays every saved fuzz input through the entry point of
// its libFuzzer target (tests/fuzz/fuzz_entry_points.h), in the normal (gcc) build and under the
// sanitizer pass of scripts/test:
//   tests/data/fuzz-regressions/<target>/*   inputs that once crashed, hung or leaked (fixed since)
//   tests/fuzz/seeds/<target>/*              the checked-in seeds (valid and near-valid files)
// Each input must either be read without complaint or throw textlrp::Error (IoError, FormatError,
// InvalidArgument): the project's rule that bad input never crashes. Anything else escaping fails
// the test; a crash or sanitizer report fails it too. See docs/fuzzing.md.
#include <algorithm>
#include <filesystem>
#include <string>
#include <typeinfo>
#include <vector>

#include "core/error.h"
#include "core/file.h"
#include "tests/catch.h"
#include "tests/fuzz/fuzz_entry_points.h"
#include "tests/helpers.h"

namespace fs = std::filesystem;
using namespace textlrp;

namespace {

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("fuzz regressions: every saved input and seed either loads or throws textlrp::Error",
          "[fuzz][regression]") {
  const fs::path root(TEXTLRP_SOURCE_DIR);
  std::size_t total = 0;
  for (const fuzz::Target& target : fuzz::kTargets) {
    std::size_t seeds = 0;
    for (const char* base : {"tests/data/fuzz-regressions", "tests/fuzz/seeds"}) {
      for (const fs::path& file : files_in(root / base / target.name)) {
        const std::string bytes = read_file(file);
        INFO(target.name << ": " << file.string());
        try {
          target.run(bytes);
          SUCCEED();
        } catch (const Error&) {
          SUCCEED();  // the expected outcome for bad input
        } catch (const std::exception& e) {
          FAIL("escaped a non-textlrp exception (" << typeid(e).name() << "): " << e.what());
        }
        ++total;
        if (std::string(base) == "tests/fuzz/seeds") ++seeds;
      }
    }
    INFO(target.name);
    CHECK(seeds > 0);  // every target has checked-in seeds
  }
  CHECK(total > 0);
}

TEST_CASE("fuzz regressions: the targets' checked-in seeds include valid inputs that load", "[fuzz]") {
  const fs::path seeds = fs::path(TEXTLRP_SOURCE_DIR) / "tests/fuzz/seeds";
  CHECK_NOTHROW(fuzz::run_safetensors(read_file(seeds / "safetensors/mixed.safetensors")));
  CHECK_NOTHROW(fuzz::run_npy(read_file(seeds / "npy/f8-2x3.npy")));
  CHECK_NOTHROW(fuzz::run_embeddings(read_file(seeds / "embeddings/tiny.bin-00")));
  CHECK_NOTHROW(fuzz::run_embeddings(read_file(seeds / "embeddings/tiny.vec-02")));
  CHECK_NOTHROW(fuzz::run_embeddings(read_file(seeds / "embeddings/tiny.glove.txt-03")));
  CHECK_NOTHROW(fuzz::run_config(fuzz::config_dir().valid_config()));
  CHECK_NOTHROW(fuzz::run_sst(read_file(seeds / "sst/trees-1")));
  CHECK_NOTHROW(fuzz::run_jsonl(read_file(seeds / "jsonl/valid.jsonl")));
  CHECK_NOTHROW(fuzz::run_csv(read_file(seeds / "csv/ag-news")));
  CHECK_NOTHROW(fuzz::run_csv(read_file(seeds / "csv/dbpedia-replace")));
  CHECK_NOTHROW(fuzz::run_explanations(read_file(seeds / "explanations/valid.jsonl")));
  // A relevance beyond float's range is written back as a double, not as "inf" (not JSON).
  CHECK_NOTHROW(fuzz::run_explanations(read_file(
      fs::path(TEXTLRP_SOURCE_DIR) / "tests/data/fuzz-regressions/explanations/relevance-1e300.jsonl")));
  CHECK_NOTHROW(fuzz::run_tokenizer(read_file(seeds / "tokenizer/mixed-1")));
  CHECK_NOTHROW(fuzz::run_tokenizer(read_file(seeds / "tokenizer/mixed-2")));
  CHECK_THROWS_AS(fuzz::run_tokenizer(read_file(seeds / "tokenizer/invalid-utf8-1")), InvalidArgument);
}
