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
// Parameters are float64. The arithmetic is float64 (within 1e-13 of the original NumPy
// implementation) except for LRP with options.precision = float32: the forward pass and the
// relevance pass then run on float32 copies of the weights, about 1.8 times faster. Their word
// relevances are within about 3e-4·max_t|R_t| of float64 (7e-5 with bias factor 0, 2.3e-4 with 1,
// worst of the 100 reference sentences): the forward pass's rounding (~1e-7) reaches LRP through
// ratios R/(z + εσ) whose denominators can be as small as ε = 0.001.
// An empty token list gives the scores of the zero states (fc_bias, or 0) and no relevance.
//
// LRP (method lrp; options.rules roles "lstm" and "fc", zero or epsilon(e) only, default
// epsilon(0.001); options.bias_factor B, default 0; options.gate_rule, default signal-take-all).
// Every linear map y = W x + b is explained with the lrp_linear rule of the reference code
// (Arras et al., github.com/ArrasL/LRP_for_LSTM, code/LSTM/LRP_linear_layer.py):
//   σ_j = (y_j >= 0 ? 1 : -1)      y = the map's TOTAL output (every input and every bias)
//   R_i = Σ_j (W_ji x_i + B·(b_j + ε σ_j)/N) / (y_j + ε σ_j) · R_j       (0 where y_j + ε σ_j == 0)
// with N the number of inputs of the map: 2H for the output layer (hL, hR), 2H for the cell sum
// c_t = f⊙c_{t-1} + i⊙g (an identity map over the two products; the B term is added to every
// (i, j) entry, the off-diagonal zeros included, so each product gets a dense share), H + E for
// the gate map z_t = W_ih x_t + W_hh h_{t-1} + b_ih + b_hh. The B term never depends on i, so it
// is one scalar per map; no d x d identity matrix is ever built. With B = 0 the biases and the
// stabiliser keep their share; with B = 1 it goes back to the inputs and relevance is conserved
// exactly: Σ words + R_rest = s_target, where R_rest is what reaches the zero initial states
// h_{-1}, c_{-1} of both directions.
//   R at the output: s_target on the target class, 0 elsewhere (options.target, or the argmax).
//   Per direction, for t = T-1 .. 0 (reading order), starting from R(h_{T-1}) of the output layer:
//     h_t = o ⊙ tanh(c_t):      split(o, tanh c_t, R(h_t)) -> R(o_t), R(c_t) += the signal's part
//     c_t = f⊙c_{t-1} + i⊙g:    lrp_linear(identity, N = 2H) -> R(f⊙c_{t-1}), R(i⊙g)
//     f⊙c_{t-1}:                split(f, c_{t-1}) -> R(f_t), R(c_{t-1})
//     i⊙g:                      split(i, g) -> R(i_t), R(g_t)
//     gates:                    R(z_t) = R(gate) (σ and tanh pass relevance unchanged)
//     z_t:                      lrp_linear(W_ih, W_hh, N = E + H) -> R(x_t), R(h_{t-1})
//   split(gate, signal, R) is the gate rule (Arras et al. 2017; 2019 "Evaluating recurrent neural
//   network explanations"):
//     signal-take-all   gate 0, signal R (the reference code: only the g rows of W carry relevance)
//     half              gate R/2, signal R/2
//     proportional      gate |u_g|/(|u_g| + |u_s|)·R, signal |u_s|/(|u_g| + |u_s|)·R, with u_g, u_s
//                       the two factors' values (half when both are 0). Magnitudes, not the signed
//                       u_g/(u_g + u_s): the signal (g, c_{t-1}, tanh c_t) can be negative, and the
//                       signed fractions grow without bound where u_g + u_s ≈ 0 and compound over
//                       the time steps (1e96 after 200 steps of a random model, even with an ε)
//   Every split conserves R exactly (gate + signal = R), whatever the bias factor.
//   With half or proportional, gate relevance goes on through the gate's own rows of W_ih, W_hh
//   to the words and h_{t-1}, but not by the ε-rule: a sigmoid gate is 1/2 at z = 0, so its
//   relevance (a share of its value) does not vanish with its pre-activation, and the ε-rule's
//   R/(z + εσ) reached R/ε where z crosses 0 (until issue 12: words got up to 2.9e8 for a score of
//   0.99 on SST with ε = 0.001, compounded over the time steps). Instead, for a gate value
//   σ(z) = 1/2 + u (u = σ(z) − 1/2, the part the inputs move), the inputs get |u|/(|u| + 1/2)·R,
//   shared among them as the ε-rule shares z (R_i = x_i w_i · |u|/((|u| + 1/2)·z) · R, at most
//   |x_i w_i|·|R|/2), and the constant 1/2 keeps the rest like a bias (bias factor B gives B of it
//   back, so B = 1 still conserves exactly). The tanh rows (g) use the ε-rule as above.
//   Arras et al. (2019, "Evaluating recurrent neural network explanations") found these variants
//   less faithful than signal-take-all, the default and the reference's rule.
//   Word relevance = Σ over the E embedding dimensions of R(x_t) from both directions.
//   Explanation::bias_relevance = s_target − Σ words (R_rest plus whatever biases and the
//   stabiliser kept). A word whose id is outside [0, n_vocab) is a zero vector: with B = 0 it gets
//   exactly 0; with B = 1 it still gets its dense share of the bias terms, as in the reference
//   code's word deletion.
//
// Baselines (same target, defined as for the CNN, computed by the shared lrp/models/baselines.h): sa = ||∂s/∂x_t||², gi = Σ_e ∂s/∂x_te · x_te
// (the gradient summed over both directions: the embedding is shared), ig = integrated gradients
// from the all-zero embedding with options.ig_steps midpoint steps, occlusion = s(ids) − s(ids
// without token t), random = uniform in [-1, 1] seeded by options.seed and the ids.
//
// Tensors of model.safetensors (all F64; gate blocks in OUR order i, g, f, o, not PyTorch's):
//   embedding.weight [V x E]   lstm.weight_ih_l0 [4H x E]   lstm.weight_hh_l0 [4H x H]
//   lstm.bias_ih_l0 [4H]       lstm.bias_hh_l0 [4H]         (and the same with _reverse: right LSTM)
//   fc.weight_left [C x H]     fc.weight_right [C x H]      fc.bias [C] (when hyper.fc_bias)
// __metadata__ "textlrp.gate_order" = "i,g,f,o".
//
// Speed: each direction is one lrp/layers/lstm.h layer, whose hot loops (lstm_kernels.h) are
// compiled once per x86-64 level (baseline, v2, v3 = AVX2 + FMA, v4 = AVX-512) and chosen at start-up
// (TEXTLRP_ISA lowers the level). The input projection of all tokens is one matrix product per
// direction; each time step is one product with W_hh (4H x H per direction, in 64-byte aligned
// column panels, walked backwards on odd steps so that what the previous step read last is still in
// L1) and one vectorised pass of the cell (one exponential for the four gates); the identity maps
// of the cell use the closed form above, in one fused pass per step. The recurrence reads W_hh
// (115 kB in float64, 57.6 kB in float32) once per step, so float64 is bound by the L2 bandwidth.
// Figures for the 60/60 Arras model and 20 tokens: docs/figures.md (bench/bilstm_bench.cpp).
//
// Projected-embedding tables: the input projection W_ih x_t + b_ih + b_hh depends on the token id
// only, so the model keeps, per precision, a table [(V + 1) x 8H] whose row v < V is the projection
// of embedding row v by both directions (left columns [0, 4H), right [4H, 8H)) and row V that of the
// zero row (ids outside [0, V)), all computed by Lstm::project, whose rows do not depend on the batch
// they are in: the table's rows are bit for bit what projecting a document's rows gives. A forward
// pass of token ids (scores(), explain(), forward(ids), batch_scores_of(): occlusion, deletion
// curves) copies its rows from the table instead of projecting them. Gain, one 20-token LRP
// explanation of the Arras shape (docs/figures.md): about 16 of 84 us in float64 and 7 of 42 us in
// float32 when the rows are in L1/L2 (the CLI bench's two documents), about 7 and 4 us when they
// come from L3 (random documents over the whole vocabulary: a float64 row is 3840 bytes); nothing
// measurable on `textlrp deletion` (integrated gradients and the recurrences dominate). Cost:
// (V + 1)·8H·sizeof(T) bytes per precision (75 MB in float64, 37.5 MB in float32 for the Arras
// vocabulary of 19538 words, E = H = 60; per process: each worker of a pool has its own) and one
// [V x E]·[E x 8H] product to build it (about 70 ms in float64, 35 ms in float32 here). Each table
// is built lazily, once (std::call_once), on the first forward pass of token ids in its precision:
// the float32 one only when float32 is asked for, and the float64 one only by a model that scores
// or explains token ids, so that one that is trained, imported, converted or saved, or that only
// explains embedded inputs, never pays its memory or its build time (eagerly in the constructor,
// every model construction would).
// A table larger than the limit is not built (that precision projects every time, as before):
// TEXTLRP_BILSTM_TABLE=N (MiB, per precision; 0 = no tables) or kBiLstmDefaultTableMiB; so is one
// whose allocation fails. Results are bit for bit the same with or without the tables.
//
// Thread-safe: every method is const. scores() and explain() keep their scratch in a per-thread
// Trace (thread_local, reused between calls, so that scoring sentences does not allocate); no result
// depends on an earlier call. Work shared between the methods of one document is asked for
// explicitly, with explain_methods().
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "core/safetensors.h"
#include "lrp/layers/lstm.h"
#include "lrp/models/classifier.h"
#include "lrp/models/differentiable.h"

