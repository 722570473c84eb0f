// train/bow_train.h — training the BoW/linear SVM with liblinear.
//
// One-vs-rest L2-regularised squared-hinge SVM (liblinear's L2R_L2LOSS_SVC_DUAL, the solver behind
// scikit-learn's LinearSVC) on L2-normalised TF-IDF vectors, with a bias feature of value 1 (as
// LinearSVC's intercept_scaling=1). The idf vector is computed from the training documents.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lrp/models/bow_classifier.h"

namespace textlrp::train {

struct BowTrainOptions {
  double C = 1.0;           // inverse regularisation strength
  double tolerance = 0.01;  // liblinear's stopping criterion eps
  bool sublinear_tf = false;
  // The vocabulary's unknown id: those tokens are ignored (BowOptions::ignore_id); -1 = none.
  // 0 for a word vocabulary; a SentencePiece model's unk_id() for a subword one.
  TokenId ignore_id = 0;
  // Progress messages (one per call); may be empty.
  std::function<void(std::string_view)> log;
};

// docs[k] are the token ids of document k (ids outside [0, n_vocab) are ignored), labels[k] its class
// index in [0, label_names.size()). Throws InvalidArgument for an empty training set, a label out
// of range, or fewer than two classes present.
std::unique_ptr<lrp::BowClassifier> train_bow(const std::vector<std::vector<TokenId>>& docs,
                                              const std::vector<int>& labels,
                                              std::vector<std::string> label_names, Index n_vocab,
                                              const BowTrainOptions& options);

}  // namespace textlrp::train
