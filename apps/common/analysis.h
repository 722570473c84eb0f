// apps/common/analysis.h — what the analysis commands share around the analysis module (analysis/):
// reading a corpus into memory (with an evenly spread --max-docs cap), running documents on all
// cores in input order with progress (typed results, core/ordered_stream.h), and the output
// formats: the docvec TSV, the EPI JSON and table, the deletion JSON (written and read back).
//
// The per-document work (document vectors, word deletion, top words of a document, EPI) lives in
// analysis/document.h, docvec.h, deletion_run.h and epi.h; its names are brought in here for the
// commands (apps/cmd_{docvec,pca,epi,deletion,topwords,analyze}.cpp) and apps/common/analysis_report.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analysis/deletion.h"
#include "analysis/deletion_run.h"
#include "analysis/document.h"
#include "analysis/docvec.h"
#include "analysis/epi.h"
#include "analysis/knn.h"
#include "analysis/pca.h"
#include "analysis/topwords.h"
#include "apps/common/cli.h"
#include "core/ordered_stream.h"
#include "core/thread_pool.h"
#include "explain/pipeline.h"

namespace textlrp::app {

using LogFn = std::function<void(std::string_view)>;

// The analysis module's per-document API, under the names the commands use.
using analysis::class_indices;
using analysis::delete_document;
using analysis::deletes_words;
using analysis::deletion_meaning;
using analysis::DeletionResult;
using analysis::DeletionSetup;
using analysis::DocDeletion;
using analysis::document_vectors;
using analysis::document_words;
using analysis::docvec_needs_corpus_idf;
using analysis::DocvecSetup;
using analysis::DocVectors;
using analysis::DocWords;
using analysis::EpiOptions;
using analysis::EpiRow;
using analysis::explanatory_power;
using analysis::label_of;
using analysis::make_deletion_result;
using analysis::make_deletion_setup;
using analysis::MethodPlan;
using analysis::parse_weighting;
using analysis::plan_method;
using analysis::rule_name;
using analysis::stable_hash;
using analysis::token_relevance;
using analysis::VectorSet;
using analysis::visible_positions;
using analysis::Weighting;
using textlrp::resolve_threads;  // threads <= 0 -> every core

// ---------------------------------------------------------------------------------------------
// Documents and threads

// Reads every document of the input. With max_docs > 0 and more documents than that, keeps
// max_docs of them spread evenly over the corpus in corpus order (indices ⌊i·n/max_docs⌋), so a
// folder corpus sorted by class keeps every class. Logs "N of M documents" when it drops some.
std::vector<corpora::Example> read_documents(const InputOptions& input, std::size_t max_docs,
                                             const LogFn& log);

// The documents of an analysis: either read into memory (read_documents; needed for --max-docs and
// for analyses that keep every document, like PCA/EPI), or streamed from the input in bounded memory
// (the input is opened again for each pass).
class Documents {
 public:
  static Documents in_memory(std::vector<corpora::Example> docs);
  static Documents streamed(const InputOptions& input, LogFn log);
  // Streaming is possible for every input but stdin when more than one pass is needed.
  static bool can_reopen(const InputOptions& input);
  bool is_streamed() const { return input_ != nullptr; }
  // A fresh reader over the documents (a view of the vector when in memory).
  std::unique_ptr<corpora::CorpusReader> open() const;
  // A fresh reader over the whole input, ignoring --shard (for corpus statistics such as the idf,
  // which must be the same in every shard). In memory: the documents themselves.
  std::unique_ptr<corpora::CorpusReader> open_unsharded() const;
  // Known document count (0 = not known before the pass, when streamed).
  std::size_t known_size() const { return is_streamed() ? 0 : docs_.size(); }
  const std::vector<corpora::Example>& vector() const { return docs_; }

 private:
  std::vector<corpora::Example> docs_;
  const InputOptions* input_ = nullptr;
  LogFn log_;
};

// Progress of for_each_document on stderr as `explain` shows it (a \r-line on a terminal); when
// stderr is not a terminal, one log line every 30 s instead, so that nohup logs show progress too.
class DocumentProgress {
 public:
  DocumentProgress(std::string what, bool quiet, std::size_t total);
  void update(std::size_t done);
  void finish(std::size_t done);

