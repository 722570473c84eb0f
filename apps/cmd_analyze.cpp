// textlrp analyze — one self-contained HTML analysis report for one or two models on a corpus:
// example heatmaps side by side, top words per class, PCA of document vectors, word-deletion
// curves and the explanatory power table (apps/common/analysis_report.h). Everything is computed
// from --model/--corpus (capped by --max-docs / --deletion-docs); long deletion runs and document
// vectors can instead be read from the outputs of `textlrp deletion` / `textlrp docvec`.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "apps/commands.h"
#include "apps/common/analysis.h"
#include "apps/common/analysis_report.h"
#include "core/error.h"
#include "core/file.h"

namespace textlrp::app {
namespace {

namespace la = analysis;

struct AnalyzeCmdOptions {
  std::vector<std::string> models;
  InputOptions input;
  std::string embeddings;
  std::string out;
  std::string title = "textlrp analysis";
  std::size_t max_docs = 1000;
  std::size_t deletion_docs = 200;
  int max_delete = 20;
  std::vector<std::string> methods = {"lrp", "sa", "gi", "ig", "occlusion", "random"};
  int random_seeds = 3;
  std::vector<std::string> weightings = {"uniform", "tfidf", "lrp"};
  std::size_t examples = 4;
  std::size_t per_class = 10;
  std::vector<std::string> deletion_results;
  std::vector<std::string> vectors;
  std::string rule;
  std::string distance = "cosine";
  int folds = 10;
  int threads = 0;
  bool quiet = false;
  bool no_verify = false;
};

// Up to n documents: the first of each class in corpus order, then more in corpus order.
std::vector<std::size_t> pick_examples(const std::vector<corpora::Example>& docs, std::size_t n) {
  std::vector<std::size_t> picked;
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < docs.size() && picked.size() < n; ++i) {
    const std::string label = docs[i].label.value_or("");
    if (std::find(seen.begin(), seen.end(), label) != seen.end()) continue;
    seen.push_back(label);
    picked.push_back(i);
  }
  for (std::size_t i = 0; i < docs.size() && picked.size() < n; ++i) {
    if (std::find(picked.begin(), picked.end(), i) == picked.end()) picked.push_back(i);
  }
  std::sort(picked.begin(), picked.end());
  return picked;
}

std::vector<corpora::Example> spread(const std::vector<corpora::Example>& docs, std::size_t n) {
  if (n == 0 || docs.size() <= n) return docs;
  std::vector<corpora::Example> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(docs[i * docs.size() / n]);
  return out;
}

// PCA scatter + EPI of one vector set, with classes indexed by the model's labels. Returns why
// there is no EPI of it when the documents hold fewer than two of the classes ("" otherwise).
std::string add_vectors(AnalysisModel& am, const VectorSet& set, const EpiOptions& eo) {
  std::vector<Index> keep;
  std::vector<int> cls;
  for (std::size_t i = 0; i < set.labels.size(); ++i) {
    const auto it = std::find(am.labels.begin(), am.labels.end(), set.labels[i]);
    if (it == am.labels.end()) continue;
    keep.push_back(static_cast<Index>(i));
    cls.push_back(static_cast<int>(it - am.labels.begin()));
  }
  if (keep.size() < 3) return "";
  la::DMat x = set.x(keep, Eigen::all);
  la::normalize_rows(x);
  const Index k = std::min<Index>(2, x.cols());
  const la::Pca pca = la::fit_pca(x, k);
  const la::DMat y = pca.project(x);
  ScatterData s;
  s.weighting = set.weighting;
  const auto ratio = pca.explained_ratio();
  s.explained1 = ratio[0];
  s.explained2 = ratio.size() > 1 ? ratio[1] : 0.0;
  for (Index i = 0; i < y.rows(); ++i) {
    s.x.push_back(y(i, 0));
    s.y.push_back(k > 1 ? y(i, 1) : 0.0);
  }
  s.cls = cls;
  am.scatters.push_back(std::move(s));
  if (std::all_of(cls.begin(), cls.end(), [&](int c) { return c == cls.front(); })) {
    return fmt::format(" No EPI of the {} vectors: all {} documents are of class '{}'; it needs two classes.",
                       set.weighting, keep.size(), am.labels[static_cast<std::size_t>(cls.front())]);
  }
  if (static_cast<int>(keep.size()) >= eo.folds) {
    VectorSet labelled;
    labelled.model = set.model;
    labelled.weighting = set.weighting;
    for (Index i : keep) labelled.labels.push_back(set.labels[static_cast<std::size_t>(i)]);
    labelled.ids.resize(keep.size());
    labelled.predictions.resize(keep.size());
    labelled.x = set.x(keep, Eigen::all);
    am.epi.push_back(explanatory_power(labelled, eo));
  }
  return "";
}

int run_analyze(const AnalyzeCmdOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  if (o.models.empty() || o.models.size() > 2) throw InvalidArgument("give one or two --model directories");
  EpiOptions eo;
  eo.distance = la::parse_distance(o.distance);
  eo.folds = o.folds;
  std::vector<Weighting> weightings;
  for (const auto& w : o.weightings) weightings.push_back(parse_weighting(w));

  std::vector<Model> models;
  for (const auto& m : o.models) models.push_back(load_model(m, !o.no_verify));
  // Precomputed results, by model name.
  std::vector<DeletionData> deletion_files;
  for (const auto& f : o.deletion_results) {
    nlohmann::ordered_json j;
    try {
      j = nlohmann::ordered_json::parse(read_file(f));
    } catch (const nlohmann::ordered_json::exception& e) {
      throw FormatError(fmt::format("{}: not valid JSON: {}", f, e.what()));
    }
    deletion_files.push_back(deletion_data(j, f));
  }
  std::vector<VectorSet> vector_files;
  for (const auto& f : o.vectors) {
    for (auto& s : read_vectors_tsv(f)) vector_files.push_back(std::move(s));
  }

  const std::vector<corpora::Example> docs =
      read_documents(input_for_models(o.input, models, warn), o.max_docs, warn);
  AnalysisReport report;
  report.title = o.title;
  report.corpus = fmt::format("{} ({} documents analysed)",
                              o.input.corpus.empty() ? o.input.input : o.input.corpus, docs.size());
  report.epi_options = eo;
  for (const Model& m : models) {
    report.facts.push_back(fmt::format("model {}: {}, {} classes, vocabulary {}", m.name,
                                       m.classifier->architecture(), m.labels().size(), m.vocab().size()));
  }

  // Examples: LRP for the predicted class, the models side by side.
  for (std::size_t i : pick_examples(docs, o.examples)) {
    ReportDocument rd;
    for (const Model& m : models) {
      lrp::ExplainOptions eo_explain;
      m.classifier->set_rule(eo_explain, o.rule);
      rd.views.push_back(explain_example(m, docs[i], eo_explain, TargetSpec{}));
    }
    report.examples.push_back(std::move(rd));
  }

  for (const Model& m : models) {
    AnalysisModel am;
    am.name = m.name;
    am.architecture = std::string(m.classifier->architecture());
    am.labels = m.labels();
    lrp::ExplainOptions explain;
    m.classifier->set_rule(explain, o.rule);

    // Top words (LRP, true class).
    la::TopWords tw(m.labels().size());
    const MethodPlan lrp_plan = plan_method(m, lrp::Method::kLrp, explain);
    for_each_document(
        docs, o.threads, 16, fmt::format("topwords {}", m.name), o.quiet,
        [&](const corpora::Example& ex) { return document_words(m, ex, lrp_plan, explain); },
        [&](const corpora::Example&, const DocWords& d) {
          tw.add_document(static_cast<std::size_t>(d.cls), d.words);
        });
    for (std::size_t c = 0; c < m.labels().size(); ++c) {
      am.top_words.push_back(tw.top(c, o.per_class));
      am.class_documents.push_back(tw.documents(c));
    }
    am.topwords_note = fmt::format(
        "LRP relevance ({}) for each document's true class, summed over the occurrences "
        "of each word in {} documents; mean = per occurrence.",
        rule_name(m, explain), docs.size());

    // Document vectors: from --vectors files, else computed.
    bool from_file = false;
    std::string no_epi;  // why some vector sets have no EPI
    for (const VectorSet& s : vector_files) {
      if (s.model != m.name) continue;
      from_file = true;
      if (std::none_of(weightings.begin(), weightings.end(),
                       [&](const Weighting& w) { return w.name == s.weighting; }))
        continue;
      no_epi += add_vectors(am, s, eo);
    }
    if (from_file) {
      am.vectors_note = "Document vectors read from --vectors." + no_epi;
    } else {
      try {
        const DocvecSetup setup =
            make_docvec_setup(m, o.embeddings, weightings, explain, Documents::in_memory(docs), warn);
        std::vector<VectorSet> sets(weightings.size());
        std::vector<std::vector<double>> flat(weightings.size());
        for_each_document(
            docs, o.threads, 8, fmt::format("docvec {}", m.name), o.quiet,
            [&](const corpora::Example& ex) { return document_vectors(setup, ex); },
            [&](const corpora::Example& doc, const DocVectors& dv) {
              for (std::size_t w = 0; w < weightings.size(); ++w) {
                sets[w].ids.push_back(doc.id);
                sets[w].labels.push_back(doc.label.value_or(""));
                sets[w].predictions.push_back(m.labels()[static_cast<std::size_t>(dv.prediction)]);
                flat[w].insert(flat[w].end(), dv.vectors[w].begin(), dv.vectors[w].end());
              }
            });
        for (std::size_t w = 0; w < weightings.size(); ++w) {
          sets[w].model = m.name;
          sets[w].weighting = weightings[w].name;
          sets[w].x = Eigen::Map<const la::DMat>(flat[w].data(), static_cast<Index>(sets[w].ids.size()),
                                                 setup.table.cols());
          no_epi += add_vectors(am, sets[w], eo);
        }
        am.vectors_note = fmt::format(
            "Word vectors: {}.{}{}", setup.table_source,
            setup.idf_source.empty() ? "" : fmt::format(" TF-IDF: {}.", setup.idf_source), no_epi);
      } catch (const InvalidArgument& e) {
        am.vectors_note = fmt::format("No document vectors: {}", e.what());
        warn(fmt::format("analyze: {}", am.vectors_note));
      }
    }

    // Word deletion: from --deletion-results, else computed on --deletion-docs documents.
    const auto file = std::find_if(deletion_files.begin(), deletion_files.end(),
                                   [&](const DeletionData& d) { return d.model == m.name; });
    if (file != deletion_files.end()) {
      am.deletion = *file;
      am.has_deletion = true;
      am.deletion_note = "Curves read from --deletion-results.";
    } else if (o.deletion_docs > 0) {
      const DeletionSetup setup =
          make_deletion_setup(m, o.methods, o.max_delete, o.random_seeds, 0, explain, warn);
      std::vector<corpora::Example> sub;
      for (const auto& d : spread(docs, o.deletion_docs)) {
        if (label_of(m, d, false) >= 0) sub.push_back(d);
      }
      DeletionResult result = make_deletion_result(m, setup);
      for_each_document(
          sub, o.threads, 4, fmt::format("deletion {}", m.name), o.quiet,
          [&](const corpora::Example& ex) { return delete_document(m, setup, ex); },
          [&](const corpora::Example&, const DocDeletion& d) { result.add(d); });
      am.deletion = deletion_data(deletion_json(result), "deletion");
      am.has_deletion = result.documents > 0;
      if (!am.has_deletion) am.deletion_note = "No labelled documents for the deletion experiment.";
    }
    report.models.push_back(std::move(am));
  }
  write_file_atomic(o.out, render_analysis_report(report));
  warn(fmt::format("analyze: wrote {}", o.out));
  return 0;
}

}  // namespace

