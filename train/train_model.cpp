// train/train_model.cpp — `textlrp train` as a library call (moved from apps/cmd_train.cpp).
#include "train/train_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/thread_pool.h"
#include "core/utf8.h"
#include "embeddings/load.h"
#include "nlp/sentencepiece_tokenizer.h"
#include "nlp/text_encoder.h"
#include "train/bilstm_train.h"
#include "train/bow_train.h"
#include "train/cnn_train.h"

namespace textlrp::train {

static_assert(kDefaultMaxTokens == lrp::kDefaultMaxTokens, "train/options.h: --max-tokens default");

namespace {

using Log = std::function<void(std::string_view)>;

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// --flag VALUE within [lo, hi], else an InvalidArgument naming the flag, the limit and the value.
template <class T>
void check_range(std::string_view flag, T value, T lo, T hi) {
  if (value < lo) throw InvalidArgument(fmt::format("{}: {} is not {} or more", flag, value, lo));
  if (value > hi) throw InvalidArgument(fmt::format("{}: {} is out of range (at most {})", flag, value, hi));
}

// A part of the model of `parameters` (factors given by `what`) within kMaxParameters.
void check_parameters(double parameters, const std::string& what, std::string_view advice) {
  if (parameters <= kMaxParameters) return;
  throw InvalidArgument(fmt::format("{} = {:.0f} parameters: more than the limit of {:.0f}; {}", what,
                                    parameters, kMaxParameters, advice));
}

// The tokenizer --tokenizer names: ICU words (with --no-lowercase / --keep-punctuation) or a
// SentencePiece model, whose pieces, piece ids and normalization the model then uses as they are.
std::unique_ptr<nlp::Tokenizer> make_train_tokenizer(const TrainOptions& o) {
  if (o.tokenizer == "icu-word") {
    nlp::TokenizerOptions topt;
    topt.lowercase = o.lowercase;
    topt.keep_punctuation = o.keep_punctuation;
    return std::make_unique<nlp::IcuWordTokenizer>(topt);
  }
  if (o.tokenizer.starts_with("spm:") && o.tokenizer.size() > 4) {
    if (o.word_options_given) {
      throw InvalidArgument(
          "--min-count, --max-vocab, --no-lowercase and --keep-punctuation are options of the icu-word "
          "tokenizer; "
          "with --tokenizer spm:FILE the vocabulary and the normalization are the SentencePiece model's");
    }
    return std::make_unique<nlp::SentencePieceTokenizer>(o.tokenizer.substr(4));
  }
  throw InvalidArgument(fmt::format("--tokenizer {}: expected icu-word or spm:FILE.model", o.tokenizer));
}

// The initial embedding table of a neural model: word vectors from --embeddings (matched to the
// vocabulary; words without a vector drawn from U(-0.25, 0.25)) or, without a file, every row from
// U(-range, range) with --dim columns. Sets `finetune` (file: --finetune-embeddings; random: unless
// --freeze) and records the source in training["embeddings"].
template <class Matrix>
Matrix initial_embeddings(const TrainOptions& o, const nlp::Vocabulary& vocab, typename Matrix::Scalar range,
                          bool& finetune, nlohmann::json& training, const Log& warn) {
  using Scalar = typename Matrix::Scalar;
  Matrix table;
  finetune = o.finetune;
  if (!o.embeddings.empty() || o.word_vectors) {
    emb::EmbeddingTable t;
    if (o.word_vectors) {
      t = emb::memory_table(*o.word_vectors, &vocab);  // the rows a file's would be (LoadOptions::only)
    } else {
      emb::LoadOptions lo;
      lo.only = &vocab;
      lo.allow_short_header = true;
      t = emb::load_embeddings(o.embeddings, emb::Format::kAuto, warn, lo);
    }
    const std::string& source = o.word_vectors ? o.word_vectors->name : o.embeddings;
    check_parameters(static_cast<double>(vocab.size()) * static_cast<double>(t.dim()),
                     fmt::format("the embedding table: {} vocabulary entries x {} dimensions (of {})",
                                 vocab.size(), t.dim(), source),
                     "use vectors of fewer dimensions or a smaller vocabulary (--max-vocab, --min-count)");
    emb::Coverage cov;
    table = emb::embedding_matrix(t, vocab, o.seed, 0.25f, &cov).template cast<Scalar>();
    warn(fmt::format("embeddings: {} of {} vocabulary words found in {} (OOV rate {:.1f} %); {}",
                     cov.n_found + cov.n_found_casefold, cov.n_vocab, source, 100 * cov.oov_rate,
                     finetune ? "fine-tuned" : "frozen (--finetune-embeddings to train them)"));
    training["embeddings"] = {{"file", source}, {"oov_rate", cov.oov_rate}, {"dim", t.dim()}};
  } else {
    check_parameters(
        static_cast<double>(vocab.size()) * static_cast<double>(o.dim),
        fmt::format("the embedding table: {} vocabulary entries x --dim {}", vocab.size(), o.dim),
        "lower --dim or the vocabulary (--max-vocab, --min-count)");
    std::mt19937_64 rng(o.seed);
    std::uniform_real_distribution<Scalar> u(-range, range);
    table.resize(static_cast<Index>(vocab.size()), o.dim);
    for (Index i = 0; i < table.size(); ++i) table.data()[i] = u(rng);
    finetune = !o.freeze;
    warn(fmt::format("embeddings: random {}-d, {}", o.dim, finetune ? "fine-tuned" : "frozen"));
    training["embeddings"] = {{"file", nullptr}, {"dim", o.dim}};
  }
  return table;
}

// Passes a neural trainer's batch and epoch callbacks on as TrainEvents, and records its report.
class EpochEvents {
 public:
  EpochEvents(std::string_view arch, std::size_t n_train, const TrainEvents& events, const Log& warn)
      : arch_(arch), n_train_(n_train), events_(events), warn_(warn) {}
  template <class TrainerOptions>
  void attach(TrainerOptions& t) {
    if (events_.batch_done) {
      t.progress = [this](int epoch, std::size_t done, std::size_t total, double loss) {
        events_.batch_done(BatchProgress{arch_, epoch, done, total, loss});
      };
    }
    if (events_.epoch_done) {
      t.epoch_done = [this](int epoch, double loss, double acc, double secs) {
        events_.epoch_done(EpochResult{arch_, epoch, loss, acc, secs, n_train_});
      };
    }
  }
  // Logs the best epoch and records the report in training.
  template <class Report>
  void finish(const Report& rep, nlohmann::json& training) const {
    warn_(fmt::format("best dev accuracy {:.2f} % at epoch {} of {} ({:.1f} s)", 100 * rep.best_dev_accuracy,
                      rep.best_epoch, rep.epochs_run, seconds_now() - t_start_));
    training["dev_accuracy"] = rep.best_dev_accuracy;
    training["best_epoch"] = rep.best_epoch;
    training["epochs_run"] = rep.epochs_run;
    training["dev_accuracy_per_epoch"] = rep.dev_accuracy;
    training["train_loss_per_epoch"] = rep.train_loss;
  }

