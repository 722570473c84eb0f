#include "train/cnn_train.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "core/error.h"
#include "core/rng.h"
#include "core/thread_pool.h"

namespace textlrp::train {
using namespace lrp;  // the classifiers, layers and kernels trained here
namespace {

// Adam state for one dense parameter block.
struct AdamSlot {
  Mat m, v;
  void init(Index rows, Index cols) {
    m = Mat::Zero(rows, cols);
    v = Mat::Zero(rows, cols);
  }
};

struct AdamConfig {
  double lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

// p -= lr · m̂ / (√v̂ + ε), for a whole block (g: the batch-mean gradient, same shape as p).
void adam_step(Mat& p, const Mat& g, AdamSlot& s, const AdamConfig& c, long step) {
  const double bc1 = 1.0 - std::pow(c.beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(c.beta2, static_cast<double>(step));
  const auto b1 = static_cast<Scalar>(c.beta1), b2 = static_cast<Scalar>(c.beta2);
  s.m = b1 * s.m + (1 - b1) * g;
  s.v = b2 * s.v + (1 - b2) * g.cwiseProduct(g);
  const auto lr = static_cast<Scalar>(c.lr / bc1);
  const auto scale2 = static_cast<Scalar>(1.0 / bc2);
  p.array() -= lr * s.m.array() / ((s.v.array() * scale2).sqrt() + static_cast<Scalar>(c.eps));
}

struct Params {
  Mat embedding;            // [V x E]
  std::vector<Mat> conv_w;  // [F x E·K_i]
  std::vector<Vec> conv_b;  // [F]
  Mat fc_w;                 // [C x n_widths·F]
  Vec fc_b;                 // [C]
};

struct Layers {
  std::vector<Conv1d> convs;
  Dense fc;
};

Layers build_layers(const Params& p, const std::vector<Index>& kernels) {
  std::vector<Conv1d> convs;
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    convs.emplace_back(p.conv_w[i], p.embedding.cols(), kernels[i], p.conv_b[i]);
  }
  return Layers{std::move(convs), Dense(p.fc_w, p.fc_b)};
}

// Per-thread gradient accumulators.
struct Accum {
  std::vector<Conv1d::Grads> conv;
  Dense::Grads fc;
  std::vector<std::pair<TokenId, Vec>> emb_rows;  // (id, dL/de) for fine-tuning
  double loss = 0;
};

// Embeds ids (truncated to max_tokens, padded to max_kernel) -> [T₊ x E] and the used ids.
Mat embed(const Mat& table, const std::vector<TokenId>& ids, Index max_tokens, Index max_kernel,
          Index* n_tokens) {
  const Index n = std::min<Index>(static_cast<Index>(ids.size()), max_tokens);
  const Index rows = std::max(n, max_kernel);
  Mat x = Mat::Zero(rows, table.cols());  // [T₊ x E]
  for (Index t = 0; t < n; ++t) {
    const TokenId id = ids[static_cast<std::size_t>(t)];
    if (id >= 0 && id < table.rows()) x.row(t) = table.row(id);
  }
  *n_tokens = n;
  return x;
}

// Forward + backward of one document with dropout mask `keep` (empty = no dropout). Returns the
// scores; adds gradients (for the loss of `label`) to *acc when acc is not nullptr.
Vec run_document(const Layers& layers, const Mat& table, const std::vector<TokenId>& ids, int label,
                 const CnnTrainOptions& o, Index max_kernel, std::mt19937_64* rng, Accum* acc) {
  Index n_tokens = 0;
  const Mat x = embed(table, ids, o.max_tokens, max_kernel, &n_tokens);  // [T₊ x E]
  const std::size_t n_widths = layers.convs.size();
  const Index F = layers.convs[0].n_filters();
  std::vector<Conv1d::Cache> cc(n_widths);
  std::vector<Relu::Cache> rc(n_widths);
  std::vector<MaxOverTime::Cache> pc(n_widths);
  const Relu relu;
  const MaxOverTime pool;
  Mat pooled(1, static_cast<Index>(n_widths) * F);  // [1 x n_widths·F]
  for (std::size_t i = 0; i < n_widths; ++i) {
    const Mat z = layers.convs[i].forward(x, &cc[i]);  // [T' x F]
    const Mat y = relu.forward(z, &rc[i]);             // [T' x F]
    pooled.middleCols(static_cast<Index>(i) * F, F) = pool.forward(y, &pc[i]);
  }
  Mat mask;  // [1 x n_widths·F] inverted dropout: kept units scaled by 1/(1-p)
  if (rng != nullptr && o.dropout > 0) {
    mask.resize(1, pooled.cols());
    std::bernoulli_distribution keep(1.0 - o.dropout);
    const auto scale = static_cast<Scalar>(1.0 / (1.0 - o.dropout));
    for (Index j = 0; j < mask.cols(); ++j) mask(0, j) = keep(*rng) ? scale : Scalar(0);
    pooled = pooled.cwiseProduct(mask);
  }
  Dense::Cache fcc;
  const Mat s = layers.fc.forward(pooled, &fcc);  // [1 x C]
  if (acc == nullptr) return s.row(0).transpose();
  // Softmax cross-entropy: dL/ds = softmax(s) - onehot(label).
  const Scalar mx = s.maxCoeff();
  Mat p = (s.array() - mx).exp();  // [1 x C]
  const Scalar z = p.sum();
  p /= z;
  acc->loss += -std::log(std::max<double>(p(0, label), 1e-30));
  Mat g_s = p;
  g_s(0, label) -= 1;
  Mat g_pooled = layers.fc.backward(fcc, g_s, &acc->fc);  // [1 x n_widths·F]
  if (mask.size() > 0) g_pooled = g_pooled.cwiseProduct(mask);
  Mat g_x = Mat::Zero(x.rows(), x.cols());  // [T₊ x E]
  for (std::size_t i = 0; i < n_widths; ++i) {
    const Mat g_p = g_pooled.middleCols(static_cast<Index>(i) * F, F);  // [1 x F]
    const Mat g_y = pool.backward(pc[i], g_p, nullptr);                 // [T' x F]
    const Mat g_z = relu.backward(rc[i], g_y, nullptr);                 // [T' x F]
    g_x += layers.convs[i].backward(cc[i], g_z, &acc->conv[i]);         // [T₊ x E]
  }
  if (o.finetune_embeddings) {
    for (Index t = 0; t < n_tokens; ++t) {
      const TokenId id = ids[static_cast<std::size_t>(t)];
      if (id >= 0 && id < table.rows()) acc->emb_rows.emplace_back(id, g_x.row(t).transpose());
    }
  }
  return s.row(0).transpose();
}

}  // namespace

std::unique_ptr<CnnClassifier> train_cnn(const std::vector<std::vector<TokenId>>& docs,
                                         const std::vector<int>& labels,
                                         const std::vector<std::vector<TokenId>>& dev_docs,
                                         const std::vector<int>& dev_labels,
                                         std::vector<std::string> label_names, Mat embedding,
                                         const CnnTrainOptions& o, CnnTrainReport* report) {
  if (docs.empty()) throw InvalidArgument("cannot train on an empty training set");
  if (docs.size() != labels.size() || dev_docs.size() != dev_labels.size()) {
    throw InvalidArgument("train_cnn: documents and labels differ in length");
  }
  const auto C = static_cast<Index>(label_names.size());
  for (const int y : labels) {
    if (y < 0 || y >= C) throw InvalidArgument(fmt::format("label index {} is out of range", y));
  }
  for (const int y : dev_labels) {
    if (y < 0 || y >= C) throw InvalidArgument(fmt::format("label index {} is out of range", y));
  }
  if (o.kernel_sizes.empty() || o.n_filters < 1 || o.batch_size < 1 || o.max_epochs < 1 || o.max_tokens < 1 ||
      !(o.dropout >= 0 && o.dropout < 1) || !(o.learning_rate > 0) || o.threads < 1) {
    throw InvalidArgument(
        "train_cnn: invalid options (kernel sizes, filters, batch, epochs, dropout, rate, threads)");
  }
  for (const Index k : o.kernel_sizes) {
    if (k < 1 || k > 64) throw InvalidArgument(fmt::format("kernel size {} is out of range [1, 64]", k));
  }
  const Index E = embedding.cols();
  const Index F = o.n_filters;
  const auto n_widths = static_cast<Index>(o.kernel_sizes.size());
  const Index max_kernel = *std::max_element(o.kernel_sizes.begin(), o.kernel_sizes.end());
  std::mt19937_64 rng(o.seed);

  // PyTorch-style initialisation: U(-1/√fan_in, 1/√fan_in) for weights and biases.
  Params p;
  p.embedding = std::move(embedding);
  auto uniform = [&](Index rows, Index cols, double bound) {
    std::uniform_real_distribution<float> u(static_cast<float>(-bound), static_cast<float>(bound));
    Mat m(rows, cols);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = u(rng);
    return m;
  };
  for (const Index k : o.kernel_sizes) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(E * k));
    p.conv_w.push_back(uniform(F, E * k, bound));
    p.conv_b.push_back(uniform(F, 1, bound).col(0));
  }
  const double fc_bound = 1.0 / std::sqrt(static_cast<double>(n_widths * F));
  p.fc_w = uniform(C, n_widths * F, fc_bound);
  p.fc_b = uniform(C, 1, fc_bound).col(0);

