// lrp/layers/embedding.h — token-id lookup, the first layer of the CNN (PyTorch nn.Embedding layout).
//
//   weight: [V x E]   ids: [T]   ->   x: [n_rows x E],  x[t] = weight[ids[t]]
// Rows t >= ids.size() (padding up to n_rows) and ids outside [0, V) (unknown words without an
// <unk> entry) are zero vectors. Relevance arriving at the embedding vectors [T x E] becomes one
// value per token by summing over the E dimensions (token_relevance()); there is no rule to choose.
// Users: lrp/models/cnn_classifier.
#pragma once

#include <span>
#include <vector>

#include "core/tensor.h"

namespace textlrp::lrp {

class Embedding {
 public:
  struct Cache {
    std::vector<TokenId> ids;  // the ids as given (rows beyond them are padding)
    Index n_rows = 0;
  };
  // Sparse gradient: one row per looked-up position with a valid id (repeats allowed; the trainer
  // adds rows[i] to weight row ids[i]).
  struct Grads {
    std::vector<TokenId> ids;
    std::vector<Vec> rows;  // [E] each
  };

  explicit Embedding(Mat weight) : weight_(std::move(weight)) {}

  // -> [n_rows x E]; precondition n_rows >= ids.size().
  Mat forward(std::span<const TokenId> ids, Index n_rows, Cache* cache = nullptr) const;
  // r_emb: [n_rows x E] -> [n_rows], the row sums.
  static Vec token_relevance(const Mat& r_emb) { return r_emb.rowwise().sum(); }
  // Appends dL/dweight rows for every position with a valid id. grad_out: [n_rows x E].
  void backward(const Cache& cache, const Mat& grad_out, Grads* grads) const;

  bool valid(TokenId id) const { return id >= 0 && id < weight_.rows(); }
  Index n_vocab() const { return weight_.rows(); }
  Index n_embd() const { return weight_.cols(); }
  const Mat& weight() const { return weight_; }

 private:
  Mat weight_;  // [V x E]
};

}  // namespace textlrp::lrp
