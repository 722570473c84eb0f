#include "core/file.h"
#include "core/utf8.h"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <random>

#include "core/error.h"

namespace textlrp {
namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw IoError(fmt::format("{}: is a directory, expected a file", path.string()));
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw IoError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    out.append(buf, n);
    if (n < sizeof buf) break;
  }
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) throw IoError(fmt::format("{}: read error: {}", path.string(), std::strerror(err)));
  return out;
}

namespace {

// The temporary paths of live AtomicFiles, for the signal handler. Each slot owns a heap copy of
// the path (allocated and freed outside the handler); the handler only reads and unlinks.
constexpr int kSlots = 256;
std::array<std::atomic<char*>, kSlots> g_tmp_paths{};

int register_tmp(const fs::path& p) {
  const std::string& s = p.native();
  char* copy = new char[s.size() + 1];
  std::memcpy(copy, s.c_str(), s.size() + 1);
  for (int i = 0; i < kSlots; ++i) {
    char* expected = nullptr;
    if (g_tmp_paths[i].compare_exchange_strong(expected, copy)) return i;
  }
  delete[] copy;  // more than kSlots files open at once: this one is not cleaned on a signal
  return -1;
}

void unregister_tmp(int slot) {
  if (slot < 0) return;
  delete[] g_tmp_paths[slot].exchange(nullptr);
}

extern "C" void cleanup_and_die(int sig) {
  for (auto& slot : g_tmp_paths) {
    char* p = slot.exchange(nullptr);
    if (p) ::unlink(p);  // the copy leaks: we are about to die
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

void install_interrupt_cleanup() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;  // nohup, `cmd &`
    struct sigaction sa {};
    sa.sa_handler = cleanup_and_die;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(sig, &sa, nullptr);
  }
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  AtomicFile f(path);
  f.write(bytes);
  f.commit();
}

AtomicFile::AtomicFile(fs::path path) : path_(std::move(path)) {
  std::error_code st_ec;
  const fs::file_status st = fs::status(path_, st_ec);
  if (!st_ec && fs::exists(st) && !fs::is_regular_file(st) && !fs::is_directory(st)) {
    // A device or FIFO (-o /dev/null): write into it; there is nothing to replace atomically.
    direct_ = true;
    file_ = std::fopen(path_.c_str(), "wb");
    if (!file_) throw IoError(fmt::format("{}: cannot open: {}", path_.string(), std::strerror(errno)));
    return;
  }
  std::random_device rd;
  tmp_ = path_;
  tmp_ += fmt::format(".tmp-{}-{:08x}", ::getpid(), rd());
  slot_ = register_tmp(tmp_);
  file_ = std::fopen(tmp_.c_str(), "wb");
  if (!file_) {
    const int err = errno;
    unregister_tmp(slot_);
    throw IoError(fmt::format("{}: cannot create: {}", path_.string(), std::strerror(err)));
  }
}

AtomicFile::~AtomicFile() {
  if (file_ && direct_) {
    std::fclose(file_);
    return;
  }
  if (file_) {
    std::fclose(file_);
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
  unregister_tmp(slot_);
}

void AtomicFile::write(std::string_view bytes) {
  TEXTLRP_ASSERT(file_ != nullptr);
  if (bytes.empty()) return;
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    throw IoError(fmt::format("{}: write error: {}", path_.string(), std::strerror(errno)));
  }
}

void AtomicFile::commit() {
  TEXTLRP_ASSERT(file_ != nullptr);
  // No fsync: the rename protects against a crashed or killed process (the case we promise);
  // fsync of a multi-hundred-megabyte JSONL file would double the run time.
  bool ok = std::fflush(file_) == 0;
  const int err = errno;
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (direct_) {
    if (!ok) throw IoError(fmt::format("{}: write error: {}", path_.string(), std::strerror(err)));
    return;
  }
  if (!ok) {
    std::error_code ec;
    fs::remove(tmp_, ec);
    throw IoError(fmt::format("{}: write error: {}", path_.string(), std::strerror(err)));
  }
  std::error_code ec;
  fs::rename(tmp_, path_, ec);
  unregister_tmp(slot_);  // after the rename: a signal in between removes a temporary file, never path_
  slot_ = -1;
  if (ec) {
    fs::remove(tmp_, ec);
    throw IoError(fmt::format("{}: cannot rename into place: {}", path_.string(), ec.message()));
  }
}

Output::Output(const std::string& path) {
  if (!path.empty() && path != "-") file_ = std::make_unique<AtomicFile>(path);
}

void Output::write(std::string_view bytes) {
  if (file_) {
    file_->write(bytes);
  } else if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) {
    throw IoError(fmt::format("<stdout>: write error: {}", std::strerror(errno)));
  }
}

void Output::commit() {
  if (file_) {
    file_->commit();
  } else if (std::fflush(stdout) != 0) {
    throw IoError(fmt::format("<stdout>: write error: {}", std::strerror(errno)));
  }
}

LineReader::LineReader(const fs::path& path) {
  if (path == "-") {
    file_ = stdin;
    name_ = "<stdin>";
    return;
  }
  name_ = path.string();
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw IoError(fmt::format("{}: is a directory, expected a file", name_));
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) throw IoError(fmt::format("{}: cannot open: {}", name_, std::strerror(errno)));
  owned_ = true;
}

LineReader::~LineReader() {
  if (owned_ && file_) std::fclose(file_);
}

bool LineReader::next(std::string& line) {
  line.clear();
  int c;
  bool any = false;
  while ((c = getc_unlocked(file_)) != EOF) {
    any = true;
    if (c == '\n') break;
    line.push_back(static_cast<char>(c));
  }
  if (std::ferror(file_)) throw IoError(fmt::format("{}: read error: {}", name_, std::strerror(errno)));
  if (!any) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line_number_ == 0 && starts_with_bom(line)) line.erase(0, kUtf8Bom.size());
  ++line_number_;
  return true;
}

}  // namespace textlrp
