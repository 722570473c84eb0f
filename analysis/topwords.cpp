#include "analysis/topwords.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace textlrp::analysis {

DocumentWords aggregate_document(std::span<const std::string> words, std::span<const double> relevance) {
  TEXTLRP_ASSERT(words.size() == relevance.size());
  DocumentWords out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (!std::isfinite(relevance[i])) continue;
    WordStats& s = out[words[i]];
    s.sum += relevance[i];
    s.occurrences += 1;
    s.documents = 1;
  }
  return out;
}

TopWords::TopWords(std::size_t n_classes) : classes_(n_classes), n_docs_(n_classes, 0) {}

void TopWords::add_document(std::size_t cls, const DocumentWords& words) {
  if (cls >= classes_.size()) {
    throw InvalidArgument(
        fmt::format("topwords: class {} is out of range ({} classes)", cls, classes_.size()));
  }
  ++n_docs_[cls];
  auto& map = classes_[cls];
  for (const auto& [word, s] : words) {
    WordStats& t = map[word];
    t.sum += s.sum;
    t.occurrences += s.occurrences;
    t.documents += 1;
  }
}

std::vector<TopWords::Entry> TopWords::select(std::size_t cls, std::size_t n, Key key,
                                              std::size_t min_documents, bool largest) const {
  std::vector<Entry> all;
  for (const auto& [word, s] : classes_.at(cls)) {
    if (s.documents >= min_documents) all.push_back({word, s});
  }
  auto value = [key](const Entry& e) { return key == Key::kSum ? e.stats.sum : e.stats.mean(); };
  auto better = [&](const Entry& a, const Entry& b) {
    const double va = value(a);
    const double vb = value(b);
    if (va != vb) return largest ? va > vb : va < vb;
    return a.word < b.word;
  };
  const std::size_t k = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(), better);
  all.resize(k);
  return all;
}

std::vector<TopWords::Entry> TopWords::top(std::size_t cls, std::size_t n, Key key,
                                           std::size_t min_documents) const {
  return select(cls, n, key, min_documents, true);
}

std::vector<TopWords::Entry> TopWords::bottom(std::size_t cls, std::size_t n, Key key,
                                              std::size_t min_documents) const {
  return select(cls, n, key, min_documents, false);
}

TopWords::Key parse_topwords_key(std::string_view name) {
  if (name == "sum") return TopWords::Key::kSum;
  if (name == "mean") return TopWords::Key::kMean;
  throw InvalidArgument(fmt::format("unknown ranking '{}'; valid: sum, mean", name));
}

}  // namespace textlrp::analysis