  AdamConfig adam{o.learning_rate};
  std::vector<AdamSlot> conv_w_s(o.kernel_sizes.size()), conv_b_s(o.kernel_sizes.size());
  for (std::size_t i = 0; i < o.kernel_sizes.size(); ++i) {
    conv_w_s[i].init(F, E * o.kernel_sizes[i]);
    conv_b_s[i].init(F, 1);
  }
  AdamSlot fc_w_s, fc_b_s;
  fc_w_s.init(C, n_widths * F);
  fc_b_s.init(C, 1);
  AdamSlot emb_s;
  std::vector<long> emb_step;  // per-row step count for lazy Adam
  if (o.finetune_embeddings) {
    emb_s.init(p.embedding.rows(), E);
    emb_step.assign(static_cast<std::size_t>(p.embedding.rows()), 0);
  }

  ThreadPool pool(o.threads);  // the batches and the dev evaluation: o.threads tasks, one per thread
  auto evaluate = [&](const Layers& layers) {
    if (dev_docs.empty()) return 0.0;
    std::vector<int> correct(static_cast<std::size_t>(o.threads), 0);
    pool.parallel_for(static_cast<std::size_t>(o.threads), [&](std::size_t w) {
      for (std::size_t k = w; k < dev_docs.size(); k += static_cast<std::size_t>(o.threads)) {
        const Vec s = run_document(layers, p.embedding, dev_docs[k], 0, o, max_kernel, nullptr, nullptr);
        correct[w] += argmax(s) == dev_labels[k];
      }
    });
    return static_cast<double>(std::accumulate(correct.begin(), correct.end(), 0)) /
           static_cast<double>(dev_docs.size());
  };

