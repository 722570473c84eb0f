// lrp/models/bilstm_batch.cpp — BiLstmClassifier's batch paths (bilstm_classifier.h): the packed batch
// forward and gradient (forward_embedded_batch, scores_batch, gradient_batch) and the Differentiable
// batches built on them and on the prefix-sharing forward (batch_scores, batch_scores_of,
// batch_gradients, add_scaled_gradients): bit for bit the numbers of one input at a time
// (bilstm_classifier.cpp).
#include <algorithm>
#include <cstddef>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "lrp/models/bilstm_classifier.h"

namespace textlrp::lrp {

MatD BiLstmClassifier::forward_embedded_batch(std::span<const MatD> xs, BatchTrace* trace) const {
  BatchTrace local;
  BatchTrace& tr = trace != nullptr ? *trace : local;
  const Index n = static_cast<Index>(xs.size()), E = n_embd(), G = 4 * n_hidden();
  tr.order.resize(xs.size());
  for (Index i = 0; i < n; ++i) {
    TEXTLRP_ASSERT(xs[static_cast<std::size_t>(i)].cols() == E);
    tr.order[static_cast<std::size_t>(i)] = i;
  }
  std::stable_sort(tr.order.begin(), tr.order.end(), [&](Index a, Index b) {
    return xs[static_cast<std::size_t>(a)].rows() > xs[static_cast<std::size_t>(b)].rows();
  });
  std::vector<Index> lens(xs.size());
  for (std::size_t b = 0; b < xs.size(); ++b) lens[b] = xs[static_cast<std::size_t>(tr.order[b])].rows();
  tr.batch = LstmBatch::packed(std::move(lens));
  const LstmBatch& pk = tr.batch;
  const Index N = pk.n_rows();
  tr.x[0].resize(N, E);
  tr.x[1].resize(N, E);
  for (Index b = 0; b < n; ++b) {
    const MatD& x = xs[static_cast<std::size_t>(tr.order[static_cast<std::size_t>(b)])];
    const Index L = x.rows();
    for (Index t = 0; t < L; ++t) {
      tr.x[0].row(pk.offset[static_cast<std::size_t>(t)] + b) = x.row(t);
      tr.x[1].row(pk.offset[static_cast<std::size_t>(t)] + b) =
          x.row(L - 1 - t);  // the right LSTM reads backwards
    }
  }
  MatD zx(N, G);
  for (int side = 0; side < 2; ++side) {
    p64_.lstm[side].project(tr.x[side].data(), E, N, zx.data(), G);
    p64_.lstm[side].forward(pk, zx.data(), G, false, &tr.dir[side]);
  }
  tr.scores.resize(n, n_classes());
  VecD s(n_classes());
  for (Index b = 0; b < n; ++b) {
    const Index L = pk.len[static_cast<std::size_t>(b)];
    if (L > 0) {  // as forward_trace()
      const Index row = pk.offset[static_cast<std::size_t>(L - 1)] + b;
      s.noalias() = p64_.fc[0] * tr.dir[0].h.row(row).transpose();
      s.noalias() += p64_.fc[1] * tr.dir[1].h.row(row).transpose();
    } else {
      s.setZero();
    }
    if (p64_.fc_bias.size() > 0) s += p64_.fc_bias;
    tr.scores.row(tr.order[static_cast<std::size_t>(b)]) = s.transpose();
  }
  return tr.scores;
}

MatD BiLstmClassifier::scores_batch(std::span<const std::vector<TokenId>> docs) const {
  std::vector<MatD> xs(docs.size());
  const Index V = n_vocab();
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const std::size_t T = std::min(docs[i].size(), static_cast<std::size_t>(max_tokens_));
    xs[i].resize(static_cast<Index>(T), n_embd());
    for (std::size_t t = 0; t < T; ++t) {
      const TokenId id = docs[i][t];
      if (id >= 0 && id < V) {
        xs[i].row(static_cast<Index>(t)) = weights_.embedding.row(id);
      } else {
        xs[i].row(static_cast<Index>(t)).setZero();
      }
    }
  }
  return forward_embedded_batch(xs, nullptr);
}

