// bench/lstm_step_bench.cpp — where the time of the LSTM's forward recurrence goes, at every
// instruction-set level this CPU has, in float64 and float32: one direction of 20 steps of the Arras
// shape (H = 60), run as
//   fused:    Table::step (the product h·W_hhᵀ and the cell fused, what one explanation runs at v3/v4),
//   separate: gemm (one row) + cell (what batches and the levels without a fused step run),
//   product:  the products alone (h fixed: no cell, no dependence between steps), the part that
//             streams W_hhᵀ (115 kB in float64, 58 kB in float32 against a 48 kB L1 here) every step.
// Timings are reported, never asserted. Run: textlrp_bench_lstm_step [--benchmark_repetitions=5].
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "lrp/layers/lstm.h"

namespace {

using namespace textlrp;
using namespace textlrp::lrp;

constexpr Index kHidden = 60, kSteps = 20;

template <class T>
struct Setup {
  const lstm_kernels::Table<T>& k;
  Index H = kHidden, G = 4 * kHidden;
  detail::AlignedArray<T> panels, fused;
  std::vector<T> zx, z, a, c, tc, h;
  explicit Setup(const lstm_kernels::Table<T>& table)
      : k(table), panels(table.panels_size(kHidden, 4 * kHidden)), fused(table.step_panels_size(kHidden)) {
    std::mt19937_64 gen(5);
    std::uniform_real_distribution<double> u(-0.3, 0.3);
    std::vector<T> w(static_cast<std::size_t>(G * H));
    for (auto& x : w) x = static_cast<T>(u(gen));
    k.pack_panels(w.data(), 1, H, H, G, panels.data());
    k.pack_step(w.data(), H, fused.data());
    zx.resize(static_cast<std::size_t>(kSteps * G));
    for (auto& x : zx) x = static_cast<T>(5 * u(gen));
    z.assign(zx.size(), T(0));
    a = z;
    c.assign(static_cast<std::size_t>(kSteps * H), T(0));
    tc = c;
    h = c;
  }
  T* row(std::vector<T>& v, Index t, Index w) { return v.data() + t * w; }
};

template <class T>
void run(benchmark::State& state, const lstm_kernels::Table<T>* k, int mode) {
  if (k == nullptr || (mode == 0 && k->step == nullptr)) {
    state.SkipWithError("not at this level");
    return;
  }
  Setup<T> s(*k);
  const Index H = s.H, G = s.G;
  for (auto _ : state) {
    for (Index t = 0; t < kSteps; ++t) {
      const int rev = static_cast<int>(t & 1);
      T* hp = t > 0 ? s.row(s.h, t - 1, H) : nullptr;
      T* cp = t > 0 ? s.row(s.c, t - 1, H) : nullptr;
      if (mode == 0) {
        k->step(s.row(s.zx, t, G), hp, cp, s.fused.data(), H, rev, s.row(s.z, t, G), s.row(s.a, t, G),
                s.row(s.c, t, H), s.row(s.tc, t, H), s.row(s.h, t, H));
      } else if (mode == 1) {
        std::copy(s.row(s.zx, t, G), s.row(s.zx, t, G) + G, s.row(s.z, t, G));
        if (hp != nullptr) k->gemm(hp, H, 1, s.panels.data(), H, 0, H, G, s.row(s.z, t, G), G, rev);
        k->cell(s.row(s.z, t, G), G, 1, H, s.row(s.a, t, G), G, cp, H, s.row(s.c, t, H), H, s.row(s.tc, t, H),
                H, s.row(s.h, t, H), H);
      } else {
        std::copy(s.row(s.zx, t, G), s.row(s.zx, t, G) + G, s.row(s.z, t, G));
        k->gemm(s.h.data(), H, 1, s.panels.data(), H, 0, H, G, s.row(s.z, t, G), G, rev);
      }
    }
    benchmark::DoNotOptimize(s.h.data());
    benchmark::ClobberMemory();
  }
  state.counters["steps"] = kSteps;
}

void register_all() {
  for (const char* level : {"v4", "v3", "v2", "generic"}) {
    const auto* k64 = lstm_kernels::table_f64_of(level);
    const auto* k32 = lstm_kernels::table_f32_of(level);
    if (k64 == nullptr) continue;
    const char* modes[] = {"fused", "separate", "product"};
    for (int mode = 0; mode < 3; ++mode) {
      benchmark::RegisterBenchmark((std::string("f64/") + level + "/" + modes[mode]).c_str(),
                                   [k64, mode](benchmark::State& st) { run<double>(st, k64, mode); });
      benchmark::RegisterBenchmark((std::string("f32/") + level + "/" + modes[mode]).c_str(),
                                   [k32, mode](benchmark::State& st) { run<float>(st, k32, mode); });
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