namespace textlrp::lrp {

template <class T>
using MatX = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using VecX = Eigen::Matrix<T, Eigen::Dynamic, 1>;
using MatD = MatX<double>;
using VecD = VecX<double>;
using VecF = VecX<float>;

// One direction's parameters; H = hidden size, E = embedding size. Gate order i, g, f, o.
struct LstmWeights {
  MatD w_ih;  // [4H x E]
  MatD w_hh;  // [4H x H]
  VecD b_ih;  // [4H]
  VecD b_hh;  // [4H]
};

struct BiLstmWeights {
  MatD embedding;     // [V x E]
  LstmWeights left;   // reads the sentence left to right
  LstmWeights right;  // reads it right to left
  MatD fc_left;       // [C x H]
  MatD fc_right;      // [C x H]
  VecD fc_bias;       // [C], or size 0 for a model without an output bias
};

// One direction's forward pass, in that direction's reading order (T = float or double): rows
// t = 0 .. T-1 of z, a (the gates σ(z_i), tanh(z_g), σ(z_f), σ(z_o)), c, tc = tanh(c), h
// (lrp/layers/lstm.h). The final state is row T-1.
template <class T>
using LstmDirection = LstmCache<T>;
// Everything one forward pass leaves behind, for relevance() and gradient().
template <class T>
struct LstmTrace {
  // [T x E] embedded tokens in sentence order (zero rows for unknown ids). Filled by forward() and
  // forward_embedded(); explain()'s own traces leave it empty ([0 x E]) unless a baseline reads it:
  // the word relevances of LRP come from zx, and T is the number of rows of left and right.
  MatX<T> x;
  MatX<T> zx;  // [T x 8H] W_ih x_t + b_ih + b_hh, left then right columns, sentence order
  // With a projected-embedding table (forward() from token ids) the rows of zx are the table's, not
  // copied: zx is then empty and row t is row zx_rows[t] of zx_table (row stride zx_ld).
  const T* zx_table = nullptr;
  Index zx_ld = 0;
  std::vector<Index> zx_rows;
  const T* zx_row(Index t) const {
    return zx_table != nullptr ? zx_table + zx_rows[static_cast<std::size_t>(t)] * zx_ld : zx.row(t).data();
  }
  LstmDirection<T> left;   // reads x_0 .. x_{T-1}
  LstmDirection<T> right;  // reads x_{T-1} .. x_0: its step t is sentence position T-1-t
  VecX<T> scores;          // [C]
};
// Relevance at the inputs, per direction, both in sentence order.
template <class T>
struct LstmRelevance {
  MatX<T> x_left;     // [T x E]
  MatX<T> x_right;    // [T x E]
  double r_rest = 0;  // at h_{-1} and c_{-1} of both directions (0 unless bias_factor != 0)
};

// The longest input the classifier reads (as the CNN's kDefaultMaxTokens): scores() and explain()
// read only the first max_tokens tokens of a longer document (Explanation::truncated; the rest get
// relevance 0), so that a 2 MB document costs milliseconds, not seconds and gigabytes.
inline constexpr Index kBiLstmDefaultMaxTokens = 5000;

// The default size limit of each projected-embedding table (see above), in MiB.
inline constexpr std::int64_t kBiLstmDefaultTableMiB = 256;

// A projected-embedding table (empty when not built): rows [rows x ld], row v < rows − 1 = the
// projections of embedding row v by the left and the right LSTM, row rows − 1 = the zero row's.
template <class T>
struct BiLstmProjectionTable {
  const T* data = nullptr;
  Index rows = 0;  // V + 1
  Index ld = 0;    // 8H
  explicit operator bool() const { return data != nullptr; }
  const T* row(Index r) const { return data + r * ld; }
};

class BiLstmClassifier final : public Classifier, public Differentiable {
 public:
  // Throws InvalidArgument when the shapes do not fit together, labels.size() != C, a weight is
  // NaN or infinite or max_tokens < 1. table_limit_bytes: the size limit of each projected-embedding
  // table (0 = none; -1 = table_limit_from_environment()).
  BiLstmClassifier(std::vector<std::string> labels, BiLstmWeights weights,
                   Index max_tokens = kBiLstmDefaultMaxTokens, std::int64_t table_limit_bytes = -1);

