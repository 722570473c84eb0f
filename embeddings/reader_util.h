// embeddings/reader_util.h — INTERNAL plumbing shared by the embedding readers (word2vec.cpp,
// glove.cpp, load.cpp). Not part of the public API; do not include it from outside embeddings/.
//
// - FileBytes: a chunked reader (4 MiB at a time; a smaller file gets a buffer of its size) that
//   knows the absolute byte offset and the file size, so a 5 GB file is streamed, never slurped.
// - parse_float / parse_count: strict number parsing (std::from_chars) with finite checks.
// - ReadContext: file + format name + options + log; builds the "file:line: format: ..." and
//   "file: byte N: format: ..." messages of every FormatError.
// - TableBuilder: grows the matrix as rows are actually read (never from a count in the file),
//   applies LoadOptions::only, and detects duplicate words.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "embeddings/embedding_table.h"

namespace textlrp::emb::detail {

// Limits that keep a hostile file from making us allocate or scan without bound.
inline constexpr Index kMaxDim = 100000;                 // absurd dim above this
inline constexpr std::size_t kMaxLineBytes = 16u << 20;  // a text row longer than this is an error
inline constexpr std::size_t kMaxWordBytes = 1u << 16;   // a binary word longer than this too

class FileBytes {
 public:
  // Opens `path` for reading. Throws IoError (path + strerror), also for a directory.
  explicit FileBytes(const std::filesystem::path& path);
  ~FileBytes();
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  // Size of the file when it was opened.
  std::uint64_t size() const { return size_; }
  // Absolute offset of the current position.
  std::uint64_t offset() const { return base_ + pos_; }
  // The bytes from the current position on: at least n of them unless the file ends first.
  std::string_view peek(std::size_t n);
  void skip(std::size_t n);  // Precondition: n <= peek(n).size().
  bool at_eof() { return peek(1).empty(); }

  enum class Line { kOk, kEof, kTooLong };
  // The next line without its '\n'; the last line may lack one. kTooLong when no '\n' is found
  // within max_bytes (the position is then unspecified).
  Line next_line(std::string_view& line, std::size_t max_bytes = kMaxLineBytes);

 private:
  void fill(std::size_t n);

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::uint64_t size_ = 0;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;  // valid bytes are buf_[pos_, end_)
  std::uint64_t base_ = 0;         // file offset of buf_[0]
  bool eof_ = false;
};

enum class FloatStatus { kOk, kNotNumber, kNotFinite };
// Parses the whole of `s` as a float ("0.1", "-1e-3", "+2"). NaN, Inf and values beyond float
// range are kNotFinite; values too small for float become 0 or subnormals (kOk).
FloatStatus parse_float(std::string_view s, float& out);

// Parses the whole of `s` as a decimal unsigned integer.
bool parse_count(std::string_view s, std::uint64_t& out);

// Drops trailing ' ', '\t' and '\r'.
std::string_view trim_right(std::string_view s);

// Splits on runs of ' ' (leading spaces make an empty first field). Reuses `fields`.
void split_fields(std::string_view line, std::vector<std::string_view>& fields);

// `s` for a message: at most 40 bytes, in single quotes, shown by core's visible(): bytes that are
// not valid UTF-8 as \xNN, control and invisible characters (U+FEFF, U+200B, ...) as <U+XXXX>.
std::string quote(std::string_view s);

struct ReadContext {
  const std::filesystem::path& path;
  std::string_view format;  // "word2vec binary", "word2vec text", "GloVe text"
  const LoadOptions& options;
  const LogFn& log;

  [[noreturn]] void fail_line(std::uint64_t line, std::string_view message) const;
  [[noreturn]] void fail_byte(std::uint64_t byte, std::string_view message) const;
  [[noreturn]] void fail(std::string_view message) const;  // whole file
  void warn(std::string_view message) const;               // "embeddings: warning: ..."
  void info(std::string_view message) const;               // "embeddings: ..."
};

// Throws (via ctx) if `word` is empty, contains an ASCII control byte (other than '\t': a sign
// of a misread binary file) or is not valid UTF-8. `line` > 0: text file; else `byte` is
// the offset of the word's first byte in a binary file.
void check_word(const ReadContext& ctx, std::string_view word, std::uint64_t line, std::uint64_t byte);

class TableBuilder {
 public:
  // `capacity` is a first guess at the number of kept rows; callers bound it by what the file
  // size allows, never by a count read from the file alone.
  TableBuilder(const ReadContext& ctx, Index dim, std::size_t capacity, bool positions_are_lines);

  // dim floats to parse the next row into.
  float* scratch() { return scratch_.data(); }
  Index dim() const { return dim_; }

  // Checks `word` with check_word(), except that invalid UTF-8 follows LoadOptions::invalid_utf8:
  // for kLatin1 `word` is replaced by its decoding (held in `storage`); returns false when the row
  // is to be skipped (kSkip; call skip_row() after reading its vector).
  bool accept_word(std::string_view& word, std::string& storage, std::uint64_t line, std::uint64_t byte);
  void skip_row() { ++n_read_; }

  // Adds the row in scratch() (already checked) under `word` (already checked), found at
  // `position` (line number, or byte offset of the word). Applies LoadOptions::only; throws
  // FormatError on a duplicate unless allow_duplicates.
  void add(std::string_view word, std::uint64_t position);

  std::size_t n_rows_read() const { return n_read_; }  // rows offered to add(), kept or not
  // True when LoadOptions::max_words rows have been read.
  bool full() const { return max_words_ != 0 && n_read_ >= max_words_; }

  EmbeddingTable finish();

 private:
  const ReadContext& ctx_;
  Index dim_;
  bool lines_;
  std::size_t max_words_;
  std::vector<float> scratch_;
  Mat vectors_;
  Index n_kept_ = 0;
  std::vector<std::string> words_;
  WordIndex index_;
  std::vector<std::uint64_t> positions_;  // where each kept word was found
  std::size_t n_read_ = 0;
  std::size_t n_duplicates_ = 0;
  std::string first_duplicate_;
  std::size_t n_invalid_utf8_ = 0;
  std::string first_invalid_utf8_;
};

}  // namespace textlrp::emb::detail

namespace textlrp::emb::detail {

// A word2vec header line "<n_words> <dim>" (already without '\n'; trailing spaces/'\r' allowed).
// Returns false unless it is exactly two decimal integers.
bool parse_header_line(std::string_view line, std::uint64_t& n_words, std::uint64_t& dim);

// Skips a UTF-8 byte order mark at the current position.
void skip_bom(FileBytes& in);

}  // namespace textlrp::emb::detail
