// embeddings/load.cpp — format detection and the load_embeddings() entry point.
#include "embeddings/load.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/utf8.h"
#include "embeddings/glove.h"
#include "embeddings/reader_util.h"
#include "embeddings/word2vec.h"

namespace textlrp::emb {
namespace fs = std::filesystem;
using namespace detail;

namespace {
constexpr std::size_t kSniffBytes = 4u << 20;

// The first line of `text` (without '\n') and the rest after it.
std::string_view first_line(std::string_view text, std::string_view* rest) {
  const std::size_t nl = text.find('\n');
  if (nl == std::string_view::npos) {
    *rest = {};
    return text;
  }
  *rest = text.substr(nl + 1);
  return text.substr(0, nl);
}

bool ends_in_number(const std::vector<std::string_view>& fields) {
  float ignored = 0;
  return fields.size() >= 2 && parse_float(fields.back(), ignored) != FloatStatus::kNotNumber;
}
// "word v1 .. vk": a text row, whatever k (raw float bytes are almost never all decimal numbers).
bool all_numbers_after_first(const std::vector<std::string_view>& fields) {
  float ignored = 0;
  if (fields.size() < 2) return false;
  for (std::size_t i = 1; i < fields.size(); ++i) {
    if (parse_float(fields[i], ignored) == FloatStatus::kNotNumber) return false;
  }
  return true;
}
}  // namespace

std::string_view to_string(Format format) {
  switch (format) {
    case Format::kAuto: return "auto";
    case Format::kWord2VecBinary: return "word2vec-binary";
    case Format::kWord2VecText: return "word2vec-text";
    case Format::kGlove: return "glove";
  }
  return "?";
}

Format parse_format(std::string_view name) {
  if (name == "auto") return Format::kAuto;
  if (name == "word2vec-binary" || name == "bin") return Format::kWord2VecBinary;
  if (name == "word2vec-text" || name == "vec" || name == "fasttext-vec" || name == "word2vec") {
    return Format::kWord2VecText;
  }
  if (name == "glove" || name == "txt") return Format::kGlove;
  throw InvalidArgument(
      fmt::format("unknown embeddings format '{}': expected auto, "
                  "word2vec-binary (bin), word2vec-text (vec, fasttext-vec) or "
                  "glove (txt)",
                  name));
}

namespace {
// A text row without its word: the word itself may be non-UTF-8 (decoded as Latin-1 later, see
// LoadOptions::invalid_utf8), the numbers after it may not (binary float bytes would be).
std::string_view after_word(std::string_view line) {
  const std::size_t space = line.find(' ');
  return space == std::string_view::npos ? std::string_view() : line.substr(space);
}
}  // namespace

Format detect_format(const fs::path& path, std::string* description) {
  FileBytes in(path);
  skip_bom(in);
  const std::string_view head = in.peek(kSniffBytes);
  if (head.empty()) {
    throw FormatError(fmt::format("{}: empty file, expected word vectors", path.string()));
  }
  std::string_view rest;
  const std::string_view line1 = trim_right(first_line(head, &rest));
  std::uint64_t n_words = 0, dim = 0;
  if (parse_header_line(line1, n_words, dim)) {
    std::vector<std::string_view> fields;
    std::string_view after;
    const std::string_view line2 = trim_right(first_line(rest, &after));
    split_fields(line2, fields);
    // Text: line 2 is a row of the header's width, or any row of numbers (then the text reader
    // reports that its width disagrees with the header, which is the real problem).
    const bool text =
        rest.empty() ||
        (is_valid_utf8(after_word(line2)) &&
         ((fields.size() == dim + 1 && ends_in_number(fields)) || all_numbers_after_first(fields)));
    if (description) {
      *description =
          fmt::format("{} (header {} x {})", text ? "word2vec text" : "word2vec binary", n_words, dim);
    }
    return text ? Format::kWord2VecText : Format::kWord2VecBinary;
  }
  std::vector<std::string_view> fields;
  split_fields(line1, fields);
  if (is_valid_utf8(after_word(line1)) && ends_in_number(fields)) {
    if (description) *description = fmt::format("GloVe text (no header, {} fields on line 1)", fields.size());
    return Format::kGlove;
  }
  throw FormatError(
      fmt::format("{}:1: cannot tell the embeddings format: line 1 is neither a '<n_words> <dim>' header "
                  "(word2vec, fastText .vec) nor a 'word v1 .. vD' row (GloVe); it starts {}",
                  path.string(), quote(line1)));
}

EmbeddingTable load_embeddings(const fs::path& path, Format format, const LogFn& log,
                               const LoadOptions& options) {
  if (format == Format::kAuto) {
    std::string description;
    format = detect_format(path, &description);
    if (log) log(fmt::format("embeddings: detected {} in {}", description, path.string()));
  } else if (log) {
    log(fmt::format("embeddings: reading {} as {}", path.string(), to_string(format)));
  }
  EmbeddingTable table;
  switch (format) {
    case Format::kWord2VecBinary: table = read_word2vec_binary(path, options, log); break;
    case Format::kWord2VecText: table = read_word2vec_text(path, options, log); break;
    case Format::kGlove: table = read_glove_text(path, options, log); break;
    case Format::kAuto: TEXTLRP_ASSERT(false);
  }
  if (log) {
    log(fmt::format("embeddings: loaded {} words x {} dims from {}{}", table.size(), table.dim(),
                    path.string(), options.only ? " (only words of the vocabulary kept)" : ""));
  }
  return table;
}

}  // namespace textlrp::emb