  // From a model directory: config "hyper" {n_vocab, n_embd, n_hidden, n_classes, fc_bias,
  // max_tokens (default kBiLstmDefaultMaxTokens: models written before it existed)} and
  // dir/model.safetensors (F64 tensors). Throws FormatError naming the file; tensor problems are
  // listed in one message.
  static std::unique_ptr<BiLstmClassifier> load(const std::filesystem::path& dir,
                                                const nlohmann::json& config);

  std::string_view architecture() const override { return "bilstm"; }
  const std::vector<std::string>& labels() const override { return labels_; }
  Index n_vocab() const override { return weights_.embedding.rows(); }
  RuleMap default_rules() const override;  // lstm and fc: epsilon(0.001)
  Vec scores(std::span<const TokenId> ids) const override;
  Explanation explain(std::span<const TokenId> ids, const ExplainOptions& options) const override;
  // Classifier::explain_methods: explain(ids, options[i]) for every i and scores(ids), bit for bit,
  // from ONE float64 forward pass of the (truncated) ids, run once, when the scores or any option
  // needs it (every method but lrp in precision float32, which runs its own float32 pass), and ONE
  // gradient ∂s_target/∂x per target for sa and gi. The pass and the gradient live on this call's
  // stack (and a per-thread scratch trace): nothing is kept for a later call.
  std::vector<Explanation> explain_methods(std::span<const TokenId> ids,
                                           std::span<const ExplainOptions> options,
                                           Vec* scores = nullptr) const override;
  nlohmann::json save(const std::filesystem::path& dir) const override;
  // The embedding matrix [V x E], as float.
  std::optional<Mat> embedding_matrix() const override { return weights_.embedding.cast<float>(); }
  // Zero embedding (every position is a candidate, also beyond max_tokens()).
  TokenDeletion token_deletion() const override {
    return {"zero embedding: the token's word vector is set to zero (id -1); its position stays", -1, false};
  }
  const Differentiable* differentiable() const override { return this; }

