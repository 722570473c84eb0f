// explain/pipeline.h — where text meets relevance: documents -> tokens -> ids -> classifier ->
// per-span relevance records; plus the ordered, batched, multi-threaded stream every command uses.
// Library code (no CLI11): the command-line tool's commands, the public API (api/src/api.cpp) and
// the analyses call it; the tool's progress line is apps/common/cli.h's.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "corpora/corpus.h"
#include "corpora/input.h"
#include "explain/explanation.h"
#include "explain/model.h"

namespace textlrp::explain {

// The input as `models` read it (every command that reads documents with a model calls this):
//  - --strip: the model's preprocessing (Model::strip) when --strip is not given; an explicit
//    --strip (or --strip none) that differs from the model's wins, with a warning naming both.
//    Several models that disagree: the first model's, with a warning.
//  - the models' corpus labels (Model::corpus_labels) are mapped to their label names.
corpora::InputOptions input_for_models(const corpora::InputOptions& given,
                                       const std::vector<const Model*>& models,
                                       const std::function<void(std::string_view)>& warn);
corpora::InputOptions input_for_model(const corpora::InputOptions& given, const Model& model,
                                      const std::function<void(std::string_view)>& warn);
corpora::InputOptions input_for_models(const corpora::InputOptions& given, const std::vector<Model>& models,
                                       const std::function<void(std::string_view)>& warn);

enum class TargetKind { kPredicted, kTrue, kLabel };
struct TargetSpec {
  TargetKind kind = TargetKind::kPredicted;
  int label = -1;
  // "predicted" | "true" | a label name of the model. InvalidArgument lists the valid values.
  static TargetSpec parse(const std::string& text, const Model& model);
};

struct Encoded {
  std::vector<nlp::Token> tokens;
  std::vector<TokenId> ids;
  bool spans = true;  // false for pre-tokenized input
};
Encoded encode(const Model& model, const corpora::Example& example);

// Explains one document; the record has passed check_explanation() (its "warnings" say what it
// found). Throws FormatError (a data error) when target is "true" and the document has no
// label or a label the model does not know.
ExplanationRecord explain_example(const Model& model, const corpora::Example& example,
                                  const lrp::ExplainOptions& options, const TargetSpec& target);

// explain_example() + append_jsonl() in one go, without building the record in the usual case
// (the same bytes: the shared JsonlLineWriter); returns the record's warnings (usually none).
std::vector<std::string> append_explanation(std::string& out, const Model& model,
                                            const corpora::Example& example,
                                            const lrp::ExplainOptions& options, const TargetSpec& target);

// The summary warnings (without the "textlrp: " prefix) of the documents explain_example() and
// predict_line() found since the last call to have no tokens, and of those whose every token is out
// of vocabulary: one line per kind with the count and the first five ids (in input order). Resets
// the counts. The tool prints them when a command finishes (apps/common/cli.h, Progress::finish).
std::vector<std::string> take_input_warnings();

// One predict JSONL line {"id","label"?,"prediction","scores"} (with the trailing newline).
std::string predict_line(const Model& model, const corpora::Example& example);

struct StreamOptions {
  int threads = 1;
  std::size_t batch = 256;
};
// Reads every example, maps each with `fn` on `threads` threads (one batch at a time, so memory does
// not grow with the corpus) and passes the results to `sink` in input order. An exception thrown by
// `fn` stops the stream and is rethrown here. Returns the number of examples. `on_batch` (optional)
// is called after each batch with the running count.
std::size_t run_stream(corpora::CorpusReader& reader, const StreamOptions& options,
                       const std::function<std::string(const corpora::Example&)>& fn,
                       const std::function<void(std::string_view)>& sink,
                       const std::function<void(std::size_t)>& on_batch = {});
// The same, with the document beside its result in the sink (for sinks that need its id or label).
std::size_t run_stream(corpora::CorpusReader& reader, const StreamOptions& options,
                       const std::function<std::string(const corpora::Example&)>& fn,
                       const std::function<void(const corpora::Example&, std::string_view)>& sink,
                       const std::function<void(std::size_t)>& on_batch = {});

}  // namespace textlrp::explain