 private:
  std::string what_;
  bool quiet_;
  std::size_t total_;
  Progress progress_;
  bool log_lines_;
  double last_log_;
};

// Maps every document with fn (a typed result per document, e.g. analysis::DocVectors) on `threads`
// threads (core's ThreadPool, in batches of `batch` per thread) and passes each document and its
// result to sink(const corpora::Example&, Result&) in document order, with progress. An exception
// of fn stops the run (the first failing document's, in input order). Returns the number of documents.
template <class Fn, class Sink>
std::size_t for_each_document(corpora::CorpusReader& reader, std::size_t total, int threads,
                              std::size_t batch, const std::string& what, bool quiet, Fn&& fn, Sink&& sink) {
  DocumentProgress progress(what, quiet, total);
  ThreadPool pool(resolve_threads(threads));
  const std::size_t n = map_in_order<corpora::Example>(
      pool, batch, [&](corpora::Example& ex) { return reader.next(ex); }, fn, sink,
      [&](std::size_t done) { progress.update(done); });
  progress.finish(n);
  return n;
}
// The same over Documents (streamed or in memory).
template <class Fn, class Sink>
std::size_t for_each_document(const Documents& docs, int threads, std::size_t batch, const std::string& what,
                              bool quiet, Fn&& fn, Sink&& sink) {
  auto reader = docs.open();
  return for_each_document(*reader, docs.known_size(), threads, batch, what, quiet, std::forward<Fn>(fn),
                           std::forward<Sink>(sink));
}
// The same over documents in memory.
template <class Fn, class Sink>
std::size_t for_each_document(const std::vector<corpora::Example>& docs, int threads, std::size_t batch,
                              const std::string& what, bool quiet, Fn&& fn, Sink&& sink) {
  DocumentProgress progress(what, quiet, docs.size());
  ThreadPool pool(resolve_threads(threads));
  std::size_t next = 0;
  const std::size_t n = map_in_order<corpora::Example>(
      pool, batch,
      [&](corpora::Example& ex) {
        if (next >= docs.size()) return false;
        ex = docs[next++];
        return true;
      },
      fn, sink, [&](std::size_t done) { progress.update(done); });
  progress.finish(n);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Document vectors

// analysis::make_docvec_setup over the documents of a command: they are read again (unsharded)
// for a corpus idf, only when one is needed (analysis::docvec_needs_corpus_idf).
DocvecSetup make_docvec_setup(const Model& model, const std::string& embeddings,
                              std::vector<Weighting> weightings, const lrp::ExplainOptions& explain,
                              const Documents& docs, const LogFn& log);

// TSV: a header line "id\tlabel\tprediction\tmodel\tweighting\tv1\t…\tvE", then one row per
// document and weighting. Tabs, newlines and backslashes in the text fields are written as \t,
// \n, \r and \\.
std::string vectors_tsv_header(Index dim);
void append_vectors_tsv(std::string& out, const std::string& id, const std::string& label,
                        const std::string& prediction, const std::string& model, const std::string& weighting,
                        std::span<const double> v);
// Reads one such file into one VectorSet per (model, weighting), in order of first appearance.
// Throws FormatError naming file:line for a bad header, a wrong field count or a bad number.
// A header line repeated later in the file (concatenated `docvec --shard I/N` outputs) is skipped.
std::vector<VectorSet> read_vectors_tsv(const std::string& path);
// Several files read as one (e.g. the outputs of `docvec --shard I/N`): the rows of each (model,
// weighting) in file order. FormatError when two files' vectors have different dimensions.
std::vector<VectorSet> read_vectors_tsv(const std::vector<std::string>& paths);
std::string tsv_escape(std::string_view field);

// The JSON of `textlrp epi` / `docvec --epi`.
nlohmann::ordered_json epi_json(const std::vector<EpiRow>& rows, const EpiOptions& options);
// A plain-text table for stderr.
std::string epi_table(const std::vector<EpiRow>& rows);

// ---------------------------------------------------------------------------------------------
// Word deletion

// The JSON of `textlrp deletion` (schema documented in cmd_deletion.cpp --help and README).
nlohmann::ordered_json deletion_json(const DeletionResult& r);
// Reads it back (for `textlrp analyze --deletion-results`): only what the report draws.
struct DeletionCurveData {
  std::string name;
  std::vector<double> correct_accuracy, misclassified_accuracy;
  double aopc = 0, misclassified_aopc = 0, aopc_score = 0;
};
struct DeletionData {
  std::string model;
  std::string deletion;  // what deleting meant
  int max_delete = 0;
  std::size_t documents = 0, correct = 0, misclassified = 0;
  int random_seeds = 0;
  std::vector<DeletionCurveData> curves;
  std::vector<std::pair<std::string, std::string>> skipped;
};
DeletionData deletion_data(const nlohmann::ordered_json& j, const std::string& where);

}  // namespace textlrp::app
