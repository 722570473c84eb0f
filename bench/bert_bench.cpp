// bench/bert_bench.cpp — speed of the transformer on one 128-piece input through a BERT-base-shaped
// random model (12 layers, hidden 768, 12 heads, feed-forward 3072, vocabulary 30522, 2 classes),
// one thread: the forward pass (logits), one AttnLRP explanation, one CP-LRP explanation and the
// gradient (gi), plus the peak resident memory of the process after the explanations (counter
// peak_rss_MiB; the weights alone are about 420 MiB in float32).
//
// Target (issue 15): forward within 1.2x of PyTorch's forward (one thread, same shapes), one AttnLRP
// explanation no slower than PyTorch's forward + backward to the input embeddings with frozen
// weights. bench/compare_bert.py measures both sides in one run on the same weights (and the peak
// memory of the explanation); this program times the passes alone (for profiling). Run:
//   OMP_NUM_THREADS=1 textlrp_bench_bert --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <memory>
#include <random>

#include "core/cpu_isa.h"
#include "lrp/isa/dense_kernels.h"
#include "lrp/models/bert_classifier.h"

namespace {

using namespace textlrp;
using namespace textlrp::lrp;

constexpr Index kTokens = 128;

Mat random_mat(std::mt19937& gen, Index r, Index c, float sd) {
  std::normal_distribution<float> n(0.0f, sd);
  Mat m(r, c);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = n(gen);
  return m;
}

const BertClassifier& model() {
  static const std::unique_ptr<BertClassifier> m = [] {
    BertConfig c;
    c.vocab_size = 30522;
    c.hidden = 768;
    c.layers = 12;
    c.heads = 12;
    c.intermediate = 3072;
    c.max_positions = 512;
    c.type_vocab = 2;
    c.labels = {"negative", "positive"};
    std::mt19937 gen(1);
    const Index H = c.hidden, F = c.intermediate;
    auto lin = [&](Index out, Index in) {
      BertLinear l;
      l.w = random_mat(gen, out, in, 0.02f);
      l.b = random_mat(gen, out, 1, 0.02f).col(0);
      return l;
    };
    auto ln = [&] {
      BertLayerNorm n;
      n.gamma = Vec::Ones(H);
      n.beta = Vec::Zero(H);
      return n;
    };
    BertWeights w;
    w.word = random_mat(gen, c.vocab_size, H, 0.02f);
    w.position = random_mat(gen, c.max_positions, H, 0.02f);
    w.type = random_mat(gen, c.type_vocab, H, 0.02f);
    w.ln_embeddings = ln();
    for (Index l = 0; l < c.layers; ++l) {
      BertLayer L;
      L.q = lin(H, H);
      L.k = lin(H, H);
      L.v = lin(H, H);
      L.o = lin(H, H);
      L.ln_attention = ln();
      L.ff1 = lin(F, H);
      L.ff2 = lin(H, F);
      L.ln_output = ln();
      w.layers.push_back(std::move(L));
    }
    w.head = lin(H, H);
    w.classifier = lin(2, H);
    return std::make_unique<BertClassifier>(std::move(c), std::move(w));
  }();
  return *m;
}

std::vector<TokenId> input() {
  std::mt19937 gen(2);
  std::uniform_int_distribution<TokenId> u(1000, 29000);
  std::vector<TokenId> ids(kTokens);
  for (auto& id : ids) id = u(gen);
  ids.front() = 101;
  ids.back() = 102;
  return ids;
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

void BM_Forward(benchmark::State& state) {
  const auto& m = model();
  const auto ids = input();
  for (auto _ : state) benchmark::DoNotOptimize(m.logits(ids));
}

void explain(benchmark::State& state, BertMethod method) {
  const auto& m = model();
  const auto ids = input();
  for (auto _ : state) benchmark::DoNotOptimize(m.explain(ids, method, 0));
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}

void BM_AttnLrp(benchmark::State& state) { explain(state, BertMethod::kAttnLrp); }
void BM_CpLrp(benchmark::State& state) { explain(state, BertMethod::kCpLrp); }
void BM_GradientInput(benchmark::State& state) { explain(state, BertMethod::kGradientInput); }

// The per-ISA sgemm alone on the transformer's shapes, C[m x n] = A[m x k] · Bᵀ (B stored [n x k], as
// a Linear weight): range(0..2) = m, n, k. Counter GFLOPs = 2·m·n·k per call.
void BM_Sgemm(benchmark::State& state) {
  const Index m = state.range(0), n = state.range(1), k = state.range(2);
  std::mt19937 gen(3);
  const Mat a = random_mat(gen, m, k, 1.0f), b = random_mat(gen, n, k, 1.0f);
  Mat c(m, n);
  for (auto _ : state) {
    TEXTLRP_ISA_DISPATCH(sgemm(false, true, m, n, k, 1.0f, a.data(), k, b.data(), k, 0.0f, c.data(), n));
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOPs"] =
      benchmark::Counter(2.0 * static_cast<double>(m * n * k), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_Sgemm)
    ->Args({128, 768, 768})
    ->Args({128, 3072, 768})
    ->Args({128, 768, 3072})
    ->Args({128, 128, 64})
    ->Args({128, 64, 128});
BENCHMARK(BM_Forward)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AttnLrp)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CpLrp)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GradientInput)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
