// textlrp/train.h — training a model directory from C++ (what `textlrp train` does). Part of the
// public API; installed only by a build with training (TEXTLRP_WITH_TRAINING, the default), whose
// package then has textlrp::train (liblinear, libfasttext and SentencePiece's trainer behind it).
//
//   #include <textlrp/textlrp.h>
//   #include <textlrp/train.h>
//   textlrp::TrainOptions o;            // the flags of `textlrp train`: arch, C, epochs, ...
//   o.arch = "svm";
//   textlrp::train_model({{"free entry now", "spam"}, {"see you at six", "ham"}, ...}, "models/sms", o);
//   const textlrp::Model model = textlrp::Model::open("models/sms");
//
// The options and progress events are train/options.h's (standard types only): TrainOptions,
// TrainEvents (log lines, per-batch and per-epoch progress of the CNN/BiLSTM), WordVectors (the
// CNN/BiLSTM's initial word vectors from memory: o.word_vectors = std::make_shared<WordVectors>(...)).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "train/options.h"

namespace textlrp {

using train::BatchProgress;
using train::EpochResult;
using train::TrainEvents;
using train::TrainOptions;
// TrainOptions::word_vectors: initial word vectors from memory instead of a file (emb::WordVectors,
// also textlrp/analysis.h's DocvecOptions::word_vectors).
using WordVectors = train::WordVectors;

// One labelled training document.
struct TrainDocument {
  std::string text;
  std::string label;  // empty = none: a FormatError ("document '3' has no label ...")
  // Pre-tokenized (e.g. SST): these tokens instead of tokenizing `text` (a word model only).
  std::optional<std::vector<std::string>> tokens;
  std::string id;  // for error messages; empty = "<position>"
};

// A corpus on disk, read as `textlrp train --corpus SPEC` reads it.
struct TrainCorpus {
  std::string corpus;              // FORMAT:PATH, e.g. "folder:20news/train", "csv:sms.csv", "sst:train.txt"
  std::string dev_corpus;          // --dev-corpus SPEC (same options); empty = --dev-fraction of `corpus`
  std::vector<std::string> strip;  // --strip: headers, footers, quotes (folder corpora)
  std::string encoding = "utf-8";  // --encoding: utf-8, latin-1 or replace
  std::size_t max_docs = 0;        // --max-docs: at most this many, spread evenly (0 = all)
};

// What was trained and written.
struct TrainSummary {
  std::filesystem::path dir;
  std::string architecture;         // "bow_svm", "cnn", "bilstm"
  std::vector<std::string> labels;  // the model's labels, in score order
  std::size_t vocabulary_size = 0;
  std::optional<double> dev_accuracy;  // without a dev split (svm, dev_fraction 0): none
  std::string training_json;           // config.json "training" (n_documents, n_train, n_dev, ...)
};

// Trains on `documents` (with `dev_documents` as the dev set when not empty, else
// options.dev_fraction of `documents`) and writes the model directory `dir` atomically (an
// existing `dir` is replaced only once every file is written). Throws InvalidArgument for bad
// options (naming the `textlrp train` flag), FormatError for documents without a label or fewer
// than two labels, IoError when `dir` cannot be written.
TrainSummary train_model(const std::vector<TrainDocument>& documents, const std::filesystem::path& dir,
                         const TrainOptions& options = {}, const TrainEvents& events = {},
                         const std::vector<TrainDocument>& dev_documents = {});

// The same over a corpus on disk (IoError / FormatError naming the file for what cannot be read);
// the model directory is byte for byte the one `textlrp train --corpus ... --threads 1` writes with
// the same options.
TrainSummary train_model_from_corpus(const TrainCorpus& corpus, const std::filesystem::path& dir,
                                     const TrainOptions& options = {}, const TrainEvents& events = {});

}  // namespace textlrp
