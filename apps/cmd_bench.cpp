// textlrp bench — throughput of predict and explain on the same input, measured in one run, so the
// ratio is meaningful on a shared, noisy machine. Both passes read and tokenize the input and format
// their JSONL output (which is discarded), exactly as the predict/explain commands do.
#include <fmt/format.h>

#include <memory>
#include <vector>

#include "apps/commands.h"
#include "apps/common/pipeline.h"
#include "core/error.h"

namespace textlrp::app {
namespace {

// Replays documents held in memory (stdin can be read only once, but every round needs the input).
class MemoryReader final : public corpora::CorpusReader {
 public:
  MemoryReader(const std::vector<corpora::Example>& docs, std::string_view format) : docs_(docs), format_(format) {}
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
  InputOptions input;
  int threads = 1;
  int repeat = 3;
  std::string rule;
  std::string precision;
  bool quiet = false;
};

int run_bench(const BenchOptions& o) {
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
    warn(fmt::format("bench: read {} documents from stdin once; every round replays them from memory (the "
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
    std::size_t n_bytes = 0;
    const std::size_t n = run_stream(
        *reader, {o.threads, 256},
        [&](const corpora::Example& ex) {
          if (!explain) return predict_line(model, ex);
          std::string line;
          append_jsonl(line, explain_example(model, ex, eo, target));
          return line;
        },
        [&](std::string_view line) { n_bytes += line.size(); });
    *bytes = n_bytes;
    return std::make_pair(n, now_seconds() - t0);
  };
  double best_predict = 1e300, best_explain = 1e300;
  std::size_t n = 0, predict_bytes = 0, explain_bytes = 0;
  for (int r = 0; r < std::max(1, o.repeat); ++r) {
    const auto p = pass(false, &predict_bytes);
    const auto e = pass(true, &explain_bytes);
    const std::size_t before = r > 0 && p.first != n ? n : p.first;
    const std::size_t after = r > 0 && p.first != n ? p.first : e.first;
    if (before != after) {
      throw Error(fmt::format("bench: the input changed between passes ({} then {} documents); give a file that "
                              "stays the same while bench runs",
                              before, after));
    }
    n = p.first;
    best_predict = std::min(best_predict, p.second);
    best_explain = std::min(best_explain, e.second);
    warn(fmt::format("round {}: predict {:.3f} s, explain {:.3f} s for {} documents", r + 1, p.second, e.second, n));
  }
  nlohmann::ordered_json j;
  j["model"] = model.name;
  j["documents"] = n;
  j["input_in_memory"] = from_stdin;
  j["threads"] = o.threads;
  if (eo.precision) j["precision"] = lrp::precision_name(*eo.precision);
  j["repeat"] = o.repeat;
  j["predict"] = {{"seconds", best_predict}, {"docs_per_s", n / best_predict}, {"output_bytes", predict_bytes}};
  j["explain"] = {{"seconds", best_explain}, {"docs_per_s", n / best_explain}, {"output_bytes", explain_bytes}};
  j["explain_over_predict_time"] = best_explain / best_predict;
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

}  // namespace

void setup_bench(CLI::App& root, Action& action) {
  auto opt = std::make_shared<BenchOptions>();
  CLI::App* cmd = root.add_subcommand(
      "bench",
      "measure predict and explain throughput (documents/s, including reading and tokenizing) on the same input "
      "in one run and print their ratio as JSON (best of --repeat rounds). Input from stdin is read once and "
      "replayed from memory in every round (reading it is then not timed)");
  cmd->add_option("--model", opt->model, "model directory")->required();
  opt->input.add_to(cmd);
  cmd->add_option("--threads", opt->threads, "worker threads")->capture_default_str();
  cmd->add_option("--repeat", opt->repeat, "rounds; the best time of each pass is reported")->capture_default_str();
  cmd->add_option("--rule", opt->rule, "LRP rule (see explain --help)");
  cmd->add_option("--precision", opt->precision, "BiLSTM: float64 or float32 LRP (see explain --help)")
      ->check(CLI::IsMember({"float64", "float32"}));
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_bench(*opt); }; });
}

}  // namespace textlrp::app