  EarlyStopping<Params> stopping(p, o.patience, !dev_docs.empty(), o.epoch_done);
  long step = 0;
  std::vector<std::size_t> order(docs.size());
  std::iota(order.begin(), order.end(), 0);
  for (int epoch = 1; epoch <= o.max_epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    std::shuffle(order.begin(), order.end(), rng);
    double epoch_loss = 0;
    for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(o.batch_size)) {
      const std::size_t end = std::min(order.size(), start + static_cast<std::size_t>(o.batch_size));
      const Layers layers = build_layers(p, o.kernel_sizes);
      std::vector<Accum> acc(static_cast<std::size_t>(o.threads));
      for (auto& a : acc) a.conv.resize(o.kernel_sizes.size());
      // One seed per document and epoch, so dropout does not depend on the thread split.
      const std::uint64_t batch_seed = rng();
      pool.parallel_for(static_cast<std::size_t>(o.threads), [&](std::size_t w) {
        for (std::size_t k = start + w; k < end; k += static_cast<std::size_t>(o.threads)) {
          std::mt19937_64 doc_rng(batch_seed ^ (kSplitMix64Gamma * (k + 1)));
          run_document(layers, p.embedding, docs[order[k]], labels[order[k]], o, max_kernel, &doc_rng,
                       &acc[w]);
        }
      });
      // Sum in thread order (deterministic), then mean over the batch.
      for (std::size_t w = 1; w < acc.size(); ++w) {
        for (std::size_t i = 0; i < acc[0].conv.size(); ++i) {
          if (acc[w].conv[i].weight.size() == 0) continue;
          if (acc[0].conv[i].weight.size() == 0) {
            acc[0].conv[i] = acc[w].conv[i];
          } else {
            acc[0].conv[i].weight += acc[w].conv[i].weight;
            acc[0].conv[i].bias += acc[w].conv[i].bias;
          }
        }
        if (acc[w].fc.weight.size() > 0) {
          if (acc[0].fc.weight.size() == 0) {
            acc[0].fc = acc[w].fc;
          } else {
            acc[0].fc.weight += acc[w].fc.weight;
            acc[0].fc.bias += acc[w].fc.bias;
          }
        }
        acc[0].loss += acc[w].loss;
        for (auto& r : acc[w].emb_rows) acc[0].emb_rows.push_back(std::move(r));
      }
      const auto inv = static_cast<Scalar>(1.0 / static_cast<double>(end - start));
      ++step;
      for (std::size_t i = 0; i < o.kernel_sizes.size(); ++i) {
        adam_step(p.conv_w[i], acc[0].conv[i].weight * inv, conv_w_s[i], adam, step);
        Mat pb = p.conv_b[i];
        adam_step(pb, Mat(acc[0].conv[i].bias * inv), conv_b_s[i], adam, step);
        p.conv_b[i] = pb.col(0);
      }
      adam_step(p.fc_w, acc[0].fc.weight * inv, fc_w_s, adam, step);
      Mat fb = p.fc_b;
      adam_step(fb, Mat(acc[0].fc.bias * inv), fc_b_s, adam, step);
      p.fc_b = fb.col(0);
      if (o.finetune_embeddings && !acc[0].emb_rows.empty()) {
        // Lazy Adam: merge the rows of each id, then update only those rows.
        auto& rows = acc[0].emb_rows;
        std::stable_sort(rows.begin(), rows.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (std::size_t i = 0; i < rows.size();) {
          const TokenId id = rows[i].first;
          Vec g = rows[i].second;
          std::size_t j = i + 1;
          for (; j < rows.size() && rows[j].first == id; ++j) g += rows[j].second;
          g *= inv;
          const long t = ++emb_step[static_cast<std::size_t>(id)];
          const double bc1 = 1.0 - std::pow(adam.beta1, static_cast<double>(t));
          const double bc2 = 1.0 - std::pow(adam.beta2, static_cast<double>(t));
          auto m = emb_s.m.row(id);
          auto v = emb_s.v.row(id);
          m = 0.9f * m + 0.1f * g.transpose();
          v = 0.999f * v + 0.001f * g.cwiseProduct(g).transpose();
          p.embedding.row(id).array() -=
              static_cast<Scalar>(adam.lr / bc1) * m.array() /
              ((v.array() / static_cast<Scalar>(bc2)).sqrt() + static_cast<Scalar>(adam.eps));
          i = j;
        }
      }
      epoch_loss += acc[0].loss;
      if (o.progress) o.progress(epoch, end, order.size(), epoch_loss / static_cast<double>(end));
    }
    const double train_loss = epoch_loss / static_cast<double>(order.size());
    const double acc = evaluate(build_layers(p, o.kernel_sizes));
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!stopping.end_epoch(epoch, train_loss, acc, secs, p)) break;
  }
  if (report) *report = stopping.report();
  Params& best = stopping.best();
  Layers layers = build_layers(best, o.kernel_sizes);
  return std::make_unique<CnnClassifier>(std::move(label_names), Embedding(std::move(best.embedding)),
                                         std::move(layers.convs), std::move(layers.fc), o.max_tokens);
}

}  // namespace textlrp::train
