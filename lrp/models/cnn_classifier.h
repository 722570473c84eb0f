// lrp/models/cnn_classifier.h — the word-embedding CNN of Arras et al. (2016, 2017) for text
// classification, with LRP and the gradient baselines.
//
// Forward, for token ids [T] (T capped at max_tokens; longer documents are truncated and the
// explanation says so):
//   x   = embedding[ids]                    [T₊ x E]  T₊ = max(T, K_max): a document shorter than
//                                                     the widest kernel is padded with zero rows
//   z_i = conv_i(x)                         [T₊-K_i+1 x F]  for each kernel width K_i
//   p_i = max_t relu(z_i)                   [1 x F]
//   s   = fc([p_1 … p_n])                   [1 x C]   (dropout is a training-only identity here)
// Ids outside [0, n_vocab) (unknown words of a vocabulary without <unk>) are zero vectors.
//
// LRP (options.rules, roles "conv" and "fc"): R = s_target on the target output, then fc (rule
// "fc"), max over time (winner-take-all), ReLU (pass-through), each conv (rule "conv", summed over
// widths), and a sum over the E embedding dimensions gives one relevance per token. The equations
// of every rule are in lrp/kernels.h (they match Zennit; tests/lrp/zennit_conformance_test.cpp).
// Default rule: epsilon(0.01) for both roles. Arras et al. (2016 "Explaining predictions of
// non-linear classifiers in NLP"; 2017 "What is relevant in a text document?") explained this
// architecture with the ε-rule: it redistributes the score in proportion to each word's actual
// contribution z_ij, negative evidence included, which on a network this shallow stays close to an
// exact decomposition and keeps the (near-)conservation their word-deletion experiments rely on.
// ε only damps near-zero denominators; 0.01 is our choice of "small" (the papers' exact value could
// not be re-checked when this was written), and whatever biases and ε absorb is reported as
// Explanation::bias_relevance. Positive-only rules (zplus, alphabeta) suit deep image networks
// better; on a one-layer text CNN they hide the negative words the papers' heatmaps show.
//
// Baselines (same target): sa = ||∂s/∂x_t||² (sensitivity), gi = Σ_e ∂s/∂x_te · x_te, ig =
// integrated gradients from the all-zero embedding, Σ_e x_te · (1/m) Σ_{k<m} ∂s/∂x_te(α_k x) with
// midpoint α_k = (k + ½)/m (m = options.ig_steps; a midpoint Riemann sum), occlusion =
// s(ids) − s(ids with token t removed from the sequence) — removal, not zeroing, so the neighbours
// close up as they would in a shorter text — and random = uniform in [-1, 1], seeded by
// options.seed and the ids. Padding and truncated tokens get exactly 0 under every method. They are
// computed by the shared code of lrp/models/baselines.h over the Differentiable interface below.
// bias_relevance is always score − Σ relevance (what no token received).
//
// Tensors (PyTorch names and layout): embedding.weight [V x E], convs.{i}.weight [F x E x K_i],
// convs.{i}.bias [F], fc.weight [C x n_widths·F], fc.bias [C]; a single width may also be named
// conv.weight / conv.bias (a plain nn.Conv1d attribute). Thread-safe: every method is const and
// keeps its scratch in a local Trace.
#pragma once

#include <span>
#include <vector>

#include "core/safetensors.h"
#include "lrp/layers/activation.h"
#include "lrp/layers/conv1d.h"
#include "lrp/layers/dense.h"
#include "lrp/layers/embedding.h"
#include "lrp/layers/max_pool_time.h"
#include "lrp/models/classifier.h"
#include "lrp/models/differentiable.h"

namespace textlrp::lrp {

inline constexpr Index kDefaultMaxTokens = 5000;

class CnnClassifier final : public Classifier, public Differentiable {
 public:
  // Everything one forward pass leaves behind, for relevance() and backward().
  struct Trace {
    Index n_tokens = 0;  // tokens used (after truncation)
    Embedding::Cache embedding;
    Mat x;  // [T₊ x E]
    std::vector<Conv1d::Cache> conv;
    std::vector<Relu::Cache> relu;
    std::vector<MaxOverTime::Cache> pool;
    Dense::Cache fc;
  };
  // Parameter gradients, laid out like the layers' parameters (for training).
  struct Gradients {
    Embedding::Grads embedding;
    std::vector<Conv1d::Grads> conv;
    Dense::Grads fc;
  };

