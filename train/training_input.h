// train/training_input.h — the labelled documents `textlrp train` (and the public API's
// textlrp::train_model_from_corpus) trains on: the corpus, an optional dev corpus read the
// same way, --max-docs and --sst-phrases. Training itself is train::train_model (train/train_model.h).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "corpora/corpus.h"
#include "corpora/input.h"

namespace textlrp::train {

struct TrainingDocuments {
  std::vector<corpora::Example> documents;      // of the corpus (at most max_docs, spread evenly)
  std::vector<corpora::Example> dev_documents;  // of the dev corpus; empty without one
};

// Reads every document of `input` (and of `dev_corpus`, a FORMAT:PATH spec read with the same
// options, when not empty). With sst_phrases the corpus (an sst: or sst-binary: --corpus) yields
// every labelled phrase of its trees. Throws InvalidArgument for --sst-phrases without --dev-corpus
// or an SST --corpus, FormatError for a document without a label or an empty corpus.
TrainingDocuments read_training_documents(const corpora::InputOptions& input, const std::string& dev_corpus,
                                          bool sst_phrases, std::size_t max_docs,
                                          const std::function<void(std::string_view)>& warn);

}  // namespace textlrp::train
