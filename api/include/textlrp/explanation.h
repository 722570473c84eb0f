// textlrp/explanation.h — one explained document (the content of one schema-1 JSONL line of
// `textlrp explain`), its JSON line and the HTML report. Part of the public API (textlrp/textlrp.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace textlrp {

// One token (a word, or a piece for a subword model) and its relevance for the target class.
struct TokenRelevance {
  std::string text;                    // surface form == Explanation::text[begin:end] when spans exist
  std::optional<std::uint32_t> begin;  // byte offsets into Explanation::text; absent when pre-tokenized
  std::optional<std::uint32_t> end;
  double relevance = 0;
  bool oov = false;     // not in the model's vocabulary
  bool unseen = false;  // past the model's max_tokens: never read by the model (relevance 0)
};

// One word of a subword model's explanation: the summed relevance of its pieces.
struct WordRelevance {
  std::string text;  // == Explanation::text[begin:end]
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  double relevance = 0;
};

// What `textlrp explain` writes for one document (schema 1; explain/explanation.h documents
// every field of the JSON). Conservation: relevance_sum + Σ special + bias_relevance == score
// (within the warnings' tolerance; `warnings` says when it does not hold, or when a non-finite
// value was replaced by 0).
struct Explanation {
  std::string id;                    // document id ("1-<fnv1a hash>" unless ExplainRequest::id is set)
  std::string text;                  // the document text (pre-tokenized: the tokens joined by spaces)
  std::optional<std::string> label;  // true label, when given (ExplainRequest::label)
  std::string prediction;            // predicted label
  std::string target;                // explained label
  std::string method = "lrp";
  std::string rule;                                    // the LRP rule(s) used; empty for the baselines
  std::vector<std::pair<std::string, double>> scores;  // per label, in the model's label order
  double score = 0;                                    // score of the target label
  std::vector<TokenRelevance> tokens;
  std::optional<std::vector<WordRelevance>> words;      // subword models only
  std::vector<std::pair<std::string, double>> special;  // transformers: [CLS], [SEP]
  double relevance_sum = 0;
  double bias_relevance = 0;
  std::string model;  // the model's display name (its directory name)
  bool truncated = false;
  std::optional<std::uint32_t> max_tokens;  // the model's limit, when truncated
  std::vector<std::string> warnings;
};

// The explanation as `textlrp explain` writes it: one schema-1 JSON object and its trailing '\n',
// byte for byte the CLI's line for the same document, model and options.
std::string to_json(const Explanation& explanation);

// Parses one schema-1 JSON line (what to_json() and `textlrp explain` write) back into an
// Explanation, with the values as the line holds them (token and word relevances in the float
// precision the line is written with). Throws FormatError naming `where` (e.g. "expl.jsonl:12")
// and the missing or mistyped key, invalid JSON or the byte that is not UTF-8.
Explanation from_json(const std::string& line, const std::string& where = "explanation");

// The explanations as `textlrp explain -o FILE` writes them: to_json() of each, in order (a JSONL
// file), written atomically (IoError naming the file when it cannot be written). The lines are
// formatted on `threads` threads (< 1: every core). The pointer form is for callers that hold their
// explanations elsewhere (the Python package); a null pointer is an InvalidArgument.
void write_jsonl(const std::vector<Explanation>& explanations, const std::filesystem::path& path,
                 int threads = 1);
void write_jsonl(std::span<const Explanation* const> explanations, const std::filesystem::path& path,
                 int threads = 1);

struct ReportOptions {
  std::string title = "textlrp report";  // page <title> and heading
  std::size_t max_documents = 0;         // the first this many documents; 0 = all
  std::string color_scale = "view";      // "view" (each explanation its own scale) or "shared"
};

// The self-contained HTML page of `textlrp report` for these explanations: explanations with the
// same id and text are one document, shown side by side. Throws InvalidArgument for a bad
// color_scale, FormatError for tokens whose spans do not fit the text.
std::string render_report(const std::vector<Explanation>& explanations, const ReportOptions& options = {});
// The same explanations as an HTML fragment to embed in another page (a Jupyter notebook's
// _repr_html_): one <div class="textlrp"> holding a <style> element with the report's CSS scoped to
// that div (no rule reaches outside it) and each document's card exactly as render_report() draws
// it (model, method, prediction, scores, highlighted text); no script, no page header or index.
// Same escaping and errors as render_report().
std::string render_html_fragment(const std::vector<Explanation>& explanations,
                                 const ReportOptions& options = {});
// render_report() written to `html` atomically (IoError naming the file when it cannot be written).
void write_report(const std::vector<Explanation>& explanations, const std::filesystem::path& html,
                  const ReportOptions& options = {});

}  // namespace textlrp
