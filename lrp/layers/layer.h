// lrp/layers/layer.h — the contract every matrix-to-matrix layer of lrp/ fulfils.
//
// There is no common virtual base class: models name their layers explicitly (CTranslate2 /
// llama.cpp style), and this concept documents and checks the shared shape of the API:
//   forward(x, &cache)              computes the output, filling the caller-owned Cache;
//   relevance(cache, r_out, rule)   LRP: redistributes the output relevance onto the input;
//   backward(cache, grad_out, &g)   gradient w.r.t. the input; adds parameter gradients to *g
//                                   (g may be nullptr when only the input gradient is needed).
// Layers are immutable after construction, so one layer serves every thread; all per-call state
// lives in the Cache. Users: lrp/models/*, tests/lrp/layers_test.cpp (static_assert(Layer<Dense>)).
// Embedding is the exception: its input is token ids, not a matrix.
#pragma once

#include <concepts>

#include "core/tensor.h"
#include "lrp/rules.h"

namespace textlrp::lrp {

template <class L>
concept Layer = requires(const L& layer, const Mat& m, const Rule& rule, typename L::Cache* cache,
                         const typename L::Cache& filled, typename L::Grads* grads) {
  { layer.forward(m, cache) } -> std::same_as<Mat>;
  { layer.relevance(filled, m, rule) } -> std::same_as<Mat>;
  { layer.backward(filled, m, grads) } -> std::same_as<Mat>;
};

}  // namespace textlrp::lrp
