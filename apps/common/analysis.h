// apps/common/analysis.h — what the analysis commands share: reading a corpus into memory (with an
// evenly spread --max-docs cap), running documents on all cores through run_stream with progress,
// and, per document, the three analyses of Arras et al. (2016/2017) on a loaded model:
//
//   document vectors   d = Σ_t w_t · e(token_t)                           (textlrp docvec, pca, epi)
//   word deletion      accuracy after deleting 0..K tokens per ordering  (textlrp deletion)
//   top words          relevance per word, aggregated per class           (textlrp topwords)
//
// Used by apps/cmd_{docvec,pca,epi,deletion,topwords,analyze}.cpp and apps/common/analysis_report.
// The mathematics (PCA, KNN/EPI, curves/AOPC, aggregation) lives in analysis/.
//
// Conventions shared by every analysis (README "Analyses" repeats them):
//   - A token takes part when the model can see it: an id in [0, n_vocab), not the <unk> id for the
//     BoW/SVM (which ignores unknown words), and within the CNN's max_tokens.
//   - Deleting a token replaces its id by -1: the BoW/SVM drops it from the bag (removal), the CNN
//     and the BiLSTM embed it as the zero vector (the position stays). The ordering is by relevance for the TRUE
//     class: decreasing for correctly classified documents, increasing for misclassified ones.
//   - Document vectors use the model's vocabulary: word vectors by vocabulary id (from --embeddings
//     FILE, matched as the CNN trainer matches them, case folding included; words without a vector
//     and <unk> get none), or the model's own embedding matrix (CNN). Weights: relevance for the
//     PREDICTED class (lrp, sa, gi, ig, occlusion), 1 (uniform) or TF-IDF.
//   - TF-IDF weight of an occurrence of word i: x_i / count_i, with x the L2-normalised TF-IDF
//     vector of the document, so Σ_t w_t e_t = Σ_i x_i e_i. The idf is the BoW/SVM model's own when
//     the model is bow_svm, else the smooth idf ln((1+n)/(1+df_i)) + 1 of the analysed corpus.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/common/cli.h"
#include "analysis/deletion.h"
#include "analysis/knn.h"
#include "analysis/pca.h"
#include "analysis/topwords.h"

