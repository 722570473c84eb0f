// tests/train/bilstm_train_test.cpp — the BiLSTM trainer (train/bilstm_train.h): its batched
// forward against a plain per-sentence reference, its backward against finite differences, that it
// learns a toy task, and that it is deterministic.
#include "train/bilstm_train.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/catch.h"

using namespace textlrp;
using namespace textlrp::lrp;
using namespace textlrp::train;

namespace {

MatD random_matd(Index rows, Index cols, std::mt19937_64& rng, double scale) {
  std::uniform_real_distribution<double> u(-scale, scale);
  MatD m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = u(rng);
  return m;
}

VecD random_vecd(Index n, std::mt19937_64& rng, double scale) { return random_matd(n, 1, rng, scale).col(0); }

BiLstmWeights random_weights(Index V, Index E, Index H, Index C, bool bias, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  BiLstmWeights w;
  w.embedding = random_matd(V, E, rng, 1.0);
  for (LstmWeights* d : {&w.left, &w.right}) {
    d->w_ih = random_matd(4 * H, E, rng, 0.8);
    d->w_hh = random_matd(4 * H, H, rng, 0.8);
    d->b_ih = random_vecd(4 * H, rng, 0.5);
    d->b_hh = random_vecd(4 * H, rng, 0.5);
  }
  w.fc_left = random_matd(C, H, rng, 1.0);
  w.fc_right = random_matd(C, H, rng, 1.0);
  if (bias) w.fc_bias = random_vecd(C, rng, 0.5);
  return w;
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// The model's equations (lrp/models/bilstm_classifier.h), one sentence at a time, written plainly.
VecD reference_scores(const BiLstmWeights& w, const std::vector<TokenId>& ids) {
  const Index H = w.left.w_hh.cols();
  const Index E = w.embedding.cols();
  auto run = [&](const LstmWeights& d, bool reverse) {
    VecD h = VecD::Zero(H), c = VecD::Zero(H);
    const auto T = ids.size();
    for (std::size_t k = 0; k < T; ++k) {
      const TokenId id = ids[reverse ? T - 1 - k : k];
      VecD x = VecD::Zero(E);
      if (id >= 0 && id < w.embedding.rows()) x = w.embedding.row(id).transpose();
      const VecD z = d.w_ih * x + d.w_hh * h + d.b_ih + d.b_hh;
      VecD hn(H), cn(H);
      for (Index j = 0; j < H; ++j) {
        const double i = sigmoid(z[j]), g = std::tanh(z[H + j]), f = sigmoid(z[2 * H + j]),
                     o = sigmoid(z[3 * H + j]);
        cn[j] = f * c[j] + i * g;
        hn[j] = o * std::tanh(cn[j]);
      }
      h = hn;
      c = cn;
    }
    return h;
  };
  VecD s = w.fc_left * run(w.left, false) + w.fc_right * run(w.right, true);
  if (w.fc_bias.size() > 0) s += w.fc_bias;
  return s;
}

// Every parameter block of the weights, for finite differences.
std::vector<std::pair<std::string, double*>> entries(BiLstmWeights& w) {
  std::vector<std::pair<std::string, double*>> out;
  auto add = [&](const std::string& name, double* data, Index n) {
    for (Index i = 0; i < n; ++i) out.emplace_back(name + "[" + std::to_string(i) + "]", data + i);
  };
  add("embedding", w.embedding.data(), w.embedding.size());
  for (auto [name, d] : {std::pair<std::string, LstmWeights*>{"left", &w.left}, {"right", &w.right}}) {
    add(name + ".w_ih", d->w_ih.data(), d->w_ih.size());
    add(name + ".w_hh", d->w_hh.data(), d->w_hh.size());
    add(name + ".b_ih", d->b_ih.data(), d->b_ih.size());
    add(name + ".b_hh", d->b_hh.data(), d->b_hh.size());
  }
  add("fc_left", w.fc_left.data(), w.fc_left.size());
  add("fc_right", w.fc_right.data(), w.fc_right.size());
  add("fc_bias", w.fc_bias.data(), w.fc_bias.size());
  return out;
}

// A toy sentiment task: filler words 4..11, "good" (1) or "bad" (2) somewhere; "not" (3) right before the
// marker flips it. Label 1 = positive.
void toy_task(std::size_t n, std::uint64_t seed, std::vector<std::vector<TokenId>>* docs,
              std::vector<int>* labels) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> len(0, 6), filler(4, 11), coin(0, 1);
  for (std::size_t k = 0; k < n; ++k) {
    std::vector<TokenId> d;
    for (int i = len(rng); i > 0; --i) d.push_back(filler(rng));
    const bool good = coin(rng) == 1, negated = coin(rng) == 1 && coin(rng) == 1;
    if (negated) d.push_back(3);
    d.push_back(good ? 1 : 2);
    for (int i = len(rng); i > 0; --i) d.push_back(filler(rng));
    docs->push_back(std::move(d));
    labels->push_back(good != negated ? 1 : 0);
  }
}

bool same_weights(const BiLstmWeights& a, const BiLstmWeights& b) {
  return a.embedding == b.embedding && a.left.w_ih == b.left.w_ih && a.left.w_hh == b.left.w_hh &&
         a.left.b_ih == b.left.b_ih && a.right.w_ih == b.right.w_ih && a.right.w_hh == b.right.w_hh &&
         a.right.b_ih == b.right.b_ih && a.fc_left == b.fc_left && a.fc_right == b.fc_right &&
         a.fc_bias == b.fc_bias;
}

}  // namespace

