// textlrp validate — checks an explanations JSONL file: schema, that every token's text equals
// text[begin:end] of its document, and conservation: |relevance_sum + bias_relevance - score| <=
// tol·max(1,|score|) and relevance_sum equals the sum of the token relevances. Prints a JSON
// summary on stdout; exit code 1 when any document fails (the first failures are listed).
#include <fmt/format.h>

#include <cmath>

#include "apps/commands.h"
#include "apps/common/explanation.h"
#include "apps/common/pipeline.h"
#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"

namespace textlrp::app {
namespace {

struct ValidateOptions {
  std::string explanations = "-";
  double tolerance = 1e-4;
  bool conservation = true;
};

int run_validate(const ValidateOptions& o) {
  LineReader reader(o.explanations);
  std::string line;
  std::size_t n_docs = 0, n_tokens = 0, n_span_failures = 0, n_conservation_failures = 0;
  double max_conservation_error = 0;
  std::vector<std::string> failures;
  auto fail = [&](std::string msg) {
    if (failures.size() < 20) failures.push_back(std::move(msg));
  };
  while (reader.next(line)) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", reader.name(), reader.line_number());
    const ExplanationRecord r = parse_explanation_line(line, where);
    ++n_docs;
    double sum = 0;
    bool spans_ok = true;
    for (const auto& t : r.tokens) {
      ++n_tokens;
      sum += t.relevance;
      if (t.begin && r.text.compare(*t.begin, *t.end - *t.begin, t.text) != 0) {
        if (spans_ok) fail(fmt::format("{}: token '{}' does not equal text[{}:{}]", where, t.text, *t.begin, *t.end));
        spans_ok = false;
      }
    }
    n_span_failures += !spans_ok;
    if (o.conservation) {
      const double err = std::abs(r.relevance_sum + r.bias_relevance - r.score) / std::max(1.0, std::abs(r.score));
      const double sum_err = std::abs(sum - r.relevance_sum) / std::max(1.0, std::abs(r.score));
      max_conservation_error = std::max({max_conservation_error, err, sum_err});
      if (!(err <= o.tolerance) || !(sum_err <= o.tolerance)) {
        ++n_conservation_failures;
        fail(fmt::format("{}: relevance_sum {} + bias_relevance {} != score {} (token sum {})", where, r.relevance_sum,
                         r.bias_relevance, r.score, sum));
      }
    }
  }
  nlohmann::ordered_json out;
  out["documents"] = n_docs;
  out["tokens"] = n_tokens;
  out["span_failures"] = n_span_failures;
  out["conservation_checked"] = o.conservation;
  out["conservation_failures"] = n_conservation_failures;
  out["max_relative_conservation_error"] = max_conservation_error;
  out["tolerance"] = o.tolerance;
  out["failures"] = failures;
  std::printf("%s\n", out.dump(2).c_str());
  return (n_span_failures || n_conservation_failures) ? 1 : 0;
}

}  // namespace

void setup_validate(CLI::App& root, Action& action) {
  auto opt = std::make_shared<ValidateOptions>();
  CLI::App* cmd = root.add_subcommand(
      "validate",
      "check an explanations JSONL file: every token equals text[begin:end], and relevance_sum + bias_relevance "
      "= score within --tolerance·max(1,|score|) (exact for the BoW/SVM); JSON summary on stdout, exit 1 on failure");
  cmd->add_option("--explanations", opt->explanations, "explanations JSONL (- = stdin)")->capture_default_str();
  cmd->add_option("--tolerance", opt->tolerance, "relative tolerance of the conservation check")->capture_default_str();
  cmd->add_flag("!--no-conservation", opt->conservation, "check spans and schema only");
  cmd->callback([opt, &action] { action = [opt] { return run_validate(*opt); }; });
}

}  // namespace textlrp::app