namespace textlrp::app {

using LogFn = std::function<void(std::string_view)>;

// ---------------------------------------------------------------------------------------------
// Documents and threads

// Reads every document of the input. With max_docs > 0 and more documents than that, keeps
// max_docs of them spread evenly over the corpus in corpus order (indices ⌊i·n/max_docs⌋), so a
// folder corpus sorted by class keeps every class. Logs "N of M documents" when it drops some.
std::vector<corpora::Example> read_documents(const InputOptions& input, std::size_t max_docs, const LogFn& log);

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

// threads <= 0 -> every core (std::thread::hardware_concurrency, at least 1).
int resolve_threads(int threads);

// Maps every document with fn on `threads` threads (apps/common/pipeline run_stream, in batches of
// `batch` per thread) and passes the results to sink in document order. Progress on stderr as
// `explain` shows it (a \r-line on a terminal); when stderr is not a terminal, one log line every
// 30 s instead, so that nohup logs show progress too. Returns the number of documents.
std::size_t for_each_document(const std::vector<corpora::Example>& docs, int threads, std::size_t batch,
                              const std::string& what, bool quiet,
                              const std::function<std::string(const corpora::Example&)>& fn,
                              const std::function<void(std::string_view)>& sink);
// The same over Documents (streamed or in memory); the sink also receives the document.
std::size_t for_each_document(const Documents& docs, int threads, std::size_t batch, const std::string& what,
                              bool quiet, const std::function<std::string(const corpora::Example&)>& fn,
                              const std::function<void(const corpora::Example&, std::string_view)>& sink);

// The index of the document's label in the model, or -1 when it has none. With `required`, a
// missing or unknown label is a FormatError (a data error, exit 1) naming the document.
int label_of(const Model& model, const corpora::Example& doc, bool required);

// Positions the model sees (see the conventions above).
std::vector<std::size_t> visible_positions(const Model& model, std::span<const TokenId> ids);

// How token_relevance() computes a method on a model: with the model's own explain(), or, for
// occlusion on an architecture that does not implement it, here: s_target(ids) − s_target(ids with
// the token's id replaced by -1), for each visible token.
struct MethodPlan {
  lrp::Method method = lrp::Method::kLrp;
  bool generic_occlusion = false;
};
// Probes the model once (a one-token input). Throws InvalidArgument with the model's reason when the
// method cannot be computed for it (e.g. sa on the BoW/SVM).
MethodPlan plan_method(const Model& model, lrp::Method method, const lrp::ExplainOptions& base);
// Per-token relevance [n_tokens] for class `target` (-1 = predicted).
std::vector<double> token_relevance(const Model& model, std::span<const TokenId> ids, const MethodPlan& plan,
                                    int target, const lrp::ExplainOptions& base);

// True for a model whose deletion removes words (lrp::TokenDeletion::words: a transformer, which reads
// WordPiece pieces): the analyses work on its words (a piece with its "##" pieces): topwords ranks
// words, deletion deletes words (removing their pieces from the sequence), generic occlusion drops
// the piece instead of replacing its id by -1.
bool deletes_words(const Model& model);
// The rule `options` explain with under method lrp, as text ("rule" in the JSON of topwords and
// deletion, the analyze report): the role map, or a transformer's attnlrp | cp-lrp.
std::string rule_name(const Model& model, const lrp::ExplainOptions& options);
// The words of a transformer's pieces (nlp::merge_word_pieces): pieces [first, last), the text as the
// tokenizer normalised it ("te" + "##pid" = "tepid"; an unknown word's surface), oov when the word
// is [UNK]. Empty for other models and for input without spans.
struct PieceWord {
  std::size_t first = 0;
  std::size_t last = 0;
  std::string text;
  bool oov = false;
};
std::vector<PieceWord> piece_words(const Model& model, const Encoded& enc);

// FNV-1a of the bytes: a platform-independent hash of document ids, for per-document seeds.
std::uint64_t stable_hash(std::string_view bytes);

// ---------------------------------------------------------------------------------------------
// Document vectors

struct Weighting {
  enum class Kind { kUniform, kTfidf, kRelevance };
  std::string name;  // "uniform", "tfidf", or the method name ("lrp", "sa", ...)
  Kind kind = Kind::kUniform;
  lrp::Method method = lrp::Method::kLrp;
};
// "uniform", "tfidf", "lrp", "sa", "gi", "ig", "occlusion", or "relevance" (= `method`).
// InvalidArgument lists them otherwise.
Weighting parse_weighting(std::string_view name, std::string_view method = "lrp");

struct DocvecSetup {
  const Model* model = nullptr;
  Mat table;                   // [n_vocab x E] word vector of each vocabulary id (zero rows: none)
  std::string table_source;    // "FILE (coverage ...)" or "the model's embedding matrix"
  std::vector<Weighting> weightings;
  lrp::ExplainOptions explain;  // rules and ig steps for the relevance weightings
  std::vector<MethodPlan> plans;  // per weighting (used by the relevance weightings)
  Vec idf;                      // [n_vocab] for tfidf (empty when not needed)
  std::string idf_source;       // "model" or "corpus (N documents)"
  bool bow_features = false;    // tfidf straight from the BoW/SVM model's features()
};

// Prepares document vectors for `weightings`. `embeddings` = a word-vector file, or empty for the
// model's own embedding matrix (the CNN has one; for other models that is an InvalidArgument
// asking for --embeddings). `docs` are read (unsharded) for the corpus idf, only when tfidf is asked
// for and the model is not bow_svm. Logs what it loaded through `log`.
DocvecSetup make_docvec_setup(const Model& model, const std::string& embeddings, std::vector<Weighting> weightings,
                              const lrp::ExplainOptions& explain, const Documents& docs, const LogFn& log);
// True when make_docvec_setup will read the documents for a corpus idf.
bool docvec_needs_corpus_idf(const Model& model, const std::vector<Weighting>& weightings);

struct DocVectors {
  int prediction = -1;
  std::vector<std::vector<double>> vectors;  // [n_weightings][E]
};
DocVectors document_vectors(const DocvecSetup& setup, const corpora::Example& doc);
std::string pack(const DocVectors& d);
DocVectors unpack_vectors(std::string_view bytes);

// Document vectors of one weighting, as written to / read from TSV.
struct VectorSet {
  std::string model;
  std::string weighting;
  std::vector<std::string> ids;
  std::vector<std::string> labels;       // "" = unlabelled
  std::vector<std::string> predictions;
  analysis::DMat x;                 // [n x E]
};

// TSV: a header line "id\tlabel\tprediction\tmodel\tweighting\tv1\t…\tvE", then one row per
// document and weighting. Tabs, newlines and backslashes in the text fields are written as \t,
// \n, \r and \\.
std::string vectors_tsv_header(Index dim);
void append_vectors_tsv(std::string& out, const std::string& id, const std::string& label, const std::string& prediction,
                        const std::string& model, const std::string& weighting, std::span<const double> v);
// Reads one such file into one VectorSet per (model, weighting), in order of first appearance.
// Throws FormatError naming file:line for a bad header, a wrong field count or a bad number.
// A header line repeated later in the file (concatenated `docvec --shard I/N` outputs) is skipped.
std::vector<VectorSet> read_vectors_tsv(const std::string& path);
// Several files read as one (e.g. the outputs of `docvec --shard I/N`): the rows of each (model,
// weighting) in file order. FormatError when two files' vectors have different dimensions.
std::vector<VectorSet> read_vectors_tsv(const std::vector<std::string>& paths);
std::string tsv_escape(std::string_view field);

// Labels of a vector set as class indices (in order of first appearance of each label; rows without
// a label are dropped from `keep`). Returns the class names.
std::vector<std::string> class_indices(const VectorSet& set, std::vector<int>& labels, std::vector<Index>& keep);

struct EpiOptions {
  analysis::Distance distance = analysis::Distance::kCosine;
  int folds = 10;
  Index k_max = 20;
  std::uint64_t seed = 1;
  bool normalize = true;  // unit-length vectors first
};
struct EpiRow {
  std::string source;  // file name, or "" when computed in place
  std::string model;
  std::string weighting;
  std::size_t documents = 0;
  analysis::CrossValidation cv;
};
EpiRow explanatory_power(const VectorSet& set, const EpiOptions& options);
nlohmann::ordered_json epi_json(const std::vector<EpiRow>& rows, const EpiOptions& options);
// A plain-text table for stderr.
std::string epi_table(const std::vector<EpiRow>& rows);

// ---------------------------------------------------------------------------------------------
// Word deletion

struct DeletionSetup {
  std::vector<MethodPlan> methods;   // explanation methods, in the order asked (random excluded)
  bool random = false;               // the random ordering (generic, seeded per document)
  int random_seeds = 5;
  std::uint64_t seed = 0;
  int max_delete = 20;
  lrp::ExplainOptions explain;       // rules, ig steps
  std::vector<std::pair<std::string, std::string>> skipped;  // method, why
  std::vector<std::string> names() const;  // methods then "random"
};
// Parses "lrp,sa,gi,ig,occlusion,random" against the model: methods it cannot explain with are
// moved to `skipped` (logged), unknown names are an InvalidArgument.
DeletionSetup make_deletion_setup(const Model& model, const std::vector<std::string>& methods, int max_delete,
                                  int random_seeds, std::uint64_t seed, const lrp::ExplainOptions& explain,
                                  const LogFn& log);

// One document's result: traces[m] for each name of setup.names() (random: one per seed).
struct DocDeletion {
  int label = -1;
  bool correct = false;
  std::vector<std::vector<analysis::DeletionTrace>> traces;
};
DocDeletion delete_document(const Model& model, const DeletionSetup& setup, const corpora::Example& doc);
std::string pack(const DocDeletion& d);
DocDeletion unpack_deletion(std::string_view bytes);

struct DeletionCurves {
  std::string name;
  analysis::DeletionCurve correct;        // correctly classified: decreasing relevance
  analysis::DeletionCurve misclassified;  // misclassified: increasing relevance
};
struct DeletionResult {
  std::string model;
  std::string architecture;
  std::string deletion;  // what deleting a token means to the model (Classifier::token_deletion())
  int max_delete = 0;
  int random_seeds = 0;
  std::size_t documents = 0;
  std::size_t correct = 0;
  std::vector<DeletionCurves> curves;  // in setup.names() order
  std::vector<std::pair<std::string, std::string>> skipped;
  std::string rule;
  double seconds = 0;
  void add(const DocDeletion& d);
};
DeletionResult make_deletion_result(const Model& model, const DeletionSetup& setup);
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
std::string deletion_meaning(const Model& model);

// ---------------------------------------------------------------------------------------------
// Top words

// One document: the class it counts for (its label, or the prediction when it has none) and its
// words with their relevance for that class. OOV tokens and tokens the model cannot see are left out.
struct DocWords {
  int cls = -1;
  analysis::DocumentWords words;
};
DocWords document_words(const Model& model, const corpora::Example& doc, const MethodPlan& plan,
                        const lrp::ExplainOptions& explain);
std::string pack(const DocWords& d);
DocWords unpack_words(std::string_view bytes);

}  // namespace textlrp::app
