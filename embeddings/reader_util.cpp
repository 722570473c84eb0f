#include "embeddings/reader_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "core/utf8.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"

namespace textlrp::emb::detail {
namespace fs = std::filesystem;

namespace {
constexpr std::size_t kChunk = 4u << 20;
constexpr std::size_t kMinBuffer = 4096;
}  // namespace

// ---------------------------------------------------------------------------------------------
// FileBytes

FileBytes::FileBytes(const fs::path& path) : path_(path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw IoError(fmt::format("{}: is a directory, expected a file", path.string()));
  }
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) {
    throw IoError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  const auto size = fs::file_size(path, ec);
  size_ = ec ? 0 : static_cast<std::uint64_t>(size);
}

FileBytes::~FileBytes() {
  if (file_) std::fclose(file_);
}

void FileBytes::fill(std::size_t n) {
  if (end_ - pos_ >= n || eof_) return;
  // Move the unread tail to the front, then grow the buffer if n bytes would not fit.
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    base_ += pos_;
    end_ -= pos_;
    pos_ = 0;
  }
  std::size_t want = std::max(n, kChunk);
  if (size_ > 0) {
    // No bigger buffer than the rest of the file (by its size at open) + 1 byte for the read that
    // finds the end: a small file needs no 4 MiB buffer. Should the file have grown since, the
    // loop below grows the buffer.
    const std::uint64_t read_so_far = base_ + end_;
    const std::uint64_t remaining = size_ > read_so_far ? size_ - read_so_far : 0;
    if (remaining < want) want = std::max(end_ + static_cast<std::size_t>(remaining) + 1, kMinBuffer);
  }
  if (buf_.size() < want) buf_.resize(want);
  while (end_ < n || end_ < buf_.size()) {
    if (end_ == buf_.size()) buf_.resize(std::max(n, end_ + kChunk));  // the file grew
    const std::size_t got = std::fread(buf_.data() + end_, 1, buf_.size() - end_, file_);
    end_ += got;
    if (got == 0) {
      if (std::ferror(file_)) {
        throw IoError(fmt::format("{}: read error: {}", path_.string(), std::strerror(errno)));
      }
      eof_ = true;
      break;
    }
    if (end_ >= n) break;
  }
}

std::string_view FileBytes::peek(std::size_t n) {
  fill(n);
  return {buf_.data() + pos_, end_ - pos_};
}

void FileBytes::skip(std::size_t n) {
  TEXTLRP_ASSERT(n <= end_ - pos_);
  pos_ += n;
}

