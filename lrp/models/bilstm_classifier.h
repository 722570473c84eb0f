// lrp/models/bilstm_classifier.h — the bidirectional LSTM sentence classifier of Li et al. (2016)
// as explained by Arras et al. (2017, "Explaining recurrent neural network predictions in
// sentiment analysis"), with LRP through the gates and the gradient baselines.
//
// Forward, per direction, for embedded tokens x_0..x_{T-1} (rows of the embedding table; ids
// outside [0, n_vocab) are zero vectors), h_{-1} = c_{-1} = 0:
//   z_t = W_ih x_t + W_hh h_{t-1} + b_ih + b_hh         [4H]  gate blocks in the order i, g, f, o
//   i = σ(z_i)  g = tanh(z_g)  f = σ(z_f)  o = σ(z_o)
//   c_t = f ⊙ c_{t-1} + i ⊙ g      h_t = o ⊙ tanh(c_t)
// The left LSTM reads x_0..x_{T-1}, the right one x_{T-1}..x_0; their final hidden states hL, hR
// feed   s = fc_left · hL + fc_right · hR (+ fc_bias, when the model has one)    [C].
// (This is the layout of ../shared/data/arras-bilstm; PyTorch's nn.LSTM stores i, f, g, o and the
// importer swaps the f and g blocks.)
//
// Numbers are float64 throughout (parameters and arithmetic): the model is small, and float64
// keeps LRP within 1e-9 of the original NumPy implementation.
//
// Thread-safe: every method is const and keeps its scratch in a local Trace.
#pragma once

#include <Eigen/Core>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "lrp/models/classifier.h"

namespace textlrp::lrp {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using VecD = Eigen::Matrix<double, Eigen::Dynamic, 1>;

// One direction's parameters; H = hidden size, E = embedding size. Gate order i, g, f, o.
struct LstmWeights {
  MatD w_ih;  // [4H x E]
  MatD w_hh;  // [4H x H]
  VecD b_ih;  // [4H]
  VecD b_hh;  // [4H]
};

struct BiLstmWeights {
  MatD embedding;    // [V x E]
  LstmWeights left;  // reads the sentence left to right
  LstmWeights right; // reads it right to left
  MatD fc_left;      // [C x H]
  MatD fc_right;     // [C x H]
  VecD fc_bias;      // [C], or size 0 for a model without an output bias
};

class BiLstmClassifier final : public Classifier {
 public:
  // Throws InvalidArgument when the shapes do not fit together or labels.size() != C.
  BiLstmClassifier(std::vector<std::string> labels, BiLstmWeights weights);

  // From a model directory: config "hyper" {n_vocab, n_embd, n_hidden, n_classes, fc_bias} and
  // dir/model.safetensors (F64 tensors). Throws FormatError naming the file; tensor problems are
  // listed in one message.
  static std::unique_ptr<BiLstmClassifier> load(const std::filesystem::path& dir, const nlohmann::json& config);

  std::string_view architecture() const override { return "bilstm"; }
  const std::vector<std::string>& labels() const override { return labels_; }
  Index n_vocab() const override { return weights_.embedding.rows(); }
  RuleMap default_rules() const override;  // lstm and fc: epsilon(0.001)
  Vec scores(std::span<const TokenId> ids) const override;
  Explanation explain(std::span<const TokenId> ids, const ExplainOptions& options) const override;
  nlohmann::json save(const std::filesystem::path& dir) const override;

  const BiLstmWeights& weights() const { return weights_; }
  Index n_hidden() const { return weights_.left.w_hh.cols(); }
  Index n_embd() const { return weights_.embedding.cols(); }

 private:
  std::vector<std::string> labels_;
  BiLstmWeights weights_;
};

}  // namespace textlrp::lrp
