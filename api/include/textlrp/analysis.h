// textlrp/analysis.h — the analyses of `textlrp docvec`, `pca`, `epi`, `deletion` and `topwords`
// as library calls over typed values (texts, Explanations, vectors) instead of files. Part of the
// public API (textlrp/textlrp.h). The numbers are the command-line tool's for the same model,
// documents and options (its JSON rounds some of them to 6 decimals; these are not rounded).
//
//   const textlrp::Model model = textlrp::Model::open("models/sms-cnn");
//   std::vector<textlrp::Explanation> ex = model.explain_many(texts);
//   for (const auto& c : textlrp::top_words(ex)) ...                       // words per class
//   const auto v = textlrp::document_vectors(model, docs, {.weightings = {"lrp", "uniform"}});
//   const auto epi = textlrp::explanatory_power(v[0].vectors, labels);   // k-NN accuracy
//   const auto p = textlrp::pca(v[0].vectors);                           // 2-D projection
//   const auto d = textlrp::deletion_curves(model, labelled_docs);       // AOPC per method
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "embeddings/memory_vectors.h"
#include "textlrp/explanation.h"
#include "textlrp/model.h"

namespace textlrp {

// A document of an analysis: its text (or pre-tokenized tokens) and, when known, its true label.
struct Document {
  std::string text;
  std::optional<std::string> label;
  std::optional<std::vector<std::string>> tokens;  // pre-tokenized instead of `text` (a word model)
  std::string id;                                  // empty = "<position>"
};

using Matrix = std::vector<std::vector<double>>;  // rows: documents

// ---- Top words (textlrp topwords) ----------------------------------------------------------------

struct TopWordsOptions {
  std::size_t per_class = 20;     // --per-class
  std::string rank = "sum";       // --rank: sum or mean (relevance per occurrence)
  std::size_t min_documents = 1;  // --min-documents: words in fewer documents are not ranked
  bool negative = false;          // --negative: also the most negative words
};
struct WordRelevanceStats {
  std::string word;
  double sum = 0;  // relevance summed over the word's occurrences
  double mean = 0;
  std::size_t occurrences = 0;
  std::size_t documents = 0;
};
struct ClassWords {
  std::string label;
  std::size_t documents = 0;  // explanations whose target is this label
  std::vector<WordRelevanceStats> top;
  std::vector<WordRelevanceStats> bottom;  // with `negative` only
};
// Aggregates the explanations' tokens per target label (every label of the explanations' scores,
// in that order): each token's relevance for its explanation's target, out-of-vocabulary tokens
// and those past the model's max_tokens left out. `textlrp topwords` explains each document for its
// true label (its prediction without one): explain with target "true" (or "predicted") to match it.
// InvalidArgument for a bad rank or explanations of models with different labels.
std::vector<ClassWords> top_words(const std::vector<Explanation>& explanations,
                                  const TopWordsOptions& options = {});

// ---- Document vectors (textlrp docvec) -----------------------------------------------------------

// Word vectors from memory (words, row-major float values or a view of them, dim; standard types
// only): the same type as textlrp/train.h's TrainOptions::word_vectors.
using WordVectors = emb::WordVectors;

struct DocvecOptions {
  // --weighting: uniform, tfidf, or a method (lrp, sa, gi, ig, occlusion): d = Σ_t w_t · e(token_t),
  // the relevance for the PREDICTED class as w_t for a method.
  std::vector<std::string> weightings = {"lrp"};
  std::string embeddings;  // --embeddings FILE: word vectors; empty = the model's embedding matrix (CNN)
  // The word vectors from memory instead of a file (not with `embeddings`): the same vectors, bit
  // for bit, as a file holding these rows gives. InvalidArgument for a bad table (dimension, size,
  // empty or repeated words, values that are not finite).
  std::shared_ptr<const WordVectors> word_vectors;
  std::string rule;  // --rule (lrp)
  int steps = 32;    // --steps (ig)
  int threads = 1;   // < 1: every core
};
struct DocumentVectors {
  std::string weighting;
  std::vector<std::string> ids;
  std::vector<std::optional<std::string>> labels;
  std::vector<std::string> predictions;
  Matrix vectors;  // [documents x dimension]
};
// One DocumentVectors per weighting (in order, repeats dropped). tfidf uses the BoW/SVM model's
// idf, else the smooth idf of `documents`. InvalidArgument for an unknown weighting or a method the
// model cannot explain with, or a model without an embedding matrix and neither `embeddings` nor
// `word_vectors`.
std::vector<DocumentVectors> document_vectors(const Model& model, const std::vector<Document>& documents,
                                              const DocvecOptions& options = {});

// ---- PCA (textlrp pca) ---------------------------------------------------------------------------

struct PcaResult {
  std::vector<double> mean;                      // [d]
  Matrix components;                             // [k x d] principal axes (unit length)
  std::vector<double> variance;                  // [k]
  std::vector<double> explained_variance_ratio;  // [k]
  Matrix projection;                             // [n x k] the rows projected onto the axes
};
// The first `components` principal components of the rows (unit-length rows first when
// `normalize`, as `textlrp pca` does unless --no-normalize). InvalidArgument for ragged rows,
// fewer than two rows or components not in 1..d.
PcaResult pca(const Matrix& rows, std::size_t components = 2, bool normalize = true);

// ---- Explanatory power index (textlrp epi) -------------------------------------------------------

struct EpiOptions {
  std::string distance = "cosine";  // --distance: cosine or euclidean
  int folds = 10;                   // --folds (stratified)
  std::size_t k_max = 20;           // --k-max
  std::uint64_t seed = 1;           // --seed (fold assignment)
  bool normalize = true;            // unit-length rows first (!--no-normalize)
};
struct EpiResult {
  double epi = 0;  // the explanatory power index: best mean k-NN accuracy
  std::size_t best_k = 0;
  std::vector<double> accuracy;  // [k_max] mean accuracy over the folds for k = 1..k_max
  std::size_t documents = 0;     // rows with a label
};
// k-NN cross-validation of the rows against their labels (rows whose label is empty or absent are
// left out, as unlabelled documents are by `textlrp epi`). FormatError for fewer than two classes.
EpiResult explanatory_power(const Matrix& rows, const std::vector<std::optional<std::string>>& labels,
                            const EpiOptions& options = {});

// ---- Word deletion (textlrp deletion) ------------------------------------------------------------

struct DeletionOptions {
  std::vector<std::string> methods = {"lrp", "sa", "gi", "ig", "occlusion", "random"};  // --methods
  int max_delete = 20;                                                                  // --max-delete
  int random_seeds = 5;                                                                 // --random-seeds
  std::uint64_t seed = 0;                                                               // --seed
  std::string rule;                                                                     // --rule
  int steps = 32;                                                                       // --steps (ig)
  int threads = 1;                                                                      // < 1: every core
};
struct DeletionCurveResult {
  std::string method;
  std::vector<double> correct_accuracy;  // [max_delete+1] correctly classified, most relevant deleted first
  std::vector<double> misclassified_accuracy;  // [max_delete+1] misclassified, least relevant first
  double aopc = 0;                             // area over the falling curve (correct)
  double misclassified_aopc = 0;               // area over the rising curve (misclassified)
};
struct DeletionCurves {
  std::size_t documents = 0, correct = 0;
  std::string deletion;                                      // what deleting a token means for this model
  std::vector<DeletionCurveResult> curves;                   // methods in order, then random
  std::vector<std::pair<std::string, std::string>> skipped;  // methods the model cannot explain with, why
};
// Accuracy after deleting 0..max_delete tokens per ordering. Every document needs a label of the
// model (FormatError otherwise).
DeletionCurves deletion_curves(const Model& model, const std::vector<Document>& documents,
                               const DeletionOptions& options = {});

}  // namespace textlrp
