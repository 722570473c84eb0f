// textlrp pca — projects document vectors (textlrp docvec TSV) onto their first principal
// components, one PCA per (model, weighting); explained variance as JSON on stdout.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "apps/commands.h"
#include "apps/common/analysis.h"
#include "core/error.h"
#include "core/file.h"

namespace textlrp::app {
namespace {

struct PcaCmdOptions {
  std::vector<std::string> vectors;
  Index components = 2;
  bool no_normalize = false;
  std::string out;
  bool quiet = false;
};

int run_pca(const PcaCmdOptions& o) {
  const std::vector<VectorSet> sets = read_vectors_tsv(o.vectors);
  if (sets.empty()) throw FormatError(fmt::format("{}: no document vectors", fmt::join(o.vectors, ", ")));
  nlohmann::ordered_json j;
  if (o.vectors.size() == 1) {
    j["vectors"] = o.vectors.front();
  } else {
    j["vectors"] = o.vectors;
  }
  j["normalized"] = !o.no_normalize;
  j["components"] = o.components;
  j["sets"] = nlohmann::ordered_json::array();
  std::string tsv;
  if (!o.out.empty()) {
    tsv = std::string("id\tlabel\tprediction\tmodel\tweighting");
    for (Index i = 1; i <= o.components; ++i) fmt::format_to(std::back_inserter(tsv), "\tpc{}", i);
    tsv += '\n';
  }
  for (const VectorSet& s : sets) {
    analysis::DMat x = s.x;
    if (!o.no_normalize) analysis::normalize_rows(x);
    const analysis::Pca p = analysis::fit_pca(x, o.components);
    nlohmann::ordered_json e;
    e["model"] = s.model;
    e["weighting"] = s.weighting;
    e["documents"] = s.ids.size();
    e["dimensions"] = x.cols();
    e["explained_variance_ratio"] = p.explained_ratio();
    e["variance"] = std::vector<double>(p.variance.data(), p.variance.data() + p.variance.size());
    j["sets"].push_back(std::move(e));
    if (!o.out.empty()) {
      const analysis::DMat y = p.project(x);
      for (Index i = 0; i < y.rows(); ++i) {
        const auto r = static_cast<std::size_t>(i);
        std::vector<double> row(y.row(i).data(), y.row(i).data() + y.cols());
        append_vectors_tsv(tsv, s.ids[r], s.labels[r], s.predictions[r], s.model, s.weighting, row);
      }
    }
    if (!o.quiet) {
      const auto ratio = p.explained_ratio();
      std::string r;
      for (double v : ratio) r += fmt::format(" {:.1f}%", 100 * v);
      log_line(fmt::format("pca: {} / {}: {} documents; explained variance{}", s.model, s.weighting,
                           s.ids.size(), r));
    }
  }
  if (!o.out.empty()) write_file_atomic(o.out, tsv);
  std::printf("%s\n", j.dump(1).c_str());
  return 0;
}

}  // namespace

void setup_pca(CLI::App& root, Action& action) {
  auto opt = std::make_shared<PcaCmdOptions>();
  CLI::App* cmd = root.add_subcommand(
      "pca",
      "principal component analysis of document vectors (a textlrp docvec TSV), one PCA per model and\n"
      "weighting (Eigen's self-adjoint eigen-solver on the covariance): explained variance as JSON on "
      "stdout,\n"
      "the projections as TSV (id, label, prediction, model, weighting, pc1..pcK) with -o/--output.");
  cmd->add_option(
         "--vectors", opt->vectors,
         "document vectors written by textlrp docvec; repeat to read several files as one (the outputs of "
         "docvec --shard I/N, or their concatenation)")
      ->required();
  cmd->add_option("--components,-k", opt->components, "number of components")->capture_default_str();
  cmd->add_flag("--no-normalize", opt->no_normalize,
                "do not scale the vectors to unit length first (default: scale)");
  cmd->add_option("-o,--output,--out", opt->out, "TSV file for the projections (written atomically)");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_pca(*opt); }; });
}

}  // namespace textlrp::app
