// textlrp bench — throughput of predict and explain on the same input, measured in one run, so the
// ratio is meaningful on a shared, noisy machine. Both passes read and tokenize the input and format
// their JSONL output (which is discarded), exactly as the predict/explain commands do.
#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

#include "apps/commands.h"
#include "apps/common/cli.h"
#include "core/cpu_isa.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "lrp/isa/lstm_kernels.h"
#include "lrp/isa/peak_kernels.h"
#include "lrp/kernels.h"
#include "lrp/models/bilstm_classifier.h"
#include "lrp/models/cnn_classifier.h"

namespace textlrp::app {
namespace {

// CPU seconds this process has used (every thread). On a shared machine the wall time of a pass
// grows with the other processes' load; its CPU time much less, so bench reports both.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Replays documents held in memory (stdin can be read only once, but every round needs the input).
class MemoryReader final : public corpora::CorpusReader {
 public:
  MemoryReader(const std::vector<corpora::Example>& docs, std::string_view format)
      : docs_(docs), format_(format) {}
  bool next(corpora::Example& out) override {
    if (next_ >= docs_.size()) return false;
    out = docs_[next_++];
    return true;
  }
  std::string_view format() const override { return format_; }

 private:
  const std::vector<corpora::Example>& docs_;
  std::string format_;
  std::size_t next_ = 0;
};

struct BenchOptions {
  std::string model;
  std::string model_shape;  // --model-shape: a synthetic model instead of --model
  int time_tokens = 0;      // --time-tokens: time forward/LRP on one synthetic document of this length
  InputOptions input;
  int threads = 1;
  int repeat = 3;
  std::string rule;
  std::string precision;
  bool quiet = false;
};

// --- forward / LRP timing on one synthetic document (--model-shape, --time-tokens) ---------------

// "cnn:tokens=300,embd=300,filters=800,widths=2,classes=20" -> arch and key=value pairs.
struct Shape {
  std::string arch;
  std::map<std::string, std::int64_t> values;
  std::int64_t get(const std::string& key) const { return values.at(key); }
};

Shape parse_shape(const std::string& spec) {
  static const std::map<std::string, std::map<std::string, std::int64_t>> kDefaults = {
      {"cnn",
       {{"tokens", 300}, {"embd", 300}, {"filters", 800}, {"widths", 2}, {"classes", 20}, {"vocab", 1000}}},
      {"bilstm", {{"tokens", 20}, {"embd", 60}, {"hidden", 60}, {"classes", 5}, {"vocab", 1000}}}};
  const auto colon = spec.find(':');
  Shape s;
  s.arch = spec.substr(0, colon);
  const auto def = kDefaults.find(s.arch);
  if (def == kDefaults.end()) {
    throw InvalidArgument(fmt::format("--model-shape '{}': the architecture must be cnn or bilstm", spec));
  }
  s.values = def->second;
  std::string rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string item = rest.substr(0, comma);
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    if (eq == std::string::npos || !s.values.count(key)) {
      std::string keys;
      for (const auto& [k, v] : def->second) keys += (keys.empty() ? "" : ", ") + k;
      throw InvalidArgument(
          fmt::format("--model-shape '{}': '{}' is not KEY=N with KEY one of {}", spec, item, keys));
    }
    std::int64_t v = 0;
    try {
      std::size_t used = 0;
      v = std::stoll(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw InvalidArgument(
          fmt::format("--model-shape '{}': '{}' is not an integer", spec, item.substr(eq + 1)));
    }
    if (v < 1 || v > 100000) {
      throw InvalidArgument(
          fmt::format("--model-shape '{}': {} must be in [1, 100000], got {}", spec, key, v));
    }
    s.values[key] = v;
  }
  return s;
}

// Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights, as PyTorch initialises Linear/Conv1d/LSTM.
std::vector<float> random_weights(std::mt19937_64& rng, std::int64_t n, std::int64_t fan_in) {
  const float a = 1.0f / std::sqrt(static_cast<float>(fan_in));
  std::uniform_real_distribution<float> u(-a, a);
  std::vector<float> w(static_cast<std::size_t>(n));
  for (auto& x : w) x = u(rng);
  return w;
}

// tables (bilstm): whether the model copies its input projections from projected-embedding tables
// (float64, float32), asked of the concrete model built here (which builds them, as its first forward
// pass would).
std::unique_ptr<lrp::Classifier> synthetic_model(const Shape& s, std::pair<bool, bool>* tables) {
  std::mt19937_64 rng(1234);
  TensorWriter w;
  const std::int64_t v = s.get("vocab"), e = s.get("embd"), c = s.get("classes");
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> emb(static_cast<std::size_t>(v * e));
  for (auto& x : emb) x = normal(rng);
  w.add("embedding.weight", {v, e}, std::move(emb));
  if (s.arch == "cnn") {
    const std::int64_t f = s.get("filters"), k = s.get("widths");
    w.add("conv.weight", {f, e, k}, random_weights(rng, f * e * k, e * k));
    w.add("conv.bias", {f}, random_weights(rng, f, e * k));
    w.add("fc.weight", {c, f}, random_weights(rng, c * f, f));
    w.add("fc.bias", {c}, random_weights(rng, c, f));
    return lrp::CnnClassifier::from_pytorch(TensorStore::parse(w.serialize(), "synthetic cnn"), {},
                                            std::max<Index>(s.get("tokens"), lrp::kDefaultMaxTokens));
  }
  const std::int64_t h = s.get("hidden");
  for (const char* suffix : {"", "_reverse"}) {
    w.add(fmt::format("lstm.weight_ih_l0{}", suffix), {4 * h, e}, random_weights(rng, 4 * h * e, h));
    w.add(fmt::format("lstm.weight_hh_l0{}", suffix), {4 * h, h}, random_weights(rng, 4 * h * h, h));
    w.add(fmt::format("lstm.bias_ih_l0{}", suffix), {4 * h}, random_weights(rng, 4 * h, h));
    w.add(fmt::format("lstm.bias_hh_l0{}", suffix), {4 * h}, random_weights(rng, 4 * h, h));
  }
  w.add("fc.weight", {c, 2 * h}, random_weights(rng, c * 2 * h, 2 * h));
  w.add("fc.bias", {c}, random_weights(rng, c, 2 * h));
  auto m = lrp::BiLstmClassifier::from_pytorch(TensorStore::parse(w.serialize(), "synthetic bilstm"), {});
  *tables = {static_cast<bool>(m->projection_table<double>()),
             static_cast<bool>(m->projection_table<float>())};
  return m;
}

// The fastest of the calls of f over `rounds` rounds of at least 0.2 s each: on a shared, loaded
// machine the minimum is the figure least disturbed by other processes (a mean counts their time).
// Also this thread's CPU time per call (less disturbed still by other processes on an
// oversubscribed machine): the least of the rounds' means, since the thread CPU clock may advance in
// steps longer than a short call (a per-call minimum of 0 was seen here for a 1 µs call).
struct CallTime {
  double wall = 1e300;
  double cpu = 1e300;
};

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

template <class F>
CallTime time_call(int rounds, F&& f) {
  f();  // warm-up
  CallTime best;
  for (int r = 0; r < std::max(1, rounds); ++r) {
    const double start = now_seconds(), cpu_start = thread_cpu_seconds();
    double t0 = start;
    long calls = 0;
    do {
      f();
      ++calls;
      const double t1 = now_seconds();
      best.wall = std::min(best.wall, t1 - t0);
      t0 = t1;
    } while (t0 - start < 0.2);
    best.cpu = std::min(best.cpu, (thread_cpu_seconds() - cpu_start) / static_cast<double>(calls));
  }
  return best;
}

// Linux: VmRSS / VmHWM (peak) of this process in MiB from /proc/self/status, -1 where unknown.
double status_mib(const char* key) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  double kib = -1;
  const std::size_t n = std::strlen(key);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, key, n) == 0 && line[n] == ':') kib = std::strtod(line + n + 1, nullptr);
  }
  std::fclose(f);
  return kib < 0 ? -1 : kib / 1024.0;
}

