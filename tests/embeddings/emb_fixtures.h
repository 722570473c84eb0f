// tests/embeddings/emb_fixtures.h — tiny in-memory builders for embedding files, and a log sink.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/endian.h"

namespace textlrp::emb::test {

using Row = std::pair<std::string, std::vector<float>>;

// word2vec binary bytes: `header` (e.g. "2 3\n") then "word " + float32 LE per row, with a '\n'
// after each vector when `newline` (word2vec.c style) or none (gensim style).
inline std::string w2v_binary(std::string_view header, const std::vector<Row>& rows, bool newline = false) {
  std::string out(header);
  for (const auto& [word, values] : rows) {
    out += word;
    out += ' ';
    for (const float v : values) {
      char b[4];
      store_le<float>(b, v);
      out.append(b, 4);
    }
    if (newline) out += '\n';
  }
  return out;
}

// Collects log lines.
struct LogSink {
  std::vector<std::string> lines;
  std::function<void(std::string_view)> fn() {
    return [this](std::string_view s) { lines.emplace_back(s); };
  }
  bool contains(std::string_view needle) const {
    for (const auto& l : lines) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

}  // namespace textlrp::emb::test
