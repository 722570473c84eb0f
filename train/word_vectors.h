// train/word_vectors.h — training word vectors with libfasttext (Debian libfasttext-dev).
//
// Users: `textlrp embeddings train`, and the demo (vectors for the CNN). The input is a text file
// with one document per line and tokens separated by single spaces (already tokenized and
// normalised by the caller, so the vectors share the classifier's tokenization). The output is a
// word2vec/fastText `.vec` text file ("n dim" header, then "word f1 .. fdim"), written atomically.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace textlrp::train {

struct TrainVectorsOptions {
  int dim = 100;
  int epoch = 5;
  int min_count = 5;
  int window = 5;
  int threads = 2;
  int negatives = 5;
  double learning_rate = 0.05;
  std::string model = "skipgram";  // or "cbow"
  int min_subword = 3;             // character n-grams (fastText); 0 and 0 = plain word2vec
  int max_subword = 6;
  int seed = 0;
  // Called from training threads with progress in [0,1], the current loss and the ETA in seconds.
  std::function<void(double progress, double loss, std::int64_t eta_seconds)> progress;
};

// Trains vectors on `tokenized_text` and writes `out_vec`. Throws InvalidArgument for bad options
// (dim/epoch/threads < 1, unknown model), Error when fastText fails (e.g. an empty vocabulary after
// min_count), IoError when the output cannot be written. Returns the number of words written.
std::size_t train_vectors(const std::filesystem::path& tokenized_text, const std::filesystem::path& out_vec,
                          const TrainVectorsOptions& options);

}  // namespace textlrp::train
