// train/train_model.h — `textlrp train` as a library call: labelled documents in, a trained model
// (tokenizer, vocabulary, classifier, the config.json "training" record and the self-test texts)
// out, ready for app::save_model (the model directory) — the public API textlrp/train.h does both.
//
// What train_model() does, in order (the CLI's log lines go to TrainEvents::log):
//   1. labels: the corpus labels sorted, or the --labels names of the integer labels 0..N-1;
//   2. the split: the dev documents when given, else a seeded shuffle whose first dev_fraction are dev;
//   3. tokens (on `threads` threads): ICU words (pre-tokenized documents as they are), or the piece
//      ids of a SentencePiece model (--tokenizer spm:FILE);
//   4. the vocabulary of the training split (min_count, max_vocab; a SentencePiece model's pieces);
//   5. svm: liblinear on TF-IDF, dev accuracy, then (refit) again on train + dev with the
//      vocabulary of both; cnn/bilstm: early stopping on the dev split (best epoch kept).
// Deterministic for a seed (and, for the CNN/BiLSTM, one thread); svm: not while another svm
// trains in the same process (liblinear's rand() is process-global).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "corpora/corpus.h"
#include "lrp/models/classifier.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"
#include "train/options.h"

namespace textlrp::train {

struct TrainedModel {
  std::unique_ptr<nlp::Tokenizer> tokenizer;
  nlp::Vocabulary vocab;  // a SentencePiece model's piece table for a subword model
  std::unique_ptr<lrp::Classifier> classifier;
  // {"training": {...}} and, with label_names, "corpus_labels": what app::save_model adds to the
  // architecture, labels, tokenizer and hyper-parameters in config.json.
  nlohmann::json config;
  std::vector<std::string> self_test_texts;  // the model's self-tests (see self_test_texts())
};

// Trains on `documents` (each labelled; FormatError naming the document otherwise), with
// `dev_documents` as the dev set when not empty (else dev_fraction of `documents`). Throws
// InvalidArgument for bad options (check_options(), --labels that do not match the corpus labels,
// word options with a SentencePiece tokenizer), FormatError for fewer than two labels, and what
// the tokenizer, the embeddings reader and the trainers throw.
TrainedModel train_model(std::vector<corpora::Example> documents, std::vector<corpora::Example> dev_documents,
                         const TrainOptions& options, const TrainEvents& events = {});

// Up to three documents spread over `documents`, cut to 2000 bytes (at a UTF-8 boundary): a
// model's self-tests, checked at every load.
std::vector<std::string> self_test_texts(const std::vector<corpora::Example>& documents);

}  // namespace textlrp::train
