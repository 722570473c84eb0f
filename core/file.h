// core/file.h — reading whole files, line readers with line numbers, and atomic writes.
//
// Every file the CLI writes goes through AtomicFile / write_file_atomic: the bytes go to a
// temporary name beside the target and are renamed into place only on commit(), so a failing or
// interrupted run never leaves a half-written output and keeps the previous one intact.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace textlrp {

// Reads the whole file as bytes. Throws IoError (path + strerror) when it cannot be opened or
// read, or when the path is a directory.
std::string read_file(const std::filesystem::path& path);

// Writes bytes to path atomically (temporary file + rename). Throws IoError.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// A file written under a temporary name and renamed onto `path` by commit(). If the object is
// destroyed without commit() (an exception, an early return), the temporary file is removed and
// `path` is untouched. After install_interrupt_cleanup(), SIGINT, SIGTERM, SIGHUP and SIGPIPE
// remove the temporary files too. A SIGKILL (or power cut) can leave a "<path>.tmp-<pid>-<hex>"
// file behind, but never a damaged `path`. Not copyable.
// A `path` that exists and is neither a regular file nor a directory (/dev/null, /dev/stdout, a FIFO)
// is written directly instead: renaming onto it would replace the device with a regular file.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view bytes);
  std::FILE* handle() { return file_; }
  // Flushes and renames into place (no fsync: safe against a killed process, not a power cut). Throws IoError.
  void commit();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::filesystem::path tmp_;
  std::FILE* file_ = nullptr;
  bool direct_ = false;  // writing straight into a device or FIFO (no temporary file)
  int slot_ = -1;        // index in the interrupt-cleanup registry, -1 when not registered
};

// Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGPIPE that delete the temporary files of
// every live AtomicFile (unlink is async-signal-safe) and then die of the same signal, so an
// interrupted run leaves neither a half-written output nor temporary files. A signal that is
// ignored at start-up (nohup, a background job of a script) stays ignored. Call once from main().
void install_interrupt_cleanup();

// An output stream that is either stdout (path "-" or empty) or an AtomicFile.
class Output {
 public:
  explicit Output(const std::string& path);
  void write(std::string_view bytes);
  void commit();
  bool is_stdout() const { return file_ == nullptr; }

 private:
  std::unique_ptr<AtomicFile> file_;
};

// Reads a text stream line by line, keeping the 1-based line number for error messages.
// Lines are returned without the trailing '\n' (and without a '\r' before it); a UTF-8 byte-order
// mark at the start of the stream (file or stdin) is skipped, so it never becomes part of line 1.
class LineReader {
 public:
  // path "-" reads stdin. Throws IoError if the file cannot be opened.
  explicit LineReader(const std::filesystem::path& path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  bool next(std::string& line);
  std::size_t line_number() const { return line_number_; }
  const std::string& name() const { return name_; }

 private:
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  std::string name_;
  std::size_t line_number_ = 0;
};

}  // namespace textlrp
