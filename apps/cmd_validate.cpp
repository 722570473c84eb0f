// textlrp validate — checks an explanations JSONL file: schema, that every token's text equals
// text[begin:end] of its document, and conservation: |relevance_sum (+ Σ special) + bias_relevance - score| <=
// tol·max(1,|score|) and relevance_sum equals the sum of the token relevances. For subword models
// ("words" present) also the words: each equals text[begin:end], they are in text order without
// overlap, and each word's relevance is the sum of its pieces' (the pieces nlp/word_groups.h
// assigns it, within tol·max(1, Σ|piece relevance|)). A record that carries "warnings" (explain
// found non-finite values or relevance not conserved, explain/explanation.h) fails too and is
// counted in "documents_with_warnings". Prints a JSON summary on stdout; exit code 1 when any
// document fails (the first failures are listed).
#include <fmt/format.h>

#include <cmath>

#include "apps/commands.h"
#include "apps/common/cli.h"
#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"
#include "explain/explanation.h"
#include "nlp/word_groups.h"

namespace textlrp::app {
namespace {

// Checks the "words" of a subword model's record; returns the first problem, or "" when none.
std::string check_words(const ExplanationRecord& r, double tolerance) {
  const auto& words = *r.words;
  std::vector<nlp::Token> word_spans;
  word_spans.reserve(words.size());
  for (std::size_t i = 0; i < words.size(); ++i) {
    const WordRelevance& w = words[i];
    if (r.text.compare(w.begin, w.end - w.begin, w.text) != 0) {
      return fmt::format("word {} '{}' does not equal text[{}:{}]", i, w.text, w.begin, w.end);
    }
    if (i > 0 && w.begin < words[i - 1].end) {
      return fmt::format("word {} [{}, {}) overlaps or precedes word {} [{}, {})", i, w.begin, w.end, i - 1,
                         words[i - 1].begin, words[i - 1].end);
    }
    word_spans.push_back(nlp::Token{w.text, w.begin, w.end});
  }
  std::vector<nlp::Token> pieces;
  pieces.reserve(r.tokens.size());
  for (std::size_t t = 0; t < r.tokens.size(); ++t) {
    if (!r.tokens[t].begin) return fmt::format("token {} has no span, but words need spans", t);
    pieces.push_back(nlp::Token{r.tokens[t].text, *r.tokens[t].begin, *r.tokens[t].end});
  }
  const auto groups = nlp::group_pieces_by_word(pieces, word_spans);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    double sum = 0, scale = 1;
    for (const std::size_t p : groups[i].pieces) {
      sum += r.tokens[p].relevance;
      scale += std::abs(r.tokens[p].relevance);
    }
    if (!(std::abs(sum - words[i].relevance) <= tolerance * scale)) {
      return fmt::format("word {} '{}' has relevance {}, its {} pieces sum to {}", i, words[i].text,
                         words[i].relevance, groups[i].pieces.size(), sum);
    }
  }
  return {};
}

struct ValidateOptions {
  std::string explanations = "-";
  double tolerance = 1e-4;
  bool conservation = true;
};

int run_validate(const ValidateOptions& o) {
  LineReader reader(o.explanations);
  std::string line;
  std::size_t n_docs = 0, n_tokens = 0, n_span_failures = 0, n_conservation_failures = 0;
  std::size_t n_word_docs = 0, n_words = 0, n_word_failures = 0;
  std::size_t n_warning_docs = 0;  // records that carry "warnings" (written by explain's checks)
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
        if (spans_ok)
          fail(fmt::format("{}: token '{}' does not equal text[{}:{}]", where, t.text, *t.begin, *t.end));
        spans_ok = false;
      }
    }
    n_span_failures += !spans_ok;
    if (!r.warnings.empty()) {
      ++n_warning_docs;
      for (const auto& w : r.warnings) fail(fmt::format("{}: warning: {}", where, w));
    }
    if (r.words) {
      ++n_word_docs;
      n_words += r.words->size();
      if (std::string problem = check_words(r, o.tolerance); !problem.empty()) {
        ++n_word_failures;
        fail(fmt::format("{}: {}", where, problem));
      }
    }
    if (o.conservation) {
      double special = 0;  // a transformer's [CLS] and [SEP]
      for (const auto& sp : r.special) special += sp.second;
      const double err =
          std::abs(r.relevance_sum + special + r.bias_relevance - r.score) / std::max(1.0, std::abs(r.score));
      const double sum_err = std::abs(sum - r.relevance_sum) / std::max(1.0, std::abs(r.score));
      max_conservation_error = std::max({max_conservation_error, err, sum_err});
      if (!(err <= o.tolerance) || !(sum_err <= o.tolerance)) {
        ++n_conservation_failures;
        fail(fmt::format("{}: relevance_sum {} + bias_relevance {} != score {} (token sum {})", where,
                         r.relevance_sum, r.bias_relevance, r.score, sum));
      }
    }
  }
  nlohmann::ordered_json out;
  out["documents"] = n_docs;
  out["tokens"] = n_tokens;
  out["span_failures"] = n_span_failures;
  out["documents_with_words"] = n_word_docs;
  out["words"] = n_words;
  out["word_failures"] = n_word_failures;
  out["conservation_checked"] = o.conservation;
  out["conservation_failures"] = n_conservation_failures;
  out["max_relative_conservation_error"] = max_conservation_error;
  out["documents_with_warnings"] = n_warning_docs;
  out["tolerance"] = o.tolerance;
  out["failures"] = failures;
  std::printf("%s\n", out.dump(2).c_str());
  if (n_docs == 0) {
    std::fprintf(stderr, "textlrp: error: %s: no explanations to validate (the input is empty)\n",
                 reader.name().c_str());
    return 1;
  }
  return (n_span_failures || n_conservation_failures || n_word_failures || n_warning_docs) ? 1 : 0;
}

}  // namespace

void setup_validate(CLI::App& root, Action& action) {
  auto opt = std::make_shared<ValidateOptions>();
  CLI::App* cmd = root.add_subcommand("validate",
                                      "check an explanations JSONL file: every token equals text[begin:end], "
                                      "and relevance_sum + bias_relevance "
                                      "= score within --tolerance·max(1,|score|) (exact for the BoW/SVM); "
                                      "for subword models every word equals "
                                      "text[begin:end] and its relevance is the sum of its pieces'; a record "
                                      "carrying \"warnings\" (non-finite "
                                      "values, relevance not conserved) fails too; JSON summary on stdout, "
                                      "exit 1 on failure or when the input holds no explanations");
  cmd->add_option("--explanations", opt->explanations, "explanations JSONL (- = stdin)")
      ->capture_default_str();
  cmd->add_option("--tolerance", opt->tolerance, "relative tolerance of the conservation check")
      ->capture_default_str();
  cmd->add_flag("!--no-conservation", opt->conservation, "check spans and schema only");
  cmd->callback([opt, &action] { action = [opt] { return run_validate(*opt); }; });
}

}  // namespace textlrp::app
