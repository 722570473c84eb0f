// lrp/models/baselines.h — the gradient and perturbation baselines, written once over the
// Differentiable interface (lrp/models/differentiable.h) for every model that embeds its tokens
// (the CNN, the BiLSTM, the transformer). The BoW/SVM keeps its closed forms (bow_classifier.cpp).
//
// For the score s = s_target of the embedded input x [R x E] (rows r; the caller maps rows to its
// tokens, see Embedded):
//   sa         R_r = ||∂s/∂x_r||²                      (the SQUARED L2 norm over the E dimensions)
//   gi         R_r = Σ_e ∂s/∂x_re · x_re
//   ig         R_r = Σ_e x_re · (1/m) Σ_{k<m} ∂s/∂x_re(α_k x),  α_k = (k + ½)/m   (integrated gradients
//              from the all-zero embedding, a midpoint Riemann sum with m = ig_steps; the m scaled
//              inputs are scored and differentiated as batches)
//   occlusion  R_r = s(x) − s(x without row r), for the token rows only (the removed row closes up, as
//              in a shorter text; rows the model adds itself, such as [CLS] and [SEP], are never
//              removed and get 0). The T shortened inputs are scored as batches.
//   random     uniform in [-1, 1) per token (random_relevance in classifier.h).
// Batches are cut so that one holds about kBatchRows embedded rows (the memory of a long document's
// T² occlusion rows stays bounded).
#pragma once

#include <span>
#include <vector>

#include "lrp/models/classifier.h"
#include "lrp/models/differentiable.h"

namespace textlrp::lrp::baselines {

inline constexpr Index kBatchRows = 4096;

// One value per row of x.
std::vector<double> sensitivity(const Differentiable& model, const MatD64& x, int target);
std::vector<double> gradient_input(const Differentiable& model, const MatD64& x, int target);
// The same two from a gradient g = ∂s_target/∂x [R x E] already at hand (one gradient serves both:
// sa = |g_r|², gi = g_r · x_r), bit for bit what sensitivity()/gradient_input() return.
std::vector<double> sensitivity_of(const MatD64& g);
std::vector<double> gradient_input_of(const MatD64& g, const MatD64& x);
// Throws InvalidArgument when steps < 1.
std::vector<double> integrated_gradients(const Differentiable& model, const MatD64& x, int target, int steps);
// One value per token row [first, first + n_tokens) of `in`; `score` = s_target(in.x).
std::vector<double> occlusion(const Differentiable& model, const Embedded& in, int target, double score);

// The relevance of the first in.n_tokens tokens under `method` (sa, gi, ig, occlusion, random: not
// lrp) for class `target` with score `score` = s_target(in.x); `ids` are the tokens read (for the
// random baseline's seed). `special` (when not nullptr) receives the relevance of the rows before
// and after the tokens (0 for occlusion and random). Throws InvalidArgument for lrp or ig_steps < 1.
std::vector<double> token_relevance(const Differentiable& model, const Embedded& in,
                                    std::span<const TokenId> ids, Method method, int target, double score,
                                    const ExplainOptions& options, std::vector<double>* special = nullptr);

}  // namespace textlrp::lrp::baselines