// Linux: resets the peak resident set size to the current one ("5" into /proc/self/clear_refs).
bool reset_peak_rss() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

// --- the arithmetic floor (--model-shape, --time-tokens) ------------------------------------------
// The multiply-adds (MACs) of one forward pass and of one LRP explanation, counted from what the code
// does (matrix products only; element-wise work such as the gates' exponentials is not counted),
// divided by this core's measured peak rate of multiply-adds: no implementation that does these
// products can take less time on this core at this ISA level.

struct MacCount {
  std::int64_t forward = 0;  // one forward pass (what forward_ms times)
  std::int64_t lrp = 0;      // one explanation: the forward pass with its trace, then the relevance pass
  // The same, as the kernels execute them (bilstm: each product's columns rounded up to whole
  // vectors of the ISA level in use, the padding multiplied too); -1 where not known.
  std::int64_t forward_executed = -1;
  std::int64_t lrp_executed = -1;
};

// BiLSTM (lrp/layers/lstm.cpp, lrp/models/bilstm_classifier.cpp), per direction: the input
// projection T·E·4H (Lstm::project), the recurrence (T−1)·H·4H (step 0 starts from h = 0: no
// product), and C·H for the output layer. LRP's relevance pass: R(h_{t−1}) from the gate rows that
// carry relevance (signal-take-all: only the H rows of g; half and proportional: all 4H) times
// W_hh, (T−1)·rows·H (Lstm::lrp_step), and the inputs' share T·rows·E (Lstm::lrp_end). `padded(n_out)`
// is the width the kernels compute for an n_out-wide product (n_out itself for the formula).
// With a projected-embedding table (lrp/models/bilstm_classifier.h) the input projection is a copy
// of table rows, not a product: `project` = false leaves it out. `recurrence_width` is the width the
// recurrent product computes (padded(4H), or 4·padded(H) for the fused step's gate-interleaved panels).
template <class Padded>
std::pair<std::int64_t, std::int64_t> bilstm_macs(std::int64_t T, std::int64_t E, std::int64_t H,
                                                  std::int64_t C, bool signal_take_all, bool project,
                                                  std::int64_t recurrence_width, Padded padded) {
  const std::int64_t G = 4 * H, rows = signal_take_all ? H : G;
  const std::int64_t forward =
      2 * ((project ? T * E * padded(G) : 0) + (T - 1) * H * recurrence_width) + 2 * H * C;
  const std::int64_t relevance = 2 * ((T - 1) * rows * padded(H) + T * rows * padded(E));
  return {forward, forward + relevance};
}

