// api/src/analysis.cpp — textlrp/analysis.h over the analysis module (analysis/): top words, PCA,
// k-NN/EPI, and on a loaded model the document vectors (analysis/docvec.h) and the word-deletion
// run (analysis/deletion_run.h), the same functions the command-line tool calls. Documents run on
// core's thread pool; each one's typed result lands in its slot, so the output is in input order.
#include "textlrp/analysis.h"

#include <fmt/format.h>

#include <functional>
#include <utility>

#include "analysis/deletion_run.h"
#include "analysis/docvec.h"
#include "analysis/epi.h"
#include "analysis/knn.h"
#include "analysis/pca.h"
#include "analysis/topwords.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "model_impl.h"

namespace textlrp {
namespace {

corpora::Example to_example(const Document& d, std::size_t i) {
  corpora::Example ex;
  ex.id = d.id.empty() ? std::to_string(i + 1) : d.id;
  ex.label = d.label;
  ex.tokens = d.tokens;
  if (d.tokens) {
    for (std::size_t t = 0; t < d.tokens->size(); ++t) {
      if (t) ex.text.push_back(' ');
      ex.text += (*d.tokens)[t];
    }
  } else {
    ex.text = d.text;
  }
  return ex;
}

std::vector<corpora::Example> to_examples(const std::vector<Document>& documents) {
  std::vector<corpora::Example> out;
  out.reserve(documents.size());
  for (std::size_t i = 0; i < documents.size(); ++i) out.push_back(to_example(documents[i], i));
  return out;
}

analysis::DMat to_matrix(const Matrix& rows, std::string_view what) {
  const std::size_t d = rows.empty() ? 0 : rows.front().size();
  analysis::DMat x(static_cast<Index>(rows.size()), static_cast<Index>(d));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != d) {
      throw InvalidArgument(
          fmt::format("{}: row {} has {} values, row 1 has {}", what, i + 1, rows[i].size(), d));
    }
    for (std::size_t j = 0; j < d; ++j) x(static_cast<Index>(i), static_cast<Index>(j)) = rows[i][j];
  }
  return x;
}

Matrix to_rows(const analysis::DMat& x) {
  Matrix out(static_cast<std::size_t>(x.rows()));
  for (Index i = 0; i < x.rows(); ++i)
    out[static_cast<std::size_t>(i)].assign(x.row(i).data(), x.row(i).data() + x.cols());
  return out;
}

WordRelevanceStats stats_of(const analysis::TopWords::Entry& e) {
  return {e.word, e.stats.sum, e.stats.mean(), e.stats.occurrences, e.stats.documents};
}

// The explain options of the analysis commands: --rule and --steps.
lrp::ExplainOptions analysis_explain_options(const lrp::ModelDir& model, const std::string& rule, int steps) {
  if (steps < 1) throw InvalidArgument("--steps must be at least 1");
  lrp::ExplainOptions explain;
  model.classifier->set_rule(explain, rule);
  explain.ig_steps = steps;
  return explain;
}

}  // namespace

std::vector<ClassWords> top_words(const std::vector<Explanation>& explanations,
                                  const TopWordsOptions& options) {
  const analysis::TopWords::Key key = analysis::parse_topwords_key(options.rank);
  std::vector<std::string> labels;
  if (!explanations.empty()) {
    for (const auto& [label, score] : explanations.front().scores) labels.push_back(label);
  }
  analysis::TopWords tw(labels.size());
  for (std::size_t i = 0; i < explanations.size(); ++i) {
    const Explanation& e = explanations[i];
    bool same = e.scores.size() == labels.size();
    for (std::size_t c = 0; same && c < labels.size(); ++c) same = e.scores[c].first == labels[c];
    if (!same) {
      throw InvalidArgument(
          fmt::format("top_words: explanation {} ('{}') has other labels than explanation 1", i + 1, e.id));
    }
    const auto it = std::find(labels.begin(), labels.end(), e.target);
    if (it == labels.end()) {
      throw InvalidArgument(fmt::format(
          "top_words: explanation {} ('{}'): target '{}' is not one of its labels", i + 1, e.id, e.target));
    }
    std::vector<std::string> words;
    std::vector<double> relevance;
    for (const TokenRelevance& t : e.tokens) {
      if (t.oov || t.unseen) continue;
      words.push_back(t.text);
      relevance.push_back(t.relevance);
    }
    tw.add_document(static_cast<std::size_t>(it - labels.begin()), words, relevance);
  }
  std::vector<ClassWords> out;
  for (std::size_t c = 0; c < labels.size(); ++c) {
    ClassWords cw;
    cw.label = labels[c];
    cw.documents = tw.documents(c);
    for (const auto& e : tw.top(c, options.per_class, key, options.min_documents))
      cw.top.push_back(stats_of(e));
    if (options.negative) {
      for (const auto& e : tw.bottom(c, options.per_class, key, options.min_documents))
        cw.bottom.push_back(stats_of(e));
    }
    out.push_back(std::move(cw));
  }
  return out;
}

