// analysis/deletion_run.h — the word-deletion experiment (analysis/deletion.h) on a loaded model:
// per document, an ordering of its positions for each explanation method (relevance for the TRUE
// class) and for seeded random orders, then the document rescored after 0..K deletions along each.
//
// One driver, one rescoring choice per document (deletion_scorer() below):
//   - a transformer deletes words (lrp::TokenDeletion::words): WordDeletionScorer removes a word's
//     pieces from the sequence and rescores what is left;
//   - a long document of a model with its own rescoring (Classifier::deletion_scorer, the CNN's:
//     only the windows a deletion touches) uses that;
//   - otherwise every state of every ordering is scored in one batch (delete_and_score_batch; one
//     matrix product per layer with Differentiable::batch_scores_of).
// Per-document results are typed (DocDeletion) and summed in input order (DeletionResult::add).
// Used by `textlrp deletion` / `analyze` (apps/) and textlrp::deletion_curves (api/).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analysis/deletion.h"
#include "analysis/document.h"

namespace textlrp::analysis {

struct DeletionSetup {
  std::vector<MethodPlan> methods;  // explanation methods, in the order asked (random excluded)
  bool random = false;              // the random ordering (generic, seeded per document)
  int random_seeds = 5;
  std::uint64_t seed = 0;
  int max_delete = 20;
  lrp::ExplainOptions explain;                               // rules, ig steps
  std::vector<std::pair<std::string, std::string>> skipped;  // method, why
  std::vector<std::string> names() const;                    // methods then "random"
};
// Parses "lrp,sa,gi,ig,occlusion,random" against the model: methods it cannot explain with are
// moved to `skipped` (logged), unknown names are an InvalidArgument, as are max_delete < 0 and
// random_seeds < 1.
DeletionSetup make_deletion_setup(const Model& model, const std::vector<std::string>& methods, int max_delete,
                                  int random_seeds, std::uint64_t seed, const lrp::ExplainOptions& explain,
                                  const std::function<void(std::string_view)>& log);

// A transformer's document deleted word by word (PieceWord): each call of scores() reads the pieces
// of the words not yet removed (pieces outside every word stay). Positions are word indices. Keeps
// references to `ids` and `words`.
class WordDeletionScorer final : public lrp::DeletionScorer {
 public:
  WordDeletionScorer(const lrp::Classifier& classifier, std::span<const TokenId> ids,
                     const std::vector<PieceWord>& words);
  Vec scores() override;
  void remove(std::size_t position) override;
  std::size_t size() const override { return words_.size(); }

 private:
  const lrp::Classifier& classifier_;
  std::span<const TokenId> ids_;
  const std::vector<PieceWord>& words_;
  std::vector<char> removed_;
};

// Up to this many tokens every state of a document's deletion curves is rescored in one batch; a
// longer one is rescored incrementally when the model offers that (Classifier::deletion_scorer).
inline constexpr std::size_t kBatchDeletionTokens = 128;

// A fresh scorer of the document in its undeleted state, when it is rescored one ordering at a time:
// with `words` (a word-deleting model's piece_words), the WordDeletionScorer over them; else the
// classifier's own deletion_scorer() for a document longer than kBatchDeletionTokens; nullptr when
// the batched rescoring applies. References to `ids` and `*words` are kept.
std::unique_ptr<lrp::DeletionScorer> deletion_scorer(const Model& model, std::span<const TokenId> ids,
                                                     const std::vector<PieceWord>* words);

// One document's result: traces[m] for each name of setup.names() (random: one per seed).
struct DocDeletion {
  int label = -1;
  bool correct = false;
  std::vector<std::vector<DeletionTrace>> traces;
};
// The scores and the explanations of the document come from one Classifier::explain_methods call
// (token_relevances(): the BiLSTM shares one forward pass among them). FormatError (naming the
// document) when it has no label of the model.
DocDeletion delete_document(const Model& model, const DeletionSetup& setup, const corpora::Example& doc);

// The curves of one method over the documents.
struct MethodCurves {
  std::string name;
  DeletionCurve correct;        // correctly classified: decreasing relevance
  DeletionCurve misclassified;  // misclassified: increasing relevance
};
struct DeletionResult {
  std::string model;
  std::string architecture;
  std::string deletion;  // what deleting a token means to the model (Classifier::token_deletion())
  int max_delete = 0;
  int random_seeds = 0;
  std::size_t documents = 0;
  std::size_t correct = 0;
  std::vector<MethodCurves> curves;  // in setup.names() order
  std::vector<std::pair<std::string, std::string>> skipped;
  std::string rule;
  double seconds = 0;
  // Adds one document (the random seeds' traces weighted 1/seeds, so the document counts once).
  void add(const DocDeletion& d);
};
DeletionResult make_deletion_result(const Model& model, const DeletionSetup& setup);

}  // namespace textlrp::analysis