TEST_CASE("bilstm_train: the batched forward matches a per-sentence reference", "[bilstm_train]") {
  for (const bool bias : {true, false}) {
    const BiLstmWeights w = random_weights(9, 4, 3, 5, bias, 7);
    // Mixed lengths (packing), an empty sentence, ids outside the table, repeated words.
    const std::vector<std::vector<TokenId>> docs = {
        {1, 2, 3},     {},     {4},       {0, 8, 8, 8, 2, 5, 7},
        {3, -1, 9, 2}, {6, 5}, {1, 2, 3}, {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}};
    for (const int threads : {1, 2}) {
      const std::vector<VecD> s = bilstm_batch_scores(w, docs, threads);
      REQUIRE(s.size() == docs.size());
      for (std::size_t k = 0; k < docs.size(); ++k) {
        const VecD ref = reference_scores(w, docs[k]);
        INFO("document " << k << ", bias " << bias << ", threads " << threads);
        CHECK((s[k] - ref).cwiseAbs().maxCoeff() < 1e-12);
      }
    }
  }
}

TEST_CASE("bilstm_train: backward matches finite differences for every parameter",
          "[bilstm_train][backward]") {
  for (const bool bias : {true, false}) {
    BiLstmWeights w = random_weights(7, 3, 2, 3, bias, 11);
    const std::vector<std::vector<TokenId>> docs = {{1, 2, 3, 1}, {4}, {}, {0, 6, 5, 5, 2, 1}, {3, 7, -2, 6}};
    const std::vector<int> labels = {0, 2, 1, 1, 2};
    BiLstmWeights grad;
    const double loss = bilstm_loss_and_gradient(w, docs, labels, &grad);
    CHECK(std::isfinite(loss));
    CHECK(loss > 0);
    const auto params = entries(w);
    const auto grads = entries(grad);
    REQUIRE(params.size() == grads.size());
    const double h = 1e-6;
    double worst = 0;
    for (std::size_t i = 0; i < params.size(); ++i) {
      double* x = params[i].second;
      const double x0 = *x;
      *x = x0 + h;
      const double lp = bilstm_loss_and_gradient(w, docs, labels, nullptr);
      *x = x0 - h;
      const double lm = bilstm_loss_and_gradient(w, docs, labels, nullptr);
      *x = x0;
      const double fd = (lp - lm) / (2 * h);
      const double an = *grads[i].second;
      INFO(params[i].first << ": analytic " << an << ", finite difference " << fd);
      CHECK(std::abs(an - fd) <= 1e-7 * std::max(1.0, std::abs(fd)));
      worst = std::max(worst, std::abs(an - fd));
    }
    CHECK(worst < 1e-7);
  }
}

