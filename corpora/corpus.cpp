// corpora/corpus.cpp — open_corpus(): spec parsing, format detection and dispatch (see corpus.h).
#include "corpora/corpus.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

#include "core/error.h"
#include "core/utf8.h"
#include "corpora/csv.h"
#include "corpora/folder.h"
#include "corpora/jsonl.h"
#include "corpora/sst.h"
#include "corpora/text.h"

namespace textlrp::corpora {
namespace fs = std::filesystem;
namespace {

std::string format_list() {
  std::string out;
  for (std::string_view f : kCorpusFormats) {
    if (!out.empty()) out += ", ";
    out += f;
  }
  return out;
}

bool is_known_format(std::string_view name) {
  return std::find(kCorpusFormats.begin(), kCorpusFormats.end(), name) != kCorpusFormats.end();
}

// True for names a user would type as a FORMAT prefix: [a-z0-9_-]+.
bool looks_like_format_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool contains_ham_or_spam(const std::string& name) {
  return name.find("ham") != std::string::npos || name.find("spam") != std::string::npos;
}

// Non-hidden sub-folder names of dir (empty on any error: detection is best effort).
std::vector<std::string> subfolders(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return names;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (!name.empty() && name.front() != '.' && it->is_directory(ec)) names.push_back(name);
  }
  return names;
}

// All groups name ham/spam. `strict` also requires a name other than exactly "ham"/"spam", so
// a plain folder corpus with labels "ham" and "spam" stays a folder corpus.
bool spamassassin_groups(const std::vector<std::string>& groups, bool strict) {
  if (groups.empty() || !std::all_of(groups.begin(), groups.end(), contains_ham_or_spam)) return false;
  if (!strict) return true;
  return std::any_of(groups.begin(), groups.end(),
                     [](const std::string& g) { return g != "ham" && g != "spam"; });
}

// The first non-blank line of a file (at most 64 KiB of it), or "" if none.
std::string first_nonblank_line(const fs::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw IoError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  std::string buf(1 << 16, '\0');
  std::string line;
  bool found = false;
  std::size_t n;
  bool first_chunk = true;
  while (!found && (n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    // A byte-order mark at the start of the file is not part of the first line.
    const std::size_t start =
        first_chunk && starts_with_bom(std::string_view(buf.data(), n)) ? kUtf8Bom.size() : 0;
    first_chunk = false;
    for (std::size_t i = start; i < n; ++i) {
      const char c = buf[i];
      if (c == '\n') {
        if (line.find_first_not_of(" \t\r\v\f") != std::string::npos) {
          found = true;
          break;
        }
        line.clear();
      } else {
        line.push_back(c);
        if (line.size() >= (1u << 16)) {
          found = true;
          break;
        }
      }
    }
  }
  const bool error = std::ferror(f) != 0;
  std::fclose(f);
  if (error) throw IoError(fmt::format("{}: read error", path.string()));
  if (line.find_first_not_of(" \t\r\v\f") == std::string::npos) return {};
  return line;
}

std::unique_ptr<CorpusReader> open_format(std::string_view format, const fs::path& path,
                                          const CorpusOptions& options) {
  if (format == "folder") return open_folder_corpus(path, options);
  if (format == "spamassassin") return open_spamassassin_corpus(path, options);
  if (format == "jsonl") return open_jsonl_corpus(path, options);
  if (format == "text") return open_text_corpus(path, options);
  if (format == "tsv") return open_tsv_corpus(path, options);
  if (format == "csv") return open_csv_corpus(path, options);
  if (format == "sst") return open_sst_corpus(path, options);
  if (format == "sst-binary") return open_sst_binary_corpus(path, options);
  throw InvalidArgument(fmt::format("unknown corpus format '{}'; valid formats: {}", format, format_list()));
}

}  // namespace

CorpusReader::~CorpusReader() = default;

Encoding parse_encoding(std::string_view name) {
  if (name == "utf-8" || name == "utf8" || name == "UTF-8") return Encoding::kUtf8;
  if (name == "latin-1" || name == "latin1" || name == "iso-8859-1" || name == "ISO-8859-1")
    return Encoding::kLatin1;
  if (name == "replace") return Encoding::kReplace;
  throw InvalidArgument(fmt::format("--encoding '{}': expected utf-8, latin-1 or replace", visible(name)));
}

std::optional<std::string> detect_corpus_format(const fs::path& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    throw IoError(
        fmt::format("{}: cannot open: {}", path.string(), ec ? ec.message() : "No such file or directory"));
  }
  if (fs::is_directory(st)) {
    if (fs::is_directory(path / "data", ec) && spamassassin_groups(subfolders(path / "data"), false)) {
      return "spamassassin";
    }
    if (spamassassin_groups(subfolders(path), true)) return "spamassassin";
    return "folder";
  }
  const std::string name = path.filename().string();
  if (ends_with(name, ".jsonl")) return "jsonl";
  if (ends_with(name, ".csv")) return "csv";
  if (ends_with(name, ".tsv")) return "tsv";
  const std::string line = first_nonblank_line(path);
  const std::size_t start = line.find_first_not_of(" \t");
  if (start != std::string::npos && line[start] == '(' && start + 1 < line.size() && line[start + 1] >= '0' &&
      line[start + 1] <= '9') {
    return "sst";
  }
  const std::size_t tab = line.find('\t');
  if (tab != std::string::npos && tab > 0 && tab <= 20 &&
      line.substr(0, tab).find(' ') == std::string::npos) {
    return "tsv";
  }
  if (ends_with(name, ".txt") || ends_with(name, ".text")) return "text";
  return std::nullopt;
}

