// embeddings/embedding_table.h — pre-trained word vectors in memory, and how they line up with a
// model's vocabulary.
//
// The readers (word2vec.h, glove.h, and load.h, which picks one) return an EmbeddingTable: the
// words in file order, one row of `vectors` per word. Model code never uses a table directly; it
// asks embedding_matrix() for a [vocab.size() x dim] matrix in vocabulary id order (found words
// copied, the others random), and coverage() says how many vocabulary words the file knew.
//
// LoadOptions and LogFn, shared by every reader, live here too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"
#include "embeddings/memory_vectors.h"

namespace textlrp::nlp {
class Vocabulary;
}

namespace textlrp::emb {

// Receives one human-readable line per call (detections, warnings); may be empty (no logging).
// The library never writes to stderr itself.
using LogFn = std::function<void(std::string_view)>;

// Options shared by every reader (read_word2vec_binary, read_word2vec_text, read_glove_text and
// load_embeddings).
struct LoadOptions {
  // Read at most this many rows, in file order (0 = all). Rows after it are neither read nor
  // checked, and a header claiming more words than that is then not an error.
  std::size_t max_words = 0;

  // When set, keep only the rows whose word is in this vocabulary, exactly or after case folding
  // (nlp::case_fold of the word is in it): saves memory on huge files. Every row is still checked
  // (length, numbers, UTF-8), but duplicates are only detected among the kept words. The
  // vocabulary must outlive the call.
  const nlp::Vocabulary* only = nullptr;

  // A header ("<n_words> <dim>") that claims more words than the file holds is a FormatError
  // ("header claims 2519370 words, file holds 99"). Real files are sometimes cut this way (the
  // fastText wiki.en sample in ../shared/data/vectors is one); with this flag the rows present
  // are kept and a warning goes to the log instead. A binary file that ends inside a row is an
  // error either way.
  bool allow_short_header = false;

  // A word that appears twice is a FormatError naming both lines (byte offsets). With this flag
  // the first row is kept, later ones are skipped, and one summary warning goes to the log.
  bool allow_duplicates = false;

  // What to do with a word that is not valid UTF-8. Real files have them: the fastText vectors of
  // gensim's Pang & Lee test data hold five cp1252/Latin-1 words ("clich\xE9s"). kLatin1 (the
  // default) decodes such a word as Latin-1 and keeps its row, kSkip drops the row, each with one
  // summary warning in the log (the count and the first word with its line or byte offset); kError
  // throws a FormatError naming the line or byte offset. A word that is still not acceptable
  // after decoding (empty, a control byte) is an error in every mode.
  enum class InvalidUtf8 { kError, kLatin1, kSkip };
  InvalidUtf8 invalid_utf8 = InvalidUtf8::kLatin1;
};

// Transparent hash so lookups by std::string_view do not build a std::string.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using WordIndex = std::unordered_map<std::string, Index, StringHash, std::equal_to<>>;

// Word vectors as read from a file: words[i] has the vector vectors.row(i).
// Invariants (kept by the readers and the constructor): words.size() == vectors.rows(), words are
// unique, non-empty, valid UTF-8, and index maps each word to its row. A table may have 0 rows
// (then dim() is still the dimension the file declared).
struct EmbeddingTable {
  std::vector<std::string> words;
  Mat vectors;  // [n_words x dim]
  WordIndex index;

  EmbeddingTable() = default;
  // Builds the index. Throws InvalidArgument if words.size() != vectors.rows(), or a word is empty
  // or duplicated (naming both rows).
  EmbeddingTable(std::vector<std::string> words, Mat vectors);

  // The row of `word` (exact bytes), or std::nullopt.
  std::optional<Index> find(std::string_view word) const {
    const auto it = index.find(word);
    if (it == index.end()) return std::nullopt;
    return it->second;
  }
  Index dim() const { return vectors.cols(); }
  std::size_t size() const { return words.size(); }
};

// How well a table covers a vocabulary. Counted over vocabulary types (ids), not token
// occurrences; "<unk>" (id 0 when vocab.has_unk()) is not counted: it never gets a vector.
struct Coverage {
  std::size_t n_vocab = 0;           // vocabulary tokens counted (all but <unk>)
  std::size_t n_found = 0;           // found with exactly the same bytes
  std::size_t n_found_casefold = 0;  // not found exactly, but case_fold(token) == case_fold(word)
  std::size_t n_missing = 0;         // found neither way: these rows are random
  double oov_rate = 0;               // n_missing / n_vocab (0 when n_vocab == 0)
  // The first missing tokens in id order, which for a Vocabulary::build() vocabulary are the most
  // frequent ones (at most the `n_examples` passed to coverage()).
  std::vector<std::string> most_frequent_missing;
};

// "coverage: 9500 of 10000 vocabulary words found (95.00%), 120 more after case folding;
//  OOV 3.80%; most frequent missing: foo, bar"
std::string to_string(const Coverage& coverage);

// Looks every vocabulary token up in the table: exactly first, then (if `casefold`) by the
// case folding of both sides, the most frequent (first in file) casing winning.
// `n_examples` caps Coverage::most_frequent_missing. Never throws for valid inputs.
Coverage coverage(const EmbeddingTable& table, const nlp::Vocabulary& vocab, std::size_t n_examples = 20,
                  bool casefold = true);

// The initial embedding matrix of a model: [vocab.size() x table.dim()], row i for vocabulary id i.
// A token found in the table (as coverage() finds it, casefold included when `casefold`) gets a
// copy of its vector; every other row, "<unk>" (id 0) included, gets uniform(-init_scale,
// init_scale) values. The random values depend only on (seed, row, column), so they are the same
// on every platform and do not change when the table covers more or fewer words.
// Writes the coverage to *out when given. Throws InvalidArgument if init_scale is negative or not
// finite, or table.dim() < 1.
Mat embedding_matrix(const EmbeddingTable& table, const nlp::Vocabulary& vocab, std::uint64_t seed,
                     float init_scale, Coverage* out = nullptr, bool casefold = true);

// The table of in-memory word vectors (embeddings/memory_vectors.h), the one a word-vector file
// with the same rows gives: with `only`, the rows kept are those LoadOptions::only keeps (the word
// or its case folding in the vocabulary), in order, and only they are copied. Every row is checked
// first, as WordVectors says (InvalidArgument naming `v.name`, the row and the word).
EmbeddingTable memory_table(const WordVectors& v, const nlp::Vocabulary* only = nullptr);

}  // namespace textlrp::emb