  // Differentiable (lrp/models/differentiable.h): x = the embedding rows of the first max_tokens
  // tokens (zero rows for unknown ids), float64. batch_scores() and batch_gradients() run the whole
  // batch through forward_embedded_batch()/gradient_batch() below (one matrix product per time step
  // over the batch), bit for bit the numbers of one input at a time.
  Embedded embed(std::span<const TokenId> ids) const override;
  Index n_outputs() const override { return n_classes(); }
  // Scores go through prefix trees (lrp/layers/lstm.h's LstmPrefixForward): identical input rows
  // are projected once, and what several inputs share from their start (left direction) or from
  // their end (right direction) is computed once; bit for bit the scores of one input at a time.
  MatD64 batch_scores(std::span<const MatD64> xs) const override;
  // The same for token-id sequences (ids are the rows: no embedding copies), in chunks of about
  // 4·batch_rows ids.
  MatD64 batch_scores_of(std::span<const std::vector<TokenId>> docs, Index batch_rows = 4096) const override;
  std::vector<MatD64> batch_gradients(std::span<const MatD64> xs, int target, MatD64* scores) const override;
  // Integrated gradients' copies α_b·x as one batch (row t·B + b), their projections α_b·(x W_ihᵀ) + b
  // from one product, and Σ_b ∂s/∂z of every step through one input-gradient product: the sum of
  // batch_gradients() up to float rounding (a few ulp).
  void add_scaled_gradients(const MatD64& x, std::span<const double> alphas, int target,
                            MatD64* g_sum) const override;

