// bench/cnn_bench.cpp — speed of the text CNN of Arras et al. (300-d embeddings, 800 filters of
// width 2, 20 classes) on one 300-token document: forward, LRP with the default rule, the gradient
// baselines, and — in the same run, as the yardstick — a float32 Eigen GEMM of the convolution's
// shapes ([299 x 600] x [600 x 800], the same row-major layouts the layer uses).
//
// Targets (issue 3): LRP <= 2x forward; forward >= 50 % of the GEMM rate. The ratios are printed
// after the table. Run: textlrp_bench [--benchmark_repetitions=5 ...]; one thread (Eigen's own
// threading is not enabled in textlrp).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <random>

#include "lrp/models/cnn_classifier.h"

namespace {

using namespace textlrp;
using namespace textlrp::lrp;

constexpr Index kVocab = 20000, kEmbd = 300, kFilters = 800, kWidth = 2, kClasses = 20, kTokens = 300;

Mat random_mat(Index rows, Index cols, unsigned seed, Scalar scale) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Mat m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = scale * normal(gen);
  return m;
}

const CnnClassifier& model() {
  static const CnnClassifier m = [] {
    std::vector<Conv1d> convs;
    convs.emplace_back(random_mat(kFilters, kEmbd * kWidth, 2, 0.05f), kEmbd, kWidth,
                       Vec(random_mat(kFilters, 1, 3, 0.1f).col(0)));
    std::vector<std::string> labels;
    for (Index c = 0; c < kClasses; ++c) labels.push_back(std::to_string(c));
    return CnnClassifier(
        labels, Embedding(random_mat(kVocab, kEmbd, 1, 0.3f)), std::move(convs),
        Dense(random_mat(kClasses, kFilters, 4, 0.05f), Vec(random_mat(kClasses, 1, 5, 0.1f).col(0))));
  }();
  return m;
}

const std::vector<TokenId>& document() {
  static const std::vector<TokenId> ids = [] {
    std::mt19937 gen(7);
    std::vector<TokenId> v(kTokens);
    for (auto& id : v) id = static_cast<TokenId>(gen() % kVocab);
    return v;
  }();
  return ids;
}

constexpr double kConvFlops = 2.0 * (kTokens - kWidth + 1) * (kEmbd * kWidth) * kFilters;

void BM_Gemm(benchmark::State& state) {
  const Mat a = random_mat(kTokens - kWidth + 1, kEmbd * kWidth, 8, 1.0f);  // [299 x 600]
  const Mat b = random_mat(kFilters, kEmbd * kWidth, 9, 1.0f);              // [800 x 600] (weight layout)
  Mat c(a.rows(), b.rows());                                                // [299 x 800]
  for (auto _ : state) {
    c.noalias() = a * b.transpose();
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(kConvFlops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Forward(benchmark::State& state) {
  for (auto _ : state) {
    const Vec s = model().scores(document());
    benchmark::DoNotOptimize(s.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(kConvFlops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ForwardTrace(benchmark::State& state) {
  for (auto _ : state) {
    CnnClassifier::Trace trace;
    const Vec s = model().forward(document(), &trace);
    benchmark::DoNotOptimize(s.data());
  }
}

void explain_with(benchmark::State& state, Method method) {
  ExplainOptions o;
  o.method = method;
  for (auto _ : state) {
    const Explanation e = model().explain(document(), o);
    benchmark::DoNotOptimize(e.relevance.data());
  }
}
void BM_Lrp(benchmark::State& state) { explain_with(state, Method::kLrp); }
void BM_Sensitivity(benchmark::State& state) { explain_with(state, Method::kSensitivity); }

// The relevance pass alone, on a trace kept from one forward pass.
void BM_LrpRelevanceOnly(benchmark::State& state) {
  CnnClassifier::Trace trace;
  const Vec s = model().forward(document(), &trace);
  const int target = argmax(s);
  Vec r = Vec::Zero(kClasses);
  r[target] = s[target];
  const RuleMap rules = model().default_rules();
  for (auto _ : state) {
    const Mat r_x = model().relevance(trace, r, rules);
    benchmark::DoNotOptimize(r_x.data());
  }
}

BENCHMARK(BM_Gemm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Forward)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ForwardTrace)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Lrp)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LrpRelevanceOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Sensitivity)->Unit(benchmark::kMillisecond);

// Remembers each benchmark's CPU time (ms) so the ratios can be printed at the end. CPU time, not
// wall time, so that other processes competing for the cores do not distort the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      // With repetitions, keep the median aggregate; otherwise the single run.
      if (r.run_type == Run::RT_Iteration || r.aggregate_name == "median") {
        times[r.run_name.function_name] = r.GetAdjustedCPUTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> times;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  auto& t = reporter.times;
  if (t.count("BM_Gemm") && t.count("BM_Forward") && t.count("BM_Lrp")) {
    std::printf(
        "\nCNN %lld tokens, %lld-d embeddings, %lld filters of width %lld, %lld classes (one thread, CPU "
        "time):\n",
        static_cast<long long>(kTokens), static_cast<long long>(kEmbd), static_cast<long long>(kFilters),
        static_cast<long long>(kWidth), static_cast<long long>(kClasses));
    std::printf(
        "  GEMM %.3f ms (%.1f GFLOP/s), forward %.3f ms, LRP (explain, %s) %.3f ms, relevance pass %.3f ms\n",
        t["BM_Gemm"], kConvFlops * 1e-6 / t["BM_Gemm"], t["BM_Forward"],
        model().default_rules().to_string().c_str(), t["BM_Lrp"], t["BM_LrpRelevanceOnly"]);
    std::printf("  LRP / forward = %.2f (target <= 2)\n", t["BM_Lrp"] / t["BM_Forward"]);
    std::printf("  forward rate = %.0f %% of the GEMM rate (target >= 50 %%)\n",
                100.0 * t["BM_Gemm"] / t["BM_Forward"]);
  }
  benchmark::Shutdown();
  return 0;
}
