// textlrp docvec — relevance-weighted document vectors d = Σ_t w_t · e(token_t) (Arras et al. 2017),
// one TSV row per document and weighting; with --epi, the explanatory power index of each weighting.
#include <fmt/format.h>

#include "apps/commands.h"
#include "apps/common/analysis.h"
#include "core/error.h"
#include "core/file.h"

namespace textlrp::app {
namespace {

struct DocvecCmdOptions {
  std::string model;
  InputOptions input;
  std::string embeddings;
  std::vector<std::string> weightings = {"lrp"};
  std::string method = "lrp";
  std::string rule;
  int steps = 32;
  std::string out = "-";
  std::size_t max_docs = 0;
  int threads = 0;
  bool epi = false;
  std::string distance = "cosine";
  int folds = 10;
  Index k_max = 20;
  std::uint64_t seed = 1;
  bool quiet = false;
  bool no_verify = false;
};

int run_docvec(const DocvecCmdOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  if (o.epi && (o.out.empty() || o.out == "-")) {
    throw InvalidArgument(
        "--epi prints the EPI table on stdout: write the vectors to a file with -o/--output FILE");
  }
  if (o.steps < 1) throw InvalidArgument("--steps must be at least 1");
  EpiOptions eo;
  eo.distance = analysis::parse_distance(o.distance);
  eo.folds = o.folds;
  eo.k_max = o.k_max;
  eo.seed = o.seed;
  std::vector<Weighting> weightings;
  for (const auto& w : o.weightings) {
    Weighting p = parse_weighting(w, o.method);
    const bool dup = std::any_of(weightings.begin(), weightings.end(),
                                 [&](const Weighting& q) { return q.name == p.name; });
    if (!dup) weightings.push_back(std::move(p));
  }
  const Model model = load_model(o.model, !o.no_verify);
  lrp::ExplainOptions explain;
  model.classifier->set_rule(explain, o.rule);
  explain.ig_steps = o.steps;
  // Stream in bounded memory unless every document must be kept (--epi), sampled (--max-docs), or
  // stdin must be read twice (a corpus idf).
  const InputOptions input = input_for_model(o.input, model, warn);
  const bool stream = !o.epi && o.max_docs == 0 &&
                      (Documents::can_reopen(input) || !docvec_needs_corpus_idf(model, weightings));
  const Documents docs = stream ? Documents::streamed(input, warn)
                                : Documents::in_memory(read_documents(input, o.max_docs, warn));
  const DocvecSetup setup = make_docvec_setup(model, o.embeddings, weightings, explain, docs, warn);
  const Index dim = setup.table.cols();

  std::vector<VectorSet> sets(weightings.size());
  std::vector<std::vector<double>> flat(weightings.size());
  for (std::size_t w = 0; w < weightings.size(); ++w) {
    sets[w].model = model.name;
    sets[w].weighting = weightings[w].name;
  }
  Output out(o.out);
  out.write(vectors_tsv_header(dim));
  std::string rows;
  const std::size_t n_docs = for_each_document(
      docs, o.threads, 8, "docvec", o.quiet,
      [&](const corpora::Example& ex) { return document_vectors(setup, ex); },
      [&](const corpora::Example& doc, const DocVectors& dv) {
        const std::string label = doc.label.value_or("");
        const std::string& prediction = model.labels()[static_cast<std::size_t>(dv.prediction)];
        rows.clear();
        for (std::size_t w = 0; w < weightings.size(); ++w) {
          append_vectors_tsv(rows, doc.id, label, prediction, model.name, weightings[w].name, dv.vectors[w]);
          if (o.epi) {
            sets[w].ids.push_back(doc.id);
            sets[w].labels.push_back(label);
            sets[w].predictions.push_back(prediction);
            flat[w].insert(flat[w].end(), dv.vectors[w].begin(), dv.vectors[w].end());
          }
        }
        out.write(rows);
      });
  out.commit();
  warn(fmt::format("docvec: wrote {} documents x {} weightings ({} dimensions) to {}", n_docs,
                   weightings.size(), dim, o.out == "-" ? std::string("stdout") : o.out));
  if (o.epi) {
    std::vector<EpiRow> rows_epi;
    for (std::size_t w = 0; w < weightings.size(); ++w) {
      sets[w].x =
          Eigen::Map<const analysis::DMat>(flat[w].data(), static_cast<Index>(sets[w].ids.size()), dim);
      rows_epi.push_back(explanatory_power(sets[w], eo));
      rows_epi.back().source = o.out;
    }
    const std::string table = epi_table(rows_epi);
    if (!o.quiet) std::fprintf(stderr, "%s", table.c_str());
    std::printf("%s\n", epi_json(rows_epi, eo).dump(1).c_str());
  }
  return 0;
}

}  // namespace

void setup_docvec(CLI::App& root, Action& action) {
  auto opt = std::make_shared<DocvecCmdOptions>();
  CLI::App* cmd =
      root.add_subcommand("docvec",
                          "document vectors d = sum_t w_t * e(token_t) (Arras et al. 2017): e = word vectors "
                          "(--embeddings FILE, or the\n"
                          "model's own embedding matrix: CNN, BiLSTM, a transformer's pieces), w = relevance "
                          "of the token for the\n"
                          "PREDICTED class (lrp, sa, gi, ig, occlusion), 1 (uniform) or its TF-IDF weight "
                          "(tfidf: the BoW/SVM model's idf, else the smooth idf of the\n"
                          "corpus itself). TSV: header id, label, prediction, model, weighting, v1..vE; one "
                          "row per document and\n"
                          "weighting. <unk> and words without a vector add nothing. --epi adds the "
                          "explanatory power index table.");
  cmd->add_option("--model", opt->model, "model directory")->required();
  add_input_options(cmd, opt->input);
  add_shard_option(cmd, opt->input);
  cmd->add_option(
      "--embeddings", opt->embeddings,
      "word vectors (word2vec binary/text, fastText .vec, GloVe), matched to the model's vocabulary; "
      "default: the model's embedding matrix (CNN, BiLSTM, a transformer's piece embeddings; the BoW/SVM "
      "has none)");
  cmd->add_option("--weighting", opt->weightings,
                  "one or more (comma-separated) of uniform, tfidf, lrp, sa, gi, ig, occlusion, relevance (= "
                  "--method)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--method", opt->method, "explanation method of --weighting relevance")
      ->capture_default_str();
  cmd->add_option("--rule", opt->rule, "LRP rule (see explain --help; default: the model's)");
  cmd->add_option("--steps", opt->steps, "integrated gradients: steps")->capture_default_str();
  cmd->add_option("-o,--output,--out", opt->out, "TSV file to write atomically (- = stdout)")
      ->capture_default_str();
  cmd->add_option("--max-docs", opt->max_docs,
                  "use at most this many documents, spread evenly over the corpus (0 = all)")
      ->capture_default_str();
  cmd->add_option("--threads", opt->threads, "worker threads (default: all cores)");
  cmd->add_flag(
      "--epi", opt->epi,
      "also print the explanatory power index of every weighting (JSON on stdout, table on stderr)");
  cmd->add_option("--distance", opt->distance, "--epi: k-NN distance, cosine or euclidean")
      ->capture_default_str();
  cmd->add_option("--folds", opt->folds, "--epi: cross-validation folds")->capture_default_str();
  cmd->add_option("--k-max", opt->k_max, "--epi: largest k of k-NN")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "--epi: seed of the fold assignment")->capture_default_str();
  cmd->add_flag("--no-verify", opt->no_verify, "skip the model's self-tests at load");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages or progress on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_docvec(*opt); }; });
}

}  // namespace textlrp::app
