#include "tests/helpers.h"

#include <fstream>
#include <random>
#include <stdexcept>

namespace textlrp::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path p = fs::temp_directory_path() / ("textlrp-test-" + std::to_string(rd()));
    std::error_code ec;
    if (fs::create_directory(p, ec)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_bytes(const fs::path& path, std::string_view bytes) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

fs::path fixture_path(std::string_view relative) {
  return fs::path(TEXTLRP_SOURCE_DIR) / "tests" / "data" / relative;
}

fs::path shared_data_path(std::string_view relative) {
  const fs::path root = fs::path(TEXTLRP_SOURCE_DIR).parent_path() / "shared" / "data";
  if (!fs::is_directory(root)) return {};
  return root / relative;
}

}  // namespace textlrp::test
