// textlrp topwords — the most relevant words per class: over the documents of each class, every
// word's relevance for that class summed (and averaged) over its occurrences.
#include <fmt/format.h>

#include "apps/commands.h"
#include "apps/common/analysis.h"
#include "core/error.h"
#include "core/file.h"

namespace textlrp::app {
namespace {

struct TopwordsCmdOptions {
  std::string model;
  InputOptions input;
  std::size_t per_class = 20;
  std::string method = "lrp";
  std::string rule;
  int steps = 32;
  std::string rank = "sum";
  std::size_t min_documents = 1;
  bool negative = false;
  std::string format = "json";
  std::size_t max_docs = 0;
  std::string output = "-";
  int threads = 0;
  bool quiet = false;
  bool no_verify = false;
};

nlohmann::ordered_json entries_json(const std::vector<analysis::TopWords::Entry>& entries) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& e : entries) {
    nlohmann::ordered_json o;
    o["word"] = e.word;
    o["sum"] = std::round(e.stats.sum * 1e6) / 1e6;
    o["mean"] = std::round(e.stats.mean() * 1e6) / 1e6;
    o["occurrences"] = e.stats.occurrences;
    o["documents"] = e.stats.documents;
    a.push_back(std::move(o));
  }
  return a;
}

void append_text_entries(std::string& out, std::string_view title,
                         const std::vector<analysis::TopWords::Entry>& entries) {
  fmt::format_to(std::back_inserter(out), "  {}\n  {:<24} {:>12} {:>12} {:>6} {:>6}\n", title, "word", "sum",
                 "mean", "occ", "docs");
  for (const auto& e : entries) {
    fmt::format_to(std::back_inserter(out), "  {:<24} {:>12.4f} {:>12.4f} {:>6} {:>6}\n", e.word, e.stats.sum,
                   e.stats.mean(), e.stats.occurrences, e.stats.documents);
  }
}

int run_topwords(const TopwordsCmdOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  if (o.steps < 1) throw InvalidArgument("--steps must be at least 1");
  const auto key = analysis::parse_topwords_key(o.rank);
  const Model model = load_model(o.model, !o.no_verify);
  lrp::ExplainOptions explain;
  model.classifier->set_rule(explain, o.rule);
  explain.ig_steps = o.steps;
  const MethodPlan plan = plan_method(model, lrp::parse_method(o.method), explain);
  // Streamed (memory grows with the vocabulary, not the corpus) unless --max-docs samples it.
  const InputOptions input = input_for_model(o.input, model, warn);
  const Documents docs = o.max_docs == 0 ? Documents::streamed(input, warn)
                                         : Documents::in_memory(read_documents(input, o.max_docs, warn));
  analysis::TopWords tw(model.labels().size());
  const std::size_t n_docs = for_each_document(
      docs, o.threads, 16, "topwords", o.quiet,
      [&](const corpora::Example& ex) { return document_words(model, ex, plan, explain); },
      [&](const corpora::Example&, const DocWords& d) {
        tw.add_document(static_cast<std::size_t>(d.cls), d.words);
      });
  Output out(o.output);
  if (o.format == "text") {
    std::string text;
    for (std::size_t c = 0; c < model.labels().size(); ++c) {
      fmt::format_to(std::back_inserter(text), "{} ({} documents)\n", model.labels()[c], tw.documents(c));
      append_text_entries(text, fmt::format("most relevant (by {})", o.rank),
                          tw.top(c, o.per_class, key, o.min_documents));
      if (o.negative) {
        append_text_entries(text, fmt::format("most negative (by {})", o.rank),
                            tw.bottom(c, o.per_class, key, o.min_documents));
      }
      text += '\n';
    }
    out.write(text);
  } else {
    nlohmann::ordered_json j;
    j["model"] = model.name;
    j["method"] = o.method;
    if (o.method == "lrp") j["rule"] = rule_name(model, explain);
    j["relevance_for"] = "the document's true class (its predicted class when it has no label)";
    j["rank"] = o.rank;
    j["per_class"] = o.per_class;
    j["min_documents"] = o.min_documents;
    j["documents"] = n_docs;
    j["classes"] = nlohmann::ordered_json::object();
    for (std::size_t c = 0; c < model.labels().size(); ++c) {
      nlohmann::ordered_json e;
      e["documents"] = tw.documents(c);
      e["top"] = entries_json(tw.top(c, o.per_class, key, o.min_documents));
      if (o.negative) e["bottom"] = entries_json(tw.bottom(c, o.per_class, key, o.min_documents));
      j["classes"][model.labels()[c]] = std::move(e);
    }
    out.write(j.dump(1));
    out.write("\n");
  }
  out.commit();
  return 0;
}

}  // namespace

void setup_topwords(CLI::App& root, Action& action) {
  auto opt = std::make_shared<TopwordsCmdOptions>();
  CLI::App* cmd = root.add_subcommand(
      "topwords",
      "the most relevant words per class: over the documents of each class (their true label, else their\n"
      "prediction), each word's relevance for that class is summed over its occurrences (also: mean per\n"
      "occurrence, number of documents); the top N per class, ranked by sum or mean. Words are tokens as "
      "the\n"
      "model's tokenizer normalised them; unknown words are left out. JSON on stdout (or --format text).");
  cmd->add_option("--model", opt->model, "model directory")->required();
  add_input_options(cmd, opt->input);
  cmd->add_option("--per-class,-n", opt->per_class, "words listed per class")->capture_default_str();
  cmd->add_option("--method", opt->method, "explanation method: lrp, sa, gi, ig, occlusion, random")
      ->capture_default_str();
  cmd->add_option("--rule", opt->rule, "LRP rule (see explain --help; default: the model's)");
  cmd->add_option("--steps", opt->steps, "integrated gradients: steps")->capture_default_str();
  cmd->add_option("--rank", opt->rank, "sum or mean")
      ->check(CLI::IsMember({"sum", "mean"}))
      ->capture_default_str();
  cmd->add_option("--min-documents", opt->min_documents,
                  "list only words seen in at least this many documents of the class")
      ->capture_default_str();
  cmd->add_flag("--negative", opt->negative,
                "also list the most negative words (evidence against the class)");
  cmd->add_option("--format", opt->format, "json or text")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  cmd->add_option("--max-docs", opt->max_docs,
                  "use at most this many documents, spread evenly over the corpus (0 = all)")
      ->capture_default_str();
  cmd->add_option("-o,--output,--out", opt->output, "output file (- = stdout); written atomically")
      ->capture_default_str();
  cmd->add_option("--threads", opt->threads, "worker threads (default: all cores)");
  cmd->add_flag("--no-verify", opt->no_verify, "skip the model's self-tests at load");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages or progress on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_topwords(*opt); }; });
}

}  // namespace textlrp::app
