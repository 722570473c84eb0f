// nlp/word_groups.cpp — assigning subword pieces to words (see word_groups.h for the rule).
#include "nlp/word_groups.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.h"

namespace textlrp::nlp {

std::vector<WordGroup> group_pieces_by_word(const std::vector<Token>& pieces,
                                            const std::vector<Token>& words) {
  std::vector<WordGroup> groups;
  groups.reserve(words.size());
  for (std::size_t w = 0; w < words.size(); ++w) {
    const Token& word = words[w];
    if (word.begin > word.end || (w > 0 && word.begin < words[w - 1].end)) {
      throw InvalidArgument(fmt::format(
          "group_pieces_by_word: word {} [{}, {}) is not after word {} [{}, {}) (words must be "
          "in text order, with disjoint spans)",
          w, word.begin, word.end, w - 1, w > 0 ? words[w - 1].begin : 0, w > 0 ? words[w - 1].end : 0));
    }
    groups.push_back(WordGroup{word.begin, word.end, {}});
  }
  for (std::size_t p = 0; p < pieces.size(); ++p) {
    const std::uint32_t b = pieces[p].begin;
    const std::uint32_t e = pieces[p].end;
    if (b > e) {
      throw InvalidArgument(
          fmt::format("group_pieces_by_word: piece {} '{}' has span [{}, {})", p, pieces[p].text, b, e));
    }
    // The first word that ends after b: words before it cannot overlap or contain b.
    auto it = std::upper_bound(groups.begin(), groups.end(), b,
                               [](std::uint32_t pos, const WordGroup& g) { return pos < g.end; });
    if (groups.empty()) continue;
    WordGroup* best = nullptr;
    if (b == e) {
      // The word containing b, else the next word (it->begin > b), else the last word.
      best = it != groups.end() ? &*it : &groups.back();
    } else {
      std::uint32_t best_overlap = 0;
      for (; it != groups.end() && it->begin < e; ++it) {
        const std::uint32_t overlap = std::min(e, it->end) - std::max(b, it->begin);
        if (overlap > best_overlap) {
          best_overlap = overlap;
          best = &*it;
        }
      }
      // No overlap: `it` is now the first word beginning at or after e (the next word).
      if (!best) best = it != groups.end() ? &*it : &groups.back();
    }
    best->pieces.push_back(p);
  }
  return groups;
}

std::vector<WordGroup> group_pieces_by_word(std::string_view text, const std::vector<Token>& pieces,
                                            const Tokenizer& word_tokenizer) {
  for (std::size_t p = 0; p < pieces.size(); ++p) {
    if (pieces[p].end > text.size()) {
      throw InvalidArgument(
          fmt::format("group_pieces_by_word: piece {} '{}' ends at byte {}, past the text's {} bytes", p,
                      pieces[p].text, pieces[p].end, text.size()));
    }
  }
  return group_pieces_by_word(pieces, word_tokenizer.tokenize(text));
}

const Tokenizer& default_word_tokenizer() {
  static const IcuWordTokenizer tokenizer(TokenizerOptions{false, true});
  return tokenizer;
}

}  // namespace textlrp::nlp
