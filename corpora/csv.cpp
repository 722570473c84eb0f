// corpora/csv.cpp — the csv reader (see csv.h).
#include "corpora/csv.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"
#include "corpora/line_utils.h"

namespace textlrp::corpora {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view s) {
  const std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const std::size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// A 1-based column index, or nullopt when `spec` is not a plain positive decimal number.
std::optional<std::size_t> column_index(std::string_view spec) {
  if (spec.empty() || spec.size() > 6) return std::nullopt;
  std::size_t v = 0;
  for (const char c : spec) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  return v;
}

bool usual_header_name(std::string_view field) {
  static const char* kNames[] = {"label",     "labels",   "class",  "category", "target",
                                 "sentiment", "polarity", "rating", "stars",    "y"};
  const std::string f = lower(trim(field));
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* n) { return f == n; });
}

class CsvReader final : public CorpusReader {
 public:
  CsvReader(const std::filesystem::path& path, const CorpusOptions& options)
      : reader_(path), decoder_(options.encoding, options.warn), join_(options.csv_join) {
    std::vector<std::string> first;
    std::size_t first_line = 0;
    if (!read_record(first, first_line)) {
      decoder_.finish(reader_.name());
      done_ = true;
      return;
    }
    n_fields_ = first.size();
    first_line_ = first_line;
    std::vector<std::string> specs = options.csv_text_columns;
    specs.push_back(options.csv_label_column);
    const bool by_name =
        std::any_of(specs.begin(), specs.end(), [](const std::string& s) { return !column_index(s); });
    bool header = false;
    switch (options.csv_header) {
      case CsvHeader::kYes: header = true; break;
      case CsvHeader::kNo: header = false; break;
      case CsvHeader::kAuto: {
        const std::optional<std::size_t> li = column_index(options.csv_label_column);
        header = by_name || (li && *li >= 1 && *li <= first.size() && usual_header_name(first[*li - 1]));
        break;
      }
    }
    if (header) {
      header_ = std::move(first);
    } else {
      pending_ = std::move(first);
      pending_line_ = first_line;
    }
    label_ = resolve("--csv-label-column", options.csv_label_column);
    if (options.csv_text_columns.empty()) {
      for (std::size_t c = 0; c < n_fields_; ++c) {
        if (c != label_) text_.push_back(c);
      }
      if (text_.empty()) {
        throw InvalidArgument(fmt::format(
            "{}: the CSV has only one column (the label's); it needs a text column too", reader_.name()));
      }
    } else {
      for (const std::string& spec : options.csv_text_columns)
        text_.push_back(resolve("--csv-text-columns", spec));
    }
  }

  bool next(Example& out) override {
    if (done_) return false;
    std::vector<std::string>& fields = record_;
    std::size_t line = 0;
    if (pending_) {
      fields = std::move(*pending_);
      pending_.reset();
      line = pending_line_;
    } else if (!read_record(fields, line)) {
      decoder_.finish(reader_.name());
      done_ = true;
      return false;
    }
    if (fields.size() != n_fields_) {
      throw FormatError(fmt::format("{}:{}: expected {} fields (as in the first record, line {}), got {}{}",
                                    reader_.name(), line, n_fields_, first_line_, fields.size(),
                                    fields.size() > n_fields_ ? " (an unquoted comma in a field?)" : ""));
    }
    const std::string& label = fields[label_];
    if (trim(label).empty()) {
      throw FormatError(fmt::format("{}:{}: expected a label in column {}{}, got an empty field",
                                    reader_.name(), line, label_ + 1, column_name(label_)));
    }
    out.label = label;
    out.text.clear();
    for (const std::size_t c : text_) {
      if (fields[c].empty()) continue;
      if (!out.text.empty()) out.text += join_;
      out.text += fields[c];
    }
    out.id = detail::generated_id(line, out.text);  // like the other line formats (corpora/line_utils.h)
    out.tokens.reset();
    out.line = line;
    return true;
  }

  std::string_view format() const override { return "csv"; }

