// textlrp/model.h — a trained model directory (config.json, model.safetensors, vocabulary or
// tokenizer model) opened for prediction and explanation. Part of the public API
// (textlrp/textlrp.h).
//
// A Model is immutable once open: every const member may be called from any number of threads at
// once (that is what explain_many does). Copies and moves are cheap and share the loaded model; a
// moved-from Model may only be assigned to or destroyed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "textlrp/explanation.h"

namespace textlrp {

// The model's decision for a text.
struct Prediction {
  std::string label;                                   // the label with the largest score (first on ties)
  int index = -1;                                      // its index in Model::labels()
  std::vector<std::pair<std::string, double>> scores;  // per label, in the model's label order
};

// What to explain and how; the defaults are `textlrp explain`'s.
struct ExplainRequest {
  std::string method = "lrp";  // lrp, sa, gi, ig, occlusion, random
  std::string rule;            // --rule: RULE or ROLE=RULE,...; transformers attnlrp|cp-lrp; empty = default
  std::string target = "predicted";  // "predicted", "true" (needs `label`) or a label name
  // Options of `textlrp explain` by their flag name without "--": "lstm-rule", "bias-factor",
  // "precision" (BiLSTM, method lrp), "steps" (ig), "seed" (random). A key not in this list is an
  // InvalidArgument; an option the model has no use for is an InvalidArgument from explain().
  std::map<std::string, std::string> options;
  std::optional<std::string> label;  // the document's true label (for target "true"; kept in the result)
  std::string id;                    // the document id; empty = "1-<hash>", as `--input` names line 1
};

// Which documents to read, as `textlrp explain` reads them (--input/--corpus, --input-format,
// --shard, --encoding, --strip); the model's own preprocessing and corpus labels apply as there.
struct CorpusRequest {
  std::string input;               // --input FILE ("-" = stdin)
  std::string corpus;              // --corpus SPEC (e.g. "folder:20news/test"); exactly one of the two
  std::string format = "auto";     // --input-format: auto, text, tsv, jsonl, csv
  std::string shard;               // --shard I/N: documents I, I+N, ... (1-based); empty = all
  std::string encoding = "utf-8";  // --encoding: utf-8, latin-1, replace
  std::vector<std::string> strip;  // --strip: headers, footers, quotes, none; empty = the model's
};

// What explain_corpus() did: the number of documents explained, and the warnings `textlrp
// explain` would log (corpus warnings; documents whose explanation carries warnings).
struct CorpusResult {
  std::size_t documents = 0;
  std::vector<std::string> warnings;
};

// The id a document without one gets in every line format: "<line>-<FNV-1a of the text, 8 hex>".
std::string document_id(std::size_t line, std::string_view text);

// A tensor held in memory: float32 values in C (row-major) order and the shape they have.
struct TensorData {
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

class Model {
 public:
  // Opens a model directory. Throws IoError / FormatError naming the file and the reason (missing
  // files, a wrong format or version, tensors of the wrong shape, a failed self-test). With
  // verify = false the stored self-tests are not run.
  static Model open(const std::filesystem::path& dir, bool verify = true);

  // Builds a model from tensors in memory, without files: what `textlrp import pytorch` (CNN,
  // BiLSTM) or `textlrp import huggingface` (BERT) makes of the same tensors, with the same checks
  // (errors name "state_dict", "vocabulary" or "config" and the tensor or key). `config_json` is a
  // JSON object:
  //   "architecture": "cnn" | "bilstm" | "bert" (required), "name": display name (default
  //   "from_memory"); cnn and bilstm: "labels": [...] (default "0".."C-1"), "lowercase" (true),
  //   "keep_punctuation" (false), "max_tokens" (5000); bert: "huggingface": the Hugging Face
  //   config.json object (required), "tokenizer_config": its tokenizer_config.json object.
  // `tensors`: name -> tensor, the PyTorch state dict names and layouts of `textlrp import`;
  // `vocabulary`: line k = token id k (vocab.txt). Throws InvalidArgument for a bad config key or
  // a tensor whose values do not fill its shape, FormatError for what the importer rejects.
  static Model from_memory(const std::string& config_json, std::map<std::string, TensorData> tensors,
                           std::vector<std::string> vocabulary);

  Model(const Model&) = default;
  Model(Model&&) noexcept = default;
  Model& operator=(const Model&) = default;
  Model& operator=(Model&&) noexcept = default;
  ~Model();

  const std::vector<std::string>& labels() const;
  std::string architecture() const;  // "bow_svm", "cnn", "bilstm", "bert", ...
  std::string name() const;          // display name: the directory's name
  const std::filesystem::path& dir() const;
  bool subword() const;  // tokens are subword pieces (explanations then carry words)

  // Scores of every label for `text` (UTF-8; InvalidArgument for invalid UTF-8).
  Prediction predict(std::string_view text) const;
  // predict() of every text on `threads` threads (< 1: every core), results in input order; the
  // first error (lowest index) is thrown.
  std::vector<Prediction> predict_many(std::span<const std::string> texts, int threads = 1) const;

  // Explains `text` (or pre-tokenized `tokens`, taken as they are by a word model and joined by
  // spaces for a subword model). Throws InvalidArgument for a bad request (unknown method, rule,
  // target or option, or one the model does not support) and FormatError for target "true"
  // without a label the model knows.
  Explanation explain(std::string_view text, const ExplainRequest& request = {}) const;
  Explanation explain(const std::vector<std::string>& tokens, const ExplainRequest& request = {}) const;

  // explain() of every text on `threads` threads (< 1: every core), results in input order; the
  // same values as explain() one by one. Ids are "<i+1>-<hash>" (i = position) unless request.id is
  // set; the first error (lowest index) is thrown. Never more threads than texts.
  std::vector<Explanation> explain_many(std::span<const std::string> texts,
                                        const ExplainRequest& request = {}, int threads = 1) const;
  // The same for pre-tokenized documents (each as explain(tokens, request)).
  std::vector<Explanation> explain_many(std::span<const std::vector<std::string>> documents,
                                        const ExplainRequest& request = {}, int threads = 1) const;

  // Explains every document of `corpus` into the JSONL file `output` (written atomically; "-" =
  // stdout): byte for byte what `textlrp explain --model DIR --input FILE [--shard I/N] -o OUTPUT`
  // writes with the same options (ids, order, numbers), on `threads` threads (< 1: every core).
  // request.label and request.id must be empty (each document has its own); errors as explain()
  // and the corpus readers' (FormatError naming file:line, IoError).
  CorpusResult explain_corpus(const CorpusRequest& corpus, const std::filesystem::path& output,
                              const ExplainRequest& request = {}, int threads = 1) const;

  struct Impl;
  // The loaded model behind this handle, for the library's own code (textlrp/analysis.h); Impl is
  // opaque outside it.
  const Impl& impl() const { return *impl_; }

 private:
  explicit Model(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace textlrp
