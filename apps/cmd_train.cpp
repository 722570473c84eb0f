// textlrp train — reads a labelled corpus, builds the vocabulary, trains a classifier and writes a
// model directory.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <thread>

#include "apps/commands.h"
#include "apps/common/pipeline.h"
#include "core/error.h"
#include "core/utf8.h"
#include "lrp/train/bow_train.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"

namespace textlrp::app {
namespace {

struct TrainOptions {
  std::string arch = "svm";
  InputOptions input;
  std::string out;
  double dev_fraction = 0.1;
  std::uint64_t seed = 1;
  double C = 1.0;
  bool sublinear_tf = false;
  bool lowercase = true;
  bool keep_punctuation = false;
  std::size_t min_count = 1;
  std::size_t max_vocab = 0;
  bool refit = true;
  int threads = 0;
  bool quiet = false;
};

int run_train(const TrainOptions& o) {
  if (o.arch != "svm") throw InvalidArgument(fmt::format("--arch {}: this build trains: svm", o.arch));
  if (!(o.dev_fraction >= 0 && o.dev_fraction < 1)) throw InvalidArgument("--dev-fraction must be in [0, 1)");
  if (!(o.C > 0)) throw InvalidArgument("--C must be positive");
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  const double t0 = now_seconds();
  auto reader = o.input.open(warn);
  std::vector<corpora::Example> docs;
  corpora::Example ex;
  while (reader->next(ex)) {
    if (!ex.label) throw FormatError(fmt::format("document '{}' has no label; training needs a labelled corpus", ex.id));
    docs.push_back(std::move(ex));
    ex = corpora::Example();
  }
  if (docs.empty()) throw FormatError("the corpus holds no documents");
  std::map<std::string, int> label_ids;
  for (const auto& d : docs) label_ids.emplace(*d.label, 0);
  if (label_ids.size() < 2) throw FormatError("the corpus has fewer than two labels; a classifier needs two or more");
  std::vector<std::string> labels;
  for (auto& [name, id] : label_ids) {
    id = static_cast<int>(labels.size());
    labels.push_back(name);
  }
  warn(fmt::format("read {} documents with {} labels in {:.1f} s", docs.size(), labels.size(), now_seconds() - t0));

  // Deterministic split: shuffle indices with the seed, the first dev_fraction go to dev.
  std::vector<std::size_t> order(docs.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(o.seed);
  std::shuffle(order.begin(), order.end(), rng);
  const auto n_dev = static_cast<std::size_t>(o.dev_fraction * static_cast<double>(docs.size()));
  std::vector<std::size_t> dev(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_dev));
  std::vector<std::size_t> train(order.begin() + static_cast<std::ptrdiff_t>(n_dev), order.end());
  std::sort(train.begin(), train.end());
  std::sort(dev.begin(), dev.end());

  nlp::TokenizerOptions topt;
  topt.lowercase = o.lowercase;
  topt.keep_punctuation = o.keep_punctuation;
  const nlp::IcuWordTokenizer tokenizer(topt);
  // Tokenize everything once (both cores).
  std::vector<std::vector<std::string>> tokens(docs.size());
  {
    const int n_threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::thread> workers;
    for (int w = 0; w < n_threads; ++w) {
      workers.emplace_back([&, w] {
        for (std::size_t i = static_cast<std::size_t>(w); i < docs.size(); i += static_cast<std::size_t>(n_threads)) {
          for (auto& t : tokenizer.tokenize(docs[i].text)) tokens[i].push_back(std::move(t.text));
        }
      });
    }
    for (auto& t : workers) t.join();
  }
  auto build = [&](const std::vector<std::size_t>& subset) {
    std::unordered_map<std::string, std::size_t> counts;
    for (const std::size_t i : subset) {
      for (const auto& t : tokens[i]) ++counts[t];
    }
    return nlp::Vocabulary::build(counts, o.min_count, o.max_vocab);
  };
  auto ids_of = [&](const nlp::Vocabulary& vocab, std::size_t i) {
    std::vector<TokenId> ids;
    ids.reserve(tokens[i].size());
    for (const auto& t : tokens[i]) ids.push_back(vocab.id(t));
    return ids;
  };
  auto fit = [&](const std::vector<std::size_t>& subset, const nlp::Vocabulary& vocab) {
    std::vector<std::vector<TokenId>> x;
    std::vector<int> y;
    for (const std::size_t i : subset) {
      x.push_back(ids_of(vocab, i));
      y.push_back(label_ids.at(*docs[i].label));
    }
    lrp::BowTrainOptions bo;
    bo.C = o.C;
    bo.sublinear_tf = o.sublinear_tf;
    bo.log = warn;
    return lrp::train_bow(x, y, labels, static_cast<Index>(vocab.size()), bo);
  };
  nlp::Vocabulary vocab = build(train);
  warn(fmt::format("vocabulary: {} entries (min count {}) from {} training documents", vocab.size(), o.min_count,
                   train.size()));
  double t_train = now_seconds();
  std::unique_ptr<lrp::BowClassifier> model = fit(train, vocab);
  nlohmann::json training = {{"corpus", o.input.corpus.empty() ? o.input.input : o.input.corpus},
                             {"n_documents", docs.size()},
                             {"n_train", train.size()},
                             {"n_dev", dev.size()},
                             {"seed", o.seed},
                             {"dev_fraction", o.dev_fraction},
                             {"C", o.C},
                             {"min_count", o.min_count},
                             {"max_vocab", o.max_vocab},
                             {"strip", o.input.strip}};
  if (!dev.empty()) {
    std::size_t correct = 0;
    for (const std::size_t i : dev) {
      correct += lrp::argmax(model->scores(ids_of(vocab, i))) == label_ids.at(*docs[i].label);
    }
    const double acc = static_cast<double>(correct) / static_cast<double>(dev.size());
    training["dev_accuracy"] = acc;
    warn(fmt::format("dev accuracy: {:.2f} % ({} / {}) after {:.1f} s of training", 100 * acc, correct, dev.size(),
                     now_seconds() - t_train));
    if (o.refit) {
      warn("refitting on train + dev (--no-refit keeps the model trained on the train split only)");
      vocab = build(order);
      model = fit(order, vocab);
      training["refit_on_dev"] = true;
      training["n_train"] = docs.size();
    }
  }
  training["seconds"] = now_seconds() - t0;
  std::vector<std::string> self_tests;
  for (std::size_t k = 0; k < docs.size() && self_tests.size() < 3; k += std::max<std::size_t>(1, docs.size() / 3)) {
    self_tests.push_back(docs[k].text.substr(0, 2000));
  }
  // Keep self-test texts valid UTF-8 after the cut: drop a partial trailing sequence.
  for (auto& t : self_tests) {
    while (!t.empty() && !is_valid_utf8(t)) t.pop_back();
  }
  nlohmann::json config = {{"training", training}};
  save_model(o.out, config, tokenizer, vocab, *model, self_tests);
  warn(fmt::format("wrote model to {} ({:.1f} s in all)", o.out, now_seconds() - t0));
  return 0;
}

}  // namespace

void setup_train(CLI::App& root, Action& action) {
  auto opt = std::make_shared<TrainOptions>();
  CLI::App* cmd = root.add_subcommand("train", "train a classifier on a labelled corpus and write a model directory");
  cmd->add_option("--arch", opt->arch, "architecture: svm (TF-IDF bag of words + linear SVM)")->capture_default_str();
  opt->input.add_to(cmd, false);
  cmd->add_option("--out", opt->out, "model directory to write (replaced atomically)")->required();
  cmd->add_option("--dev-fraction", opt->dev_fraction, "fraction of the corpus held out to report dev accuracy")
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "seed of the train/dev split")->capture_default_str();
  cmd->add_option("--C", opt->C, "SVM regularisation: larger C fits the training data more closely")
      ->capture_default_str();
  cmd->add_flag("--sublinear-tf", opt->sublinear_tf, "use 1 + ln(tf) instead of raw term counts");
  cmd->add_flag("!--no-lowercase", opt->lowercase, "keep case (default: ICU case folding)");
  cmd->add_flag("--keep-punctuation", opt->keep_punctuation, "keep punctuation and symbols as tokens");
  cmd->add_option("--min-count", opt->min_count, "drop words seen fewer times in training")->capture_default_str();
  cmd->add_option("--max-vocab", opt->max_vocab, "keep at most this many words (0 = all)")->capture_default_str();
  cmd->add_flag("!--no-refit", opt->refit, "after reporting dev accuracy, do not retrain on train + dev");
  cmd->add_option("--threads", opt->threads, "threads for tokenizing (default: all cores)");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages on stderr");
  cmd->callback([opt, &action] { action = [opt] { return run_train(*opt); }; });
}

}  // namespace textlrp::app
