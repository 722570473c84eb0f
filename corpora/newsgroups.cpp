// corpora/newsgroups.cpp — see newsgroups.h.
#include "corpora/newsgroups.h"

#include <cstdint>
#include <vector>

namespace textlrp::corpora {
namespace {

// Python str.isspace() for a code point.
bool is_python_space(std::uint32_t cp) {
  if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F)) return true;
  if (cp == 0x85 || cp == 0xA0 || cp == 0x1680) return true;
  if (cp >= 0x2000 && cp <= 0x200A) return true;
  return cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Decodes the code point starting at text[i] and its length in bytes. Invalid bytes decode as
// themselves with length 1 (never whitespace beyond ASCII), so this never reads out of bounds.
std::uint32_t decode_at(std::string_view text, std::size_t i, std::size_t* len) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  std::size_t n = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 1;
  if (i + n > text.size()) n = 1;
  if (n == 1) {
    *len = 1;
    return b0 < 0x80 ? b0 : 0xFFFFFFFF;
  }
  std::uint32_t cp = b0 & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) {
      *len = 1;
      return 0xFFFFFFFF;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *len = n;
  return cp;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(text.substr(start));
      return lines;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
}

std::string join_lines(const std::vector<std::string_view>& lines, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out.push_back('\n');
    out.append(lines[i]);
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool is_quote_line(std::string_view line) {
  for (std::string_view needle : {"writes in", "writes:", "wrote:", "says:", "said:"}) {
    if (line.find(needle) != std::string_view::npos) return true;
  }
  return starts_with(line, "In article") || starts_with(line, "Quoted from") || starts_with(line, "|") ||
         starts_with(line, ">");
}

}  // namespace

std::string_view python_strip(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t len = 1;
    if (!is_python_space(decode_at(text, begin, &len))) break;
    begin += len;
  }
  std::size_t end = text.size();
  while (end > begin) {
    // Step back to the start of the last code point (at most 3 continuation bytes).
    std::size_t start = end - 1;
    while (start > begin && end - start < 4 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) {
      --start;
    }
    std::size_t len = 1;
    const std::uint32_t cp = decode_at(text, start, &len);
    if (start + len != end || !is_python_space(cp)) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

std::string strip_newsgroup_header(std::string_view text) {
  const std::size_t pos = text.find("\n\n");
  if (pos == std::string_view::npos) return {};
  return std::string(text.substr(pos + 2));
}

std::string strip_newsgroup_footer(std::string_view text) {
  const std::vector<std::string_view> lines = split_lines(python_strip(text));
  std::size_t line_num = lines.size();
  while (line_num > 0) {
    --line_num;
    std::string_view line = python_strip(lines[line_num]);
    if (line.find_first_not_of('-') == std::string_view::npos) break;
  }
  // Python's loop variable ends at 0 when nothing matched, which also means "keep the text".
  if (line_num > 0) return join_lines(lines, line_num);
  return std::string(text);
}

std::string strip_newsgroup_quoting(std::string_view text) {
  const std::vector<std::string_view> lines = split_lines(text);
  std::vector<std::string_view> kept;
  kept.reserve(lines.size());
  for (std::string_view line : lines) {
    if (!is_quote_line(line)) kept.push_back(line);
  }
  return join_lines(kept, kept.size());
}

}  // namespace textlrp::corpora