 private:
  std::string_view arch_;
  std::size_t n_train_;
  const TrainEvents& events_;
  const Log& warn_;
  double t_start_ = seconds_now();
};

// The --strip parts as saved in the model (without "none").
std::vector<std::string> strip_parts(const std::vector<std::string>& strip) {
  std::vector<std::string> out;
  for (const auto& p : strip) {
    if (p != "none" && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

using Ids = std::vector<std::vector<TokenId>>;

// Trains the CNN on the train split with early stopping on the dev split.
std::unique_ptr<lrp::Classifier> train_cnn_model(const TrainOptions& o, const nlp::Vocabulary& vocab,
                                                 const Ids& x, const std::vector<int>& y, const Ids& dx,
                                                 const std::vector<int>& dy,
                                                 const std::vector<std::string>& labels,
                                                 nlohmann::json& training, const TrainEvents& events,
                                                 const Log& warn) {
  bool finetune = false;
  Mat table = initial_embeddings<Mat>(o, vocab, 0.25f, finetune, training, warn);
  double widths = 0;
  for (const auto k : o.kernel_sizes) widths += static_cast<double>(k);
  check_parameters(
      static_cast<double>(o.filters) * widths * static_cast<double>(table.cols()),
      fmt::format("the convolutions: --filters {} x {} (the sum of --kernel-sizes) x {} dimensions",
                  o.filters, widths, table.cols()),
      "lower --filters or --kernel-sizes");
  CnnTrainOptions co;
  co.kernel_sizes.assign(o.kernel_sizes.begin(), o.kernel_sizes.end());
  co.n_filters = o.filters;
  co.max_tokens = o.max_tokens;
  co.max_epochs = o.epochs;
  co.patience = o.patience;
  co.batch_size = o.batch;
  co.learning_rate = o.lr;
  co.dropout = o.dropout;
  co.finetune_embeddings = finetune;
  co.threads = resolve_threads(o.threads);
  co.seed = o.seed;
  EpochEvents reporter("cnn", x.size(), events, warn);
  reporter.attach(co);
  CnnTrainReport rep;
  auto model = train_cnn(x, y, dx, dy, labels, std::move(table), co, &rep);
  reporter.finish(rep, training);
  training["kernel_sizes"] = o.kernel_sizes;
  training["n_filters"] = o.filters;
  training["batch"] = o.batch;
  training["learning_rate"] = o.lr;
  training["dropout"] = o.dropout;
  training["finetune_embeddings"] = finetune;
  training["threads"] = co.threads;
  return model;
}

// Trains the BiLSTM on the train split with early stopping on the dev split (see train/bilstm_train.h).
std::unique_ptr<lrp::Classifier> train_bilstm_model(const TrainOptions& o, const nlp::Vocabulary& vocab,
                                                    const Ids& x, const std::vector<int>& y, const Ids& dx,
                                                    const std::vector<int>& dy,
                                                    const std::vector<std::string>& labels,
                                                    nlohmann::json& training, const TrainEvents& events,
                                                    const Log& warn) {
  bool finetune = false;
  lrp::MatD table = initial_embeddings<lrp::MatD>(o, vocab, 0.1, finetune, training, warn);
  const auto h = static_cast<double>(o.hidden);
  check_parameters(8 * h * (static_cast<double>(table.cols()) + h + 1),
                   fmt::format("the LSTM gates: 8 x --hidden {} x ({} dimensions + {} + 1)", o.hidden,
                               table.cols(), o.hidden),
                   "lower --hidden");
  BiLstmTrainOptions bo;
  bo.n_hidden = o.hidden;
  bo.max_epochs = o.epochs;
  bo.patience = o.patience;
  bo.batch_size = o.batch;
  bo.optimizer = o.optimizer == "adagrad" ? BiLstmOptimizer::kAdagrad : BiLstmOptimizer::kAdam;
  bo.learning_rate = o.lr;
  bo.dropout_embedding = o.embedding_dropout;
  bo.dropout_hidden = o.dropout;
  bo.clip_norm = o.clip_norm;
  bo.weight_decay = o.weight_decay;
  bo.output_bias = o.output_bias;
  bo.finetune_embeddings = finetune;
  bo.float64 = o.float64;
  bo.max_tokens = o.max_tokens;
  bo.threads = resolve_threads(o.threads);
  bo.seed = o.seed;
  EpochEvents reporter("bilstm", x.size(), events, warn);
  reporter.attach(bo);
  BiLstmTrainReport rep;
  auto model = train_bilstm(x, y, dx, dy, labels, std::move(table), bo, &rep);
  reporter.finish(rep, training);
  // No training time here: model directories are byte-identical for the same seed and one thread.
  training["n_hidden"] = o.hidden;
  training["batch"] = o.batch;
  training["optimizer"] = o.optimizer;
  training["learning_rate"] = o.lr;
  training["dropout_hidden"] = o.dropout;
  training["dropout_embedding"] = o.embedding_dropout;
  training["clip_norm"] = o.clip_norm;
  training["weight_decay"] = o.weight_decay;
  training["output_bias"] = o.output_bias;
  training["finetune_embeddings"] = finetune;
  training["float64"] = o.float64;
  training["threads"] = bo.threads;
  return model;
}

// Keeps the first of the training documents with the same token ids (SST phrases recur across
// sentences: "the", "it 's", ...; Li et al. train on each distinct phrase once). Returns the number
// dropped.
std::size_t drop_repeated(Ids& x, std::vector<int>& y) {
  std::set<std::vector<TokenId>> seen;
  std::size_t n = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!seen.insert(x[i]).second) continue;
    if (n != i) {
      x[n] = std::move(x[i]);
      y[n] = y[i];
    }
    ++n;
  }
  const std::size_t dropped = x.size() - n;
  x.resize(n);
  y.resize(n);
  return dropped;
}

}  // namespace

std::vector<std::string> parse_label_names(const std::string& text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    std::string name = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto b = name.find_first_not_of(" \t");
    const auto e = name.find_last_not_of(" \t");
    name = b == std::string::npos ? std::string() : name.substr(b, e - b + 1);
    if (name.empty())
      throw InvalidArgument(fmt::format("--labels '{}': name {} is empty", text, names.size() + 1));
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      throw InvalidArgument(fmt::format("--labels '{}': the name '{}' appears twice", text, name));
    }
    names.push_back(std::move(name));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (names.size() < 2)
    throw InvalidArgument(fmt::format("--labels '{}': expected at least two names", text));
  return names;
}

void check_options(const TrainOptions& o, bool dev_documents) {
  if (o.arch != "svm" && o.arch != "cnn" && o.arch != "bilstm") {
    throw InvalidArgument(fmt::format("--arch {}: this build trains: svm, cnn, bilstm", o.arch));
  }
  if (o.arch != "svm" && o.dev_fraction <= 0 && !dev_documents) {
    throw InvalidArgument(fmt::format(
        "--arch {} needs a dev set for early stopping: --dev-corpus SPEC or --dev-fraction > 0", o.arch));
  }
  if (o.word_vectors && !o.embeddings.empty()) {
    throw InvalidArgument("--embeddings FILE and in-memory word vectors were both given: give one");
  }
  if (o.optimizer != "adam" && o.optimizer != "adagrad") {
    throw InvalidArgument(fmt::format("--optimizer {}: expected adam or adagrad", o.optimizer));
  }
  if (!(o.dev_fraction >= 0 && o.dev_fraction < 1)) throw InvalidArgument("--dev-fraction must be in [0, 1)");
  if (!(o.C > 0)) throw InvalidArgument("--C must be positive");
  if (o.arch == "cnn" || o.arch == "bilstm") {
    // Before any document is read: the sizes that multiply into allocations, and the rates.
    if (o.embeddings.empty() && !o.word_vectors) check_range<std::ptrdiff_t>("--dim", o.dim, 1, kMaxDim);
    check_range<int>("--epochs", o.epochs, 1, kMaxEpochs);
    check_range<std::ptrdiff_t>("--batch", o.batch, 1, std::numeric_limits<std::ptrdiff_t>::max());
    check_range<std::ptrdiff_t>("--max-tokens", o.max_tokens, 1, std::numeric_limits<std::ptrdiff_t>::max());
    if (!(o.lr > 0) || !std::isfinite(o.lr))
      throw InvalidArgument(fmt::format("--lr: {} is not positive", o.lr));
    if (!(o.dropout >= 0 && o.dropout < 1))
      throw InvalidArgument(fmt::format("--dropout: {} is not in [0, 1)", o.dropout));
  }
  if (o.arch == "cnn") {
    check_range<int>("--threads", o.threads, std::numeric_limits<int>::min(),
                     kMaxThreads);  // < 1: every core
    check_range<std::ptrdiff_t>("--filters", o.filters, 1, kMaxFilters);
    if (o.kernel_sizes.empty()) throw InvalidArgument("--kernel-sizes: expected at least one filter width");
    check_range<std::size_t>("--kernel-sizes: the number of widths", o.kernel_sizes.size(), 1,
                             kMaxKernelWidths);
    for (const auto k : o.kernel_sizes) check_range<std::ptrdiff_t>("--kernel-sizes", k, 1, kMaxKernelSize);
    check_range<int>("--patience", o.patience, 0, std::numeric_limits<int>::max());
  }
  if (o.arch == "bilstm") {
    check_range<std::ptrdiff_t>("--hidden", o.hidden, 1, kMaxHidden);
    check_range<int>("--patience", o.patience, 1, std::numeric_limits<int>::max());
    if (o.threads > kMaxBiLstmThreads) {
      throw InvalidArgument(fmt::format("--threads: {} is out of range for --arch bilstm (at most {})",
                                        o.threads, kMaxBiLstmThreads));
    }
    if (!(o.embedding_dropout >= 0 && o.embedding_dropout < 1))
      throw InvalidArgument(fmt::format("--embedding-dropout: {} is not in [0, 1)", o.embedding_dropout));
    if (!(o.clip_norm >= 0))
      throw InvalidArgument(fmt::format("--clip-norm: {} is not 0 or more", o.clip_norm));
    if (!(o.weight_decay >= 0))
      throw InvalidArgument(fmt::format("--weight-decay: {} is not 0 or more", o.weight_decay));
  }
  if (!o.label_names.empty()) {  // as parse_label_names checks them (the names given as a list)
    std::set<std::string> seen;
    for (const auto& n : o.label_names) {
      if (n.empty()) throw InvalidArgument("--labels: a name is empty");
      if (!seen.insert(n).second)
        throw InvalidArgument(fmt::format("--labels: the name '{}' appears twice", n));
    }
    if (o.label_names.size() < 2) throw InvalidArgument("--labels: expected at least two names");
  }
}

std::vector<std::string> self_test_texts(const std::vector<corpora::Example>& docs) {
  std::vector<std::string> texts;
  for (std::size_t k = 0; k < docs.size() && texts.size() < 3;
       k += std::max<std::size_t>(1, docs.size() / 3)) {
    std::string t = docs[k].text.substr(0, 2000);
    while (!t.empty() && !is_valid_utf8(t)) t.pop_back();
    texts.push_back(std::move(t));
  }
  return texts;
}

TrainedModel train_model(std::vector<corpora::Example> docs, std::vector<corpora::Example> dev_docs,
                         const TrainOptions& o, const TrainEvents& events) {
  check_options(o, !dev_docs.empty());
  const Log warn = [&](std::string_view m) {
    if (events.log) events.log(m);
  };
  const double t_called = seconds_now();
  const auto elapsed = [&] { return events.elapsed ? events.elapsed() : seconds_now() - t_called; };
  if (docs.empty()) throw FormatError("the corpus holds no documents");
  for (const auto& d : docs) {
    if (!d.label)
      throw FormatError(fmt::format("document '{}' has no label; training needs a labelled corpus", d.id));
  }
  for (const auto& d : dev_docs) {
    if (!d.label) throw FormatError(fmt::format("dev document '{}' has no label", d.id));
  }
  const std::size_t n_main = docs.size();  // the training documents; the dev documents follow
  const bool given_dev = !dev_docs.empty();
  for (auto& d : dev_docs) docs.push_back(std::move(d));
  dev_docs.clear();

  std::map<std::string, int> label_ids;
  for (const auto& d : docs) label_ids.emplace(*d.label, 0);
  std::vector<std::string> labels;
  std::vector<std::string> corpus_labels;  // with --labels: the corpus label of each class
  if (!o.label_names.empty()) {
    labels = o.label_names;
    for (std::size_t k = 0; k < labels.size(); ++k) corpus_labels.push_back(std::to_string(k));
    std::string found;
    for (const auto& [name, id] : label_ids) found += (found.empty() ? "" : ", ") + name;
    if (label_ids.size() != labels.size()) {
      throw InvalidArgument(fmt::format("--labels gives {} names, but the corpus has {} labels ({})",
                                        labels.size(), label_ids.size(), found));
    }
    for (auto& [name, id] : label_ids) {
      const auto it = std::find(corpus_labels.begin(), corpus_labels.end(), name);
      if (it == corpus_labels.end()) {
        throw InvalidArgument(
            fmt::format("--labels names the integer labels 0..{}, but the corpus has label '{}' "
                        "(its labels: {})",
                        labels.size() - 1, name, found));
      }
      id = static_cast<int>(it - corpus_labels.begin());
    }
    for (auto& d : docs) d.label = labels[static_cast<std::size_t>(label_ids.at(*d.label))];
    label_ids.clear();
    for (std::size_t k = 0; k < labels.size(); ++k) label_ids.emplace(labels[k], static_cast<int>(k));
  }
  if (label_ids.size() < 2)
    throw FormatError("the corpus has fewer than two labels; a classifier needs two or more");
  if (labels.empty()) {
    for (auto& [name, id] : label_ids) {
      id = static_cast<int>(labels.size());
      labels.push_back(name);
    }
  }
  warn(fmt::format("read {} documents with {} labels in {:.1f} s", docs.size(), labels.size(), elapsed()));

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
  if (given_dev) {  // the given dev documents instead of a random split
    train.resize(n_main);
    std::iota(train.begin(), train.end(), 0);
    dev.resize(docs.size() - n_main);
    std::iota(dev.begin(), dev.end(), n_main);
  }

  TrainedModel out;
  out.tokenizer = make_train_tokenizer(o);
  const nlp::Tokenizer& tokenizer = *out.tokenizer;
  // A subword model: the ids are SentencePiece's piece ids, the vocabulary its piece table.
  const auto* spm = nlp::sentencepiece_of(tokenizer);
  std::vector<std::vector<TokenId>> piece_ids(spm ? docs.size() : 0);
  // Tokenize everything once (both cores).
  std::vector<std::vector<std::string>> tokens(docs.size());
  {
    ThreadPool pool(resolve_threads(o.threads));
    pool.parallel_for(docs.size(), [&](std::size_t i) {
      if (spm) {
        const std::vector<int> ids = spm->encode_ids(docs[i].text);
        piece_ids[i].assign(ids.begin(), ids.end());
        return;
      }
      if (docs[i].tokens) {  // pre-tokenized (SST trees, JSONL "tokens"): as evaluate/explain encode them
        for (auto& t : nlp::pretokenized(*docs[i].tokens, o.lowercase))
          tokens[i].push_back(std::move(t.text));
        return;
      }
      for (auto& t : tokenizer.tokenize(docs[i].text)) tokens[i].push_back(std::move(t.text));
    });
  }
  auto build = [&](const std::vector<std::size_t>& subset) {
    if (spm) return spm->vocabulary();
    std::unordered_map<std::string, std::size_t> counts;
    for (const std::size_t i : subset) {
      for (const auto& t : tokens[i]) ++counts[t];
    }
    return nlp::Vocabulary::build(counts, o.min_count, o.max_vocab);
  };
  auto ids_of = [&](const nlp::Vocabulary& vocab, std::size_t i) {
    if (spm) return piece_ids[i];
    std::vector<TokenId> ids;
    ids.reserve(tokens[i].size());
    for (const auto& t : tokens[i]) ids.push_back(vocab.id(t));
    return ids;
  };
  auto fit = [&](const std::vector<std::size_t>& subset, const nlp::Vocabulary& vocab) {
    Ids x;
    std::vector<int> y;
    for (const std::size_t i : subset) {
      x.push_back(ids_of(vocab, i));
      y.push_back(label_ids.at(*docs[i].label));
    }
    BowTrainOptions bo;
    bo.C = o.C;
    bo.sublinear_tf = o.sublinear_tf;
    bo.ignore_id = vocab.unk_id();
    bo.log = warn;
    return train_bow(x, y, labels, static_cast<Index>(vocab.size()), bo);
  };
  const auto finish = [&](nlohmann::json training) {
    if (spm) training["tokenizer"] = o.tokenizer;
    out.config = {{"training", std::move(training)}};
    if (!corpus_labels.empty()) out.config["corpus_labels"] = corpus_labels;
    out.self_test_texts = self_test_texts(docs);
    return std::move(out);
  };
  out.vocab = build(train);
  nlp::Vocabulary& vocab = out.vocab;
  if (o.arch == "cnn" || o.arch == "bilstm") {
    warn(spm ? fmt::format("vocabulary: the {} pieces of {}", vocab.size(), o.tokenizer.substr(4))
             : fmt::format("vocabulary: {} entries (min count {}) from {} training documents", vocab.size(),
                           o.min_count, train.size()));
    Ids x, dx;
    std::vector<int> y, dy;
    for (const std::size_t i : train) {
      x.push_back(ids_of(vocab, i));
      y.push_back(label_ids.at(*docs[i].label));
    }
    for (const std::size_t i : dev) {
      dx.push_back(ids_of(vocab, i));
      dy.push_back(label_ids.at(*docs[i].label));
    }
    if (o.sst_phrases) {
      const std::size_t dropped = drop_repeated(x, y);
      warn(fmt::format("sst phrases: {} distinct training sentences and phrases ({} repeats dropped)",
                       x.size(), dropped));
    }
    nlohmann::json training = {{"corpus", o.corpus},
                               {"n_documents", docs.size()},
                               {"n_train", x.size()},
                               {"n_dev", dev.size()},
                               {"seed", o.seed},
                               {"min_count", o.min_count},
                               {"strip", strip_parts(o.strip)}};
    if (!o.dev_corpus.empty()) training["dev_corpus"] = o.dev_corpus;
    if (o.sst_phrases) training["sst_phrases"] = true;
    out.classifier = o.arch == "cnn"
                         ? train_cnn_model(o, vocab, x, y, dx, dy, labels, training, events, warn)
                         : train_bilstm_model(o, vocab, x, y, dx, dy, labels, training, events, warn);
    return finish(std::move(training));
  }
  warn(spm ? fmt::format("vocabulary: the {} pieces of {}", vocab.size(), o.tokenizer.substr(4))
           : fmt::format("vocabulary: {} entries (min count {}) from {} training documents", vocab.size(),
                         o.min_count, train.size()));
  // liblinear draws its coordinate order from the C library's rand(): start from its initial state,
  // as a fresh `textlrp train` process does, so that every call in a process trains the CLI's model
  // (the refit continues the sequence, as in the CLI). rand() is process-global: two svm trainings
  // running at the same time in one process may differ from the CLI's.
  std::srand(1);
  double t_train = seconds_now();
  std::unique_ptr<lrp::BowClassifier> model = fit(train, vocab);
  nlohmann::json training = {{"corpus", o.corpus},
                             {"n_documents", docs.size()},
                             {"n_train", train.size()},
                             {"n_dev", dev.size()},
                             {"seed", o.seed},
                             {"dev_fraction", o.dev_fraction},
                             {"C", o.C},
                             {"min_count", o.min_count},
                             {"max_vocab", o.max_vocab},
                             {"strip", strip_parts(o.strip)}};
  if (!dev.empty()) {
    std::size_t correct = 0;
    for (const std::size_t i : dev) {
      correct += lrp::argmax(model->scores(ids_of(vocab, i))) == label_ids.at(*docs[i].label);
    }
    const double acc = static_cast<double>(correct) / static_cast<double>(dev.size());
    training["dev_accuracy"] = acc;
    warn(fmt::format("dev accuracy: {:.2f} % ({} / {}) after {:.1f} s of training", 100 * acc, correct,
                     dev.size(), seconds_now() - t_train));
    if (o.refit) {
      warn("refitting on train + dev (--no-refit keeps the model trained on the train split only)");
      vocab = build(order);
      model = fit(order, vocab);
      training["refit_on_dev"] = true;
      training["n_train"] = docs.size();
    }
  }
  out.classifier = std::move(model);
  return finish(std::move(training));
}

}  // namespace textlrp::train
