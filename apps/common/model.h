// apps/common/model.h — a model directory: tokenizer + vocabulary + classifier + self-tests.
//
// Layout (format_version 1):
//   DIR/config.json        {"format":"textlrp-model","format_version":1,"architecture":"bow_svm",
//                           "labels":[...],"tokenizer":{"kind":"icu-word","lowercase":true,
//                           "keep_punctuation":false,"vocab":"vocab.txt"},"hyper":{...},
//                           "training":{...},"tests":[{"text":"...","scores":[...]}]}
//   DIR/model.safetensors  float32 tensors (names per architecture, PyTorch layout)
//   DIR/vocab.txt          one token a line, line number = id (line 1 = <unk>)
// Self-tests (text -> scores, tolerance 1e-4·max(1,|s|)) run at load unless verify is false, so
// a model that was damaged or converted wrongly is caught before it explains anything.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lrp/models/classifier.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"

namespace textlrp::app {

inline constexpr int kFormatVersion = 1;

struct Model {
  std::filesystem::path dir;
  std::string name;  // display name: the directory's file name
  nlohmann::json config;
  std::unique_ptr<nlp::Tokenizer> tokenizer;
  nlp::Vocabulary vocab;
  std::unique_ptr<lrp::Classifier> classifier;

  const std::vector<std::string>& labels() const { return classifier->labels(); }
  // Label name -> index, or -1.
  int label_index(const std::string& label) const;
};

// Loads DIR. Throws IoError/FormatError naming the file (config.json, model.safetensors, vocab.txt):
// missing files, a wrong "format", a format_version newer than kFormatVersion or < 1, an unknown
// architecture, tensors of the wrong shape, a failed self-test.
Model load_model(const std::filesystem::path& dir, bool verify = true);

// Token ids for a document's tokens (unknown tokens map to <unk>, or -1 when the vocabulary has none).
std::vector<TokenId> to_ids(const Model& model, const std::vector<nlp::Token>& tokens);

// Writes a complete model directory atomically: everything goes into a temporary sibling folder
// that replaces DIR only when all files are written, so a failure leaves an existing DIR intact.
// `config` must hold "architecture", "labels", "tokenizer" (without "vocab"), "hyper" may be
// omitted (the classifier's save() provides it); "tests" are computed from `self_test_texts`.
void save_model(const std::filesystem::path& dir, nlohmann::json config, const nlp::Tokenizer& tokenizer,
                const nlp::Vocabulary& vocab, const lrp::Classifier& classifier,
                const std::vector<std::string>& self_test_texts);

}  // namespace textlrp::app
