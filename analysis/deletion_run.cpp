#include "analysis/deletion_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "lrp/models/differentiable.h"

namespace textlrp::analysis {

std::vector<std::string> DeletionSetup::names() const {
  std::vector<std::string> out;
  for (const MethodPlan& p : methods) out.emplace_back(lrp::method_name(p.method));
  if (random) out.emplace_back("random");
  return out;
}

DeletionSetup make_deletion_setup(const Model& model, const std::vector<std::string>& methods, int max_delete,
                                  int random_seeds, std::uint64_t seed, const lrp::ExplainOptions& explain,
                                  const std::function<void(std::string_view)>& log) {
  if (max_delete < 0) throw InvalidArgument(fmt::format("--max-delete must be >= 0, got {}", max_delete));
  if (random_seeds < 1)
    throw InvalidArgument(fmt::format("--random-seeds must be >= 1, got {}", random_seeds));
  DeletionSetup s;
  s.max_delete = max_delete;
  s.random_seeds = random_seeds;
  s.seed = seed;
  s.explain = explain;
  for (const std::string& name : methods) {
    if (name == "random") {
      s.random = true;
      continue;
    }
    const lrp::Method m = lrp::parse_method(name);  // unknown names: InvalidArgument
    if (std::any_of(s.methods.begin(), s.methods.end(), [m](const MethodPlan& p) { return p.method == m; }))
      continue;
    try {
      s.methods.push_back(plan_method(model, m, explain));
      if (s.methods.back().generic_occlusion && log) {
        log(fmt::format(
            "deletion: model '{}' has no occlusion of its own; computing s(x) − s(x without the token) "
            "per token",
            model.name));
      }
    } catch (const InvalidArgument& e) {
      s.skipped.emplace_back(name, e.what());
      if (log)
        log(fmt::format("deletion: skipping method '{}' for model '{}': {}", name, model.name, e.what()));
    }
  }
  if (s.methods.empty() && !s.random) throw InvalidArgument("deletion: no method left to run");
  return s;
}

WordDeletionScorer::WordDeletionScorer(const lrp::Classifier& classifier, std::span<const TokenId> ids,
                                       const std::vector<PieceWord>& words)
    : classifier_(classifier), ids_(ids), words_(words), removed_(words.size(), 0) {}

Vec WordDeletionScorer::scores() {
  std::vector<TokenId> kept;
  kept.reserve(ids_.size());
  std::size_t next = 0;  // pieces outside every word (none for WordPiece) are kept as they are
  for (std::size_t w = 0; w < words_.size(); ++w) {
    kept.insert(kept.end(), ids_.begin() + static_cast<std::ptrdiff_t>(next),
                ids_.begin() + static_cast<std::ptrdiff_t>(words_[w].first));
    if (!removed_[w]) {
      kept.insert(kept.end(), ids_.begin() + static_cast<std::ptrdiff_t>(words_[w].first),
                  ids_.begin() + static_cast<std::ptrdiff_t>(words_[w].last));
    }
    next = words_[w].last;
  }
  kept.insert(kept.end(), ids_.begin() + static_cast<std::ptrdiff_t>(next), ids_.end());
  return classifier_.scores(kept);
}

void WordDeletionScorer::remove(std::size_t position) { removed_.at(position) = 1; }

std::unique_ptr<lrp::DeletionScorer> deletion_scorer(const Model& model, std::span<const TokenId> ids,
                                                     const std::vector<PieceWord>* words) {
  if (words != nullptr) return std::make_unique<WordDeletionScorer>(*model.classifier, ids, *words);
  if (ids.size() > kBatchDeletionTokens) return model.classifier->deletion_scorer(ids);
  return nullptr;
}

namespace {

// Every state of every ordering in one batch: one matrix product per layer (or time step) over the
// batch for a model with embeddings (Differentiable::batch_scores_of), one scores() call per state
// otherwise.
std::vector<DeletionTrace> batch_traces(const lrp::Classifier& clf, std::span<const TokenId> ids,
                                        const std::vector<std::vector<std::size_t>>& orders, int max_delete,
                                        int label) {
  const BatchScorer scorer = [&clf](std::span<const std::vector<TokenId>> docs) {
    std::vector<Vec> out;
    out.reserve(docs.size());
    if (const lrp::Differentiable* diff = clf.differentiable()) {
      const lrp::MatD64 s = diff->batch_scores_of(docs);
      // float, as Classifier::scores returns them (the same argmax and scores as before)
      for (Index b = 0; b < s.rows(); ++b) out.push_back(s.row(b).transpose().cast<Scalar>());
    } else {
      for (const auto& x : docs) out.push_back(clf.scores(x));
    }
    return out;
  };
  return delete_and_score_batch(scorer, ids, orders, max_delete, label);
}

}  // namespace

DocDeletion delete_document(const Model& model, const DeletionSetup& setup, const corpora::Example& doc) {
  const Encoded enc = encode(model, doc);
  const std::vector<TokenId>& ids = enc.ids;
  DocDeletion d;
  d.label = label_of(model, doc, true);
  // The scores and the relevance for the true class of every method in one call, so that the model
  // can share its work between them (Classifier::explain_methods: the BiLSTM runs one forward pass).
  Vec scores;
  const std::vector<std::vector<double>> relevances =
      token_relevances(model, ids, setup.methods, d.label, setup.explain, &scores);
  d.correct = lrp::argmax(scores) == d.label;
  std::vector<std::size_t> candidates = visible_positions(model, ids);
  // A transformer deletes words (a piece with its "##" pieces), each word's relevance the sum of
  // its pieces': the positions below are then word indices.
  const std::vector<PieceWord> words = piece_words(model, enc);
  const bool by_word = deletes_words(model) && enc.spans;
  if (by_word) {
    const std::size_t limit = candidates.empty() ? 0 : candidates.back() + 1;
    candidates.clear();
    for (std::size_t w = 0; w < words.size() && words[w].last <= limit; ++w) candidates.push_back(w);
  }
  auto word_relevance = [&](const std::vector<double>& r) {
    if (!by_word) return r;
    std::vector<double> out(words.size(), 0.0);
    for (std::size_t w = 0; w < words.size(); ++w) {
      for (std::size_t p = words[w].first; p < words[w].last; ++p) out[w] += r[p];
    }
    return out;
  };
  // Every ordering first (the explanations), then the document rescored along each.
  std::vector<std::vector<std::size_t>> orders;
  for (const std::vector<double>& r : relevances) {
    orders.push_back(relevance_order(word_relevance(r), candidates, d.correct));
  }
  if (setup.random) {
    const std::uint64_t h = stable_hash(doc.id);
    for (int k = 0; k < setup.random_seeds; ++k) {
      std::uint64_t state = h ^ (setup.seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(k + 1));
      orders.push_back(random_order(candidates, splitmix64_next(state)));
    }
  }
  // One driver: a scorer per ordering (words, or the model's own rescoring), else one batch.
  const std::vector<PieceWord>* word_list = by_word ? &words : nullptr;
  std::vector<DeletionTrace> traces;
  std::unique_ptr<lrp::DeletionScorer> scorer = deletion_scorer(model, ids, word_list);
  if (scorer != nullptr) {
    for (const auto& order : orders) {
      if (!traces.empty()) scorer = deletion_scorer(model, ids, word_list);  // a fresh one per ordering
      traces.push_back(delete_and_score(*scorer, order, setup.max_delete, d.label));
    }
  } else {
    traces = batch_traces(*model.classifier, ids, orders, setup.max_delete, d.label);
  }
  for (std::size_t m = 0; m < setup.methods.size(); ++m) d.traces.push_back({traces[m]});
  if (setup.random)
    d.traces.emplace_back(traces.begin() + static_cast<std::ptrdiff_t>(setup.methods.size()), traces.end());
  return d;
}

void DeletionResult::add(const DocDeletion& d) {
  TEXTLRP_ASSERT(d.traces.size() == curves.size());
  ++documents;
  correct += d.correct ? 1 : 0;
  for (std::size_t m = 0; m < curves.size(); ++m) {
    const double w = 1.0 / static_cast<double>(std::max<std::size_t>(1, d.traces[m].size()));
    for (const auto& t : d.traces[m])
      (d.correct ? curves[m].correct : curves[m].misclassified).add(t, d.label, w);
  }
}

DeletionResult make_deletion_result(const Model& model, const DeletionSetup& setup) {
  DeletionResult r;
  r.model = model.name;
  r.architecture = std::string(model.classifier->architecture());
  r.deletion = deletion_meaning(model);
  r.max_delete = setup.max_delete;
  r.random_seeds = setup.random ? setup.random_seeds : 0;
  r.skipped = setup.skipped;
  r.rule = rule_name(model, setup.explain);
  for (const auto& name : setup.names()) {
    r.curves.push_back({name, DeletionCurve(setup.max_delete), DeletionCurve(setup.max_delete)});
  }
  return r;
}

}  // namespace textlrp::analysis
