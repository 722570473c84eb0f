// bench/lstm_step_bench.cpp — where the time of the LSTM's forward recurrence goes, at every
// instruction-set level this CPU has, in float64 and float32: one direction of 20 steps of the Arras
// shape (H = 60), run as
//   fused:    Table::step (the product h·W_hhᵀ and the cell fused, what one explanation runs at v3/v4),
//   separate: gemm (one row) + cell (what batches and the levels without a fused step run),
//   product:  the products alone (h fixed: no cell, no dependence between steps), the part that
//             streams W_hhᵀ (115 kB in float64, 58 kB in float32 against a 48 kB L1 here) every step;
//   fused_indep: Table::step with h_{t−1} and c_{t−1} fixed (every step's products and cell, but no
//             step waits for the previous one's h): fused − fused_indep is what the recurrence's
//             latency costs, fused_indep − product what the cell's operations cost;
// and the fused relevance pass of signal-take-all (Table::lrp_sta_steps) over the 20 steps of that
// forward pass, as relevance_pair runs it for the two directions:
//   sta1:     one direction (one job);
//   sta2:     two directions as one call of two interleaved jobs;
//   sta1x2:   two directions one after the other (two calls of one job).
// Timings are reported, never asserted. Run: textlrp_bench_lstm_step [--benchmark_repetitions=5].
#include <benchmark/benchmark.h>

#include <cmath>
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
  detail::AlignedArray<T> panels, fused, back;  // back: W_hh [4H x H] for the relevance pass
  std::vector<T> zx, z, a, c, tc, h;
  explicit Setup(const lstm_kernels::Table<T>& table, unsigned seed = 5)
      : k(table),
        panels(table.panels_size(kHidden, 4 * kHidden)),
        fused(table.step_panels_size(kHidden)),
        back(table.panels_size(4 * kHidden, kHidden)) {
    std::mt19937_64 gen(seed);
    std::uniform_real_distribution<double> u(-0.3, 0.3);
    std::vector<T> w(static_cast<std::size_t>(G * H));
    for (auto& x : w) x = static_cast<T>(u(gen));
    k.pack_panels(w.data(), 1, H, H, G, panels.data());
    k.pack_step(w.data(), H, fused.data());
    k.pack_panels(w.data(), H, 1, G, H, back.data());
    zx.resize(static_cast<std::size_t>(kSteps * G));
    for (auto& x : zx) x = static_cast<T>(5 * u(gen));
    z.assign(zx.size(), T(0));
    a = z;
    c.assign(static_cast<std::size_t>(kSteps * H), T(0));
    tc = c;
    h = c;
  }
  T* row(std::vector<T>& v, Index t, Index w) { return v.data() + t * w; }
  // The forward pass over the kSteps steps (gemm + cell), for the relevance pass to start from.
  void forward() {
    for (Index t = 0; t < kSteps; ++t) {
      T* hp = t > 0 ? row(h, t - 1, H) : nullptr;
      T* cp = t > 0 ? row(c, t - 1, H) : nullptr;
      std::copy(row(zx, t, G), row(zx, t, G) + G, row(z, t, G));
      if (hp != nullptr) k.gemm(hp, H, 1, panels.data(), H, 0, H, G, row(z, t, G), G, 0);
      k.cell(row(z, t, G), G, 1, H, row(a, t, G), G, cp, H, row(c, t, H), H, row(tc, t, H), H, row(h, t, H),
             H);
    }
  }
};

// One direction's relevance pass: its scratch and job (W_hh as the layer packs it: pack_panels of
// its transpose, n_in = 4H).
template <class T>
struct StaJob {
  std::vector<T> rh, rc, q, r_last;
  lstm_kernels::LrpStaJob<T> j;
  explicit StaJob(Setup<T>& s) {
    const Index H = s.H;
    rh.assign(static_cast<std::size_t>(H), T(0));
    rc = rh;
    q.assign(static_cast<std::size_t>(kSteps * H), T(0));
    for (Index k = 0; k < H; ++k) r_last.push_back(static_cast<T>(0.01 * static_cast<double>(k % 7) - 0.02));
    j.n_steps = kSteps;
    j.H = H;
    j.a = s.a.data();
    j.z = s.z.data();
    j.ldg = s.G;
    j.c = s.c.data();
    j.h = s.h.data();
    j.ldh = H;
    j.w_hh = s.back.data();
    j.rh = rh.data();
    j.rc = rc.data();
    j.q = q.data();
    j.ldq = H;
  }
  void reset() {
    std::copy(r_last.begin(), r_last.end(), rh.begin());
    std::fill(rc.begin(), rc.end(), T(0));
  }
};