std::vector<MatD> BiLstmClassifier::gradient_batch(const BatchTrace& tr, const MatD& grad_scores) const {
  const LstmBatch& pk = tr.batch;
  const Index n = pk.size(), H = n_hidden(), E = n_embd();
  TEXTLRP_ASSERT(grad_scores.rows() == n && grad_scores.cols() == n_classes());
  std::vector<MatD> out(static_cast<std::size_t>(n));
  for (Index b = 0; b < n; ++b) {
    out[static_cast<std::size_t>(tr.order[static_cast<std::size_t>(b)])].resize(
        pk.len[static_cast<std::size_t>(b)], E);
  }
  MatD dz, dx;
  for (int side = 0; side < 2; ++side) {
    MatD dh(n, H);  // [B x H] on each sequence's last state, as gradient()
    for (Index b = 0; b < n; ++b) {
      const VecD g = grad_scores.row(tr.order[static_cast<std::size_t>(b)]).transpose();
      dh.row(b) = (p64_.fc[side].transpose() * g).transpose();
    }
    p64_.lstm[side].backward(pk, tr.dir[side], dh, &dz);
    p64_.lstm[side].input_gradient(dz, &dx);
    for (Index b = 0; b < n; ++b) {
      MatD& o = out[static_cast<std::size_t>(tr.order[static_cast<std::size_t>(b)])];
      const Index L = pk.len[static_cast<std::size_t>(b)];
      for (Index t = 0; t < L; ++t) {
        const auto row = dx.row(pk.offset[static_cast<std::size_t>(t)] + b);
        if (side == 0) {
          o.row(t) = row;
        } else {
          o.row(L - 1 - t) += row;
        }
      }
    }
  }
  return out;
}

// The Differentiable batches go through the packed batch layer: one matrix product per direction
// for the input projections of every row of the batch and one [n_t x H]·[H x 4H] product per time
// step, bit for bit the numbers of forward_embedded()/gradient() on each input alone.
MatD BiLstmClassifier::scores_of_rows(const MatD& rows, const std::vector<Index>& idx,
                                      const std::vector<Index>& start) const {
  const Index U = rows.rows(), E = n_embd(), G = 4 * n_hidden();
  TEXTLRP_ASSERT(rows.cols() == E);
  MatD zx(U, G), h_final[2];
  for (int side = 0; side < 2; ++side) {
    p64_.lstm[side].project(rows.data(), E, U, zx.data(), G);  // each distinct row once
    prefix64_[side].final_states(zx.data(), G, idx, start, side == 1, &h_final[side]);
  }
  return scores_of_final(h_final, start);
}

MatD BiLstmClassifier::scores_of_projected(const double* zx, Index ldzx, const std::vector<Index>& idx,
                                           const std::vector<Index>& start) const {
  const Index G = 4 * n_hidden();
  MatD h_final[2];
  for (int side = 0; side < 2; ++side) {
    prefix64_[side].final_states(zx + side * G, ldzx, idx, start, side == 1, &h_final[side]);
  }
  return scores_of_final(h_final, start);
}

MatD BiLstmClassifier::scores_of_final(const MatD (&h_final)[2], const std::vector<Index>& start) const {
  const Index B = static_cast<Index>(start.size()) - 1;
  MatD out(B, n_classes());
  VecD s(n_classes());
  for (Index b = 0; b < B; ++b) {
    if (start[static_cast<std::size_t>(b) + 1] > start[static_cast<std::size_t>(b)]) {  // as forward_trace()
      s.noalias() = p64_.fc[0] * h_final[0].row(b).transpose();
      s.noalias() += p64_.fc[1] * h_final[1].row(b).transpose();
    } else {
      s.setZero();
    }
    if (p64_.fc_bias.size() > 0) s += p64_.fc_bias;
    out.row(b) = s.transpose();
  }
  return out;
}

MatD64 BiLstmClassifier::batch_scores(std::span<const MatD64> xs) const {
  // The distinct rows (bit for bit: a row's projection depends on its bits only).
  const Index E = n_embd();
  std::unordered_map<std::string_view, Index> seen;
  std::vector<const double*> distinct;
  std::vector<Index> idx, start{0};
  for (const MatD64& x : xs) {
    TEXTLRP_ASSERT(x.cols() == E);
    for (Index t = 0; t < x.rows(); ++t) {
      const std::string_view bytes(reinterpret_cast<const char*>(x.row(t).data()),
                                   static_cast<std::size_t>(E) * sizeof(double));
      const auto [it, fresh] = seen.try_emplace(bytes, static_cast<Index>(distinct.size()));
      if (fresh) distinct.push_back(x.row(t).data());
      idx.push_back(it->second);
    }
    start.push_back(static_cast<Index>(idx.size()));
  }
  MatD rows(static_cast<Index>(distinct.size()), E);
  for (std::size_t u = 0; u < distinct.size(); ++u) {
    rows.row(static_cast<Index>(u)) = Eigen::Map<const VecD>(distinct[u], E).transpose();
  }
  return scores_of_rows(rows, idx, start);  // [B x C]
}