  // Throws InvalidArgument when the layers do not fit together (embedding width vs conv input,
  // conv filter counts, fc input = n_widths·F, labels vs fc outputs) or max_tokens < 1.
  CnnClassifier(std::vector<std::string> labels, Embedding embedding, std::vector<Conv1d> convs, Dense fc,
                Index max_tokens = kDefaultMaxTokens);

  // From a model directory: config "hyper" {n_vocab, n_embd, kernel_sizes, n_filters, n_classes?,
  // max_tokens?} and dir/model.safetensors. Throws FormatError naming the file; tensor problems
  // (missing, unexpected, wrong shape, wrong dtype) are all listed in one message.
  static std::unique_ptr<CnnClassifier> load(const std::filesystem::path& dir, const nlohmann::json& config);
  // From a PyTorch state dict saved with safetensors: the hyper-parameters are read off the
  // shapes. `labels` empty = "0".."C-1". Throws FormatError (one message for every tensor
  // problem, naming store.name()) or InvalidArgument (labels vs classes).
  static std::unique_ptr<CnnClassifier> from_pytorch(const TensorStore& store,
                                                     std::vector<std::string> labels,
                                                     Index max_tokens = kDefaultMaxTokens);

  std::string_view architecture() const override { return "cnn"; }
  const std::vector<std::string>& labels() const override { return labels_; }
  Index n_vocab() const override { return embedding_.n_vocab(); }
  RuleMap default_rules() const override;
  Vec scores(std::span<const TokenId> ids) const override;
  Explanation explain(std::span<const TokenId> ids, const ExplainOptions& options) const override;
  nlohmann::json save(const std::filesystem::path& dir) const override;
  // The embedding matrix [V x E].
  std::optional<Mat> embedding_matrix() const override { return embedding_.weight(); }
  // Zero embedding; only the first max_tokens() positions are read, so only they are candidates.
  TokenDeletion token_deletion() const override {
    return {"zero embedding: the token's word vector is set to zero (id -1); its position stays", -1, true};
  }
  // CnnDeletionScorer (lrp/models/cnn_deletion_scorer.h): recomputes only the windows a deletion touches.
  std::unique_ptr<DeletionScorer> deletion_scorer(std::span<const TokenId> ids) const override;
  const Differentiable* differentiable() const override { return this; }

  // Differentiable (lrp/models/differentiable.h): x = the embedding rows of the first max_tokens
  // tokens, unpadded (scoring pads to the widest kernel). A batch is scored as ONE stacked input:
  // each convolution is one GEMM over the rows of every input (windows that straddle two inputs
  // are computed and ignored), the dense layer one GEMM over the pooled rows, and the gradients one
  // backward pass through the same stacked layers.
  Embedded embed(std::span<const TokenId> ids) const override;
  Index n_outputs() const override { return fc_.n_out(); }
  MatD64 batch_scores(std::span<const MatD64> xs) const override;
  std::vector<MatD64> batch_gradients(std::span<const MatD64> xs, int target, MatD64* scores) const override;

  // Scores [C] for ids; fills *trace when not nullptr.
  Vec forward(std::span<const TokenId> ids, Trace* trace = nullptr) const;
  // Scores [C] for an already embedded (and padded) input x [T₊ x E], T₊ >= max kernel.
  Vec forward_embedded(const Mat& x, Trace* trace) const;
  // Backpropagates dL/ds [C] through a trace: returns dL/dx [T₊ x E] and, when `grads` is not
  // nullptr, adds every parameter gradient to it.
  Mat backward(const Trace& trace, const Vec& grad_scores, Gradients* grads) const;
  // LRP of a trace: relevance at the embedding vectors [T₊ x E] for R at the output `r_scores` [C].
  Mat relevance(const Trace& trace, const Vec& r_scores, const RuleMap& rules) const;

  const Embedding& embedding() const { return embedding_; }
  const std::vector<Conv1d>& convs() const { return convs_; }
  const Dense& fc() const { return fc_; }
  Index max_tokens() const override { return max_tokens_; }
  Index max_kernel() const { return max_kernel_; }

 private:
  RuleMap resolve_rules(const RuleMap& requested) const;
  struct BatchTrace;
  MatD64 batch_forward(std::span<const MatD64> xs, BatchTrace* trace) const;

  std::vector<std::string> labels_;
  Embedding embedding_;
  std::vector<Conv1d> convs_;
  Relu relu_;
  MaxOverTime pool_;
  Dense fc_;
  Index max_tokens_;
  Index max_kernel_ = 1;
};

}  // namespace textlrp::lrp
