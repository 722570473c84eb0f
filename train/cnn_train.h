// train/cnn_train.h — training the word-embedding CNN (Kim 2014; Arras et al. 2016/2017).
//
// Mini-batch Adam on the softmax cross-entropy of the scores, dropout on the pooled features
// (training only), shuffling by seed, early stopping on a dev split (the parameters of the best dev
// epoch are kept). The embedding table is initialised by the caller (pre-trained vectors or random)
// and either frozen or fine-tuned (sparse "lazy" Adam on the rows a batch touches). Each batch is
// split over `threads` threads with a fixed assignment and a fixed summation order, so the same
// seed and thread count give the same model. The trainer composes the layers of lrp/layers itself
// (it owns the mutable parameters; the layers are rebuilt from them for every batch, except the
// embedding table, which the trainer looks up directly).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lrp/models/cnn_classifier.h"
#include "train/early_stopping.h"

namespace textlrp::train {

struct CnnTrainOptions {
  std::vector<Index> kernel_sizes = {2, 3, 4};
  Index n_filters = 100;
  Index max_tokens = lrp::kDefaultMaxTokens;
  int max_epochs = 10;
  int patience = 2;  // stop after this many epochs without a better dev accuracy
  Index batch_size = 32;
  double learning_rate = 1e-3;
  double dropout = 0.5;  // on the pooled features
  bool finetune_embeddings = false;
  int threads = 2;
  std::uint64_t seed = 1;
  // Called after every batch with (epoch, docs done in this epoch, docs per epoch, mean loss so far).
  std::function<void(int, std::size_t, std::size_t, double)> progress;
  // Called after every epoch with (epoch, train loss, dev accuracy, seconds of the epoch).
  std::function<void(int, double, double, double)> epoch_done;
};

using CnnTrainReport = TrainReport;  // train/early_stopping.h

// docs[k]: token ids (ids outside [0, V) are zero vectors), labels[k] in [0, C). embedding: the
// initial [V x E] table. dev may be empty (then every epoch is "best" and all max_epochs run).
// Throws InvalidArgument for empty training data, bad labels or bad options.
std::unique_ptr<lrp::CnnClassifier> train_cnn(const std::vector<std::vector<TokenId>>& docs,
                                              const std::vector<int>& labels,
                                              const std::vector<std::vector<TokenId>>& dev_docs,
                                              const std::vector<int>& dev_labels,
                                              std::vector<std::string> label_names, Mat embedding,
                                              const CnnTrainOptions& options,
                                              CnnTrainReport* report = nullptr);

}  // namespace textlrp::train