 private:
  std::string column_name(std::size_t c) const {
    return c < header_.size() ? fmt::format(" ('{}')", visible(header_[c])) : std::string();
  }

  std::string header_list() const {
    std::string out;
    for (const auto& h : header_) out += (out.empty() ? "" : ", ") + visible(h);
    return out;
  }

  std::size_t resolve(std::string_view option, const std::string& spec) const {
    if (const auto idx = column_index(spec)) {
      if (*idx < 1 || *idx > n_fields_) {
        throw InvalidArgument(fmt::format("{} {}: expected a column 1..{} ({} has {} columns)", option, spec,
                                          n_fields_, reader_.name(), n_fields_));
      }
      return *idx - 1;
    }
    if (header_.empty()) {
      throw InvalidArgument(
          fmt::format("{} '{}': a column name needs a header row, but {} is read without one "
                      "(--csv-header no); give a 1-based column number",
                      option, visible(spec), reader_.name()));
    }
    for (std::size_t c = 0; c < header_.size(); ++c) {
      if (header_[c] == spec) return c;
    }
    for (std::size_t c = 0; c < header_.size(); ++c) {
      if (lower(trim(header_[c])) == lower(trim(spec))) return c;
    }
    throw InvalidArgument(fmt::format("{} '{}': no such column; the header of {} has: {}", option,
                                      visible(spec), reader_.name(), header_list()));
  }

  // Reads the next record (skipping blank lines) into fields; false at the end of the input.
  bool read_record(std::vector<std::string>& fields, std::size_t& start_line) {
    fields.clear();
    do {
      if (!reader_.next(line_)) return false;
    } while (detail::is_blank(line_));
    start_line = reader_.line_number();
    decoder_.decode(reader_.name(), start_line, line_);
    std::size_t i = 0;
    std::string field;
    while (true) {
      field.clear();
      if (i < line_.size() && line_[i] == '"') {
        // Quoted field: up to the closing quote, across line ends.
        const std::size_t open_line = reader_.line_number();
        ++i;
        while (true) {
          const std::size_t q = line_.find('"', i);
          if (q == std::string::npos) {
            field.append(line_, i, std::string::npos);
            if (!reader_.next(line_)) {
              throw FormatError(
                  fmt::format("{}:{}: unterminated quoted field (field {} of the record starting on "
                              "line {}): expected a closing '\"' before the end of the file",
                              reader_.name(), open_line, fields.size() + 1, start_line));
            }
            decoder_.decode(reader_.name(), reader_.line_number(), line_);
            field.push_back('\n');
            i = 0;
            continue;
          }
          field.append(line_, i, q - i);
          if (q + 1 < line_.size() && line_[q + 1] == '"') {
            field.push_back('"');
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        if (i < line_.size() && line_[i] != ',') {
          throw FormatError(
              fmt::format("{}:{}:{}: expected ',' or the end of the line after a closing quote, got '{}' "
                          "(a quote inside a quoted field is written \"\")",
                          reader_.name(), reader_.line_number(), i + 1, visible(line_.substr(i, 1))));
        }
      } else {
        const std::size_t comma = line_.find(',', i);
        const std::size_t end = comma == std::string::npos ? line_.size() : comma;
        field.append(line_, i, end - i);
        i = end;
      }
      fields.push_back(field);
      if (i >= line_.size()) break;
      ++i;  // the comma
    }
    return true;
  }

  LineReader reader_;
  detail::LineDecoder decoder_;
  std::string join_;
  std::string line_;
  std::vector<std::string> header_;
  std::vector<std::string> record_;
  std::optional<std::vector<std::string>> pending_;
  std::size_t pending_line_ = 0;
  std::size_t first_line_ = 0;
  std::size_t n_fields_ = 0;
  std::size_t label_ = 0;
  std::vector<std::size_t> text_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<CorpusReader> open_csv_corpus(const std::filesystem::path& path,
                                              const CorpusOptions& options) {
  return std::make_unique<CsvReader>(path, options);
}

}  // namespace textlrp::corpora