FileBytes::Line FileBytes::next_line(std::string_view& line, std::size_t max_bytes) {
  std::size_t scanned = 0;
  for (;;) {
    const std::size_t avail = end_ - pos_;
    if (avail > scanned) {
      const void* nl = std::memchr(buf_.data() + pos_ + scanned, '\n', avail - scanned);
      if (nl) {
        const std::size_t len = static_cast<std::size_t>(static_cast<const char*>(nl) - (buf_.data() + pos_));
        if (len > max_bytes) return Line::kTooLong;
        line = {buf_.data() + pos_, len};
        pos_ += len + 1;
        return Line::kOk;
      }
      scanned = avail;
    }
    if (scanned > max_bytes) return Line::kTooLong;
    if (eof_) {
      if (avail == 0) return Line::kEof;
      line = {buf_.data() + pos_, avail};
      pos_ += avail;
      return Line::kOk;
    }
    fill(avail + kChunk);
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers and fields

namespace {

// Clinger's fast path for float: a decimal "[-]digits[.digits][e[+-]digits]" whose significant
// digits form an integer m <= 2^24 and whose power of ten e has |e| <= 10 is m * 10^e or
// m / 10^-e with both operands exact in float, so one IEEE operation rounds it correctly, exactly
// as from_chars would. Typical GloVe/fastText values ("-0.0073677") qualify and parse about 3x
// faster than libstdc++ 12's from_chars. Returns false (out untouched) for anything else, which
// then goes the from_chars way.
bool parse_float_fast(std::string_view s, float& out) {
  static constexpr float kPow10[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
  const char* p = s.data();
  const char* const end = p + s.size();
  const bool negative = p != end && *p == '-';
  if (negative) ++p;
  std::uint64_t m = 0;
  int n_significant = 0;  // digits of m after leading zeros
  int n_digits = 0;
  int exp10 = 0;
  for (; p != end && *p >= '0' && *p <= '9'; ++p, ++n_digits) {
    m = m * 10 + static_cast<std::uint64_t>(*p - '0');
    if (m != 0 && ++n_significant > 9) return false;
  }
  if (p != end && *p == '.') {
    for (++p; p != end && *p >= '0' && *p <= '9'; ++p, ++n_digits) {
      m = m * 10 + static_cast<std::uint64_t>(*p - '0');
      --exp10;
      if (m != 0 && ++n_significant > 9) return false;
    }
  }
  if (n_digits == 0) return false;
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool exp_negative = p != end && *p == '-';
    if (p != end && (*p == '-' || *p == '+')) ++p;
    int e = 0;
    int n_exp_digits = 0;
    for (; p != end && *p >= '0' && *p <= '9'; ++p) {
      if (++n_exp_digits > 3) return false;
      e = e * 10 + (*p - '0');
    }
    if (n_exp_digits == 0) return false;
    exp10 += exp_negative ? -e : e;
  }
  if (p != end) return false;
  if (m > (std::uint64_t{1} << 24)) return false;
  float f = static_cast<float>(m);  // exact
  if (m != 0) {
    if (exp10 < -10 || exp10 > 10) return false;
    f = exp10 < 0 ? f / kPow10[-exp10] : f * kPow10[exp10];
  }
  out = negative ? -f : f;
  return true;
}

}  // namespace

FloatStatus parse_float(std::string_view s, float& out) {
  if (parse_float_fast(s, out)) return FloatStatus::kOk;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+' || s.front() == ' ') return FloatStatus::kNotNumber;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, out);
  if (ptr != end) return FloatStatus::kNotNumber;
  if (ec == std::errc::invalid_argument) return FloatStatus::kNotNumber;
  if (ec == std::errc::result_out_of_range) {
    // Overflow (beyond float range) or underflow (tinier than the smallest subnormal): let strtod
    // tell them apart; underflow is harmless and becomes 0 or a subnormal.
    if (s.size() > 64) return FloatStatus::kNotFinite;
    char tmp[65];
    std::memcpy(tmp, s.data(), s.size());
    tmp[s.size()] = '\0';
    const double d = std::strtod(tmp, nullptr);
    const float f = static_cast<float>(d);
    if (!std::isfinite(f)) return FloatStatus::kNotFinite;
    out = f;
    return FloatStatus::kOk;
  }
  if (!std::isfinite(out)) return FloatStatus::kNotFinite;
  return FloatStatus::kOk;
}

bool parse_count(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

void split_fields(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t i = 0;
  const std::size_t n = line.size();
  if (n > 0 && line[0] == ' ') fields.emplace_back(line.data(), 0);  // empty first field
  while (i < n) {
    while (i < n && line[i] == ' ') ++i;
    if (i == n) break;
    const std::size_t begin = i;
    while (i < n && line[i] != ' ') ++i;
    fields.emplace_back(line.data() + begin, i - begin);
  }
}

std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 40;
  bool cut = false;
  if (s.size() > kMax) {
    std::size_t n = kMax;
    if (is_valid_utf8(s)) {
      while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    }
    s = s.substr(0, n);
    cut = true;
  }
  // core's visible(): invalid bytes as \xNN, control and invisible characters as <U+XXXX>.
  std::string out = "'";
  out += visible(s, s.size());
  out += cut ? "'..." : "'";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Messages

void ReadContext::fail_line(std::uint64_t line, std::string_view message) const {
  throw FormatError(fmt::format("{}:{}: {}: {}", path.string(), line, format, message));
}

void ReadContext::fail_byte(std::uint64_t byte, std::string_view message) const {
  throw FormatError(fmt::format("{}: byte {}: {}: {}", path.string(), byte, format, message));
}

void ReadContext::fail(std::string_view message) const {
  throw FormatError(fmt::format("{}: {}: {}", path.string(), format, message));
}

void ReadContext::warn(std::string_view message) const {
  if (log) log(fmt::format("embeddings: warning: {}", message));
}

void ReadContext::info(std::string_view message) const {
  if (log) log(fmt::format("embeddings: {}", message));
}

void check_word(const ReadContext& ctx, std::string_view word, std::uint64_t line, std::uint64_t byte) {
  if (word.empty()) {
    if (line > 0) ctx.fail_line(line, "empty word (the line starts with a space)");
    ctx.fail_byte(byte, "empty word (two spaces in a row, or a misaligned row?)");
  }
  const auto control = std::find_if(word.begin(), word.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7F;
  });
  if (control != word.end()) {
    const auto at = static_cast<std::uint64_t>(control - word.begin());
    const std::string msg = fmt::format("word {} contains the control byte 0x{:02X}{}", quote(word),
                                        static_cast<unsigned char>(*control),
                                        line > 0 ? fmt::format(" (at byte {} of the line)", at)
                                                 : std::string(" (misaligned rows: is the "
                                                               "header's dim right?)"));
    if (line > 0) ctx.fail_line(line, msg);
    ctx.fail_byte(byte + at, msg);
  }
  if (const auto bad = find_invalid_utf8(word)) {
    if (line > 0) {
      ctx.fail_line(line,
                    fmt::format("word {} is not valid UTF-8 (at byte {} of the line)", quote(word), *bad));
    }
    ctx.fail_byte(byte + *bad, fmt::format("word {} is not valid UTF-8", quote(word)));
  }
}

// ---------------------------------------------------------------------------------------------
// TableBuilder

TableBuilder::TableBuilder(const ReadContext& ctx, Index dim, std::size_t capacity, bool positions_are_lines)
    : ctx_(ctx),
      dim_(dim),
      lines_(positions_are_lines),
      max_words_(ctx.options.max_words),
      scratch_(static_cast<std::size_t>(dim)) {
  if (max_words_ != 0) capacity = std::min(capacity, max_words_);
  if (ctx.options.only) capacity = std::min(capacity, ctx.options.only->size());
  capacity = std::max<std::size_t>(capacity, 16);
  vectors_.resize(static_cast<Index>(capacity), dim);
  words_.reserve(capacity);
  index_.reserve(capacity);
  positions_.reserve(capacity);
}

void TableBuilder::add(std::string_view word, std::uint64_t position) {
  ++n_read_;
  if (const nlp::Vocabulary* only = ctx_.options.only) {
    if (!only->contains(word) && !only->contains(nlp::case_fold(word))) return;
  }
  const auto [it, inserted] = index_.emplace(std::string(word), n_kept_);
  if (!inserted) {
    const std::uint64_t first = positions_[static_cast<std::size_t>(it->second)];
    if (!ctx_.options.allow_duplicates) {
      const std::string msg = lines_
                                  ? fmt::format("duplicate word {} (first on line {})", quote(word), first)
                                  : fmt::format("duplicate word {} (first at byte {})", quote(word), first);
      if (lines_) ctx_.fail_line(position, msg);
      ctx_.fail_byte(position, msg);
    }
    if (n_duplicates_ == 0) {
      first_duplicate_ = lines_
                             ? fmt::format("{} on line {}, first on line {}", quote(word), position, first)
                             : fmt::format("{} at byte {}, first at byte {}", quote(word), position, first);
    }
    ++n_duplicates_;
    return;
  }
  if (n_kept_ == vectors_.rows()) {
    // Grow geometrically; row-major with the same column count keeps the prefix (realloc).
    vectors_.conservativeResize(std::max<Index>(16, 2 * vectors_.rows()), dim_);
  }
  std::memcpy(vectors_.row(n_kept_).data(), scratch_.data(), static_cast<std::size_t>(dim_) * sizeof(float));
  words_.emplace_back(word);
  positions_.push_back(position);
  ++n_kept_;
}

bool TableBuilder::accept_word(std::string_view& word, std::string& storage, std::uint64_t line,
                               std::uint64_t byte) {
  const auto bad = find_invalid_utf8(word);
  if (!bad || ctx_.options.invalid_utf8 == LoadOptions::InvalidUtf8::kError) {
    check_word(ctx_, word, line, byte);
    return true;
  }
  if (n_invalid_utf8_++ == 0) {
    first_invalid_utf8_ = line > 0 ? fmt::format("first {} on line {}", quote(word), line)
                                   : fmt::format("first {} at byte {}", quote(word), byte);
  }
  if (ctx_.options.invalid_utf8 == LoadOptions::InvalidUtf8::kSkip) {
    check_word(ctx_, latin1_to_utf8(word), line, byte);  // still no empty word or control byte
    return false;
  }
  storage = latin1_to_utf8(word);
  word = storage;
  check_word(ctx_, word, line, byte);
  return true;
}

EmbeddingTable TableBuilder::finish() {
  if (n_invalid_utf8_ > 0) {
    ctx_.warn(fmt::format(
        "{}: {}: {} word(s) not valid UTF-8 {} ({})", ctx_.path.string(), ctx_.format, n_invalid_utf8_,
        ctx_.options.invalid_utf8 == LoadOptions::InvalidUtf8::kSkip ? "skipped with their rows"
                                                                     : "decoded as Latin-1",
        first_invalid_utf8_));
  }
  if (n_duplicates_ > 0) {
    ctx_.warn(fmt::format("{}: {}: {} duplicate word(s) skipped, the first row of each kept ({})",
                          ctx_.path.string(), ctx_.format, n_duplicates_, first_duplicate_));
  }
  vectors_.conservativeResize(n_kept_, dim_);
  EmbeddingTable table;
  table.words = std::move(words_);
  table.vectors = std::move(vectors_);
  table.index = std::move(index_);
  return table;
}

}  // namespace textlrp::emb::detail

namespace textlrp::emb::detail {

bool parse_header_line(std::string_view line, std::uint64_t& n_words, std::uint64_t& dim) {
  std::vector<std::string_view> fields;
  split_fields(trim_right(line), fields);
  return fields.size() == 2 && parse_count(fields[0], n_words) && parse_count(fields[1], dim);
}

void skip_bom(FileBytes& in) {
  if (in.peek(3).starts_with("\xEF\xBB\xBF")) in.skip(3);
}

}  // namespace textlrp::emb::detail
