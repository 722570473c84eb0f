// apps/common/model.h — a model directory: tokenizer + vocabulary + classifier + self-tests.
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
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
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
  nlp::Vocabulary vocab;  // for a subword model: the piece table (ids = SentencePiece ids)
  std::unique_ptr<lrp::Classifier> classifier;
  bool subword = false;   // the tokenizer is a SentencePiece model (tokens are pieces, not words)
  // Preprocessing the model was trained with, applied to every corpus read with it (see
  // input_for_models in pipeline.h): the folder-corpus --strip parts ("headers", "footers",
  // "quotes"), from config "training": {"strip": [...]}.
  std::vector<std::string> strip;
  // The corpus label of each class when `train --labels` named integer labels (config
  // "corpus_labels", parallel to "labels": "0" -> "very negative"); empty otherwise.
  std::vector<std::string> corpus_labels;

  const std::vector<std::string>& labels() const { return classifier->labels(); }
  // Label name -> index, or -1.
  int label_index(const std::string& label) const;
};

// Loads DIR. Throws IoError/FormatError naming the file (config.json, model.safetensors, vocab.txt):
// missing files, a wrong "format", a format_version newer than kFormatVersion or < 1, an unknown
// architecture, tensors of the wrong shape, a failed self-test, a "training.strip" that is not an
// array of headers/footers/quotes, "corpus_labels" that do not pair with "labels".
Model load_model(const std::filesystem::path& dir, bool verify = true);

// Token ids for a document's tokens (unknown tokens map to <unk>, or -1 when the vocabulary has none).
// For a subword model the tokens are pieces and the ids their piece ids; prefer encode_text(),
// which takes the ids from SentencePiece itself.
std::vector<TokenId> to_ids(const Model& model, const std::vector<nlp::Token>& tokens);

// Tokenizes `text` and maps it to ids: for a SentencePiece tokenizer the piece ids SentencePiece
// gives (equal to the ids of its vocabulary()), otherwise vocab.id() of each token. Fills `tokens`
// when it is not null. Throws what the tokenizer throws (InvalidArgument for invalid UTF-8).
std::vector<TokenId> encode_text(const nlp::Tokenizer& tokenizer, const nlp::Vocabulary& vocab,
                                 std::string_view text, std::vector<nlp::Token>* tokens = nullptr);

// True when `token_id` marks a token the vocabulary does not hold: -1, or the unknown id for a
// token whose text is not the unknown token's own string.
bool is_oov(const nlp::Vocabulary& vocab, TokenId token_id, std::string_view token_text);

// Writes a complete model directory atomically: everything goes into a temporary sibling folder
// that replaces DIR only when all files are written, so a failure leaves an existing DIR intact.
// `config` must hold "architecture", "labels", "tokenizer" (without "vocab"), "hyper" may be
// omitted (the classifier's save() provides it); "tests" are computed from `self_test_texts`.
// With a SentencePieceTokenizer the directory gets its model file (tokenizer.model) and no
// vocab.txt; `vocab` must then be that tokenizer's vocabulary() (InvalidArgument otherwise).
void save_model(const std::filesystem::path& dir, nlohmann::json config, const nlp::Tokenizer& tokenizer,
                const nlp::Vocabulary& vocab, const lrp::Classifier& classifier,
                const std::vector<std::string>& self_test_texts);

}  // namespace textlrp::app
