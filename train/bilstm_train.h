// train/bilstm_train.h — training the bidirectional LSTM sentence classifier (Li et al. 2016,
// as explained by Arras et al. 2017; the model is lrp/models/bilstm_classifier.h).
//
// Used by `textlrp train --arch bilstm` (apps/cmd_train.cpp) and by the tests.
//
// What it does: mini-batch Adam or Adagrad on the mean softmax cross-entropy of the scores
//   s = fc_left · hL + fc_right · hR (+ fc_bias)
// with both LSTM directions (gate order i, g, f, o; one bias per direction, exported as b_ih with
// b_hh = 0), optional dropout, gradient clipping by global norm, optional L2 weight decay, shuffling
// by seed and early stopping on a dev set (the parameters of the best dev epoch are kept).
//
// Batches: the sentences of a mini-batch are split over `threads` threads with a fixed assignment
// (sentence k of the batch goes to thread k mod threads); each thread packs its sentences as a
// PyTorch PackedSequence does (sorted by length, longest first; at time step t only the n_t
// sentences still running take part), so there is no padding and no wasted arithmetic. Input->gate
// products are one GEMM over all tokens of the shard; each time step is one [n_t x H]·[H x 4H]
// product. Gradients are summed in thread order. Same seed and same thread count => the same model,
// bit for bit (different thread counts differ by rounding only).
//
// Dropout (inverted; training only; masks drawn per sentence from the batch seed, so they do not
// depend on the thread split):
//   dropout_embedding: on every coordinate of every token's embedding (the same mask for both
//                      directions, since they share the embedding lookup);
//   dropout_hidden:    on the concatenated final states [hL; hR] before the output layer.
//
// Embeddings: the caller gives the initial [V x E] table (pre-trained vectors or random); E is its
// number of columns. With finetune_embeddings only the rows a batch touches are updated (lazy Adam
// / sparse Adagrad). Token ids outside [0, V) are zero vectors and get no gradient (the model does
// the same).
//
// Arithmetic is float32 by default (about twice as fast as float64 for these small GEMMs) or
// float64 (`float64 = true`); the result is converted to the model's float64 BiLstmWeights.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lrp/models/bilstm_classifier.h"
#include "train/early_stopping.h"

namespace textlrp::train {

enum class BiLstmOptimizer { kAdam, kAdagrad };

struct BiLstmTrainOptions {
  Index n_hidden = 60;  // H, per direction
  int max_epochs = 10;
  int patience = 3;  // stop after this many epochs without a better dev accuracy
  Index batch_size = 32;
  BiLstmOptimizer optimizer = BiLstmOptimizer::kAdam;
  double learning_rate = 1e-3;  // Adam: 1e-3 is usual; Adagrad: 0.05-0.1
  double dropout_embedding = 0.0;
  double dropout_hidden = 0.5;
  double clip_norm = 5.0;     // global L2 norm of the batch gradient; 0 = no clipping
  double weight_decay = 0.0;  // L2 penalty (wd/2)·||W||² on LSTM and output weights (not biases/embeddings)
  double forget_bias = 1.0;   // initial bias of the forget gates
  bool output_bias = true;    // fc_bias; false gives the Arras et al. layout (no output bias)
  bool finetune_embeddings = true;
  bool float64 = false;  // float64 arithmetic instead of float32
  Index max_tokens =
      lrp::kBiLstmDefaultMaxTokens;  // documents are truncated to their first max_tokens tokens
  int threads = 2;
  std::uint64_t seed = 1;
  // Called after every batch with (epoch, sentences done in this epoch, sentences per epoch, mean
  // loss so far in this epoch).
  std::function<void(int, std::size_t, std::size_t, double)> progress;
  // Called after every epoch with (epoch, train loss, dev accuracy, seconds of the epoch).
  std::function<void(int, double, double, double)> epoch_done;
};

using BiLstmTrainReport = TrainReport;  // train/early_stopping.h

// Trains and returns the weights of the best dev epoch (or of the last epoch when dev is empty).
// docs[k]: token ids, labels[k] in [0, n_classes). An empty document is allowed (its final states are
// zero). `embedding`: the initial [V x E] table (V, E >= 1). dev may be empty (then all max_epochs
// run). Throws InvalidArgument for empty training data, mismatched lengths, labels out of range or
// bad options (the message names the option).
lrp::BiLstmWeights train_bilstm_weights(const std::vector<std::vector<TokenId>>& docs,
                                        const std::vector<int>& labels,
                                        const std::vector<std::vector<TokenId>>& dev_docs,
                                        const std::vector<int>& dev_labels, Index n_classes,
                                        lrp::MatD embedding, const BiLstmTrainOptions& options,
                                        BiLstmTrainReport* report = nullptr);

// The same, wrapped in the model class with its label names (n_classes = label_names.size()).
// Inline so that code using only train_bilstm_weights() does not need the model's object file.
inline std::unique_ptr<lrp::BiLstmClassifier> train_bilstm(
    const std::vector<std::vector<TokenId>>& docs, const std::vector<int>& labels,
    const std::vector<std::vector<TokenId>>& dev_docs, const std::vector<int>& dev_labels,
    std::vector<std::string> label_names, lrp::MatD embedding, const BiLstmTrainOptions& options,
    BiLstmTrainReport* report = nullptr) {
  const auto n_classes = static_cast<Index>(label_names.size());
  lrp::BiLstmWeights w = train_bilstm_weights(docs, labels, dev_docs, dev_labels, n_classes,
                                              std::move(embedding), options, report);
  return std::make_unique<lrp::BiLstmClassifier>(std::move(label_names), std::move(w), options.max_tokens);
}

// The trainer's own batched forward pass in float64: the scores [C] of every document, computed on
// `threads` threads. Agrees with BiLstmClassifier::scores() to rounding. Throws InvalidArgument when
// the shapes of `weights` do not fit together.
std::vector<lrp::VecD> bilstm_batch_scores(const lrp::BiLstmWeights& weights,
                                           const std::vector<std::vector<TokenId>>& docs, int threads = 1);

// Accuracy of bilstm_batch_scores() against labels (0 for an empty list).
double bilstm_accuracy(const lrp::BiLstmWeights& weights, const std::vector<std::vector<TokenId>>& docs,
                       const std::vector<int>& labels, int threads = 1);

// For gradient checks: the mean cross-entropy over docs (float64, no dropout, no weight decay) and,
// when grad is not null, its gradient with respect to every parameter, in the shapes of `weights`
// (the embedding gradient is dense [V x E]; b_ih and b_hh get the same gradient; fc_bias has size 0
// when the model has none).
double bilstm_loss_and_gradient(const lrp::BiLstmWeights& weights,
                                const std::vector<std::vector<TokenId>>& docs, const std::vector<int>& labels,
                                lrp::BiLstmWeights* grad);

}  // namespace textlrp::train