// The width the LSTM kernels of `table` compute for an n_out-wide product: n_out rounded up to whole
// vectors of the level (lstm_kernels.isa.cpp: the panels are zero-padded further, but the vectors
// past the last column are neither loaded nor multiplied). The lanes per vector come from the table
// itself: a one-column matrix is packed into a panel of 4 vectors (panel_width).
template <class T>
auto lstm_padded_width(const lrp::lstm_kernels::Table<T>& table) {
  const std::int64_t lanes = table.panels_size(1, 1) / 4;
  return [lanes](std::int64_t n_out) { return (n_out + lanes - 1) / lanes * lanes; };
}

// The recurrent product's executed width at a level: 4 gates of H rounded up to whole vectors with
// the fused step (Table::step, one sequence), else 4H rounded up.
template <class T>
std::int64_t recurrence_width(const lrp::lstm_kernels::Table<T>& table, std::int64_t H) {
  const auto padded = lstm_padded_width(table);
  return table.step != nullptr ? 4 * padded(H) : padded(4 * H);
}

// table64 / table32: the model copies projected rows from a table in that precision (see above).
MacCount bilstm_mac_count(std::int64_t T, std::int64_t E, std::int64_t H, std::int64_t C,
                          bool signal_take_all, bool lrp_float32, bool table64, bool table32) {
  MacCount m;
  const auto exact = [](std::int64_t n_out) { return n_out; };
  // scores() runs in float64; the explanation in the precision asked for.
  const bool lrp_table = lrp_float32 ? table32 : table64;
  m.forward = bilstm_macs(T, E, H, C, signal_take_all, !table64, 4 * H, exact).first;
  m.lrp = bilstm_macs(T, E, H, C, signal_take_all, !lrp_table, 4 * H, exact).second;
  const auto& k64 = lrp::lstm_kernels::table_f64();
  const auto& k32 = lrp::lstm_kernels::table_f32();
  m.forward_executed =
      bilstm_macs(T, E, H, C, signal_take_all, !table64, recurrence_width(k64, H), lstm_padded_width(k64))
          .first;
  m.lrp_executed = lrp_float32 ? bilstm_macs(T, E, H, C, signal_take_all, !table32, recurrence_width(k32, H),
                                             lstm_padded_width(k32))
                                     .second
                               : bilstm_macs(T, E, H, C, signal_take_all, !table64, recurrence_width(k64, H),
                                             lstm_padded_width(k64))
                                     .second;
  return m;
}

