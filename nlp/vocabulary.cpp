// nlp/vocabulary.cpp — Vocabulary construction, build from counts, vocab.txt load and save.
#include "nlp/vocabulary.h"

#include <algorithm>
#include <climits>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"

namespace textlrp::nlp {
namespace {

// Why `token` cannot be a vocabulary entry, or an empty string if it can.
std::string token_problem(std::string_view token) {
  if (token.empty()) return "empty token";
  if (token.find('\n') != std::string_view::npos) return "token contains a newline";
  if (token.find('\r') != std::string_view::npos) return "token contains a carriage return";
  if (auto bad = find_invalid_utf8(token)) {
    return fmt::format("invalid UTF-8 at byte {} of the token", *bad);
  }
  return {};
}

}  // namespace

Vocabulary::Vocabulary() : Vocabulary(std::vector<std::string>{std::string(kUnk)}) {}

Vocabulary::Vocabulary(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {
  index_tokens(true);
  unk_id_ = !tokens_.empty() && tokens_[0] == kUnk ? kUnkId : kNoId;
}

Vocabulary Vocabulary::from_pieces(std::vector<std::string> pieces, TokenId unk_id) {
  if (unk_id != kNoId && (unk_id < 0 || static_cast<std::size_t>(unk_id) >= pieces.size())) {
    throw InvalidArgument(
        fmt::format("vocabulary: unknown-piece id {} is outside the {} pieces", unk_id, pieces.size()));
  }
  Vocabulary v(std::vector<std::string>{});
  v.tokens_ = std::move(pieces);
  v.index_tokens(false);
  v.unk_id_ = unk_id;
  return v;
}

void Vocabulary::index_tokens(bool word_rules) {
  TEXTLRP_ASSERT(tokens_.size() < static_cast<std::size_t>(INT32_MAX));
  index_.clear();
  index_.reserve(tokens_.size());
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const std::string& token = tokens_[i];
    std::string problem = token_problem(token);
    if (!word_rules && !token.empty() && !find_invalid_utf8(token)) problem.clear();  // newlines allowed
    if (!problem.empty()) throw InvalidArgument(fmt::format("vocabulary: token {}: {}", i, problem));
    if (word_rules && i != 0 && token == kUnk) {
      throw InvalidArgument(fmt::format("vocabulary: token {}: {} must be token 0", i, kUnk));
    }
    const auto [it, inserted] = index_.emplace(token, static_cast<TokenId>(i));
    if (!inserted) {
      throw InvalidArgument(fmt::format("vocabulary: token {}: duplicate of token {}", i, it->second));
    }
  }
}

Vocabulary Vocabulary::build(const std::unordered_map<std::string, std::size_t>& counts,
                             std::size_t min_count, std::size_t max_size) {
  std::vector<std::pair<std::string_view, std::size_t>> kept;
  kept.reserve(counts.size());
  for (const auto& [token, count] : counts) {
    if (count >= min_count && token != kUnk) kept.emplace_back(token, count);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::size_t n_tokens = kept.size() + 1;
  if (max_size != 0) n_tokens = std::min(n_tokens, max_size);

  std::vector<std::string> tokens;
  tokens.reserve(n_tokens);
  tokens.emplace_back(kUnk);
  for (std::size_t i = 0; i + 1 < n_tokens; ++i) tokens.emplace_back(kept[i].first);
  return Vocabulary(std::move(tokens));
}

Vocabulary Vocabulary::load(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  const std::string name = path.string();
  std::string_view rest = bytes;
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);

  std::vector<std::string> tokens;
  std::unordered_map<std::string_view, std::size_t> first_line;
  std::size_t line_number = 0;
  while (!rest.empty()) {
    ++line_number;
    const std::size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    if (line.empty()) throw FormatError(fmt::format("{}:{}: empty line", name, line_number));
    if (std::string problem = token_problem(line); !problem.empty()) {
      throw FormatError(fmt::format("{}:{}: {}", name, line_number, problem));
    }
    if (line_number != 1 && line == kUnk) {
      throw FormatError(fmt::format("{}:{}: {} must be on line 1 (id 0)", name, line_number, kUnk));
    }
    const auto [it, inserted] = first_line.emplace(line, line_number);
    if (!inserted) {
      throw FormatError(
          fmt::format("{}:{}: duplicate token '{}' (first on line {})", name, line_number, line, it->second));
    }
    tokens.emplace_back(line);
  }
  if (tokens.empty()) throw FormatError(fmt::format("{}: empty vocabulary (no tokens)", name));
  return Vocabulary(std::move(tokens));
}

void Vocabulary::save(const std::filesystem::path& path) const {
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (std::string problem = token_problem(tokens_[i]); !problem.empty()) {
      throw InvalidArgument(fmt::format("{}: cannot save token {}: {}", path.string(), i, problem));
    }
  }
  std::string bytes;
  std::size_t n_bytes = 0;
  for (const std::string& token : tokens_) n_bytes += token.size() + 1;
  bytes.reserve(n_bytes);
  for (const std::string& token : tokens_) {
    bytes += token;
    bytes += '\n';
  }
  write_file_atomic(path, bytes);
}

const std::string& Vocabulary::token(TokenId id) const {
  TEXTLRP_ASSERT(id >= 0 && static_cast<std::size_t>(id) < tokens_.size());
  return tokens_[static_cast<std::size_t>(id)];
}

}  // namespace textlrp::nlp
