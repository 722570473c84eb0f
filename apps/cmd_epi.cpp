// textlrp epi — the explanatory power index (Arras et al. 2017) of document vectors: the best mean
// k-NN accuracy over k = 1..20 under stratified 10-fold cross-validation, one row per (file, model,
// weighting), so uniform, TF-IDF and relevance weightings compare in one table.
#include <fmt/format.h>

#include "apps/commands.h"
#include "apps/common/analysis.h"
#include "core/error.h"
#include "core/file.h"

namespace textlrp::app {
namespace {

struct EpiCmdOptions {
  std::vector<std::string> vectors;
  std::string distance = "cosine";
  int folds = 10;
  Index k_max = 20;
  std::uint64_t seed = 1;
  bool no_normalize = false;
  std::string output = "-";
  bool quiet = false;
};

int run_epi(const EpiCmdOptions& o) {
  EpiOptions eo;
  eo.distance = analysis::parse_distance(o.distance);
  eo.folds = o.folds;
  eo.k_max = o.k_max;
  eo.seed = o.seed;
  eo.normalize = !o.no_normalize;
  std::vector<EpiRow> rows;
  for (const auto& file : o.vectors) {
    for (const VectorSet& s : read_vectors_tsv(file)) {
      rows.push_back(explanatory_power(s, eo));
      rows.back().source = file;
    }
  }
  if (!o.quiet) std::fprintf(stderr, "%s", epi_table(rows).c_str());
  Output out(o.output);
  out.write(epi_json(rows, eo).dump(1) + "\n");
  out.commit();
  return 0;
}

}  // namespace

void setup_epi(CLI::App& root, Action& action) {
  auto opt = std::make_shared<EpiCmdOptions>();
  CLI::App* cmd = root.add_subcommand(
      "epi",
      "explanatory power index of document vectors (textlrp docvec TSV files): the best mean k-NN accuracy\n"
      "over k = 1..k-max under stratified cross-validation (Arras et al. 2017), per model and weighting.\n"
      "Vectors are scaled to unit length and compared by cosine distance unless told otherwise; neighbours\n"
      "at equal distance are ordered by row, vote ties go to the class of the nearest tied neighbour.\n"
      "JSON on stdout, a table on stderr.");
  cmd->add_option("--vectors", opt->vectors,
                  "docvec TSV file (repeat to compare files; a file of concatenated docvec --shard outputs "
                  "reads as one)")
      ->required();
  cmd->add_option("--distance", opt->distance, "cosine or euclidean")
      ->check(CLI::IsMember({"cosine", "euclidean"}))
      ->capture_default_str();
  cmd->add_option("--folds", opt->folds, "cross-validation folds (stratified by class)")
      ->capture_default_str();
  cmd->add_option("--k-max", opt->k_max, "largest k")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "seed of the fold assignment")->capture_default_str();
  cmd->add_flag("--no-normalize", opt->no_normalize, "keep the vectors' lengths (default: unit length)");
  cmd->add_option("-o,--output,--out", opt->output, "JSON file (- = stdout); written atomically")
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", opt->quiet, "no table on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_epi(*opt); }; });
}

}  // namespace textlrp::app
