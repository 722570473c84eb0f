// explain/import.h — a model trained elsewhere (a PyTorch CNN or BiLSTM state dict, a Hugging
// Face BERT) turned into textlrp's tokenizer + vocabulary + classifier, with the checks of
// `textlrp import`. Users: `textlrp import pytorch|huggingface` (apps/cmd_import.cpp), which saves
// the result as a model directory, and the public API's Model::from_memory (api/src/api.cpp),
// which keeps it in memory (the Python package's textlrp.from_torch): the same tensors give the
// same model either way.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "explain/model.h"
#include "lrp/models/bert_classifier.h"
#include "lrp/models/classifier.h"
#include "lrp/models/cnn_classifier.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"
#include "nlp/wordpiece_tokenizer.h"

namespace textlrp::explain {

// `textlrp import pytorch` options.
struct PytorchImport {
  std::string arch = "cnn";         // cnn | bilstm
  std::vector<std::string> labels;  // empty = "0".."C-1"
  bool lowercase = true;
  bool keep_punctuation = false;
  Index max_tokens = lrp::kDefaultMaxTokens;
};

// Tokenizer, vocabulary and classifier of an imported model, and the config entries the import
// adds ("corpus_labels" when the labels need them, "hyper"."max_tokens").
struct ImportedModel {
  std::unique_ptr<nlp::Tokenizer> tokenizer;
  nlp::Vocabulary vocab;
  std::unique_ptr<lrp::Classifier> classifier;
  nlohmann::json config = nlohmann::json::object();
  bool subword = false;
  std::vector<std::string> warnings;  // for the log (vocabulary tokens that case folding changes)
  std::string summary;                // for the log: "cnn: 1000 tokens x 50 dims, ..."
};

// A PyTorch CNN or BiLSTM state dict (tensor names and layouts: lrp/models/cnn_classifier.h,
// bilstm_classifier.h; `textlrp import pytorch --help`). `vocab_name` names the vocabulary in
// errors. Throws InvalidArgument for an unknown arch, FormatError naming the store / vocabulary for
// tensors of the wrong shape, a vocabulary whose size is not the embedding's, fewer than 2 classes.
ImportedModel import_pytorch(const TensorStore& store, nlp::Vocabulary vocab, const std::string& vocab_name,
                             const PytorchImport& options);

// The tokenizer settings of a Hugging Face tokenizer_config.json (`tc`, named `tc_name` in errors;
// null when there is none): do_lower_case, tokenize_chinese_chars, strip_accents (null only) and
// model_max_length, which lowers `max_length` (start: the model's position table). Throws FormatError.
nlp::WordPieceOptions huggingface_tokenizer_options(const nlohmann::json& tc, const std::string& tc_name,
                                                    Index& max_length);

// A Hugging Face BERT / DistilBERT with its WordPiece tokenizer and vocabulary (both of vocab.txt,
// named `vocab_name`; `weights_name` names the tensors): checks that the vocabulary has the
// embedding's size and that there are at least 2 classes (FormatError).
ImportedModel import_huggingface(std::shared_ptr<const lrp::BertClassifier> model,
                                 nlp::WordPieceTokenizer wordpiece, nlp::Vocabulary vocab, Index max_length,
                                 const std::string& vocab_name, const std::string& weights_name);

// The same from memory: config.json (`hf_config`, named `config_name`), the tensors, the
// tokenizer_config.json object (or null) and the vocab.txt lines.
ImportedModel import_huggingface(const TensorStore& store, const nlohmann::json& hf_config,
                                 const std::string& config_name, const nlohmann::json& tokenizer_config,
                                 const std::string& tokenizer_config_name,
                                 std::vector<std::string> vocab_lines, const std::string& vocab_name);

// Up to three texts of up to eight vocabulary tokens each, spread over the vocabulary: the
// self-tests `import` stores in the directory, so a later load verifies the conversion.
std::vector<std::string> self_test_texts(const nlp::Vocabulary& vocab);

// The imported model as a loaded Model (no directory: dir is empty, name is `name`), with the
// config a saved and reloaded directory would have for it ("tokenizer", "hyper", "labels", ...).
Model in_memory_model(ImportedModel imported, std::string name);

}  // namespace textlrp::explain
