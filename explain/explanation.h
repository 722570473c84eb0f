// explain/explanation.h — one explained document, as written to JSONL (schema 1) and read back
// by `textlrp report --explanations`.
//
// Schema 1 (one JSON object per line):
//   {"schema":1,"id","text","label"(if known),"prediction","target","method","rule",
//    "scores":{"<label>":s,...},"score"(of the target),
//    "tokens":[{"text","begin","end","relevance"},...],"relevance_sum","bias_relevance"}
// plus optional "model" (a display name), "truncated" (bool), "warnings" (array of strings, see
// check_explanation; numbers are always finite: a NaN or infinity is written as 0 with a warning,
// never as null) and, for pre-tokenized input, tokens
// without "begin"/"end". A truncated record (the model reads at most max_tokens tokens) carries
// "truncated":true, "max_tokens":N (the model's limit) and "unseen":true on every token from index
// N on (those tokens were never read by the model; their relevance is 0). Older files without
// "max_tokens" still read; then only tokens flagged "unseen" are unseen. begin/end are byte offsets into "text" (UTF-8), so text[begin:end] is
// the token's surface form. relevance_sum + bias_relevance == score for the linear model.
// A model that reads subwords (SentencePiece) adds, after "tokens" (one per piece),
//   "words":[{"text","begin","end","relevance"},...]
// the ICU words of the text (nlp/word_groups.h, punctuation kept, case kept), each with the sum of
// the relevance of its pieces; every piece counts for exactly one word (a lone "▁" for the word
// after it), so the words' relevances add up to the tokens'. Word-level models omit "words" (their
// tokens are the words already). A WordPiece (BERT-family) model's "words" are its pieces with the
// "##" continuation pieces merged into their word. A transformer adds, after "words",
//   "special":[{"text":"[CLS]","relevance":r},{"text":"[SEP]","relevance":r}]
// the relevance of the tokens the model adds itself; then score = relevance_sum + Σ special +
// bias_relevance.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_write.h"

namespace textlrp::explain {

struct TokenRelevance {
  std::string text;                    // surface form, == document text[begin:end] when spans exist
  std::optional<std::uint32_t> begin;  // byte offsets into the document text; absent when pre-tokenized
  std::optional<std::uint32_t> end;
  double relevance = 0;
  bool oov = false;     // the token is not in the model's vocabulary
  bool unseen = false;  // past the model's max_tokens: the model never read it ("unseen")
};

// One word of a subword model's explanation: the summed relevance of its pieces.
struct WordRelevance {
  std::string text;  // == document text[begin:end]
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  double relevance = 0;
};

struct ExplanationRecord {
  std::string id;
  std::string text;
  std::optional<std::string> label;  // true label, when known
  std::string prediction;
  std::string target;
  std::string method = "lrp";
  std::string rule;
  std::vector<std::pair<std::string, double>> scores;  // in the model's label order
  double score = 0;                                    // score of the target class
  std::vector<TokenRelevance> tokens;
  std::optional<std::vector<WordRelevance>> words;      // subword models only ("words" in the JSON)
  std::vector<std::pair<std::string, double>> special;  // transformers: [CLS], [SEP] ("special")
  double relevance_sum = 0;
  double bias_relevance = 0;
  std::string model;  // display name of the model (its directory name); optional in the JSON
  bool truncated = false;
  // The model's token limit, when the document was truncated ("max_tokens" in the JSON): tokens
  // [max_tokens, n) were not read by the model, carry relevance 0 and have unseen == true.
  std::optional<std::uint32_t> max_tokens;
  // Problems found before writing (check_explanation): non-finite values written as 0, relevances
  // not conserved within tolerance. "warnings":[...] in the JSON, after "bias_relevance"; absent
  // when empty.
  std::vector<std::string> warnings;
};

// Tolerance of the conservation check of check_explanation (and `validate`'s default): relative to
// max(1, |score|).
inline constexpr double kConservationTolerance = 1e-4;

// Checks a record before it is written, adding one warning per problem: non-finite values (NaN or
// infinity) in the scores, score, token or word relevances, relevance_sum or bias_relevance are
// replaced by 0 (a non-finite relevance_sum by the sum of the token relevances, a non-finite
// bias_relevance by score − relevance_sum), and conservation is checked as `validate` checks it,
// on the numbers as append_jsonl writes them (token relevances in float precision):
// |Σ tokens − relevance_sum| and |relevance_sum + bias_relevance − score| <= tolerance·max(1, |score|).
// Returns true when it added a warning.
bool check_explanation(ExplanationRecord& record, double tolerance = kConservationTolerance);

// Appends the record as one JSON line (with the trailing '\n').
void append_jsonl(std::string& out, const ExplanationRecord& record);

// The JSONL writer's per-field code, shared by append_jsonl and explain's fast path
// (explain/pipeline.cpp, append_explanation), so that the two cannot drift. Writes into the calling
// thread's buffer, sized once from `bound` (string_bound per string, kItemBound per token / word /
// special, kScoreBound per score, kFixedBound for the rest); calls in the order of the schema:
// head, score*, scores_end, token*, tokens_end, [words_begin, word*, words_end],
// [special_begin, special*, special_end], finish.
class JsonlLineWriter {
 public:
  static constexpr std::size_t kNumber = 32;  // core/json_write.h kShortestNumberBound
  static constexpr std::size_t kFixedBound = 512 + 8 * kNumber;
  static constexpr std::size_t kItemBound = 96 + 2 * kNumber;
  static constexpr std::size_t kScoreBound = kNumber + 2;
  static constexpr std::size_t string_bound(std::size_t n) { return 6 * n + 2; }

