// lrp/models/differentiable.h — the small interface the gradient and perturbation baselines (sa, gi,
// ig, occlusion: lrp/models/baselines.h) are written against, once for every architecture that
// embeds its tokens (the CNN, the BiLSTM, the transformer). A Classifier offers it through
// Classifier::differentiable() (nullptr for a model without embeddings, such as the BoW/SVM).
//
//   embed(ids)      the rows the model reads for `ids`: [R x E] in float64 (the CNN's and the
//                   transformer's float32 rows are exact in float64). Rows [first, first + n_tokens)
//                   are the first n_tokens input tokens (n_tokens < ids.size() when the model
//                   truncates); the others are rows the model adds itself (the transformer's [CLS]
//                   and [SEP] word embeddings). Only what varies per token is in x: positions, token
//                   types and padding are added inside the scoring (so a removed row closes up as a
//                   shorter text would).
//   scores(xs)      decision values [B x C] for a batch of embedded inputs (each [R_b x E]; the
//                   R_b may differ). One matrix product per layer (or time step) over the batch
//                   where the model implements it.
//   gradients(xs)   ∂s_target/∂x_b [R_b x E] for every input of the batch (and the scores).
// Arithmetic happens in the model's own precision (float32 for the CNN and the transformer, float64
// for the BiLSTM); only the interface is float64. Thread-safe: every method is const.
#pragma once

#include <Eigen/Core>
#include <span>
#include <vector>

#include "core/tensor.h"

namespace textlrp::lrp {

using MatD64 = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Embedded {
  MatD64 x;            // [R x E]
  Index first = 0;     // row of the first input token
  Index n_tokens = 0;  // input tokens the model reads (after truncation)
};

class Differentiable {
 public:
  virtual ~Differentiable() = default;
  // Throws InvalidArgument for ids the model cannot read (the transformer: an id outside its
  // vocabulary); the CNN and the BiLSTM embed such ids as zero rows.
  virtual Embedded embed(std::span<const TokenId> ids) const = 0;
  virtual Index n_outputs() const = 0;  // C
  // [B x C]; row b = the scores of xs[b]. Precondition: every xs[b] has E columns and at least the
  // rows the model adds itself.
  virtual MatD64 batch_scores(std::span<const MatD64> xs) const = 0;
  // ∂s_target/∂xs[b] for every b (0 <= target < C); scores (when not nullptr) receives [B x C].
  virtual std::vector<MatD64> batch_gradients(std::span<const MatD64> xs, int target,
                                              MatD64* scores = nullptr) const = 0;
  // Adds Σ_b ∂s_target/∂x' at x' = alphas[b]·x (b in order) to *g_sum [R x E]: integrated gradients'
  // Riemann sum (lrp/models/baselines.h). The default differentiates the scaled copies with one
  // batch_gradients() call and adds them one by one; a model may fold the scaling into its first layer
  // and the sum into its backward pass (the BiLSTM: x W_ihᵀ once, one input-gradient product for the
  // whole batch): the same sum up to float rounding.
  virtual void add_scaled_gradients(const MatD64& x, std::span<const double> alphas, int target,
                                    MatD64* g_sum) const {
    std::vector<MatD64> batch;
    batch.reserve(alphas.size());
    for (const double alpha : alphas) batch.push_back(alpha * x);
    for (const MatD64& g : batch_gradients(batch, target)) *g_sum += g;  // in order
  }
  // Scores [B x C] of whole token-id sequences, each embedded with embed() (e.g. every variant of a
  // deletion curve), in batches of about `batch_rows` embedded rows (bounded memory). A model may
  // override it with something faster that gives the same numbers (the BiLSTM: the variants' shared
  // prefixes computed once).
  virtual MatD64 batch_scores_of(std::span<const std::vector<TokenId>> docs, Index batch_rows = 4096) const {
    MatD64 out(static_cast<Index>(docs.size()), n_outputs());
    std::vector<MatD64> xs;
    Index rows = 0, first = 0;
    auto flush = [&] {
      if (xs.empty()) return;
      out.middleRows(first, static_cast<Index>(xs.size())) = batch_scores(xs);
      first += static_cast<Index>(xs.size());
      xs.clear();
      rows = 0;
    };
    for (const auto& d : docs) {
      xs.push_back(embed(d).x);
      rows += xs.back().rows();
      if (rows >= batch_rows) flush();
    }
    flush();
    return out;
  }
};

}  // namespace textlrp::lrp
