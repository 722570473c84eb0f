// tests/helpers.h — shared test utilities: temporary folders, fixture paths, shared-data lookup.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace textlrp::test {

// A fresh temporary directory, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes bytes to a file (creating parent folders).
void write_bytes(const std::filesystem::path& path, std::string_view bytes);

// tests/data/<relative> in the source tree.
std::filesystem::path fixture_path(std::string_view relative);

// ../shared/data/<relative> beside the source tree; empty path when the folder does not exist.
std::filesystem::path shared_data_path(std::string_view relative);

}  // namespace textlrp::test
