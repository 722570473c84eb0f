#include "lrp/models/baselines.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace textlrp::lrp::baselines {
namespace {

// How many inputs of `rows` rows one batch holds (at least 1).
std::size_t batch_size(Index rows) {
  return static_cast<std::size_t>(std::max<Index>(1, kBatchRows / std::max<Index>(1, rows)));
}

MatD64 gradient(const Differentiable& model, const MatD64& x, int target) {
  std::vector<MatD64> g = model.batch_gradients(std::span<const MatD64>(&x, 1), target);
  return std::move(g[0]);
}

}  // namespace

std::vector<double> sensitivity_of(const MatD64& g) {
  std::vector<double> out(static_cast<std::size_t>(g.rows()));
  for (Index r = 0; r < g.rows(); ++r) out[static_cast<std::size_t>(r)] = g.row(r).squaredNorm();
  return out;
}

std::vector<double> gradient_input_of(const MatD64& g, const MatD64& x) {
  TEXTLRP_ASSERT(g.rows() == x.rows() && g.cols() == x.cols());
  std::vector<double> out(static_cast<std::size_t>(x.rows()));
  for (Index r = 0; r < x.rows(); ++r) out[static_cast<std::size_t>(r)] = g.row(r).dot(x.row(r));
  return out;
}

std::vector<double> sensitivity(const Differentiable& model, const MatD64& x, int target) {
  return sensitivity_of(gradient(model, x, target));  // [R x E]
}

std::vector<double> gradient_input(const Differentiable& model, const MatD64& x, int target) {
  return gradient_input_of(gradient(model, x, target), x);
}

std::vector<double> integrated_gradients(const Differentiable& model, const MatD64& x, int target,
                                         int steps) {
  if (steps < 1)
    throw InvalidArgument(fmt::format("integrated gradients needs at least 1 step, got {}", steps));
  MatD64 g_sum = MatD64::Zero(x.rows(), x.cols());  // [R x E]
  const std::size_t per_batch = batch_size(x.rows());
  std::vector<double> alphas;
  for (int k0 = 0; k0 < steps;) {
    const int k1 = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(steps), k0 + per_batch));
    alphas.clear();
    for (int k = k0; k < k1; ++k)
      alphas.push_back((static_cast<double>(k) + 0.5) / static_cast<double>(steps));  // midpoint
    model.add_scaled_gradients(x, alphas, target, &g_sum);                            // in step order
    k0 = k1;
  }
  g_sum /= static_cast<double>(steps);
  std::vector<double> out(static_cast<std::size_t>(x.rows()));
  for (Index r = 0; r < x.rows(); ++r) out[static_cast<std::size_t>(r)] = g_sum.row(r).dot(x.row(r));
  return out;
}

std::vector<double> occlusion(const Differentiable& model, const Embedded& in, int target, double score) {
  const Index R = in.x.rows(), n = in.n_tokens;
  TEXTLRP_ASSERT(in.first >= 0 && in.first + n <= R);
  std::vector<double> out(static_cast<std::size_t>(n), 0.0);
  const std::size_t per_batch = batch_size(R - 1);
  std::vector<MatD64> batch;
  for (Index t0 = 0; t0 < n;) {
    const Index t1 = std::min<Index>(n, t0 + static_cast<Index>(per_batch));
    batch.clear();
    for (Index t = t0; t < t1; ++t) {
      const Index r = in.first + t;  // the row removed
      MatD64 without(R - 1, in.x.cols());
      without.topRows(r) = in.x.topRows(r);
      without.bottomRows(R - 1 - r) = in.x.bottomRows(R - 1 - r);
      batch.push_back(std::move(without));
    }
    const MatD64 s = model.batch_scores(batch);  // [B x C]
    for (Index t = t0; t < t1; ++t) out[static_cast<std::size_t>(t)] = score - s(t - t0, target);
    t0 = t1;
  }
  return out;
}

std::vector<double> token_relevance(const Differentiable& model, const Embedded& in,
                                    std::span<const TokenId> ids, Method method, int target, double score,
                                    const ExplainOptions& options, std::vector<double>* special) {
  const Index R = in.x.rows();
  auto split = [&](const std::vector<double>& rows) {
    if (special != nullptr) {
      special->clear();
      for (Index r = 0; r < R; ++r) {
        if (r < in.first || r >= in.first + in.n_tokens)
          special->push_back(rows[static_cast<std::size_t>(r)]);
      }
    }
    return std::vector<double>(rows.begin() + in.first, rows.begin() + in.first + in.n_tokens);
  };
  auto zero_special = [&] {
    if (special != nullptr) special->assign(static_cast<std::size_t>(R - in.n_tokens), 0.0);
  };
  switch (method) {
    case Method::kSensitivity: return split(sensitivity(model, in.x, target));
    case Method::kGradientInput: return split(gradient_input(model, in.x, target));
    case Method::kIntegratedGradients:
      return split(integrated_gradients(model, in.x, target, options.ig_steps));
    case Method::kOcclusion: zero_special(); return occlusion(model, in, target, score);
    case Method::kRandom: zero_special(); return random_relevance(ids, options.seed);
    case Method::kLrp: break;
  }
  throw InvalidArgument("baselines: method lrp is the model's own");
}

}  // namespace textlrp::lrp::baselines