  explicit JsonlLineWriter(std::size_t bound);
  void head(std::string_view id, std::string_view model, std::string_view text, const std::string* label,
            std::string_view prediction, std::string_view target, std::string_view method,
            std::string_view rule);
  void score(std::size_t i, std::string_view label, double v);
  void scores_end(double score, bool truncated, const std::optional<std::uint32_t>& max_tokens);
  void token(std::size_t i, std::string_view text, bool spans, std::uint32_t begin, std::uint32_t end,
             double relevance, bool oov, bool unseen);
  // token() of a token with a span whose text is document[begin:end] (the same bytes, faster: the
  // text is escaped with write_json_string_within, reading up to 16 bytes within `document`).
  void span_token(std::size_t i, std::string_view document, std::uint32_t begin, std::uint32_t end,
                  double relevance, bool oov);
  void tokens_end();
  void words_begin();
  void word(std::size_t i, std::string_view text, std::uint32_t begin, std::uint32_t end, double relevance);
  void words_end();
  void special_begin();
  void special(std::size_t i, std::string_view text, double relevance);
  void special_end();
  // The sums, the warnings (plus one for the non-finite numbers written as 0) and "}\n", appended to out.
  void finish(std::string& out, double relevance_sum, double bias_relevance,
              const std::vector<std::string>& warnings);

 private:
  char* begin_;
  char* p_;
  std::size_t nonfinite_ = 0;
  ShortestCache floats_;  // relevances: the same value (every occurrence of a term) is formatted once
};

// Token relevances as the writer writes them (float precision; 0 for a non-finite value).
double as_written(double v);

// Parses one schema-1 object. Throws FormatError naming `where` (e.g. "expl.jsonl:12") and the
// missing or mistyped key.
ExplanationRecord parse_explanation(const nlohmann::json& j, const std::string& where);

// Parses one JSONL line: rejects invalid UTF-8 (naming the byte) and invalid JSON, then
// parse_explanation(). `where` is "file:line".
ExplanationRecord parse_explanation_line(const std::string& line, const std::string& where);

}  // namespace textlrp::explain
