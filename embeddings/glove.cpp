// embeddings/glove.cpp — GloVe text reader/writer (layout in glove.h).
#include "embeddings/glove.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "core/error.h"
#include "core/file.h"
#include "embeddings/reader_util.h"

namespace textlrp::emb {
namespace fs = std::filesystem;
using namespace detail;

EmbeddingTable read_glove_text(const fs::path& path, const LoadOptions& options, const LogFn& log) {
  const ReadContext ctx{path, "GloVe text", options, log};
  FileBytes in(path);
  skip_bom(in);
  std::vector<std::string_view> fields;
  std::string_view line;
  std::uint64_t line_no = 0;
  std::uint64_t blank_line = 0;
  Index dim = 0;
  std::string latin1;
  std::optional<TableBuilder> b;
  while (!b || !b->full()) {
    const FileBytes::Line st = in.next_line(line);
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
    split_fields(line, fields);

    if (!b) {
      std::uint64_t n_words = 0, n_dims = 0;
      if (parse_header_line(line, n_words, n_dims)) {
        ctx.fail_line(line_no, fmt::format("line 1 {} looks like a word2vec/fastText header "
                                           "'<n_words> <dim>'; GloVe text has none (read it as "
                                           "word2vec text)",
                                           quote(line)));
      }
      // dim = the numbers at the end of line 1, leaving the first field to the word.
      std::size_t n_numeric = 0;
      float ignored = 0;
      while (n_numeric + 1 < fields.size() &&
             parse_float(fields[fields.size() - 1 - n_numeric], ignored) != FloatStatus::kNotNumber) {
        ++n_numeric;
      }
      if (n_numeric == 0) {
        ctx.fail_line(line_no, fmt::format("expected 'word v1 .. vD' (numbers at the end of the "
                                           "line), got {}",
                                           quote(line)));
      }
      if (n_numeric > static_cast<std::size_t>(kMaxDim)) {
        ctx.fail_line(line_no, fmt::format("{} numbers on the first line: dim is absurd (the "
                                           "limit is {})",
                                           n_numeric, kMaxDim));
      }
      dim = static_cast<Index>(n_numeric);
      // Rows take at least 2 bytes per value; no more than 65536 rows reserved up front.
      const std::uint64_t fit = in.size() / (2 * static_cast<std::uint64_t>(dim) + 1) + 1;
      b.emplace(ctx, dim, static_cast<std::size_t>(std::min<std::uint64_t>(fit, 65536)), true);
    }

    const std::size_t n_dim = static_cast<std::size_t>(dim);
    if (fields.size() < n_dim + 1) {
      ctx.fail_line(line_no, fmt::format("expected {} fields (word + {} floats), got {}", n_dim + 1, n_dim,
                                         fields.size()));
    }
    const std::size_t first_value = fields.size() - n_dim;
    std::string_view word =
        trim_right(line.substr(0, static_cast<std::size_t>(fields[first_value].data() - line.data())));
    const bool keep = b->accept_word(word, latin1, line_no, 0);
    float* out = b->scratch();
    for (std::size_t j = 0; j < n_dim; ++j) {
      const FloatStatus s = parse_float(fields[first_value + j], out[j]);
      if (s != FloatStatus::kOk) {
        ctx.fail_line(line_no, fmt::format("value {} of {}: expected a {}float, got {}", j + 1, n_dim,
                                           s == FloatStatus::kNotFinite ? "finite " : "",
                                           quote(fields[first_value + j])));
      }
    }
    if (keep) {
      b->add(word, line_no);
    } else {
      b->skip_row();
    }
  }
  if (!b) ctx.fail("empty file, expected lines 'word v1 .. vD'");
  return b->finish();
}

void write_glove_text(const EmbeddingTable& table, const fs::path& path) {
  for (std::size_t i = 0; i < table.words.size(); ++i) {
    const std::string& w = table.words[i];
    if (w.empty() || w.find_first_of("\n\r") != std::string::npos || w.front() == ' ' || w.back() == ' ') {
      throw InvalidArgument(
          fmt::format("{}: word {} {} cannot be stored in GloVe text", path.string(), i, quote(w)));
    }
  }
  AtomicFile f(path);
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
