// train/training_input.cpp — reading the documents `textlrp train` trains on.
#include "train/training_input.h"

#include <fmt/format.h>

#include "core/error.h"

namespace textlrp::train {

TrainingDocuments read_training_documents(const corpora::InputOptions& input, const std::string& dev_corpus,
                                          bool sst_phrases, std::size_t max_docs,
                                          const std::function<void(std::string_view)>& warn) {
  if (sst_phrases && dev_corpus.empty()) {
    throw InvalidArgument(
        "--sst-phrases needs --dev-corpus (a random split would put phrases of dev sentences into training)");
  }
  if (sst_phrases && input.corpus.empty())
    throw InvalidArgument("--sst-phrases needs --corpus sst:PATH or sst-binary:PATH");
  std::unique_ptr<corpora::CorpusReader> reader;
  if (sst_phrases) {
    corpora::CorpusOptions co = input.corpus_options(warn);
    co.sst_phrases = true;
    reader = corpora::open_corpus(input.corpus, co);
    if (reader->format() != "sst" && reader->format() != "sst-binary") {
      throw InvalidArgument(fmt::format("--sst-phrases: {} is a {} corpus, not sst or sst-binary",
                                        input.corpus, reader->format()));
    }
  } else {
    reader = input.open(warn);
  }
  TrainingDocuments out;
  std::vector<corpora::Example>& docs = out.documents;
  corpora::Example ex;
  while (reader->next(ex)) {
    if (!ex.label)
      throw FormatError(fmt::format("document '{}' has no label; training needs a labelled corpus", ex.id));
    docs.push_back(std::move(ex));
    ex = corpora::Example();
  }
  if (docs.empty()) throw FormatError("the corpus holds no documents");
  if (max_docs > 0 && docs.size() > max_docs) {  // spread evenly, as the analyses' --max-docs
    std::vector<corpora::Example> kept;
    kept.reserve(max_docs);
    for (std::size_t i = 0; i < max_docs; ++i) kept.push_back(std::move(docs[i * docs.size() / max_docs]));
    warn(fmt::format("using {} of {} documents, spread evenly over the corpus", max_docs, docs.size()));
    docs = std::move(kept);
  }
  if (!dev_corpus.empty()) {
    corpora::InputOptions dev_input = input;  // the same preprocessing (--strip) as the training corpus
    dev_input.corpus = dev_corpus;
    dev_input.input.clear();
    dev_input.shard.clear();
    auto dev_reader = dev_input.open(warn);
    while (dev_reader->next(ex)) {
      if (!ex.label) throw FormatError(fmt::format("dev document '{}' has no label", ex.id));
      out.dev_documents.push_back(std::move(ex));
      ex = corpora::Example();
    }
    if (out.dev_documents.empty())
      throw FormatError(fmt::format("the dev corpus {} holds no documents", dev_corpus));
  }
  return out;
}

}  // namespace textlrp::train
