// analysis/docvec.h — document vectors (Arras et al. 2017): d = Σ_t w_t · e(token_t), per document,
// for one or more weightings of the tokens, on a loaded model.
//
//   - e: word vectors by vocabulary id (a word-vector file, or the same rows in memory, matched as the
//     CNN trainer matches them, case folding included; words without a vector and <unk> get none),
//     or the model's own embedding matrix (CNN, BiLSTM, a transformer's piece embeddings).
//   - w: relevance for the PREDICTED class (lrp, sa, gi, ig, occlusion), 1 (uniform) or TF-IDF.
//   - TF-IDF weight of an occurrence of word i: x_i / count_i, with x the L2-normalised TF-IDF
//     vector of the document, so Σ_t w_t e_t = Σ_i x_i e_i. The idf is the BoW/SVM model's own when
//     the model has TF-IDF features, else the smooth idf ln((1+n)/(1+df_i)) + 1 of the analysed corpus.
// Used by `textlrp docvec` / `analyze` (apps/) and textlrp::document_vectors (api/).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/document.h"
#include "embeddings/memory_vectors.h"

namespace textlrp::analysis {

using LogFn = std::function<void(std::string_view)>;

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
  Mat table;                 // [n_vocab x E] word vector of each vocabulary id (zero rows: none)
  std::string table_source;  // "FILE (coverage ...)" or "the model's embedding matrix"
  std::vector<Weighting> weightings;
  lrp::ExplainOptions explain;    // rules and ig steps for the relevance weightings
  std::vector<MethodPlan> plans;  // per weighting (used by the relevance weightings)
  Vec idf;                        // [n_vocab] for tfidf (empty when not needed)
  std::string idf_source;         // "model" or "corpus (N documents)"
  bool bow_features = false;      // tfidf straight from the BoW/SVM model's features()
};

// One pass over the documents of a corpus idf: calls `visit` for each (unsharded: the idf must be
// the same in every shard).
using DocumentPass = std::function<void(const std::function<void(const corpora::Example&)>& visit)>;

// Prepares document vectors for `weightings`. `embeddings` = a word-vector file, or empty for
// `word_vectors` (the same rows from memory: the same table, bit for bit, as a file holding them;
// InvalidArgument for a bad table, see emb::memory_table, or for both given) or, without either,
// the model's own embedding matrix (a model without one: an InvalidArgument asking for --embeddings).
// `corpus` is run once, only when tfidf is asked for and the model has no TF-IDF features of its
// own (docvec_needs_corpus_idf). Logs what it loaded through `log`. The setup keeps a pointer to
// `model`.
DocvecSetup make_docvec_setup(const Model& model, const std::string& embeddings,
                              std::vector<Weighting> weightings, const lrp::ExplainOptions& explain,
                              const DocumentPass& corpus, const LogFn& log,
                              const emb::WordVectors* word_vectors = nullptr);
// True when make_docvec_setup will read the documents for a corpus idf.
bool docvec_needs_corpus_idf(const Model& model, const std::vector<Weighting>& weightings);

// One document's vectors: the predicted class and one vector per weighting of the setup.
struct DocVectors {
  int prediction = -1;
  std::vector<std::vector<double>> vectors;  // [n_weightings][E]
};
DocVectors document_vectors(const DocvecSetup& setup, const corpora::Example& doc);

}  // namespace textlrp::analysis
