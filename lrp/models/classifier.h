// lrp/models/classifier.h — the one interface every classifier (BoW/SVM, CNN, BiLSTM) offers.
//
// A classifier is immutable after loading: scores() and explain() are const and thread-safe, so one
// model serves every thread (scratch lives on the caller's stack). It sees token ids only, never
// text: apps/common/pipeline turns text into ids and relevance back into spans.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "lrp/rules.h"

namespace textlrp::lrp {

class Differentiable;  // lrp/models/differentiable.h

enum class Method { kLrp, kSensitivity, kGradientInput, kIntegratedGradients, kOcclusion, kRandom };

// How LRP treats a multiplicative gate z = gate · signal in an LSTM (Arras et al. 2017, 2019):
// signal-take-all gives all of z's relevance to the signal and none to the gate; half splits it
// evenly; proportional splits it in proportion to the two factors' contributions.
enum class GateRule { kSignalTakeAll, kHalf, kProportional };
std::string_view gate_rule_name(GateRule g);
// Parses "signal-take-all", "half", "proportional"; InvalidArgument lists them otherwise.
GateRule parse_gate_rule(std::string_view name);
// The arithmetic of the BiLSTM's LRP explanation: float64 (the default; within 1e-13 of the
// reference NumPy code) or float32 (about twice as fast; within 1e-5 of it, see bilstm_classifier.h).
enum class Precision { kFloat64, kFloat32 };
std::string_view precision_name(Precision p);
// Parses "float64", "float32"; InvalidArgument lists them otherwise.
Precision parse_precision(std::string_view name);
std::string_view method_name(Method m);
// Parses "lrp", "sa", "gi", "ig", "occlusion", "random"; InvalidArgument lists them otherwise.
Method parse_method(std::string_view name);

struct ExplainOptions {
  int target = -1;  // class index; -1 = the predicted class
  Method method = Method::kLrp;
  RuleMap rules;           // role -> rule; empty = the model's default_rules()
  int ig_steps = 32;       // integrated gradients
  std::uint64_t seed = 0;  // random baseline
  // Recurrent models only (the BiLSTM). A model that has no use for them throws InvalidArgument
  // when they are set, so that a user never believes an option took effect when it did not.
  std::optional<GateRule> gate_rule;   // default: signal-take-all
  std::optional<double> bias_factor;   // default 0: biases and the stabiliser keep their share
  std::optional<Precision> precision;  // default float64; float32 applies to method lrp only
  // Transformers only (lrp/models/bert_classifier.h): "attnlrp" (default when empty) or "cp-lrp".
  std::string transformer_rule;
};

// The random baseline (--method random) of every model, bit for bit the same: relevance uniform in
// [-1, 1) for each token, from a splitmix64 stream (portable; std:: distributions differ between
// libraries) seeded with `seed` and an FNV-1a hash of the ids, so each document differs.
std::vector<double> random_relevance(std::span<const TokenId> ids, std::uint64_t seed);

// Occlusion (--method occlusion) for the sequence models: out[t] = drop(the ids without token t), for
// each token t of `ids`; `drop` returns the score drop (score − target score of the shorter input).
std::vector<double> occlusion_relevance(std::span<const TokenId> ids,
                                        const std::function<double(std::span<const TokenId>)>& drop);

struct Explanation {
  Vec scores;                     // [n_classes] the model's decision values
  int target = -1;                // the explained class
  std::vector<double> relevance;  // [n_tokens] one value per input token (0 for <unk>/padding)
  double bias_relevance = 0;      // relevance assigned to biases / the stabiliser (not to tokens)
  std::string rule;               // the rule(s) actually used, as text
  bool truncated = false;         // the model read only the first max_tokens tokens (the rest get 0)
  // Relevance of tokens the model adds itself (a transformer's [CLS] and [SEP]), in input order.
  std::vector<std::pair<std::string, double>> special;
};

// What deleting a token means to a model (the word-deletion experiment, analysis/deletion.h). The
// experiment replaces a deleted token's id by -1, which every model reads as "no token here".
struct TokenDeletion {
  // How the deletion JSON and the log describe it, e.g. "zero embedding: ...".
  std::string meaning = "the token's id becomes -1 (outside the vocabulary)";
  // An id the model ignores anyway (the BoW/SVM's <unk>): deleting such a token changes nothing, so
  // it is no deletion candidate. -1 = none.
  TokenId ignored_id = -1;
  // Only the first max_tokens() positions are candidates (the CNN; false = every position).
  bool within_max_tokens = false;
  // Deletion removes whole words and shortens the sequence (a transformer): a word's pieces (a piece
  // and its "##" pieces) leave it and the pieces after it move up; the analyses then rank, delete and
  // count words, not pieces, and occlusion drops the piece rather than setting its id to -1.
  bool words = false;
};

// A document scored again after each token deletion, faster than rescoring every id (the CNN
// recomputes only the convolution windows a deletion touches: lrp/models/cnn_deletion_scorer.h).
class DeletionScorer {
 public:
  virtual ~DeletionScorer() = default;
  virtual Vec scores() = 0;                       // [C] for the document in its current state
  virtual void remove(std::size_t position) = 0;  // deletes one more position
  virtual std::size_t size() const = 0;           // positions of the document
};

class Classifier {
 public:
  virtual ~Classifier() = default;
  // "bow_svm" | "cnn" | "bilstm" | "bert": a name for config.json and for people. Callers never
  // branch on it: they ask the capability queries below.
  virtual std::string_view architecture() const = 0;
  virtual const std::vector<std::string>& labels() const = 0;
  virtual Index n_vocab() const = 0;
  // The model's layer roles with their default rules (the --rule grammar works on these).
  virtual RuleMap default_rules() const = 0;
  // Sets `options` for the user's --rule text (empty = the model's defaults): by default the
  // default_rules() with `rule` applied (RuleMap::apply; InvalidArgument for a bad rule). A model whose
  // rules are not a role map (the transformer: attnlrp | cp-lrp) overrides this.
  virtual void set_rule(ExplainOptions& options, std::string_view rule) const {
    options.rules = default_rules();
    options.rules.apply(rule);
  }
  // Decision values for a token-id sequence. Ids outside [0, n_vocab) are ignored (treated as
  // unknown). It is not an error for `ids` to be empty.
  virtual Vec scores(std::span<const TokenId> ids) const = 0;
  // Explains the score of options.target (or the predicted class). Throws InvalidArgument for a
  // method the architecture does not support or a target out of range.
  virtual Explanation explain(std::span<const TokenId> ids, const ExplainOptions& options) const = 0;
  // Several explanations of ONE document: out[i] is explain(ids, options[i]) bit for bit, and
  // *scores (when `scores` is not nullptr) is scores(ids) bit for bit. This is how a caller that
  // needs the scores and several methods of one document (the word-deletion run) lets the model
  // share work between them; the model keeps nothing between calls. The default calls scores()
  // and then explain() for each option in turn. The BiLSTM overrides it: one float64 forward pass
  // serves the scores and every float64 method, and one gradient per target serves sa and gi
  // (bilstm_classifier.h). Throws what explain() throws for the first option that fails.
  virtual std::vector<Explanation> explain_methods(std::span<const TokenId> ids,
                                                   std::span<const ExplainOptions> options,
                                                   Vec* scores = nullptr) const;
  // The embedding-level interface the baselines sa, gi, ig and occlusion are written against
  // (lrp/models/baselines.h); nullptr for a model without token embeddings (the BoW/SVM).
  virtual const Differentiable* differentiable() const { return nullptr; }
  // Writes model.safetensors into `dir` and returns the architecture's "hyper" config section.
  virtual nlohmann::json save(const std::filesystem::path& dir) const = 0;

