// lrp/models/bert_classifier.h — BERT-family sequence classifiers (Hugging Face
// BertForSequenceClassification and DistilBertForSequenceClassification) in float32 with Eigen, and
// their explanations as a modified backward pass: AttnLRP (Achtibat et al. 2024), CP-LRP (Ali et
// al. 2022), and the true gradient for gradient × input and sensitivity.
//
// Forward (one unpadded sequence, eval mode; Linear layers in PyTorch layout lin(x) = x Wᵀ + b):
//   e_t = Wword[id_t] + Wpos[t] (+ Wtype[0] for BERT);  h = LN_emb(e)
//   per layer: Q, K, V = lin(h); per head A = softmax(Q Kᵀ / sqrt(d)); C = A V (heads concatenated)
//              a = LN(lin_o(C) + h);  h = LN(lin_2(GELU(lin_1(a))) + a)      (GELU: exact erf)
//   BERT: logits = lin_cls(tanh(lin_pool(h_0)));  DistilBERT: logits = lin_cls(ReLU(lin_pre(h_0)))
//
// Explanations (g_x is the modified gradient reaching x; relevance R_x = x · g_x; the seed is
// d f_c = 1 at the target logit; equations as in ../shared/data/tiny-bert/README.txt):
//   Linear layers, sums, the 1/sqrt(d) scaling: plain gradient (ε-LRP with ε → 0).
//   LayerNorm: the normaliser sqrt(var + eps) is a constant: g_x = (γ g_y − mean(γ g_y)) / s.
//   GELU and tanh: identity rule g_x = g_y · f(x) / (x + 1e-10) (LXT's identity_rule_implicit).
//   ReLU (DistilBERT's head): plain gradient, which is the identity rule exactly.
//   AttnLRP: uniform rule for Q Kᵀ and A V (each operand gets half: the gradient is halved before
//            each product), plain gradient through the softmax.
//   CP-LRP:  Q and K detached (A is a constant); V gets the plain gradient Aᵀ g_C.
//   Gradient: the true gradient everywhere (true LayerNorm, GELU', 1 − tanh², softmax Jacobian).
// Token relevance is the relevance of the word-embedding share of e_t, Σ_k Wword[id_t]_k g_{e_t,k};
// the position/type share, every bias, LayerNorm β and (AttnLRP) the non-conservation of the
// softmax rule make up bias_relevance = f_c − Σ_t R_t.
//
// Immutable after construction; every method is const and thread-safe. The passes work in one
// buffer set per thread, reused from call to call (no allocation once the sizes are set): a thread
// keeps the buffers of its largest explanation (about 4.4 MB per layer for 128 pieces at BERT-base
// size) until it ends.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "core/tensor.h"
#include "lrp/models/classifier.h"
#include "lrp/models/differentiable.h"

namespace textlrp::lrp {

enum class BertArchitecture { kBert, kDistilBert };

struct BertConfig {
  BertArchitecture architecture = BertArchitecture::kBert;
  Index vocab_size = 0;
  Index hidden = 0;
  Index layers = 0;
  Index heads = 0;
  Index intermediate = 0;
  Index max_positions = 0;
  Index type_vocab = 0;  // BERT only (0 for DistilBERT)
  float layer_norm_eps = 1e-12f;
  std::vector<std::string> labels;  // id2label in id order

