// analysis/document.h — one document as the analyses see it through a loaded model (lrp::ModelDir):
// its tokens and ids, its label as a class index, the positions the model sees, the relevance of
// each token for a class under a method, and, for a transformer, its words. Shared by the document
// vectors (analysis/docvec.h), the word-deletion run (analysis/deletion_run.h) and the top words
// of each document (below). Every function here is thread-safe on an immutable model.
//
// Conventions shared by every analysis (README "Analyses" repeats them):
//   - A token takes part when the model can see it: an id in [0, n_vocab), not the id the model
//     ignores (the BoW/SVM's <unk>), and within max_tokens when deletion is limited to them (the CNN).
//   - Deleting a token replaces its id by -1: the BoW/SVM drops it from the bag (removal), the CNN
//     and the BiLSTM embed it as the zero vector (the position stays). A transformer deletes words
//     (a piece with its "##" pieces leave the sequence). The ordering is by relevance for the TRUE
//     class: decreasing for correctly classified documents, increasing for misclassified ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/topwords.h"
#include "corpora/example.h"
#include "lrp/model_dir.h"

namespace textlrp::analysis {

using Model = lrp::ModelDir;

// A document's tokens and ids under the model's text encoder. Pre-tokenized input (example.tokens)
// of a word model keeps its words (spans = false); a subword model splits the words' joined text.
struct Encoded {
  std::vector<nlp::Token> tokens;
  std::vector<TokenId> ids;
  bool spans = true;  // false for pre-tokenized input
};
Encoded encode(const Model& model, const corpora::Example& example);

// The index of the document's label in the model, or -1 when it has none. With `required`, a
// missing or unknown label is a FormatError (a data error) naming the document.
int label_of(const Model& model, const corpora::Example& doc, bool required);

// Positions the model sees (see the conventions above).
std::vector<std::size_t> visible_positions(const Model& model, std::span<const TokenId> ids);

// How token_relevance() computes a method on a model: with the model's own explain(), or, for
// occlusion on an architecture that does not implement it, here: s_target(ids) − s_target(ids with
// the token deleted), for each visible token.
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
// token_relevance() of each plan, out[i] for plans[i], bit for bit, with the plans the model
// explains itself asked in ONE Classifier::explain_methods call (the BiLSTM shares one forward pass
// among them), and *scores = the model's scores(ids) from that call when `scores` is not nullptr.
std::vector<std::vector<double>> token_relevances(const Model& model, std::span<const TokenId> ids,
                                                  std::span<const MethodPlan> plans, int target,
                                                  const lrp::ExplainOptions& base, Vec* scores = nullptr);

// True for a model whose deletion removes words (lrp::TokenDeletion::words: a transformer, which reads
// WordPiece pieces): the analyses work on its words (a piece with its "##" pieces): topwords ranks
// words, deletion deletes words (removing their pieces from the sequence), generic occlusion drops
// the piece instead of replacing its id by -1.
bool deletes_words(const Model& model);
// What deleting a token means to the model (Classifier::token_deletion().meaning).
std::string deletion_meaning(const Model& model);
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

// ---- Top words of one document (textlrp topwords, the analysis report) ---------------------------

// The class the document counts for (its label, or the prediction when it has none) and its words
// with their relevance for that class, aggregated (analysis::TopWords::add_document). OOV tokens
// and tokens the model cannot see are left out; a transformer's words are a piece with its "##" pieces.
struct DocWords {
  int cls = -1;
  DocumentWords words;
};
DocWords document_words(const Model& model, const corpora::Example& doc, const MethodPlan& plan,
                        const lrp::ExplainOptions& explain);

}  // namespace textlrp::analysis
