// corpora/sst.cpp — the SST PTB-tree parser and reader (see sst.h).
#include "corpora/sst.h"

#include <optional>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"
#include "corpora/line_utils.h"

namespace textlrp::corpora {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Describes what stands at position i for a "got ..." message: a quoted character (a whole UTF-8
// sequence) or "end of line".
std::string describe(std::string_view line, std::size_t i) {
  if (i >= line.size()) return "end of line";
  const auto b = static_cast<unsigned char>(line[i]);
  if (b < 0x20 || b == 0x7F) return fmt::format("byte 0x{:02X}", static_cast<unsigned>(b));
  std::size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  if (i + n > line.size()) n = line.size() - i;
  // Invisible characters (U+FEFF, U+200B, ...) are shown escaped: "'<U+FEFF>'".
  return fmt::format("'{}'", visible(line.substr(i, n)));
}

class Parser {
 public:
  Parser(std::string_view line, std::string_view name, std::size_t line_no)
      : line_(line), name_(name), line_no_(line_no) {}

  SstTree parse() {
    skip_spaces();
    expect_open();
    // After an '(' and its label: a word or child trees follow.
    // `stack_` holds indices into tree_.nodes of the open nodes.
    while (true) {
      // We are just after '(' of a new node.
      read_label();
      if (at_end() || !is_space(line_[i_])) fail("a space after the label");
      skip_spaces();
      if (at_end() || line_[i_] == ')') fail("a word or '('");
      if (line_[i_] == '(') {
        ++i_;
        open_node();
        continue;
      }
      read_word();
      skip_spaces();
      if (at_end() || line_[i_] != ')') fail("')' after the word");
      // Close nodes until a new child opens or the root is closed.
      while (true) {
        ++i_;  // the ')'
        close_node();
        skip_spaces();
        if (stack_.empty()) {
          if (!at_end()) fail("end of line after the tree");
          return std::move(tree_);
        }
        if (at_end()) fail("')' or '(' (unbalanced parentheses)");
        if (line_[i_] == '(') break;
        if (line_[i_] != ')') fail("'(' or ')' after a subtree");
      }
      ++i_;  // the '(' of the next sibling
      open_node();
    }
  }

 private:
  bool at_end() const { return i_ >= line_.size(); }
  void skip_spaces() {
    while (!at_end() && is_space(line_[i_])) ++i_;
  }

  [[noreturn]] void fail(std::string_view expected) const {
    throw FormatError(
        fmt::format("{}:{}:{}: expected {}, got {}", name_, line_no_, i_ + 1, expected, describe(line_, i_)));
  }

  void expect_open() {
    if (at_end() || line_[i_] != '(') fail("'(' at the start of a tree");
    ++i_;
    open_node();
  }

  void open_node() {
    SstNode node;
    node.begin = tree_.leaves.size();
    stack_.push_back(tree_.nodes.size());
    tree_.nodes.push_back(std::move(node));
  }

  void close_node() {
    tree_.nodes[stack_.back()].end = tree_.leaves.size();
    stack_.pop_back();
  }

  // One digit 0..4 (very negative .. very positive); anything else, 7 or 12 or x, is an error at
  // the label's first character.
  void read_label() {
    const std::size_t start = i_;
    while (!at_end() && is_digit(line_[i_])) ++i_;
    if (i_ != start + 1 || line_[start] > '4') {
      const std::size_t end = i_;
      i_ = start;
      if (end == start) fail("a sentiment label 0..4");
      throw FormatError(fmt::format("{}:{}:{}: expected a sentiment label 0..4, got '{}'", name_, line_no_,
                                    start + 1, visible(line_.substr(start, end - start))));
    }
    tree_.nodes[stack_.back()].label = std::string(line_.substr(start, 1));
  }

  void read_word() {
    const std::size_t start = i_;
    while (!at_end() && !is_space(line_[i_]) && line_[i_] != '(' && line_[i_] != ')') ++i_;
    tree_.leaves.emplace_back(line_.substr(start, i_ - start));
  }

  std::string_view line_;
  std::string_view name_;
  std::size_t line_no_;
  std::size_t i_ = 0;
  SstTree tree_;
  std::vector<std::size_t> stack_;
};

std::string join(const std::vector<std::string>& words, std::size_t begin, std::size_t end) {
  std::string out;
  for (std::size_t i = begin; i < end; ++i) {
    if (i > begin) out.push_back(' ');
    out += words[i];
  }
  return out;
}

class SstReader final : public CorpusReader {
 public:
  SstReader(const std::filesystem::path& path, const CorpusOptions& options, bool binary)
      : reader_(path),
        phrases_(options.sst_phrases),
        binary_(binary),
        decoder_(options.encoding, options.warn) {}

  bool next(Example& out) override {
    while (pending_next_ >= pending_.size()) {
      pending_.clear();
      pending_next_ = 0;
      if (!read_tree()) return false;
    }
    out = std::move(pending_[pending_next_++]);
    return true;
  }

  std::string_view format() const override { return binary_ ? "sst-binary" : "sst"; }

 private:
  // The label to report for a node, or nullopt when the binary task skips it (neutral).
  std::optional<std::string> label_of(std::string label, std::size_t line_no) const {
    if (!binary_) return label;
    if (label == "0" || label == "1") return std::string("negative");
    if (label == "3" || label == "4") return std::string("positive");
    if (label == "2") return std::nullopt;
    throw FormatError(
        fmt::format("{}:{}: label {} is not an SST label 0..4 (sst-binary maps 0,1 to negative "
                    "and 3,4 to positive, and skips 2)",
                    reader_.name(), line_no, label));
  }

  // Reads the next tree into pending_ (the sentence, then its phrases); false at the end of the file.
  bool read_tree() {
    while (reader_.next(line_)) {
      if (detail::is_blank(line_)) continue;
      const std::size_t n = reader_.line_number();
      decoder_.decode(reader_.name(), n, line_);
      SstTree tree = parse_sst_tree(line_, reader_.name(), n);
      std::optional<std::string> root_label = label_of(std::move(tree.nodes[0].label), n);
      if (root_label) {
        Example sentence;
        sentence.id = std::to_string(n);
        sentence.text = join(tree.leaves, 0, tree.leaves.size());
        sentence.label = std::move(root_label);
        sentence.tokens = tree.leaves;
        sentence.line = n;
        pending_.push_back(std::move(sentence));
      }
      if (phrases_) {
        pending_.reserve(pending_.size() + tree.nodes.size() - 1);
        for (std::size_t k = 1; k < tree.nodes.size(); ++k) {
          const SstNode& node = tree.nodes[k];
          std::optional<std::string> label = label_of(node.label, n);
          if (!label) continue;
          Example phrase;
          phrase.id = fmt::format("{}.{}", n, k);
          phrase.text = join(tree.leaves, node.begin, node.end);
          phrase.label = std::move(label);
          phrase.tokens =
              std::vector<std::string>(tree.leaves.begin() + static_cast<std::ptrdiff_t>(node.begin),
                                       tree.leaves.begin() + static_cast<std::ptrdiff_t>(node.end));
          phrase.line = n;
          pending_.push_back(std::move(phrase));
        }
      }
      return true;
    }
    decoder_.finish(reader_.name());
    return false;
  }

  LineReader reader_;
  bool phrases_;
  bool binary_;
  detail::LineDecoder decoder_{Encoding::kUtf8, {}};
  std::string line_;
  std::vector<Example> pending_;
  std::size_t pending_next_ = 0;
};

}  // namespace

SstTree parse_sst_tree(std::string_view line, std::string_view name, std::size_t line_no) {
  return Parser(line, name, line_no).parse();
}

std::unique_ptr<CorpusReader> open_sst_corpus(const std::filesystem::path& path,
                                              const CorpusOptions& options) {
  return std::make_unique<SstReader>(path, options, /*binary=*/false);
}

std::unique_ptr<CorpusReader> open_sst_binary_corpus(const std::filesystem::path& path,
                                                     const CorpusOptions& options) {
  return std::make_unique<SstReader>(path, options, /*binary=*/true);
}

}  // namespace textlrp::corpora