  // From a Hugging Face config.json (BertForSequenceClassification or
  // DistilBertForSequenceClassification). `file` names the file in errors. Throws FormatError
  // naming the file and the key for a missing or wrong key, an unknown architecture, or an
  // activation other than exact-erf "gelu".
  static BertConfig from_huggingface(const nlohmann::json& config, const std::string& file);
  // The Hugging Face config.json keys of this configuration (from_huggingface() reads it back).
  nlohmann::json to_huggingface() const;
  std::string_view architecture_name() const;  // "BertForSequenceClassification" | ...
};

struct BertLinear {
  Mat w;  // [out x in]
  Vec b;  // [out]
};
struct BertLayerNorm {
  Vec gamma;
  Vec beta;
};
struct BertLayer {
  BertLinear q, k, v, o;
  BertLayerNorm ln_attention;
  BertLinear ff1, ff2;
  BertLayerNorm ln_output;
};
struct BertWeights {
  Mat word;      // [vocab x H]
  Mat position;  // [max_positions x H]
  Mat type;      // [type_vocab x H] (empty for DistilBERT)
  BertLayerNorm ln_embeddings;
  std::vector<BertLayer> layers;
  BertLinear head;        // BERT pooler.dense / DistilBERT pre_classifier, [H x H]
  BertLinear classifier;  // [n_classes x H]
};

enum class BertMethod { kAttnLrp, kCpLrp, kGradientInput, kSensitivity };
// "attnlrp", "cp-lrp", "gi", "sa"
std::string_view bert_method_name(BertMethod m);

struct BertExplanation {
  Vec logits;
  int target = -1;
  std::vector<double> relevance;   // one value per piece ([CLS] and [SEP] included)
  double bias_relevance = 0;       // f_c − Σ_t relevance (0 for sensitivity)
  double position_type_share = 0;  // Σ_t Σ_k (Wpos[t] + Wtype[0])_k g_{e_t,k} (part of bias_relevance)
};

class BertClassifier {
 public:
  // Checks every shape against the config; throws FormatError naming the tensor otherwise.
  BertClassifier(BertConfig config, BertWeights weights);

  // From Hugging Face tensors (F32, F64, F16 or BF16; names of BertForSequenceClassification or
  // DistilBertForSequenceClassification; BERT's LayerNorm "gamma"/"beta" names are accepted too).
  // Throws FormatError naming the file and every missing or wrongly shaped tensor.
  static std::unique_ptr<BertClassifier> from_huggingface(const TensorStore& store, BertConfig config);
  // config.json + model.safetensors of a Hugging Face model directory. A directory holding only
  // pytorch_model.bin is refused with a message on converting it to safetensors.
  static std::unique_ptr<BertClassifier> from_huggingface_directory(const std::filesystem::path& dir);

  const BertConfig& config() const { return config_; }
  const BertWeights& weights() const { return weights_; }

  // The logits for one sequence of piece ids ([CLS] ... [SEP]). Throws InvalidArgument for an
  // empty sequence, more pieces than max_positions, or an id outside [0, vocab_size).
  Vec logits(std::span<const TokenId> ids) const;

  // The (modified) gradient of the target logit with respect to the embedding sum e, [T x H].
  // target -1 = the predicted class. logits (if given) receives the logits.
  Mat embedding_gradient(std::span<const TokenId> ids, BertMethod method, int target, Vec* logits = nullptr,
                         int* used_target = nullptr) const;

  // The same from the word-embedding rows [T x H] of the pieces (position and type embeddings are
  // added inside), for the baselines of lrp/models/baselines.h. Throws InvalidArgument for 0 rows,
  // more than max_positions rows or a width other than hidden. target >= 0.
  Vec logits_of_rows(const Mat& word) const;
  Mat gradient_of_rows(const Mat& word, BertMethod method, int target, Vec* logits = nullptr) const;

  // Per-piece relevance. sa is the SQUARED L2 norm of the true gradient over the embedding
  // dimensions (the toolkit's meaning of sensitivity for every model).
  BertExplanation explain(std::span<const TokenId> ids, BertMethod method, int target = -1) const;

  // Every tensor under its Hugging Face name (float32), for model.safetensors.
  TensorWriter huggingface_tensors() const;

 private:
  struct Cache;
  // keep: every layer's activations stay in the cache for gradient_of (else one slot is reused).
  void forward(std::span<const TokenId> ids, Cache& cache, bool keep) const;
  void forward_rows(const Mat& word, Cache& cache, bool keep) const;
  void forward_embedded(Cache& cache, bool keep) const;
  Mat gradient_of(Cache& cache, BertMethod method, int target, Vec* logits, int* used_target) const;

 public:
  // Throws InvalidArgument for an empty sequence, more pieces than max_positions or an id outside
  // [0, vocab_size), naming the piece.
  void check_ids(std::span<const TokenId> ids) const;