std::vector<DocumentVectors> document_vectors(const Model& model, const std::vector<Document>& documents,
                                              const DocvecOptions& options) {
  const lrp::ModelDir& m = model.impl().model;
  std::vector<analysis::Weighting> weightings;
  for (const auto& w : options.weightings) {
    analysis::Weighting p = analysis::parse_weighting(w, "lrp");
    const bool dup =
        std::any_of(weightings.begin(), weightings.end(), [&](const auto& q) { return q.name == p.name; });
    if (!dup) weightings.push_back(std::move(p));
  }
  const lrp::ExplainOptions explain = analysis_explain_options(m, options.rule, options.steps);
  const std::vector<corpora::Example> ex = to_examples(documents);
  const analysis::DocumentPass corpus = [&ex](const std::function<void(const corpora::Example&)>& visit) {
    for (const corpora::Example& d : ex) visit(d);
  };
  const analysis::DocvecSetup setup = analysis::make_docvec_setup(m, options.embeddings, weightings, explain,
                                                                  corpus, {}, options.word_vectors.get());
  std::vector<analysis::DocVectors> dv(ex.size());
  ThreadPool pool(resolve_threads(options.threads));
  pool.parallel_for(ex.size(), [&](std::size_t i) { dv[i] = analysis::document_vectors(setup, ex[i]); });
  std::vector<DocumentVectors> out(weightings.size());
  for (std::size_t w = 0; w < weightings.size(); ++w) {
    out[w].weighting = weightings[w].name;
    for (std::size_t i = 0; i < ex.size(); ++i) {
      out[w].ids.push_back(ex[i].id);
      out[w].labels.push_back(ex[i].label);
      out[w].predictions.push_back(m.labels()[static_cast<std::size_t>(dv[i].prediction)]);
      out[w].vectors.push_back(std::move(dv[i].vectors[w]));
    }
  }
  return out;
}

PcaResult pca(const Matrix& rows, std::size_t components, bool normalize) {
  analysis::DMat x = to_matrix(rows, "pca");
  if (x.rows() < 2) throw InvalidArgument(fmt::format("pca: needs at least two rows, got {}", x.rows()));
  if (components < 1 || static_cast<Index>(components) > x.cols()) {
    throw InvalidArgument(
        fmt::format("pca: components must be in 1..{} (the dimension), got {}", x.cols(), components));
  }
  if (normalize) analysis::normalize_rows(x);
  const analysis::Pca p = analysis::fit_pca(x, static_cast<Index>(components));
  PcaResult r;
  r.mean.assign(p.mean.data(), p.mean.data() + p.mean.size());
  r.components = to_rows(p.components);
  r.variance.assign(p.variance.data(), p.variance.data() + p.variance.size());
  r.explained_variance_ratio = p.explained_ratio();
  r.projection = to_rows(p.project(x));
  return r;
}

EpiResult explanatory_power(const Matrix& rows, const std::vector<std::optional<std::string>>& labels,
                            const EpiOptions& options) {
  if (labels.size() != rows.size()) {
    throw InvalidArgument(
        fmt::format("explanatory_power: {} rows but {} labels", rows.size(), labels.size()));
  }
  analysis::VectorSet set;
  set.x = to_matrix(rows, "explanatory_power");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    set.ids.push_back(std::to_string(i + 1));
    set.labels.push_back(labels[i].value_or(""));
    set.predictions.emplace_back();
  }
  analysis::EpiOptions eo;
  eo.distance = analysis::parse_distance(options.distance);
  eo.folds = options.folds;
  eo.k_max = static_cast<Index>(options.k_max);
  eo.seed = options.seed;
  eo.normalize = options.normalize;
  const analysis::EpiRow row = analysis::explanatory_power(set, eo);
  EpiResult r;
  r.epi = row.cv.best_accuracy;
  r.best_k = static_cast<std::size_t>(row.cv.best_k);
  r.accuracy = row.cv.accuracy;
  r.documents = row.documents;
  return r;
}

DeletionCurves deletion_curves(const Model& model, const std::vector<Document>& documents,
                               const DeletionOptions& options) {
  const lrp::ModelDir& m = model.impl().model;
  const lrp::ExplainOptions explain = analysis_explain_options(m, options.rule, options.steps);
  const analysis::DeletionSetup setup = analysis::make_deletion_setup(
      m, options.methods, options.max_delete, options.random_seeds, options.seed, explain, {});
  const std::vector<corpora::Example> ex = to_examples(documents);
  for (const auto& d : ex) (void)analysis::label_of(m, d, true);  // every document needs a label of the model
  std::vector<analysis::DocDeletion> per_doc(ex.size());
  ThreadPool pool(resolve_threads(options.threads));
  pool.parallel_for(ex.size(),
                    [&](std::size_t i) { per_doc[i] = analysis::delete_document(m, setup, ex[i]); });
  analysis::DeletionResult result = analysis::make_deletion_result(m, setup);
  for (const auto& d : per_doc) result.add(d);
  DeletionCurves out;
  out.documents = result.documents;
  out.correct = result.correct;
  out.deletion = analysis::deletion_meaning(m);
  out.skipped = result.skipped;
  for (const auto& c : result.curves) {
    out.curves.push_back({c.name, c.correct.accuracy(), c.misclassified.accuracy(), c.correct.aopc(),
                          c.misclassified.aopc(true)});
  }
  return out;
}

}  // namespace textlrp