  // From a PyTorch state dict saved with safetensors (F32 or F64): embedding.weight [V x E],
  // torch.nn.LSTM(bidirectional=True) tensors weight_ih_l0 [4H x E], weight_hh_l0 [4H x H],
  // bias_ih_l0, bias_hh_l0 [4H] and the same with _reverse, prefixed "lstm." or not prefixed, gate
  // order i, f, g, o (swapped here to i, g, f, o), fc.weight [C x 2H] (columns [0, H) apply to the
  // forward direction's final state, [H, 2H) to the backward one's) and optionally fc.bias [C].
  // `labels` empty = "0".."C-1". Throws FormatError listing every missing, unexpected, wrongly
  // shaped or typed tensor in one message, InvalidArgument when labels.size() != C.
  static std::unique_ptr<BiLstmClassifier> from_pytorch(const TensorStore& store,
                                                        std::vector<std::string> labels,
                                                        Index max_tokens = kBiLstmDefaultMaxTokens);
  // From the NumPy layout of Arras et al. (../shared/data/arras-bilstm/README.txt): dir/Wxh_Left.npy
  // [4H x E], bxh_Left.npy [4H], Whh_Left.npy [4H x H], bhh_Left.npy [4H], Why_Left.npy [C x H], the
  // same with _Right, gate order i, g, f, o, no output bias; the embedding matrix [V x E] from
  // `embeddings`. `labels` empty = "0".."C-1". Throws IoError/FormatError naming the file (shape
  // problems of all files in one message), InvalidArgument when labels.size() != C.
  static std::unique_ptr<BiLstmClassifier> from_arras(const std::filesystem::path& dir,
                                                      const std::filesystem::path& embeddings,
                                                      std::vector<std::string> labels);

  using Direction = LstmDirection<double>;
  using Trace = LstmTrace<double>;
  using Trace32 = LstmTrace<float>;
  using Relevance = LstmRelevance<double>;
  using Relevance32 = LstmRelevance<float>;
  struct LrpSettings {
    double eps_lstm = 0.001;  // rule of role "lstm" (0 = LRP-0)
    double eps_fc = 0.001;    // rule of role "fc"
    double bias_factor = 0;
    GateRule gate_rule = GateRule::kSignalTakeAll;
  };