// CNN (lrp/models/cnn_classifier.cpp), with the ε or zero rule on the convolution (the default): the
// convolution (T₊ − K + 1) windows of K·E times F filters (T₊ = max(T, K): a short input is padded),
// then the output layer F·C. LRP's relevance pass: the output layer's ε-rule F·C, and one window
// per filter (max-pooling's winner), F·K·E (Conv1d::relevance_at).
MacCount cnn_mac_count(std::int64_t T, std::int64_t E, std::int64_t F, std::int64_t K, std::int64_t C) {
  MacCount m;
  const std::int64_t rows = std::max(T, K);
  m.forward = (rows - K + 1) * F * K * E + F * C;
  m.lrp = m.forward + F * C + F * K * E;
  return m;
}

// This core's peak multiply-add rate in float64 or float32 at the ISA level in use
// (lrp/isa/peak_kernels.h): the best of 50 timed runs of >= 0.2 ms each, after >= 30 ms of warm-up
// (a CPU may change its clock for wide vectors only after a while). Short runs, as for the calls
// timed by time_call: on a loaded machine a run of a few ms is mostly preempted for part of it
// (measured here: runs of 3 ms gave half the peak of runs of 0.1 ms, best of 7), so the best short
// run is the figure of an undisturbed core.
double measure_peak_macs_per_s(bool f32) {
  const auto run = [f32](std::int64_t iterations, std::int64_t* macs) {
    return f32 ? TEXTLRP_ISA_DISPATCH(fma_peak_f32(iterations, macs))
               : TEXTLRP_ISA_DISPATCH(fma_peak_f64(iterations, macs));
  };
  volatile double sink = 0;  // the kernels' results, kept so that no call is dropped
  std::int64_t iterations = 256, macs = 0;
  double warm = 0;
  for (;;) {  // calibrate: double the iterations until one run takes >= 0.2 ms; warm up meanwhile
    const double t0 = now_seconds();
    sink = sink + run(iterations, &macs);
    const double dt = now_seconds() - t0;
    warm += dt;
    if (dt >= 2e-4 && warm >= 30e-3) break;
    if (dt < 2e-4 && iterations < (std::int64_t(1) << 40)) iterations *= 2;
  }
  double best = 0;
  for (int r = 0; r < 50; ++r) {
    const double t0 = now_seconds();
    sink = sink + run(iterations, &macs);
    const double dt = now_seconds() - t0;
    if (dt > 0) best = std::max(best, static_cast<double>(macs) / dt);
  }
  return best;
}

// The floor keys of the JSON (see setup_bench's help): MAC counts, the peaks, the floors and the ratios.
void add_floor(nlohmann::ordered_json& j, const MacCount& m, bool forward_f32, bool lrp_f32, double forward_s,
               double lrp_s) {
  const double peak64 = measure_peak_macs_per_s(false), peak32 = measure_peak_macs_per_s(true);
  const double peak_forward = forward_f32 ? peak32 : peak64, peak_lrp = lrp_f32 ? peak32 : peak64;
  j["forward_precision"] = forward_f32 ? "float32" : "float64";
  j["lrp_precision"] = lrp_f32 ? "float32" : "float64";
  j["forward_macs"] = m.forward;
  j["lrp_macs"] = m.lrp;
  if (m.forward_executed >= 0) j["forward_macs_executed"] = m.forward_executed;
  if (m.lrp_executed >= 0) j["lrp_macs_executed"] = m.lrp_executed;
  j["peak_macs_per_s_float64"] = peak64;
  j["peak_macs_per_s_float32"] = peak32;
  const double forward_floor = static_cast<double>(m.forward) / peak_forward;
  const double lrp_floor = static_cast<double>(m.lrp) / peak_lrp;
  j["forward_floor_us"] = forward_floor * 1e6;
  j["lrp_floor_us"] = lrp_floor * 1e6;
  j["forward_over_floor"] = forward_s / forward_floor;
  j["lrp_over_floor"] = lrp_s / lrp_floor;
}