void BiLstmClassifier::add_scaled_gradients(const MatD64& x, std::span<const double> alphas, int target,
                                            MatD64* g_sum) const {
  TEXTLRP_ASSERT(target >= 0 && target < n_classes() && x.cols() == n_embd());
  TEXTLRP_ASSERT(g_sum->rows() == x.rows() && g_sum->cols() == x.cols());
  const Index T = x.rows(), B = static_cast<Index>(alphas.size()), H = n_hidden(), G = 4 * H;
  if (T == 0 || B == 0) return;
  const LstmBatch batch = LstmBatch::equal(B, T);  // step t of copy b: row t·B + b
  MatD p, zx(T * B, G), dh(B, H), dz, dz_sum(T, G), gx;
  LstmCache<double> cache;
  for (int side = 0; side < 2; ++side) {
    const Lstm<double>& lstm = p64_.lstm[side];
    // x W_ihᵀ once, in the direction's reading order (the right LSTM reads backwards).
    if (side == 0) {
      p.noalias() = x * lstm.w_ih().transpose();  // [T x 4H]
    } else {
      p.noalias() = x.colwise().reverse() * lstm.w_ih().transpose();
    }
    for (Index t = 0; t < T; ++t) {
      for (Index b = 0; b < B; ++b)
        zx.row(t * B + b) = alphas[static_cast<std::size_t>(b)] * p.row(t) + lstm.bias().transpose();
    }
    lstm.forward(batch, zx.data(), G, false, &cache);
    for (Index b = 0; b < B; ++b) dh.row(b) = p64_.fc[side].row(target);  // ∂s_target/∂h_{T-1}
    lstm.backward(batch, cache, dh, &dz);                                 // [T·B x 4H]
    for (Index t = 0; t < T; ++t) dz_sum.row(t) = dz.middleRows(t * B, B).colwise().sum();
    lstm.input_gradient(dz_sum, &gx);  // [T x E] = Σ_b ∂s/∂x'_b, reading order
    if (side == 0) {
      *g_sum += gx;
    } else {
      *g_sum += gx.colwise().reverse();
    }
  }
}

MatD64 BiLstmClassifier::batch_scores_of(std::span<const std::vector<TokenId>> docs, Index batch_rows) const {
  // Rows are token ids (every id outside the vocabulary is the same zero row), as embed() reads them.
  // With a projected-embedding table its rows are the projected rows (row V: the zero row), indexed by
  // id; without, the chunk's distinct ids are embedded and projected once each.
  const Index V = n_vocab(), E = n_embd();
  const BiLstmProjectionTable<double> tab = projection_table<double>();
  MatD64 out(static_cast<Index>(docs.size()), n_classes());
  std::unordered_map<TokenId, Index> seen;
  std::vector<TokenId> distinct;
  std::vector<Index> idx, start{0};
  std::size_t first = 0;  // the chunk's first document
  auto flush = [&] {
    if (start.size() == 1) return;
    const Index n = static_cast<Index>(start.size()) - 1;
    if (tab) {
      out.middleRows(static_cast<Index>(first), n) = scores_of_projected(tab.data, tab.ld, idx, start);
    } else {
      MatD rows(static_cast<Index>(distinct.size()), E);
      for (std::size_t u = 0; u < distinct.size(); ++u) {
        if (distinct[u] >= 0) {
          rows.row(static_cast<Index>(u)) = weights_.embedding.row(distinct[u]);
        } else {
          rows.row(static_cast<Index>(u)).setZero();
        }
      }
      out.middleRows(static_cast<Index>(first), n) = scores_of_rows(rows, idx, start);
    }
    first += static_cast<std::size_t>(n);
    seen.clear();
    distinct.clear();
    idx.clear();
    start.assign(1, 0);
  };
  for (const std::vector<TokenId>& d : docs) {
    const std::size_t T = std::min(d.size(), static_cast<std::size_t>(max_tokens_));
    for (std::size_t t = 0; t < T; ++t) {
      const TokenId id = d[t] >= 0 && d[t] < V ? d[t] : TokenId(-1);
      if (tab) {
        idx.push_back(id >= 0 ? static_cast<Index>(id) : V);
      } else {
        const auto [it, fresh] = seen.try_emplace(id, static_cast<Index>(distinct.size()));
        if (fresh) distinct.push_back(id);
        idx.push_back(it->second);
      }
    }
    start.push_back(static_cast<Index>(idx.size()));
    if (static_cast<Index>(idx.size()) >= 4 * batch_rows) flush();
  }
  flush();
  return out;
}

std::vector<MatD64> BiLstmClassifier::batch_gradients(std::span<const MatD64> xs, int target,
                                                      MatD64* scores) const {
  TEXTLRP_ASSERT(target >= 0 && target < n_classes());
  BatchTrace tr;
  const MatD s = forward_embedded_batch(xs, &tr);
  if (scores != nullptr) *scores = s;
  MatD onehot = MatD::Zero(static_cast<Index>(xs.size()), n_classes());  // [B x C]
  onehot.col(target).setOnes();
  return gradient_batch(tr, onehot);
}

}  // namespace textlrp::lrp