  // Scores [C] in float64; fills *trace when not nullptr (else a per-thread scratch trace, so the
  // result is a copy). Ids outside [0, n_vocab) are zero vectors. forward() reads every id it is
  // given (no max_tokens: scores() and explain() truncate before calling it).
  VecD forward(std::span<const TokenId> ids, Trace* trace = nullptr) const;
  // The same in float32 (float copies of the weights, float arithmetic), into *trace (required).
  VecF forward(std::span<const TokenId> ids, Trace32* trace) const;
  // Scores [C] for already embedded tokens x [T x E] (T may be 0).
  VecD forward_embedded(const MatD& x, Trace* trace) const;
  // ∂(g · s)/∂x [T x E] for an output gradient g [C] (both directions summed, sentence order).
  MatD gradient(const Trace& trace, const VecD& grad_scores) const;
  // LRP of class `target` (0 <= target < C) of a trace of forward() or forward_embedded() (it reads
  // the trace's x), with the equations above, in the trace's precision.
  Relevance relevance(const Trace& trace, int target, const LrpSettings& settings) const;
  Relevance32 relevance(const Trace32& trace, int target, const LrpSettings& settings) const;

  // Batches: many inputs at once, one matrix product per layer and time step over the batch
  // (lrp/layers/lstm.h; sequences of any lengths, packed longest first, no padding), for integrated
  // gradients' scaled copies, occlusion's variants and deletion curves. Each input's scores and
  // gradient are bit for bit those of forward_embedded()/gradient() on it alone (the same
  // operations in the same order), in float64.
  struct BatchTrace {
    LstmBatch batch;           // the inputs' lengths, longest first
    std::vector<Index> order;  // order[b] = the caller's index of packed sequence b
    MatD x[2];                 // [N x E] inputs in the left and right directions' packed order
    LstmCache<double> dir[2];  // left, right
    MatD scores;               // [n x C], the caller's order
  };
  // Scores [n x C] of n embedded inputs xs[i] [T_i x E] (T_i may be 0); fills *trace when not
  // nullptr (for gradient_batch()).
  MatD forward_embedded_batch(std::span<const MatD> xs, BatchTrace* trace = nullptr) const;
  // Scores [n x C] of n token lists (ids outside [0, n_vocab) are zero vectors), each truncated to
  // max_tokens as scores() does: row i = scores(docs[i]) in float64.
  MatD scores_batch(std::span<const std::vector<TokenId>> docs) const;
  // ∂(g_i · s_i)/∂x_i [T_i x E] for every input i of a batch trace, g = grad_scores [n x C] (row i
  // for input i).
  std::vector<MatD> gradient_batch(const BatchTrace& trace, const MatD& grad_scores) const;

  // The projected-embedding table of precision T (double or float), built on the first call
  // (thread-safe, once per model and precision); empty when it would be larger than the limit, the
  // limit is 0, its allocation failed or (float) a weight is beyond float32's range.
  template <class T>
  BiLstmProjectionTable<T> projection_table() const;
  std::int64_t table_limit_bytes() const { return table_limit_; }
  // TEXTLRP_BILSTM_TABLE (a size in MiB; 0 or "off" = no tables), unset or empty =
  // kBiLstmDefaultTableMiB MiB. Throws InvalidArgument for another value.
  static std::int64_t table_limit_from_environment();

  const BiLstmWeights& weights() const { return weights_; }
  Index max_tokens() const override { return max_tokens_; }
  Index n_hidden() const { return weights_.left.w_hh.cols(); }
  Index n_embd() const { return weights_.embedding.cols(); }
  Index n_classes() const { return weights_.fc_left.rows(); }