std::unique_ptr<CorpusReader> open_corpus(std::string_view spec, const CorpusOptions& options) {
  const std::size_t colon = spec.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view prefix = spec.substr(0, colon);
    if (is_known_format(prefix)) {
      if (colon + 1 == spec.size()) {
        throw InvalidArgument(
            fmt::format("corpus spec '{}': expected a PATH after '{}:', got nothing", spec, prefix));
      }
      return open_format(prefix, fs::path(std::string(spec.substr(colon + 1))), options);
    }
    std::error_code ec;
    if (looks_like_format_name(prefix) && !fs::exists(fs::path(std::string(spec)), ec)) {
      throw InvalidArgument(
          fmt::format("unknown corpus format '{}' in '{}'; valid formats: {}", prefix, spec, format_list()));
    }
  }
  const fs::path path{std::string(spec)};
  if (spec == "-") {
    throw InvalidArgument(fmt::format(
        "cannot detect the format of stdin; write FORMAT:- with FORMAT one of: jsonl, text, tsv, csv, sst"));
  }
  const std::optional<std::string> format = detect_corpus_format(path);
  if (!format) {
    throw InvalidArgument(
        fmt::format("{}: cannot detect the corpus format; write FORMAT:PATH with FORMAT one of: {}", spec,
                    format_list()));
  }
  if (options.warn) options.warn(fmt::format("corpus: detected format '{}' for {}", *format, spec));
  return open_format(*format, path, options);
}

Shard Shard::parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  auto number = [&](std::string_view part, std::size_t& out) {
    if (part.empty() || part.size() > 9) return false;
    std::size_t v = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<std::size_t>(c - '0');
    }
    out = v;
    return true;
  };
  Shard s;
  if (slash == std::string_view::npos || !number(text.substr(0, slash), s.index) ||
      !number(text.substr(slash + 1), s.count) || s.count == 0 || s.index == 0 || s.index > s.count) {
    throw InvalidArgument(fmt::format(
        "--shard '{}': expected I/N with 1 <= I <= N (e.g. 2/4 = the second of four shards)", text));
  }
  return s;
}

namespace {
class ShardReader final : public CorpusReader {
 public:
  ShardReader(std::unique_ptr<CorpusReader> inner, Shard shard) : inner_(std::move(inner)), shard_(shard) {}
  bool next(Example& out) override {
    while (inner_->next(out)) {
      const std::size_t k = position_++;
      if (k % shard_.count == shard_.index - 1) return true;
    }
    return false;
  }
  std::string_view format() const override { return inner_->format(); }

 private:
  std::unique_ptr<CorpusReader> inner_;
  Shard shard_;
  std::size_t position_ = 0;
};
}  // namespace

std::unique_ptr<CorpusReader> shard_corpus(std::unique_ptr<CorpusReader> reader, Shard shard) {
  if (shard.all()) return reader;
  return std::make_unique<ShardReader>(std::move(reader), shard);
}

std::vector<Example> read_all(CorpusReader& reader) {
  std::vector<Example> out;
  Example ex;
  while (reader.next(ex)) out.push_back(std::move(ex));
  return out;
}

}  // namespace textlrp::corpora