TEST_CASE("bilstm_train: learns a toy task with negation to 100 % and the loss falls", "[bilstm_train]") {
  std::vector<std::vector<TokenId>> docs, dev;
  std::vector<int> labels, dev_labels;
  toy_task(400, 1, &docs, &labels);
  toy_task(100, 2, &dev, &dev_labels);
  std::mt19937_64 rng(3);
  const MatD emb = random_matd(12, 8, rng, 0.25);
  for (const auto optimizer : {BiLstmOptimizer::kAdam, BiLstmOptimizer::kAdagrad}) {
    BiLstmTrainOptions o;
    o.n_hidden = 8;
    o.max_epochs = 40;
    o.patience = 40;
    o.batch_size = 16;
    o.optimizer = optimizer;
    o.learning_rate = optimizer == BiLstmOptimizer::kAdam ? 0.01 : 0.1;
    o.dropout_hidden = 0;
    o.threads = 2;
    int epochs_seen = 0;
    o.epoch_done = [&](int, double, double, double) { ++epochs_seen; };
    BiLstmTrainReport rep;
    const BiLstmWeights w = train_bilstm_weights(docs, labels, dev, dev_labels, 2, emb, o, &rep);
    INFO("optimizer " << (optimizer == BiLstmOptimizer::kAdam ? "adam" : "adagrad") << ", best epoch "
                      << rep.best_epoch << ", dev " << rep.best_dev_accuracy);
    CHECK(epochs_seen == rep.epochs_run);
    CHECK(rep.train_loss.back() < 0.5 * rep.train_loss.front());
    CHECK(rep.best_dev_accuracy == 1.0);
    CHECK(bilstm_accuracy(w, docs, labels, 2) == 1.0);
    CHECK(bilstm_accuracy(w, dev, dev_labels, 1) == 1.0);
    // Exported layout: b_hh is zero, the output bias is there.
    CHECK(w.left.b_hh.cwiseAbs().maxCoeff() == 0);
    CHECK(w.fc_bias.size() == 2);
  }
}

TEST_CASE("bilstm_train: same seed and threads give the same model bit for bit", "[bilstm_train]") {
  std::vector<std::vector<TokenId>> docs, dev;
  std::vector<int> labels, dev_labels;
  toy_task(120, 5, &docs, &labels);
  toy_task(30, 6, &dev, &dev_labels);
  std::mt19937_64 rng(4);
  const MatD emb = random_matd(12, 6, rng, 0.25);
  BiLstmTrainOptions o;
  o.n_hidden = 5;
  o.max_epochs = 3;
  o.batch_size = 10;
  o.dropout_embedding = 0.2;
  o.dropout_hidden = 0.3;
  o.weight_decay = 1e-4;
  o.clip_norm = 0.5;  // small, so clipping happens
  o.output_bias = false;
  for (const int threads : {1, 2}) {
    o.threads = threads;
    const BiLstmWeights a = train_bilstm_weights(docs, labels, dev, dev_labels, 2, emb, o);
    const BiLstmWeights b = train_bilstm_weights(docs, labels, dev, dev_labels, 2, emb, o);
    CHECK(same_weights(a, b));
    CHECK(a.fc_bias.size() == 0);
    CHECK(!(a.embedding == emb));  // fine-tuned
    o.seed = 2;
    const BiLstmWeights c = train_bilstm_weights(docs, labels, dev, dev_labels, 2, emb, o);
    CHECK(!same_weights(a, c));
    o.seed = 1;
  }
  o.threads = 1;
  o.float64 = true;
  o.finetune_embeddings = false;
  const BiLstmWeights d = train_bilstm_weights(docs, labels, dev, dev_labels, 2, emb, o);
  CHECK(d.embedding == emb);  // frozen
  CHECK(same_weights(d, train_bilstm_weights(docs, labels, dev, dev_labels, 2, emb, o)));
}