 private:
  // The weights in one precision, packed for the kernels (lrp/layers/lstm.h): built at
  // construction, in float64 and float32.
  template <class T>
  struct Packed {
    Lstm<T> lstm[2];  // left, right
    MatX<T> fc[2];    // [C x H]
    VecX<T> fc_bias;  // [C], or empty
  };
  template <class T>
  static Packed<T> pack(const BiLstmWeights& w);
  template <class T>
  const Packed<T>& packed() const {
    if constexpr (std::is_same_v<T, double>) {
      return p64_;
    } else {
      return p32_;
    }
  }
  // with_x = false: trace->x is left empty when the rows come from a projected-embedding table
  // (explain()'s LRP does not read it; embed_rows() fills it when a baseline does).
  template <class T>
  VecX<T> forward_ids(std::span<const TokenId> ids, LstmTrace<T>* trace, bool with_x = true) const;
  // x [T x E] = the embedding rows of ids (zero rows for ids outside [0, n_vocab)), in precision T.
  template <class T>
  void embed_rows(std::span<const TokenId> ids, MatX<T>* x) const;
  template <class T>
  void forward_trace(LstmTrace<T>* trace) const;  // from trace->x
  // From trace->zx (forward_trace() after the projection) or the table rows, n_tokens steps.
  template <class T>
  void forward_projected(LstmTrace<T>* trace, Index n_tokens) const;
  template <class T>
  // relevance() (tokens = nullptr), or only the word relevances Σ_e R(x_t)_e of both directions, to
  // tokens [T] (then the result's x_left and x_right are empty and its r_rest is 0: not summed).
  LstmRelevance<T> relevance_of(const LstmTrace<T>& trace, int target, const LrpSettings& settings,
                                double* tokens = nullptr) const;
  RuleMap resolve_rules(const RuleMap& requested) const;
  static Trace& scratch_trace();
  // What the explanations of one document share (explain_methods(); explain() makes a fresh one per
  // call): the float64 forward pass of the truncated ids, run on first use, and the gradient
  // ∂s_target/∂x on it of the targets asked so far.
  struct DocumentPass;
  // explain() of the truncated ids `ids` (all_ids: the document as given), with `pass` for them.
  Explanation explain_in(std::span<const TokenId> all_ids, std::span<const TokenId> ids,
                         const ExplainOptions& options, DocumentPass& pass) const;
  std::span<const TokenId> truncate(std::span<const TokenId> ids) const {
    return ids.first(std::min(ids.size(), static_cast<std::size_t>(max_tokens_)));
  }
  // Scores [B x C] of B sequences over the distinct input rows `rows` [U x E]: sequence b reads rows
  // idx[start[b]] .. idx[start[b + 1] − 1] (LstmPrefixForward).
  MatD scores_of_rows(const MatD& rows, const std::vector<Index>& idx, const std::vector<Index>& start) const;
  // The same from the projected rows zx (left direction's at zx, right one's at zx + 4H, row stride ldzx).
  MatD scores_of_projected(const double* zx, Index ldzx, const std::vector<Index>& idx,
                           const std::vector<Index>& start) const;
  // The output layer on the final states h_final[side] [B x H] (row b: sequence b, empty when
  // start[b + 1] == start[b]).
  MatD scores_of_final(const MatD (&h_final)[2], const std::vector<Index>& start) const;

  std::vector<std::string> labels_;
  BiLstmWeights weights_;
  Packed<double> p64_;
  Packed<float> p32_;
  LstmPrefixForward<double> prefix64_[2];  // left, right: batch_scores()
  bool float32_ok_ = true;                 // every weight fits float32's range
  Index max_tokens_ = kBiLstmDefaultMaxTokens;
  // The projected-embedding tables, built on first use, behind a pointer (std::once_flag does not
  // move); a copy of the model would share them (same weights).
  struct Tables;  // bilstm_table.cpp
  static std::shared_ptr<Tables> make_tables();
  std::shared_ptr<Tables> tables_;
  std::int64_t table_limit_ = 0;
};

}  // namespace textlrp::lrp