  // ---- Capability queries: what callers ask instead of "which class are you" ----
  // (The rule roles are the keys of default_rules(); the rule grammar is set_rule().)
  // Whether explain() implements `method` (it throws InvalidArgument for the others). Default: all.
  virtual bool supports(Method method) const {
    (void)method;
    return true;
  }
  // The most tokens the model reads; later tokens get relevance 0 (Explanation::truncated).
  // 0 = no limit of its own.
  virtual Index max_tokens() const { return 0; }
  // The model's own word-embedding matrix [n_vocab x E] (for document vectors), or nullopt when it
  // has none to offer (the BoW/SVM).
  virtual std::optional<Mat> embedding_matrix() const { return std::nullopt; }
  // The model's own TF-IDF feature values of a document, (id, value) per distinct id it reads, or
  // nullopt when it has no TF-IDF weighting of its own (all but the BoW/SVM).
  virtual std::optional<std::vector<std::pair<TokenId, float>>> tfidf_features(
      std::span<const TokenId> ids) const {
    (void)ids;
    return std::nullopt;
  }
  // What deleting a token means to this model.
  virtual TokenDeletion token_deletion() const { return {}; }
  // A fast rescoring of `ids` under deletion, or nullptr when the model has none (the caller then
  // rescores the id sequence, deleted ids set to -1, with scores()). The model must outlive it.
  virtual std::unique_ptr<DeletionScorer> deletion_scorer(std::span<const TokenId> ids) const {
    (void)ids;
    return nullptr;
  }
};

// Index of the largest score (the first on ties); -1 for an empty vector.
int argmax(const Vec& scores);

// Loads the classifier part of a model directory: the "architecture", "labels" and "hyper"
// entries of `config` and `dir`/model.safetensors. Throws FormatError naming the file.
std::unique_ptr<Classifier> load_classifier(const std::filesystem::path& dir, const nlohmann::json& config);

}  // namespace textlrp::lrp
