// embeddings/memory_vectors.h — word vectors held in memory instead of a word-vector file: the
// Python package's `embeddings=(words, array)` of textlrp.train and textlrp.docvec, and the C++
// API's TrainOptions::word_vectors and DocvecOptions::word_vectors. Standard types only, so that
// the public API (api/include/textlrp/) can carry it as it is. emb::memory_table()
// (embeddings/embedding_table.h) turns it into the EmbeddingTable a file would have given.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace textlrp::emb {

// Row i of the row-major [words.size() x dim] values is the vector of words[i]. The values are
// either owned (`values`) or the caller's (`view`, not copied: they must stay alive and unchanged
// while this is in use; the Python package points it at the NumPy array's buffer). Used exactly as
// the rows of a file would be (matched to the vocabulary, case folding included). memory_table()
// throws InvalidArgument for dim < 1, both `values` and `view` given, a size other than
// words.size() x dim, an empty, repeated or invalid UTF-8 word, and a value that is not finite.
struct WordVectors {
  std::vector<std::string> words;
  std::vector<float> values;
  std::ptrdiff_t dim = 0;
  std::string name = "<memory>";  // what logs, errors and config.json call it
  std::span<const float> view;    // instead of `values` (view.data() != nullptr: given)

  // The values, owned or viewed.
  std::span<const float> data() const { return view.data() ? view : std::span<const float>(values); }
};

}  // namespace textlrp::emb