int run_kernel_bench(const BenchOptions& o) {
  std::unique_ptr<lrp::Classifier> owned;
  Model loaded;
  const lrp::Classifier* clf = nullptr;
  nlohmann::ordered_json j;
  Index n_tokens = o.time_tokens;
  std::optional<Shape> shape;
  std::pair<bool, bool> tables{false, false};  // (bilstm) projected-embedding tables, float64 / float32
  if (!o.model_shape.empty()) {
    shape = parse_shape(o.model_shape);
    owned = synthetic_model(*shape, &tables);
    clf = owned.get();
    n_tokens = shape->get("tokens");
    j["model_shape"] = shape->arch;
    for (const auto& [k, v] : shape->values) j["model_shape_" + k] = v;
  } else {
    loaded = load_model(o.model, true);
    clf = loaded.classifier.get();
    j["model"] = loaded.name;
  }
  // The document: ids (7919·t + 13) mod V (compare_pytorch.py builds the same one). The timed loops
  // take it and a second document of the same length ((7919·t + 7927) mod V) in turn, so that no
  // cache keyed by the ids could be what is timed (the BiLSTM once kept its last forward pass; work
  // shared between methods is now asked for explicitly, with Classifier::explain_methods()).
  std::vector<TokenId> ids(static_cast<std::size_t>(n_tokens)), other(ids.size());
  for (std::size_t t = 0; t < ids.size(); ++t) {
    ids[t] = static_cast<TokenId>((7919 * static_cast<std::int64_t>(t) + 13) % clf->n_vocab());
    other[t] = static_cast<TokenId>((7919 * static_cast<std::int64_t>(t) + 7927) % clf->n_vocab());
  }
  bool turn = false;
  auto next_doc = [&]() -> const std::vector<TokenId>& { return (turn = !turn) ? other : ids; };
  lrp::ExplainOptions eo;
  clf->set_rule(eo, o.rule);
  if (!o.precision.empty()) eo.precision = lrp::parse_precision(o.precision);
  const Vec scores = clf->scores(ids);
  const CallTime t_forward = time_call(o.repeat, [&] { (void)clf->scores(next_doc()); });
  // Peak memory of the explanations: the high-water mark is reset after loading and the forward
  // timing (where Linux allows it), so it is the model plus what the explanations use.
  const double rss_before = status_mib("VmRSS");
  const bool reset = reset_peak_rss();
  const CallTime t_lrp = time_call(o.repeat, [&] { (void)clf->explain(next_doc(), eo); });
  const double peak = status_mib("VmHWM");
  j["architecture"] = std::string(clf->architecture());
  j["isa"] = std::string(isa_description());
  j["threads"] = 1;
  j["tokens"] = n_tokens;
  if (eo.precision) j["precision"] = lrp::precision_name(*eo.precision);
  j["forward_ms"] = t_forward.wall * 1e3;
  j["lrp_ms"] = t_lrp.wall * 1e3;
  j["lrp_over_forward"] = t_lrp.wall / t_forward.wall;
  j["forward_cpu_ms"] = t_forward.cpu * 1e3;
  j["lrp_cpu_ms"] = t_lrp.cpu * 1e3;
  j["rss_before_lrp_MiB"] = rss_before;
  j["peak_rss_lrp_MiB"] = peak;  // VmHWM: since the reset, or (peak_rss_reset false) since start-up
  j["peak_rss_reset"] = reset;
  j["scores"] = std::vector<float>(scores.data(), scores.data() + scores.size());
  // The floor of a synthetic model, from the shape the caller asked to build (a loaded model is
  // not asked which class it is: apps/ keeps to lrp::Classifier's capability queries).
  if (shape) {
    const bool f32 = eo.precision == lrp::Precision::kFloat32;
    const Index T = std::min<Index>(n_tokens, clf->max_tokens());
    if (shape->arch == "bilstm") {
      const bool sta = eo.gate_rule.value_or(lrp::GateRule::kSignalTakeAll) == lrp::GateRule::kSignalTakeAll;
      const MacCount m = bilstm_mac_count(T, shape->get("embd"), shape->get("hidden"), shape->get("classes"),
                                          sta, f32, tables.first, tables.second);
      j["forward_input_projection"] = tables.first ? "table" : "per call";  // scores() is float64
      j["lrp_input_projection"] = (f32 ? tables.second : tables.first) ? "table" : "per call";
      add_floor(j, m, false, f32, t_forward.wall, t_lrp.wall);  // scores() is float64
    } else if (shape->arch == "cnn" && lrp::plain_rule_epsilon(eo.rules.at("conv"))) {
      // (Other conv rules take the dense relevance path, a product as large as the convolution's,
      // which cnn_mac_count does not count: no floor for them.)
      const MacCount m = cnn_mac_count(T, shape->get("embd"), shape->get("filters"), shape->get("widths"),
                                       shape->get("classes"));
      add_floor(j, m, true, true, t_forward.wall, t_lrp.wall);
    }
  }
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

int run_bench(const BenchOptions& o) {
  if (!o.model_shape.empty() || o.time_tokens > 0) {
    if (!o.model_shape.empty() && (!o.model.empty() || o.time_tokens > 0)) {
      throw InvalidArgument(
          "bench: --model-shape times a synthetic model; it takes neither --model nor --time-tokens");
    }
    if (o.model_shape.empty() && o.model.empty()) throw InvalidArgument("bench: --time-tokens needs --model");
    if (o.threads != 1)
      throw InvalidArgument("bench: --model-shape and --time-tokens time one thread; drop --threads");
    return run_kernel_bench(o);
  }
  if (o.model.empty()) throw InvalidArgument("bench: give --model (or --model-shape)");
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  const Model model = load_model(o.model, true);
  lrp::ExplainOptions eo;
  model.classifier->set_rule(eo, o.rule);
  if (!o.precision.empty()) eo.precision = lrp::parse_precision(o.precision);
  const TargetSpec target;
  const InputOptions input = input_for_model(o.input, model, warn);
  // stdin is read once, before the rounds, and replayed from memory: every round then sees the same
  // documents (reading stdin again would give nothing). Files are read again in every pass.
  std::vector<corpora::Example> stdin_docs;
  std::string stdin_format;
  const bool from_stdin = input.reads_stdin();
  if (from_stdin) {
    auto reader = input.open(warn);
    stdin_format = std::string(reader->format());
    stdin_docs = corpora::read_all(*reader);
    warn(
        fmt::format("bench: read {} documents from stdin once; every round replays them from memory (the "
                    "figures exclude reading and parsing the input)",
                    stdin_docs.size()));
  }
  auto pass = [&](bool explain, std::size_t* bytes) {
    std::unique_ptr<corpora::CorpusReader> reader;
    if (from_stdin) {
      reader = std::make_unique<MemoryReader>(stdin_docs, stdin_format);
    } else {
      reader = input.open({});
    }
    const double t0 = now_seconds();
    const double c0 = cpu_seconds();
    std::size_t n_bytes = 0;
    const std::size_t n = run_stream(
        *reader, {o.threads, 256},
        [&](const corpora::Example& ex) {
          if (!explain) return predict_line(model, ex);
          std::string line;
          append_explanation(line, model, ex, eo, target);
          return line;
        },
        [&](std::string_view line) { n_bytes += line.size(); });
    *bytes = n_bytes;
    const double wall = now_seconds() - t0;
    return std::make_tuple(n, wall, cpu_seconds() - c0);
  };
  double best_predict = 1e300, best_explain = 1e300, best_predict_cpu = 1e300, best_explain_cpu = 1e300;
  std::size_t n = 0, predict_bytes = 0, explain_bytes = 0;
  for (int r = 0; r < std::max(1, o.repeat); ++r) {
    const auto [p_n, p_wall, p_cpu] = pass(false, &predict_bytes);
    const auto [e_n, e_wall, e_cpu] = pass(true, &explain_bytes);
    const std::size_t before = r > 0 && p_n != n ? n : p_n;
    const std::size_t after = r > 0 && p_n != n ? p_n : e_n;
    if (before != after) {
      throw Error(
          fmt::format("bench: the input changed between passes ({} then {} documents); give a file that "
                      "stays the same while bench runs",
                      before, after));
    }
    n = p_n;
    best_predict = std::min(best_predict, p_wall);
    best_explain = std::min(best_explain, e_wall);
    best_predict_cpu = std::min(best_predict_cpu, p_cpu);
    best_explain_cpu = std::min(best_explain_cpu, e_cpu);
    warn(fmt::format(
        "round {}: predict {:.3f} s (CPU {:.3f} s), explain {:.3f} s (CPU {:.3f} s) for {} documents", r + 1,
        p_wall, p_cpu, e_wall, e_cpu, n));
  }
  nlohmann::ordered_json j;
  j["model"] = model.name;
  j["documents"] = n;
  j["input_in_memory"] = from_stdin;
  j["threads"] = o.threads;
  j["isa"] = std::string(isa_description());
  if (eo.precision) j["precision"] = lrp::precision_name(*eo.precision);
  j["repeat"] = o.repeat;
  j["predict"] = {{"seconds", best_predict},
                  {"cpu_seconds", best_predict_cpu},
                  {"docs_per_s", n / best_predict},
                  {"output_bytes", predict_bytes}};
  j["explain"] = {{"seconds", best_explain},
                  {"cpu_seconds", best_explain_cpu},
                  {"docs_per_s", n / best_explain},
                  {"output_bytes", explain_bytes}};
  j["explain_over_predict_time"] = best_explain / best_predict;
  j["explain_over_predict_cpu"] = best_explain_cpu / best_predict_cpu;
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

}  // namespace

void setup_bench(CLI::App& root, Action& action) {
  auto opt = std::make_shared<BenchOptions>();
  CLI::App* cmd = root.add_subcommand(
      "bench",
      "measure predict and explain throughput (documents/s, including reading and "
      "tokenizing) on the same input "
      "in one run and print their ratio as JSON (best of --repeat rounds; wall time, and "
      "the process's CPU time, "
      "which a loaded machine disturbs less). Input from stdin is read once and "
      "replayed from memory in every round (reading it is then not timed). With "
      "--model-shape (a synthetic model) "
      "or --time-tokens N (the --model on one synthetic document of N tokens) it instead "
      "times one forward pass "
      "and one LRP explanation on one thread (the fastest call in --repeat rounds of >= "
      "0.2 s, and the least per-call mean CPU time "
      "of a round) and prints their ratio, the peak resident memory during the "
      "explanations (Linux VmHWM, reset after "
      "loading), the scores and the kernel ISA level, and (bilstm; cnn with an epsilon or zero conv rule) "
      "the arithmetic "
      "floor: forward_macs and lrp_macs (the multiply-adds of the matrix products of one "
      "forward pass and of one explanation, counted from the shape; bilstm also "
      "forward_macs_executed and lrp_macs_executed, as its kernels execute them: each "
      "product's columns rounded up to whole vectors, and forward_input_projection and "
      "lrp_input_projection: \"table\" when the input projections are copied from a projected-embedding "
      "table (TEXTLRP_BILSTM_TABLE) and not counted, else \"per call\"), peak_macs_per_s_float64 and "
      "peak_macs_per_s_float32 "
      "(this core's multiply-add peak, measured at the kernel ISA level in use), "
      "forward_floor_us and lrp_floor_us (MACs / peak in forward_precision and "
      "lrp_precision) and forward_over_floor and lrp_over_floor (measured time / floor)");
  cmd->add_option("--model", opt->model, "model directory");
  cmd->add_option("--model-shape", opt->model_shape,
                  "time forward and LRP on a synthetic model (random weights, seeded): "
                  "cnn[:tokens=300,embd=300,filters=800,widths=2,classes=20,vocab=1000] or "
                  "bilstm[:tokens=20,embd=60,hidden=60,classes=5,vocab=1000]; give any subset of the keys");
  cmd->add_option(
         "--time-tokens", opt->time_tokens,
         "time forward and LRP of --model on one document of N token ids (7919·t + 13 mod vocabulary)")
      ->check(CLI::Range(1, 1000000));
  add_input_options(cmd, opt->input);
  cmd->add_option("--threads", opt->threads, "worker threads")->capture_default_str();
  cmd->add_option("--repeat", opt->repeat, "rounds; the best time of each pass is reported")
      ->capture_default_str();
  cmd->add_option("--rule", opt->rule, "LRP rule (see explain --help)");
  cmd->add_option("--precision", opt->precision, "BiLSTM: float64 or float32 LRP (see explain --help)")
      ->check(CLI::IsMember({"float64", "float32"}));
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_bench(*opt); }; });
}

}  // namespace textlrp::app
