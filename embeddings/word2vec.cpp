// embeddings/word2vec.cpp — word2vec binary and text readers/writers (layouts in word2vec.h).
#include "embeddings/word2vec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "core/endian.h"
#include "core/error.h"
#include "core/file.h"
#include "embeddings/reader_util.h"

namespace textlrp::emb {
namespace fs = std::filesystem;
using namespace detail;

namespace {

constexpr std::size_t kMaxHeaderBytes = 256;

struct Header {
  std::uint64_t n_words = 0;
  Index dim = 0;
};

// Checks a header line; `fail` reports at the header's position (line 1 or byte 0).
template <class Fail>
Header check_header(std::string_view line, Fail fail) {
  std::uint64_t n = 0, dim = 0;
  if (!parse_header_line(line, n, dim)) {
    fail(fmt::format("expected a header '<n_words> <dim>', got {}", quote(trim_right(line))));
  }
  if (dim == 0) fail("header: dim is 0, expected 1 or more");
  if (dim > static_cast<std::uint64_t>(kMaxDim)) {
    fail(fmt::format("header: dim {} is absurd (the limit is {})", dim, kMaxDim));
  }
  return {n, static_cast<Index>(dim)};
}

// After reading: fewer rows than the header claimed?
void check_row_count(const ReadContext& ctx, const Header& h, std::size_t n_read, bool text) {
  const std::uint64_t expected =
      ctx.options.max_words ? std::min<std::uint64_t>(h.n_words, ctx.options.max_words) : h.n_words;
  if (n_read >= expected) return;
  const std::string msg = fmt::format(
      "header claims {} words, file holds {} (truncated file or wrong header)", h.n_words, n_read);
  if (!ctx.options.allow_short_header) {
    const std::string full = msg + "; --allow-short-header keeps the rows present";
    if (text) ctx.fail_line(1, full);
    ctx.fail_byte(0, full);
  }
  ctx.warn(fmt::format("{}: {}: {}; using the {} rows present", ctx.path.string(), ctx.format, msg, n_read));
}

void check_word_for_writing(const EmbeddingTable& table, std::size_t i, const fs::path& path) {
  const std::string& w = table.words[i];
  if (w.empty() || w.find_first_of(" \n\r") != std::string::npos) {
    throw InvalidArgument(
        fmt::format("{}: word {} {} is empty or contains a space or line break; word2vec cannot store it",
                    path.string(), i, quote(w)));
  }
}

}  // namespace

EmbeddingTable read_word2vec_binary(const fs::path& path, const LoadOptions& options, const LogFn& log) {
  const ReadContext ctx{path, "word2vec binary", options, log};
  FileBytes in(path);
  const std::string_view head = in.peek(kMaxHeaderBytes);
  if (head.empty()) ctx.fail("empty file, expected a header '<n_words> <dim>'");
  const std::size_t nl = head.find('\n');
  if (nl == std::string_view::npos) {
    ctx.fail_byte(0, fmt::format("expected a header '<n_words> <dim>' and a newline within the "
                                 "first {} bytes, got {}",
                                 kMaxHeaderBytes, quote(head)));
  }
  const Header h = check_header(head.substr(0, nl), [&](std::string_view m) { ctx.fail_byte(0, m); });
  in.skip(nl + 1);

  const std::size_t row_bytes = 4 * static_cast<std::size_t>(h.dim);
  // At least 2 bytes of word and space per row: the file cannot hold more rows than this.
  const std::uint64_t fit = (in.size() - std::min(in.size(), in.offset())) / (row_bytes + 2) + 1;
  TableBuilder b(ctx, h.dim, static_cast<std::size_t>(std::min(h.n_words, fit)), false);
  std::string word, latin1;
  while (!b.full() && b.n_rows_read() < h.n_words) {
    const std::size_t row = b.n_rows_read() + 1;  // 1-based, for messages
    std::string_view p = in.peek(1);
    if (p.empty()) break;
    if (p[0] == '\n') {
      in.skip(1);
      if (in.at_eof()) break;
    }
    const std::uint64_t word_at = in.offset();
    const std::string_view w = in.peek(kMaxWordBytes + 1);
    const std::size_t sp = w.find(' ');
    if (sp == std::string_view::npos) {
      if (w.size() <= kMaxWordBytes) {
        ctx.fail_byte(word_at, fmt::format("truncated row {}: the file ends inside the word {} "
                                           "(no space after it)",
                                           row, quote(w)));
      }
      ctx.fail_byte(word_at, fmt::format("row {}: no space within {} bytes of the word's start "
                                         "(misaligned rows: is the header's dim right?)",
                                         row, kMaxWordBytes));
    }
    word.assign(w.substr(0, sp));
    if (const std::size_t bad = word.find('\n'); bad != std::string::npos) {
      ctx.fail_byte(word_at + bad, fmt::format("row {}: word {} contains a newline (misaligned "
                                               "rows: is the header's dim right?)",
                                               row, quote(word)));
    }
    std::string_view kept = word;
    const bool keep = b.accept_word(kept, latin1, 0, word_at);
    in.skip(sp + 1);

    const std::uint64_t vec_at = in.offset();
    const std::string_view v = in.peek(row_bytes);
    if (v.size() < row_bytes) {
      ctx.fail_byte(vec_at, fmt::format("truncated row {} (word {}): expected {} float32 ({} "
                                        "bytes), the file ends after {}",
                                        row, quote(word), h.dim, row_bytes, v.size()));
    }
    if (row == 1 && row_bytes >= 8 &&
        std::all_of(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(row_bytes), [](char c) {
          return std::string_view("0123456789.-+eE \r\n").find(c) != std::string_view::npos;
        })) {
      ctx.fail_byte(vec_at, fmt::format("row 1 (word {}): the vector bytes are ASCII digits and "
                                        "spaces: this looks like word2vec TEXT, not binary",
                                        quote(word)));
    }
    float* out = b.scratch();
    for (Index j = 0; j < h.dim; ++j) {
      const float x = load_le<float>(v.data() + 4 * j);
      if (!std::isfinite(x)) {
        ctx.fail_byte(vec_at + 4 * static_cast<std::uint64_t>(j),
                      fmt::format("row {} (word {}): value {} of {} is {}", row, quote(word), j + 1, h.dim,
                                  std::isnan(x) ? "NaN" : "infinite"));
      }
      out[j] = x;
    }
    in.skip(row_bytes);
    if (keep) {
      b.add(kept, word_at);
    } else {
      b.skip_row();
    }
  }
  if (!b.full() && b.n_rows_read() == h.n_words) {
    // Only whitespace may follow the last row.
    for (;;) {
      const std::string_view rest = in.peek(1);
      if (rest.empty()) break;
      const auto it = std::find_if(rest.begin(), rest.end(),
                                   [](char c) { return c != '\n' && c != '\r' && c != ' ' && c != '\t'; });
      if (it != rest.end()) {
        ctx.fail_byte(in.offset() + static_cast<std::uint64_t>(it - rest.begin()),
                      fmt::format("data after the {} words the header claims (the header's "
                                  "word count is too small?)",
                                  h.n_words));
      }
      in.skip(rest.size());
    }
  }
  check_row_count(ctx, h, b.n_rows_read(), false);
  return b.finish();
}

EmbeddingTable read_word2vec_text(const fs::path& path, const LoadOptions& options, const LogFn& log) {
  const ReadContext ctx{path, "word2vec text", options, log};
  FileBytes in(path);
  skip_bom(in);
  std::string_view line;
  FileBytes::Line st = in.next_line(line, kMaxHeaderBytes);
  if (st == FileBytes::Line::kEof) ctx.fail("empty file, expected a header '<n_words> <dim>'");
  if (st == FileBytes::Line::kTooLong) {
    ctx.fail_line(1, fmt::format("expected a header '<n_words> <dim>', got a line longer than "
                                 "{} bytes (GloVe text has no header)",
                                 kMaxHeaderBytes));
  }
  const Header h = check_header(line, [&](std::string_view m) { ctx.fail_line(1, m); });

  // A text row needs at least 2 bytes per value; reserve no more than that and 65536 rows.
  const std::uint64_t fit = in.size() / (2 * static_cast<std::uint64_t>(h.dim) + 1) + 1;
  TableBuilder b(ctx, h.dim, static_cast<std::size_t>(std::min({h.n_words, fit, std::uint64_t{65536}})),
                 true);
  std::uint64_t line_no = 1;
  std::uint64_t blank_line = 0;  // first empty line seen, an error unless only blank lines follow
  std::string latin1;
  while (!b.full()) {
    st = in.next_line(line);
    if (st == FileBytes::Line::kEof) break;
    ++line_no;
    if (st == FileBytes::Line::kTooLong) {
      ctx.fail_line(line_no,
                    fmt::format("line longer than {} bytes (is this a binary file?)", kMaxLineBytes));
    }
    line = trim_right(line);
    if (line.empty()) {
      if (blank_line == 0) blank_line = line_no;
      continue;
    }
    if (blank_line != 0) ctx.fail_line(blank_line, "empty line");
    if (b.n_rows_read() >= h.n_words) {
      ctx.fail_line(line_no, fmt::format("more rows than the {} words the header claims", h.n_words));
    }
    const std::size_t sp = std::min(line.find(' '), line.size());
    std::string_view word = line.substr(0, sp);
    float* out = b.scratch();
    std::size_t n_values = 0;
    std::size_t bad_index = 0;  // 1-based value index of the first bad number, 0 = none
    std::string_view bad_field;
    FloatStatus bad_status = FloatStatus::kOk;
    for (std::size_t i = sp; i < line.size();) {
      while (i < line.size() && line[i] == ' ') ++i;
      if (i == line.size()) break;
      const std::size_t begin = i;
      while (i < line.size() && line[i] != ' ') ++i;
      if (n_values < static_cast<std::size_t>(h.dim)) {
        const std::string_view field = line.substr(begin, i - begin);
        const FloatStatus s = parse_float(field, out[n_values]);
        if (s != FloatStatus::kOk && bad_index == 0) {
          bad_index = n_values + 1;
          bad_field = field;
          bad_status = s;
        }
      }
      ++n_values;
    }
    const bool keep = b.accept_word(word, latin1, line_no, 0);
    if (n_values != static_cast<std::size_t>(h.dim)) {
      ctx.fail_line(line_no, fmt::format("expected {} fields (word + {} floats), got {}", h.dim + 1, h.dim,
                                         n_values + 1));
    }
    if (bad_index != 0) {
      ctx.fail_line(line_no,
                    fmt::format("value {} of {}: expected a {}float, got {}", bad_index, h.dim,
                                bad_status == FloatStatus::kNotFinite ? "finite " : "", quote(bad_field)));
    }
    if (keep) {
      b.add(word, line_no);
    } else {
      b.skip_row();
    }
  }
  check_row_count(ctx, h, b.n_rows_read(), true);
  return b.finish();
}

void write_word2vec_binary(const EmbeddingTable& table, const fs::path& path) {
  for (std::size_t i = 0; i < table.words.size(); ++i) check_word_for_writing(table, i, path);
  AtomicFile f(path);
  f.write(fmt::format("{} {}\n", table.words.size(), table.dim()));
  std::string buf;
  for (std::size_t i = 0; i < table.words.size(); ++i) {
    buf.assign(table.words[i]);
    buf += ' ';
    const std::size_t at = buf.size();
    buf.resize(at + 4 * static_cast<std::size_t>(table.dim()));
    for (Index j = 0; j < table.dim(); ++j) {
      store_le<float>(buf.data() + at + 4 * j, table.vectors(static_cast<Index>(i), j));
    }
    f.write(buf);
  }
  f.commit();
}

void write_word2vec_text(const EmbeddingTable& table, const fs::path& path) {
  for (std::size_t i = 0; i < table.words.size(); ++i) check_word_for_writing(table, i, path);
  AtomicFile f(path);
  f.write(fmt::format("{} {}\n", table.words.size(), table.dim()));
  std::string buf;
  for (std::size_t i = 0; i < table.words.size(); ++i) {
    buf.assign(table.words[i]);
    for (Index j = 0; j < table.dim(); ++j) {
      fmt::format_to(std::back_inserter(buf), " {}", table.vectors(static_cast<Index>(i), j));
    }
    buf += '\n';
    f.write(buf);
  }
  f.commit();
}

}  // namespace textlrp::emb
