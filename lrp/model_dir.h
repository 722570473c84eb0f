// lrp/model_dir.h — a model directory: text encoder (tokenizer + vocabulary) + classifier +
// self-tests, read and written as one versioned unit.
//
// Layout (format_version 1):
//   DIR/config.json        {"format":"textlrp-model","format_version":1,"architecture":"bow_svm",
//                           "labels":[...],"tokenizer":{"kind":"icu-word","lowercase":true,
//                           "keep_punctuation":false,"vocab":"vocab.txt"},"hyper":{...},
//                           "training":{...},"tests":[{"text":"...","scores":[...]}]}
//   DIR/model.safetensors  float32 tensors (names per architecture, PyTorch layout)
//   DIR/vocab.txt          one token a line, line number = id (line 1 = <unk>)
// A model that reads subwords (trained with --tokenizer spm:FILE) has instead of vocab.txt
//   DIR/tokenizer.model    the SentencePiece model, config "tokenizer": {"kind":"spm",
//                          "model":"tokenizer.model"}
// and its vocabulary is the SentencePiece piece table: ids are SentencePiece's piece ids (T5's
// <unk> is id 2, not 0), so the model file is the one source of the id mapping.
// Self-tests (text -> scores, tolerance 1e-4·max(1,|s|)) run at load unless verify is false, so
// a model that was damaged or converted wrongly is caught before it explains anything.
//
// This is the one file of lrp/ that sees text (through nlp::TextEncoder): the classifiers
// themselves read token ids only. Users: the public API (api/, textlrp::Model::open) and the CLI.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lrp/models/classifier.h"
#include "nlp/text_encoder.h"

namespace textlrp::lrp {

inline constexpr int kFormatVersion = 1;

struct ModelDir {
  std::filesystem::path dir;
  std::string name;  // display name: the directory's file name
  nlohmann::json config;
  // Tokenizer + vocabulary (for a subword model: the piece table, ids = SentencePiece ids).
  nlp::TextEncoder encoder;
  std::unique_ptr<Classifier> classifier;
  // Preprocessing the model was trained with, applied to every corpus read with it (see
  // input_for_models in explain/pipeline.h): the folder-corpus --strip parts ("headers",
  // "footers", "quotes"), from config "training": {"strip": [...]}.
  std::vector<std::string> strip;
  // The corpus label of each class when `train --labels` named integer labels (config
  // "corpus_labels", parallel to "labels": "0" -> "very negative"); empty otherwise.
  std::vector<std::string> corpus_labels;

  const std::vector<std::string>& labels() const { return classifier->labels(); }
  // Label name -> index, or -1.
  int label_index(const std::string& label) const;
  // The tokens are subword pieces (SentencePiece or WordPiece): pre-tokenized input is split again.
  bool subword() const { return encoder.subword(); }
  const nlp::Vocabulary& vocab() const { return encoder.vocabulary(); }
};

// Loads DIR. Throws IoError/FormatError naming the file (config.json, model.safetensors, vocab.txt):
// missing files, a wrong "format", a format_version newer than kFormatVersion or < 1, an unknown
// architecture, tensors of the wrong shape, a failed self-test, a "training.strip" that is not an
// array of headers/footers/quotes, "corpus_labels" that do not pair with "labels".
ModelDir load_model_dir(const std::filesystem::path& dir, bool verify = true);

// Writes a complete model directory atomically: everything goes into a temporary sibling folder
// that replaces DIR only when all files are written, so a failure leaves an existing DIR intact.
// `config` may hold "training", "corpus_labels" and other keys of the caller's; "format",
// "format_version", "architecture", "labels", "tokenizer" and "hyper" are written from `encoder`
// and `classifier`, and "tests" are computed from `self_test_texts`. A SentencePiece encoder
// writes its model file (tokenizer.model) and no vocab.txt.
void save_model_dir(const std::filesystem::path& dir, nlohmann::json config, const nlp::TextEncoder& encoder,
                    const Classifier& classifier, const std::vector<std::string>& self_test_texts);

}  // namespace textlrp::lrp