TEST_CASE("bilstm_train: bad input and options are InvalidArgument", "[bilstm_train]") {
  const std::vector<std::vector<TokenId>> docs = {{1, 2}, {3}};
  const std::vector<int> labels = {0, 1};
  const MatD emb = MatD::Constant(4, 3, 0.1);
  BiLstmTrainOptions o;
  o.max_epochs = 1;
  CHECK_THROWS_AS(train_bilstm_weights({}, {}, {}, {}, 2, emb, o), InvalidArgument);
  CHECK_THROWS_AS(train_bilstm_weights(docs, {0}, {}, {}, 2, emb, o), InvalidArgument);
  CHECK_THROWS_AS(train_bilstm_weights(docs, {0, 2}, {}, {}, 2, emb, o), InvalidArgument);
  CHECK_THROWS_AS(train_bilstm_weights(docs, labels, {}, {}, 2, MatD(), o), InvalidArgument);
  auto with = [&](auto change) {
    BiLstmTrainOptions b = o;
    change(b);
    return b;
  };
  CHECK_THROWS_AS(train_bilstm_weights(docs, labels, {}, {}, 2, emb, with([](auto& b) { b.n_hidden = 0; })),
                  InvalidArgument);
  CHECK_THROWS_AS(
      train_bilstm_weights(docs, labels, {}, {}, 2, emb, with([](auto& b) { b.dropout_hidden = 1; })),
      InvalidArgument);
  CHECK_THROWS_AS(
      train_bilstm_weights(docs, labels, {}, {}, 2, emb, with([](auto& b) { b.learning_rate = 0; })),
      InvalidArgument);
  CHECK_THROWS_AS(train_bilstm_weights(docs, labels, {}, {}, 2, emb, with([](auto& b) { b.threads = 0; })),
                  InvalidArgument);
  CHECK_THROWS_AS(train_bilstm_weights(docs, labels, {}, {}, 2, emb, with([](auto& b) { b.max_tokens = 0; })),
                  InvalidArgument);
  // Without a dev set every epoch runs and the last one is kept.
  BiLstmTrainReport rep;
  o.max_epochs = 2;
  train_bilstm_weights(docs, labels, {}, {}, 2, emb, o, &rep);
  CHECK(rep.epochs_run == 2);
  CHECK(rep.best_epoch == 2);
}

TEST_CASE("bilstm_train: train_bilstm returns a BiLstmClassifier that scores like the trainer",
          "[bilstm_train]") {
  std::vector<std::vector<TokenId>> docs, dev;
  std::vector<int> labels, dev_labels;
  toy_task(60, 7, &docs, &labels);
  toy_task(20, 8, &dev, &dev_labels);
  std::mt19937_64 rng(9);
  BiLstmTrainOptions o;
  o.n_hidden = 4;
  o.max_epochs = 2;
  o.threads = 1;
  for (const bool bias : {true, false}) {
    o.output_bias = bias;
    const auto model =
        train_bilstm(docs, labels, dev, dev_labels, {"neg", "pos"}, random_matd(12, 5, rng, 0.25), o);
    CHECK(model->labels() == std::vector<std::string>{"neg", "pos"});
    CHECK(model->n_hidden() == 4);
    CHECK(model->n_embd() == 5);
    CHECK(model->weights().fc_bias.size() == (bias ? 2 : 0));
    dev.push_back({});  // an empty sentence too
    const std::vector<VecD> s = bilstm_batch_scores(model->weights(), dev, 2);
    for (std::size_t k = 0; k < dev.size(); ++k) {
      const Vec m = model->scores(dev[k]);
      INFO("document " << k);
      CHECK((m.cast<double>() - s[k]).cwiseAbs().maxCoeff() < 1e-5);
    }
    dev.pop_back();
  }
}

// Issue 12: training reads what the model will read, the first max_tokens tokens.
TEST_CASE("bilstm_train: max_tokens trains on the truncated documents", "[bilstm_train]") {
  std::vector<std::vector<TokenId>> docs, dev;
  std::vector<int> labels, dev_labels;
  toy_task(60, 5, &docs, &labels);
  toy_task(20, 6, &dev, &dev_labels);
  std::mt19937_64 rng(4);
  const MatD emb = random_matd(12, 6, rng, 0.25);
  BiLstmTrainOptions o;
  o.n_hidden = 4;
  o.max_epochs = 2;
  o.threads = 1;
  o.max_tokens = 2;
  auto cut = [](std::vector<std::vector<TokenId>> d) {
    for (auto& ids : d) ids.resize(std::min<std::size_t>(ids.size(), 2));
    return d;
  };
  REQUIRE(std::any_of(docs.begin(), docs.end(), [](const auto& d) { return d.size() > 2; }));
  const BiLstmWeights a = train_bilstm_weights(docs, labels, dev, dev_labels, 2, emb, o);
  BiLstmTrainOptions whole = o;
  whole.max_tokens = 1000;
  CHECK(same_weights(a, train_bilstm_weights(cut(docs), labels, cut(dev), dev_labels, 2, emb, whole)));
  CHECK(!same_weights(a, train_bilstm_weights(docs, labels, dev, dev_labels, 2, emb, whole)));
  CHECK(train_bilstm(docs, labels, dev, dev_labels, {"a", "b"}, emb, o)->max_tokens() == 2);
}
