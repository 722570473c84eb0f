// analysis/topwords.h — the words with the largest relevance per class ("what strategy did the
// model learn?"), as in Arras et al. (2017) and the heatmapping.org tutorial's per-class lists.
//
// Over the documents of each class, every word's relevances for that class are aggregated:
//   sum          Σ over all its occurrences of the relevance
//   occurrences  how many times the word occurs (with a relevance) in the class's documents
//   mean         sum / occurrences
//   documents    in how many of the class's documents it occurs
// and the top N words are listed by sum (default) or by mean (optionally only words that occur in
// at least `min_documents` documents, so that a single lucky occurrence does not top the list).
// Ties are broken by word bytes, so the lists are deterministic. Words are whatever strings the
// caller passes (the apps pass the token as the model's tokenizer normalised it).
// Used by `textlrp topwords` (apps/cmd_topwords.cpp) and the analysis report.
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace textlrp::analysis {

struct WordStats {
  double sum = 0;
  std::size_t occurrences = 0;
  std::size_t documents = 0;
  double mean() const { return occurrences ? sum / static_cast<double>(occurrences) : 0.0; }
};

// One document's words, aggregated (what a worker thread computes for a document).
using DocumentWords = std::map<std::string, WordStats, std::less<>>;  // documents == 1 for every word
// Aggregates the tokens of one document (words[i] has relevance[i]); non-finite relevances are skipped.
DocumentWords aggregate_document(std::span<const std::string> words, std::span<const double> relevance);

class TopWords {
 public:
  enum class Key { kSum, kMean };
  explicit TopWords(std::size_t n_classes = 0);

  std::size_t n_classes() const { return classes_.size(); }
  // Adds one document of class `cls`. Throws InvalidArgument if cls is out of range.
  void add_document(std::size_t cls, const DocumentWords& words);
  void add_document(std::size_t cls, std::span<const std::string> words, std::span<const double> relevance) {
    add_document(cls, aggregate_document(words, relevance));
  }
  std::size_t documents(std::size_t cls) const { return n_docs_.at(cls); }

  struct Entry {
    std::string word;
    WordStats stats;
  };
  // The n words of class `cls` with the largest key (ties: word bytes ascending), among the words
  // seen in at least min_documents documents of the class.
  std::vector<Entry> top(std::size_t cls, std::size_t n, Key key = Key::kSum,
                         std::size_t min_documents = 1) const;
  // The n words with the most negative sum (evidence against the class), same rules.
  std::vector<Entry> bottom(std::size_t cls, std::size_t n, Key key = Key::kSum,
                            std::size_t min_documents = 1) const;

 private:
  std::vector<Entry> select(std::size_t cls, std::size_t n, Key key, std::size_t min_documents,
                            bool largest) const;
  std::vector<std::unordered_map<std::string, WordStats>> classes_;
  std::vector<std::size_t> n_docs_;
};

// "sum" or "mean"; InvalidArgument otherwise.
TopWords::Key parse_topwords_key(std::string_view name);

}  // namespace textlrp::analysis
