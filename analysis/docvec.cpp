#include "analysis/docvec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "core/error.h"
#include "embeddings/load.h"
#include "lrp/models/bow_classifier.h"

namespace textlrp::analysis {

Weighting parse_weighting(std::string_view name, std::string_view method) {
  Weighting w;
  if (name == "uniform") {
    w.name = "uniform";
    w.kind = Weighting::Kind::kUniform;
    return w;
  }
  if (name == "tfidf") {
    w.name = "tfidf";
    w.kind = Weighting::Kind::kTfidf;
    return w;
  }
  std::string_view m = name == "relevance" ? method : name;
  if (m == "random") {
    throw InvalidArgument(
        "weighting 'random' makes no document vector worth the name; valid weightings: uniform, "
        "tfidf, lrp, sa, gi, ig, occlusion, relevance (with --method)");
  }
  try {
    w.method = lrp::parse_method(m);
  } catch (const InvalidArgument&) {
    throw InvalidArgument(
        fmt::format("unknown weighting '{}'; valid weightings: uniform, tfidf, lrp, sa, gi, ig, occlusion, "
                    "relevance (with --method)",
                    name));
  }
  w.kind = Weighting::Kind::kRelevance;
  w.name = std::string(lrp::method_name(w.method));
  return w;
}

DocvecSetup make_docvec_setup(const Model& model, const std::string& embeddings,
                              std::vector<Weighting> weightings, const lrp::ExplainOptions& explain,
                              const DocumentPass& corpus, const LogFn& log,
                              const emb::WordVectors* word_vectors) {
  DocvecSetup s;
  s.model = &model;
  s.weightings = std::move(weightings);
  s.explain = explain;
  if (word_vectors && !embeddings.empty()) {
    throw InvalidArgument("docvec: --embeddings FILE and in-memory word vectors were both given: give one");
  }
  if (word_vectors) {
    // The rows a file of them would keep (LoadOptions::only), so the table is the file's.
    const emb::EmbeddingTable t = emb::memory_table(*word_vectors, &model.vocab());
    if (log) {
      log(fmt::format("embeddings: {} words x {} dims from {} ({} of them in the vocabulary)",
                      word_vectors->words.size(), t.dim(), word_vectors->name, t.size()));
    }
    emb::Coverage cov;
    s.table = emb::embedding_matrix(t, model.vocab(), 0, 0.0f, &cov);  // as for a file below
    s.table_source = fmt::format("{} ({})", word_vectors->name, emb::to_string(cov));
  } else if (embeddings.empty()) {
    // The model's own embedding matrix (a CNN's or a BiLSTM's; a BoW/SVM has none).
    std::optional<Mat> own = model.classifier->embedding_matrix();
    if (!own) {
      throw InvalidArgument(
          fmt::format("model '{}' ({}) has no word embeddings of its own: give the word vectors with "
                      "--embeddings FILE (word2vec, fastText .vec or GloVe)",
                      model.name, model.classifier->architecture()));
    }
    s.table = std::move(*own);
    s.table_source = fmt::format("the embedding matrix of model '{}' ({} x {})", model.name, s.table.rows(),
                                 s.table.cols());
  } else {
    emb::LoadOptions lo;
    lo.only = &model.vocab();
    lo.allow_short_header = true;
    const emb::EmbeddingTable t = emb::load_embeddings(embeddings, emb::Format::kAuto, log, lo);
    emb::Coverage cov;
    s.table =
        emb::embedding_matrix(t, model.vocab(), 0, 0.0f, &cov);  // scale 0: words without a vector get 0
    s.table_source = fmt::format("{} ({})", embeddings, emb::to_string(cov));
  }
  if (log) log(fmt::format("docvec: word vectors from {}", s.table_source));
  for (const Weighting& w : s.weightings) {
    s.plans.push_back(w.kind == Weighting::Kind::kRelevance ? plan_method(model, w.method, explain)
                                                            : MethodPlan{});
  }
  const bool need_tfidf = std::any_of(s.weightings.begin(), s.weightings.end(),
                                      [](const Weighting& w) { return w.kind == Weighting::Kind::kTfidf; });
  if (need_tfidf) {
    if (model.classifier->tfidf_features({})) {
      s.bow_features = true;
      s.idf_source = "the BoW/SVM model's idf";
    } else {
      if (!corpus) throw InvalidArgument("docvec: tfidf on this model needs the documents for a corpus idf");
      const auto n_vocab = static_cast<std::size_t>(model.classifier->n_vocab());
      std::vector<std::size_t> df(n_vocab, 0);
      std::vector<char> seen(n_vocab, 0);
      std::size_t n_docs = 0;
      corpus([&](const corpora::Example& doc) {
        ++n_docs;
        const Encoded enc = encode(model, doc);
        std::vector<std::size_t> touched;
        for (TokenId id : enc.ids) {
          if (id < 0 || static_cast<std::size_t>(id) >= n_vocab || seen[static_cast<std::size_t>(id)])
            continue;
          seen[static_cast<std::size_t>(id)] = 1;
          touched.push_back(static_cast<std::size_t>(id));
        }
        for (std::size_t id : touched) {
          ++df[id];
          seen[id] = 0;
        }
      });
      s.idf = lrp::smooth_idf(df, n_docs);
      s.idf_source = fmt::format("smooth idf of the analysed corpus ({} documents)", n_docs);
    }
    if (log) log(fmt::format("docvec: tfidf weights from {}", s.idf_source));
  }
  return s;
}

bool docvec_needs_corpus_idf(const Model& model, const std::vector<Weighting>& weightings) {
  const bool tfidf = std::any_of(weightings.begin(), weightings.end(),
                                 [](const Weighting& w) { return w.kind == Weighting::Kind::kTfidf; });
  return tfidf && !model.classifier->tfidf_features({});
}

DocVectors document_vectors(const DocvecSetup& setup, const corpora::Example& doc) {
  const Model& model = *setup.model;
  const Encoded enc = encode(model, doc);
  const std::vector<TokenId>& ids = enc.ids;
  DocVectors out;
  out.prediction = lrp::argmax(model.classifier->scores(ids));
  const Index dim = setup.table.cols();
  const Index n_rows = setup.table.rows();
  const TokenId unk = model.vocab().unk_id();
  auto usable = [&](TokenId id) { return id >= 0 && id < n_rows && id != unk; };
  // The relevance weightings' explanations in one call (token_relevances: the BiLSTM shares one
  // forward pass among them).
  std::vector<MethodPlan> relevance_plans;
  for (std::size_t w = 0; w < setup.weightings.size(); ++w) {
    if (setup.weightings[w].kind == Weighting::Kind::kRelevance) relevance_plans.push_back(setup.plans[w]);
  }
  std::vector<std::vector<double>> relevances =
      token_relevances(model, ids, relevance_plans, out.prediction, setup.explain);
  std::size_t next_relevance = 0;
  for (std::size_t w = 0; w < setup.weightings.size(); ++w) {
    const Weighting& wt = setup.weightings[w];
    std::vector<double> weight(ids.size(), 0.0);
    switch (wt.kind) {
      case Weighting::Kind::kUniform: std::fill(weight.begin(), weight.end(), 1.0); break;
      case Weighting::Kind::kTfidf: {
        std::map<TokenId, std::pair<double, int>> x;  // id -> (x_i, count_i)
        if (setup.bow_features) {
          // Held in a variable: a range-for over *temporary would read a destroyed optional.
          const auto features = model.classifier->tfidf_features(ids);
          for (const auto& [id, v] : *features) x[id] = {static_cast<double>(v), 0};
          for (TokenId id : ids) {
            auto it = x.find(id);
            if (it != x.end()) ++it->second.second;
          }
        } else {
          for (TokenId id : ids) {
            if (id < 0 || id >= setup.idf.size() || id == unk) continue;
            ++x[id].second;
          }
          double norm2 = 0;
          for (auto& [id, p] : x) {
            p.first = p.second * static_cast<double>(setup.idf[id]);
            norm2 += p.first * p.first;
          }
          const double norm = std::sqrt(norm2);
          for (auto& [id, p] : x) p.first = norm > 0 ? p.first / norm : 0.0;
        }
        for (std::size_t t = 0; t < ids.size(); ++t) {
          auto it = x.find(ids[t]);
          if (it != x.end() && it->second.second > 0) weight[t] = it->second.first / it->second.second;
        }
        break;
      }
      case Weighting::Kind::kRelevance: weight = std::move(relevances[next_relevance++]); break;
    }
    std::vector<double> v(static_cast<std::size_t>(dim), 0.0);
    for (std::size_t t = 0; t < ids.size(); ++t) {
      if (!usable(ids[t]) || weight[t] == 0 || !std::isfinite(weight[t])) continue;
      const auto row = setup.table.row(ids[t]);
      for (Index e = 0; e < dim; ++e)
        v[static_cast<std::size_t>(e)] += weight[t] * static_cast<double>(row[e]);
    }
    out.vectors.push_back(std::move(v));
  }
  return out;
}

}  // namespace textlrp::analysis