 private:
  BertConfig config_;
  BertWeights weights_;
};

// The transformer behind the Classifier interface (architecture "bert" in a textlrp model
// directory). It sees the pieces WITHOUT [CLS] and [SEP]: it adds them, keeps the first
// max_length − 2 pieces (Explanation::truncated; the rest get relevance 0) and reports the
// relevance of [CLS] and [SEP] in Explanation::special; bias_relevance = score − Σ relevance −
// Σ special for every method. Methods: lrp (ExplainOptions::
// transformer_rule "attnlrp", the default, or "cp-lrp"), and through the shared baselines of
// lrp/models/baselines.h (over the Differentiable interface below: x = the word-embedding rows of
// [CLS], the pieces and [SEP]; position and type embeddings are added inside): sa (squared norm of
// the true gradient), gi, ig (from the all-zero word embeddings; positions and types stay), occlusion
// and random. Occlusion DROPS the piece (the later pieces move up one position, as in the text
// without it) — the same removal as for the CNN and the BiLSTM, not a replacement by [MASK]; [CLS]
// and [SEP] are never removed and get 0 under occlusion and random.
// Model directory: config.json "hyper": {"huggingface": <config.json keys>, "max_length": N,
// "cls_id": i, "sep_id": j}; model.safetensors with the Hugging Face tensor names.
class BertSequenceClassifier final : public Classifier, public Differentiable {
 public:
  BertSequenceClassifier(std::shared_ptr<const BertClassifier> model, TokenId cls_id, TokenId sep_id,
                         Index max_length);
  static std::unique_ptr<BertSequenceClassifier> load(const std::filesystem::path& dir,
                                                      const nlohmann::json& config);

  std::string_view architecture() const override { return "bert"; }
  const std::vector<std::string>& labels() const override { return model_->config().labels; }
  Index n_vocab() const override { return model_->config().vocab_size; }
  RuleMap default_rules() const override { return {}; }
  // attnlrp (default) or cp-lrp; checked by explain().
  void set_rule(ExplainOptions& options, std::string_view rule) const override {
    options.transformer_rule = std::string(rule);
  }
  Vec scores(std::span<const TokenId> ids) const override;
  Explanation explain(std::span<const TokenId> ids, const ExplainOptions& options) const override;
  nlohmann::json save(const std::filesystem::path& dir) const override;
  // Every method: lrp (attnlrp | cp-lrp), sa, gi, ig, occlusion (drops the piece), random.
  bool supports(Method method) const override;
  // The pieces between [CLS] and [SEP]: max_length - 2.
  Index max_tokens() const override { return max_length_ - 2; }
  // Its word-piece embedding matrix [n_vocab x hidden] (document vectors over pieces).
  std::optional<Mat> embedding_matrix() const override;
  TokenDeletion token_deletion() const override {
    return {
        "removal of words: a word's pieces (a piece and its ## continuations) leave the sequence, the pieces "
        "after it move up; [CLS] and [SEP] stay",
        -1, true, true};
  }
  const Differentiable* differentiable() const override { return this; }

  // Differentiable: rows [CLS], the first max_length − 2 pieces, [SEP] (first = 1). Throws
  // InvalidArgument for an id outside the vocabulary. The batch methods run one pass per input.
  Embedded embed(std::span<const TokenId> ids) const override;
  Index n_outputs() const override { return static_cast<Index>(model_->config().labels.size()); }
  MatD64 batch_scores(std::span<const MatD64> xs) const override;
  std::vector<MatD64> batch_gradients(std::span<const MatD64> xs, int target, MatD64* scores) const override;

  const BertClassifier& model() const { return *model_; }
  Index max_length() const { return max_length_; }

 private:
  std::vector<TokenId> with_specials(std::span<const TokenId> ids, bool* truncated) const;
  std::shared_ptr<const BertClassifier> model_;
  TokenId cls_id_, sep_id_;
  Index max_length_;
};

}  // namespace textlrp::lrp
