// api/src/train.cpp — textlrp/train.h: train::train_model (train/train_model.h) and the model
// directory writer (explain::save_model, explain/model.h), as `textlrp train` uses them.
#include "textlrp/train.h"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "explain/model.h"
#include "train/train_model.h"
#include "train/training_input.h"

namespace textlrp {
namespace {

std::vector<corpora::Example> to_examples(const std::vector<TrainDocument>& documents) {
  std::vector<corpora::Example> out;
  out.reserve(documents.size());
  for (std::size_t i = 0; i < documents.size(); ++i) {
    const TrainDocument& d = documents[i];
    corpora::Example ex;
    ex.id = d.id.empty() ? std::to_string(i + 1) : d.id;
    ex.text = d.text;
    if (!d.label.empty()) ex.label = d.label;  // empty: no label (a FormatError of train_model)
    ex.tokens = d.tokens;
    out.push_back(std::move(ex));
  }
  return out;
}

TrainSummary train_and_save(std::vector<corpora::Example> documents,
                            std::vector<corpora::Example> dev_documents, const std::filesystem::path& dir,
                            const TrainOptions& options, const TrainEvents& events) {
  const train::TrainedModel model =
      train::train_model(std::move(documents), std::move(dev_documents), options, events);
  explain::save_model(dir, model.config, *model.tokenizer, model.vocab, *model.classifier,
                      model.self_test_texts);
  TrainSummary s;
  s.dir = dir;
  s.architecture = std::string(model.classifier->architecture());
  s.labels = model.classifier->labels();
  s.vocabulary_size = model.vocab.size();
  const nlohmann::json& training = model.config.at("training");
  if (training.contains("dev_accuracy")) s.dev_accuracy = training.at("dev_accuracy").get<double>();
  s.training_json = training.dump();
  return s;
}

}  // namespace

TrainSummary train_model(const std::vector<TrainDocument>& documents, const std::filesystem::path& dir,
                         const TrainOptions& options, const TrainEvents& events,
                         const std::vector<TrainDocument>& dev_documents) {
  return train_and_save(to_examples(documents), to_examples(dev_documents), dir, options, events);
}

TrainSummary train_model_from_corpus(const TrainCorpus& corpus, const std::filesystem::path& dir,
                                     const TrainOptions& options, const TrainEvents& events) {
  train::check_options(options, !corpus.dev_corpus.empty());
  corpora::InputOptions input;
  input.corpus = corpus.corpus;
  input.strip = corpus.strip;
  input.encoding = corpus.encoding;
  const std::function<void(std::string_view)> log = [&](std::string_view m) {
    if (events.log) events.log(m);
  };
  train::TrainingDocuments docs =
      train::read_training_documents(input, corpus.dev_corpus, options.sst_phrases, corpus.max_docs, log);
  TrainOptions o = options;
  o.corpus = corpus.corpus;
  o.dev_corpus = corpus.dev_corpus;
  o.strip = corpus.strip;
  return train_and_save(std::move(docs.documents), std::move(docs.dev_documents), dir, o, events);
}

}  // namespace textlrp
