// corpora/folder.cpp — the folder and SpamAssassin readers (see folder.h).
#include "corpora/folder.h"

#include <algorithm>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"
#include "corpora/newsgroups.h"

namespace textlrp::corpora {
namespace fs = std::filesystem;
namespace {

enum class Layout { kFolder, kSpamAssassin };

struct Group {
  std::string name;   // folder name, used in ids
  std::string label;  // label given to its documents
  fs::path dir;
  std::vector<std::string> files;
};

bool is_all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string strip_leading_zeros(const std::string& s) {
  const std::size_t pos = s.find_first_not_of('0');
  return pos == std::string::npos ? std::string() : s.substr(pos);
}

bool is_hidden(const std::string& name) { return !name.empty() && name.front() == '.'; }

[[noreturn]] void throw_io(const fs::path& path, const std::string& what, const std::error_code& ec) {
  throw IoError(fmt::format("{}: {}: {}", path.string(), what, ec.message()));
}

// Lists the entries of a directory, sorted, translating filesystem errors into IoError.
std::vector<fs::directory_entry> list_dir(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw_io(dir, "cannot list directory", ec);
  std::vector<fs::directory_entry> entries;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) throw_io(dir, "cannot list directory", ec);
    entries.push_back(*it);
  }
  if (ec) throw_io(dir, "cannot list directory", ec);
  return entries;
}

std::string spamassassin_label(const fs::path& group_dir, const std::string& name) {
  if (name.find("spam") != std::string::npos) return "spam";
  if (name.find("ham") != std::string::npos) return "ham";
  throw FormatError(fmt::format("{}: expected a group name containing 'ham' or 'spam', got '{}'",
                                group_dir.string(), name));
}

class FolderReader final : public CorpusReader {
 public:
  FolderReader(const fs::path& path, Layout layout, const CorpusOptions& options)
      : layout_(layout), options_(options) {
    fs::path root = path;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      throw IoError(
          fmt::format("{}: cannot open: {}", path.string(), ec ? ec.message() : "No such file or directory"));
    }
    if (!fs::is_directory(st)) {
      throw FormatError(
          fmt::format("{}: expected a directory (one sub-folder per label), got a file", path.string()));
    }
    if (layout == Layout::kSpamAssassin && fs::is_directory(path / "data", ec)) root = path / "data";

    std::vector<fs::directory_entry> entries = list_dir(root);
    for (const fs::directory_entry& entry : entries) {
      const std::string name = entry.path().filename().string();
      if (is_hidden(name)) continue;
      if (!entry.is_directory(ec)) {
        if (layout == Layout::kFolder)
          warn(fmt::format("corpus: skipping {}: not a label folder", entry.path().string()));
        continue;
      }
      Group group;
      group.name = name;
      group.dir = entry.path();
      group.label = layout == Layout::kFolder ? name : spamassassin_label(entry.path(), name);
      groups_.push_back(std::move(group));
    }
    if (groups_.empty()) {
      throw FormatError(fmt::format("{}: no label folders found", root.string()));
    }
    std::sort(groups_.begin(), groups_.end(), [](const Group& a, const Group& b) { return a.name < b.name; });
    for (Group& group : groups_) {
      for (const fs::directory_entry& entry : list_dir(group.dir)) {
        const std::string name = entry.path().filename().string();
        if (is_hidden(name)) continue;
        if (layout == Layout::kSpamAssassin && entry.path().extension() != ".txt") continue;
        if (!entry.is_regular_file(ec)) {
          warn(fmt::format("corpus: skipping {}: not a regular file", entry.path().string()));
          continue;
        }
        group.files.push_back(name);
      }
      if (group.files.empty()) {
        throw FormatError(fmt::format("{}: label folder has no documents{}", group.dir.string(),
                                      layout == Layout::kSpamAssassin ? " (no *.txt files)" : ""));
      }
      std::sort(group.files.begin(), group.files.end(), document_name_less);
    }
  }

  bool next(Example& out) override {
    while (group_ < groups_.size() && file_ >= groups_[group_].files.size()) {
      ++group_;
      file_ = 0;
    }
    if (group_ >= groups_.size()) {
      if (!finished_) {
        finished_ = true;
        if (n_latin1_ > 0) {
          warn(fmt::format("corpus: {} of {} files were not valid UTF-8 and were decoded as Latin-1",
                           n_latin1_, n_read_));
        }
      }
      return false;
    }
    const Group& group = groups_[group_];
    const std::string& name = group.files[file_++];
    bool was_latin1 = false;
    std::string bytes = read_file(group.dir / name);
    if (starts_with_bom(bytes)) bytes.erase(0, kUtf8Bom.size());
    std::string text = decode_utf8_or_latin1(bytes, &was_latin1);
    ++n_read_;
    if (was_latin1) ++n_latin1_;
    if (options_.strip_headers) text = strip_newsgroup_header(text);
    if (options_.strip_footers) text = strip_newsgroup_footer(text);
    if (options_.strip_quotes) text = strip_newsgroup_quoting(text);

    out.id = group.name + "/" + name;
    out.text = std::move(text);
    out.label = group.label;
    out.tokens.reset();
    out.line = 0;
    return true;
  }

  std::string_view format() const override { return layout_ == Layout::kFolder ? "folder" : "spamassassin"; }

 private:
  void warn(const std::string& message) const {
    if (options_.warn) options_.warn(message);
  }

  Layout layout_;
  CorpusOptions options_;
  std::vector<Group> groups_;
  std::size_t group_ = 0;
  std::size_t file_ = 0;
  std::size_t n_read_ = 0;
  std::size_t n_latin1_ = 0;
  bool finished_ = false;
};

}  // namespace

bool document_name_less(const std::string& a, const std::string& b) {
  const bool da = is_all_digits(a);
  const bool db = is_all_digits(b);
  if (da != db) return da;
  if (da) {
    const std::string na = strip_leading_zeros(a);
    const std::string nb = strip_leading_zeros(b);
    if (na.size() != nb.size()) return na.size() < nb.size();
    if (na != nb) return na < nb;
  }
  return a < b;
}

std::unique_ptr<CorpusReader> open_folder_corpus(const fs::path& path, const CorpusOptions& options) {
  return std::make_unique<FolderReader>(path, Layout::kFolder, options);
}

std::unique_ptr<CorpusReader> open_spamassassin_corpus(const fs::path& path, const CorpusOptions& options) {
  return std::make_unique<FolderReader>(path, Layout::kSpamAssassin, options);
}

}  // namespace textlrp::corpora