template <class T>
void run_sta(benchmark::State& state, const lstm_kernels::Table<T>* k, int mode) {
  if (k == nullptr) {
    state.SkipWithError("not at this level");
    return;
  }
  Setup<T> s(*k);
  s.forward();
  Setup<T> s2(*k, 6);  // the other direction: its own W_hh and trace
  s2.forward();
  StaJob<T> a(s), b(s2);
  const lstm_kernels::LrpStaJob<T> pair[2] = {a.j, b.j};
  const T eps = static_cast<T>(0.001);
  for (auto _ : state) {
    a.reset();
    b.reset();
    if (mode == 0) {
      k->lrp_sta_steps(&a.j, 1, eps);
    } else if (mode == 1) {
      k->lrp_sta_steps(pair, 2, eps);
    } else {
      k->lrp_sta_steps(&a.j, 1, eps);
      k->lrp_sta_steps(&b.j, 1, eps);
    }
    benchmark::DoNotOptimize(a.rc.data());
    benchmark::DoNotOptimize(b.rc.data());
    benchmark::ClobberMemory();
  }
  state.counters["steps"] = kSteps;
}

template <class T>
void run(benchmark::State& state, const lstm_kernels::Table<T>* k, int mode) {
  if (k == nullptr || ((mode == 0 || mode == 3) && k->step == nullptr)) {
    state.SkipWithError("not at this level");
    return;
  }
  Setup<T> s(*k);
  const Index H = s.H, G = s.G;
  std::vector<T> h_fixed(static_cast<std::size_t>(H)), c_fixed(static_cast<std::size_t>(H));
  for (Index j = 0; j < H; ++j) {
    h_fixed[static_cast<std::size_t>(j)] = static_cast<T>(0.5 * std::sin(0.7 * static_cast<double>(j)));
    c_fixed[static_cast<std::size_t>(j)] = static_cast<T>(std::cos(0.3 * static_cast<double>(j)));
  }
  for (auto _ : state) {
    for (Index t = 0; t < kSteps; ++t) {
      const int rev = static_cast<int>(t & 1);
      T* hp = t > 0 ? s.row(s.h, t - 1, H) : nullptr;
      T* cp = t > 0 ? s.row(s.c, t - 1, H) : nullptr;
      if (mode == 0) {
        k->step(s.row(s.zx, t, G), hp, cp, s.fused.data(), H, rev, s.row(s.z, t, G), s.row(s.a, t, G),
                s.row(s.c, t, H), s.row(s.tc, t, H), s.row(s.h, t, H));
      } else if (mode == 3) {
        k->step(s.row(s.zx, t, G), h_fixed.data(), c_fixed.data(), s.fused.data(), H, rev, s.row(s.z, t, G),
                s.row(s.a, t, G), s.row(s.c, t, H), s.row(s.tc, t, H), s.row(s.h, t, H));
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
    const char* modes[] = {"fused", "separate", "product", "fused_indep"};
    for (int mode = 0; mode < 4; ++mode) {
      benchmark::RegisterBenchmark((std::string("f64/") + level + "/" + modes[mode]).c_str(),
                                   [k64, mode](benchmark::State& st) { run<double>(st, k64, mode); });
      benchmark::RegisterBenchmark((std::string("f32/") + level + "/" + modes[mode]).c_str(),
                                   [k32, mode](benchmark::State& st) { run<float>(st, k32, mode); });
    }
    const char* sta_modes[] = {"sta1", "sta2", "sta1x2"};
    for (int mode = 0; mode < 3; ++mode) {
      benchmark::RegisterBenchmark((std::string("f64/") + level + "/" + sta_modes[mode]).c_str(),
                                   [k64, mode](benchmark::State& st) { run_sta<double>(st, k64, mode); });
      benchmark::RegisterBenchmark((std::string("f32/") + level + "/" + sta_modes[mode]).c_str(),
                                   [k32, mode](benchmark::State& st) { run_sta<float>(st, k32, mode); });
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