void setup_analyze(CLI::App& root, Action& action) {
  auto opt = std::make_shared<AnalyzeCmdOptions>();
  CLI::App* cmd = root.add_subcommand(
      "analyze",
      "write one self-contained HTML analysis report (no script, no external requests) for one or two "
      "models\n"
      "on a labelled corpus: example documents highlighted side by side, the most relevant words per class,\n"
      "2-D PCA scatter plots of document vectors (uniform vs TF-IDF vs LRP weighting), word-deletion curves\n"
      "per explanation method with AOPC, and the explanatory power index table. Computed from the inputs\n"
      "(capped by --max-docs and --deletion-docs), or from the JSON/TSV of `textlrp deletion` / `docvec`.");
  cmd->add_option("--model", opt->models, "model directory (give two to compare them side by side)")
      ->required();
  add_input_options(cmd, opt->input);
  cmd->add_option(
      "--embeddings", opt->embeddings,
      "word vectors for the document vectors (default: the model's own embedding matrix, for a CNN, "
      "a BiLSTM or a transformer; a BoW/SVM without --embeddings gets no PCA/EPI)");
  cmd->add_option("-o,--output,--out", opt->out, "HTML file to write (atomically); --out is an alias")
      ->required();
  cmd->add_option("--title", opt->title, "report title")->capture_default_str();
  cmd->add_option(
         "--max-docs", opt->max_docs,
         "documents for top words, document vectors and EPI, spread evenly over the corpus (0 = all)")
      ->capture_default_str();
  cmd->add_option("--deletion-docs", opt->deletion_docs,
                  "documents (of those) for the deletion curves (0 = no deletion unless --deletion-results)")
      ->capture_default_str();
  cmd->add_option("--max-delete,-K", opt->max_delete, "largest number of deleted tokens")
      ->capture_default_str();
  cmd->add_option("--methods", opt->methods, "deletion methods")->delimiter(',')->capture_default_str();
  cmd->add_option("--random-seeds", opt->random_seeds, "random deletion orders averaged per document")
      ->capture_default_str();
  cmd->add_option("--weightings", opt->weightings, "document-vector weightings (see docvec --help)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--examples", opt->examples, "example documents (the first of each class first)")
      ->capture_default_str();
  cmd->add_option("--per-class", opt->per_class, "top words per class")->capture_default_str();
  cmd->add_option(
      "--deletion-results", opt->deletion_results,
      "JSON written by textlrp deletion, used instead of computing the curves for the model of that name "
      "(repeatable)");
  cmd->add_option(
      "--vectors", opt->vectors,
      "TSV written by textlrp docvec, used instead of computing the document vectors of the models it "
      "names (repeatable)");
  cmd->add_option("--rule", opt->rule, "LRP rule (see explain --help; default: each model's)");
  cmd->add_option("--distance", opt->distance, "EPI: k-NN distance, cosine or euclidean")
      ->check(CLI::IsMember({"cosine", "euclidean"}))
      ->capture_default_str();
  cmd->add_option("--folds", opt->folds, "EPI: cross-validation folds")->capture_default_str();
  cmd->add_option("--threads", opt->threads, "worker threads (default: all cores)");
  cmd->add_flag("--no-verify", opt->no_verify, "skip the models' self-tests at load");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages or progress on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_analyze(*opt); }; });
}

}  // namespace textlrp::app
