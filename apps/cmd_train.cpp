// textlrp train — reads a labelled corpus, builds the vocabulary, trains a classifier and writes a
// model directory.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <thread>

#include "apps/commands.h"
#include "apps/common/pipeline.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "core/utf8.h"
#include "embeddings/load.h"
#include "nlp/sentencepiece_tokenizer.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"
#include "train/bilstm_train.h"
#include "train/bow_train.h"
#include "train/cnn_train.h"

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
  std::string tokenizer = "icu-word";  // or spm:FILE.model (a subword model)
  bool word_options_given = false;     // --min-count/--max-vocab/--no-lowercase/--keep-punctuation
  std::size_t min_count = 1;
  std::size_t max_vocab = 0;
  std::size_t max_docs = 0;
  std::string label_names;  // --labels "NAME,NAME,...": names of the integer labels 0..N-1
  bool refit = true;
  int threads = 0;
  bool quiet = false;
  // CNN
  std::string embeddings;
  Index dim = 100;
  std::vector<Index> kernel_sizes = {2, 3, 4};
  Index filters = 100;
  Index max_tokens = lrp::kDefaultMaxTokens;
  int epochs = 10;
  int patience = 2;
  Index batch = 32;
  double lr = 1e-3;
  double dropout = 0.5;
  bool finetune = false;
  bool freeze = false;
  // Neural architectures: a separate dev corpus; SST phrases as extra training examples
  std::string dev_corpus;
  bool sst_phrases = false;
  // BiLSTM
  Index hidden = 60;
  std::string optimizer = "adam";
  double embedding_dropout = 0.0;
  double clip_norm = 5.0;
  double weight_decay = 0.0;
  bool output_bias = true;
  bool float64 = false;
};

// Up to three documents spread over the corpus, cut to 2000 bytes (at a UTF-8 boundary): the
// model's self-tests, checked at every load.
std::vector<std::string> self_test_texts(const std::vector<corpora::Example>& docs) {
  std::vector<std::string> texts;
  for (std::size_t k = 0; k < docs.size() && texts.size() < 3; k += std::max<std::size_t>(1, docs.size() / 3)) {
    std::string t = docs[k].text.substr(0, 2000);
    while (!t.empty() && !is_valid_utf8(t)) t.pop_back();
    texts.push_back(std::move(t));
  }
  return texts;
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
          "--min-count, --max-vocab, --no-lowercase and --keep-punctuation are options of the icu-word tokenizer; "
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
                          bool& finetune, nlohmann::json& training, const std::function<void(std::string_view)>& warn) {
  using Scalar = typename Matrix::Scalar;
  Matrix table;
  finetune = o.finetune;
  if (!o.embeddings.empty()) {
    emb::LoadOptions lo;
    lo.only = &vocab;
    lo.allow_short_header = true;
    const emb::EmbeddingTable t = emb::load_embeddings(o.embeddings, emb::Format::kAuto, warn, lo);
    emb::Coverage cov;
    table = emb::embedding_matrix(t, vocab, o.seed, 0.25f, &cov).template cast<Scalar>();
    warn(fmt::format("embeddings: {} of {} vocabulary words found in {} (OOV rate {:.1f} %); {}", cov.n_found +
                     cov.n_found_casefold, cov.n_vocab, o.embeddings, 100 * cov.oov_rate,
                     finetune ? "fine-tuned" : "frozen (--finetune-embeddings to train them)"));
    training["embeddings"] = {{"file", o.embeddings}, {"oov_rate", cov.oov_rate}, {"dim", t.dim()}};
  } else {
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

// Progress of a neural trainer on stderr: a \r-line per batch on a terminal (epoch, position, loss,
// the last dev accuracy, docs/s, ETA) and one log line per epoch.
class EpochReporter {
 public:
  EpochReporter(std::string arch, const TrainOptions& o, std::size_t n_train,
                const std::function<void(std::string_view)>& warn)
      : arch_(std::move(arch)), tty_(!o.quiet && stderr_is_tty()), quiet_(o.quiet), n_train_(n_train), warn_(warn) {}
  template <class TrainerOptions>
  void attach(TrainerOptions& t) {
    t.progress = [this](int epoch, std::size_t done, std::size_t total, double loss) { progress(epoch, done, total, loss); };
    t.epoch_done = [this](int epoch, double loss, double acc, double secs) { epoch_done(epoch, loss, acc, secs); };
  }
  // Logs the best epoch and records the report in training.
  template <class Report>
  void finish(const Report& rep, nlohmann::json& training) const {
    warn_(fmt::format("best dev accuracy {:.2f} % at epoch {} of {} ({:.1f} s)", 100 * rep.best_dev_accuracy,
                      rep.best_epoch, rep.epochs_run, now_seconds() - t_start_));
    training["dev_accuracy"] = rep.best_dev_accuracy;
    training["best_epoch"] = rep.best_epoch;
    training["epochs_run"] = rep.epochs_run;
    training["dev_accuracy_per_epoch"] = rep.dev_accuracy;
    training["train_loss_per_epoch"] = rep.train_loss;
  }

 private:
  void progress(int epoch, std::size_t done, std::size_t total, double loss) {
    if (!tty_) {
      if (!quiet_) log_progress(epoch, done, total, loss);
      return;
    }
    const double rate = static_cast<double>(done) / std::max(now_seconds() - t_epoch_, 1e-9);
    const double eta = static_cast<double>(total - done) / std::max(rate, 1e-9);
    const std::string dev = last_dev_ < 0 ? std::string() : fmt::format("  dev {:.2f} %", 100 * last_dev_);
    std::fprintf(stderr, "\rtrain %s: epoch %d  %zu/%zu  loss %.4f%s  %.0f docs/s  ETA %d:%02d   ", arch_.c_str(), epoch,
                 done, total, loss, dev.c_str(), rate, static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
  }
  // Not a terminal (a log file, nohup): a log line every kLogEvery seconds within an epoch.
  static constexpr double kLogEvery = 10;
  void log_progress(int epoch, std::size_t done, std::size_t total, double loss) {
    const double t = now_seconds();
    if (t - last_log_ < kLogEvery || done >= total) return;
    last_log_ = t;
    const double rate = static_cast<double>(done) / std::max(t - t_epoch_, 1e-9);
    const int eta = static_cast<int>(static_cast<double>(total - done) / std::max(rate, 1e-9));
    warn_(fmt::format("epoch {}: {}/{} ({:.1f}%), loss {:.4f}, {:.0f} docs/s, epoch ETA {}:{:02d}", epoch, done, total,
                      100.0 * static_cast<double>(done) / static_cast<double>(std::max<std::size_t>(total, 1)), loss,
                      rate, eta / 60, eta % 60));
  }
  void epoch_done(int epoch, double loss, double acc, double secs) {
    if (tty_) std::fprintf(stderr, "\r\033[K");
    warn_(fmt::format("epoch {}: train loss {:.4f}, dev accuracy {:.2f} %, {:.1f} s ({:.0f} docs/s)", epoch, loss,
                      100 * acc, secs, static_cast<double>(n_train_) / std::max(secs, 1e-9)));
    last_dev_ = acc;
    t_epoch_ = now_seconds();
    last_log_ = t_epoch_;
  }

  std::string arch_;
  bool tty_;
  bool quiet_;
  std::size_t n_train_;
  const std::function<void(std::string_view)>& warn_;
  double t_start_ = now_seconds();
  double t_epoch_ = t_start_;
  double last_log_ = t_start_;
  double last_dev_ = -1;
};

// --labels "very negative,negative,neutral": names separated by commas (spaces kept inside a name,
// trimmed around it). InvalidArgument for an empty or repeated name or fewer than two names.
std::vector<std::string> parse_label_names(const std::string& text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    std::string name = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto b = name.find_first_not_of(" \t");
    const auto e = name.find_last_not_of(" \t");
    name = b == std::string::npos ? std::string() : name.substr(b, e - b + 1);
    if (name.empty()) throw InvalidArgument(fmt::format("--labels '{}': name {} is empty", text, names.size() + 1));
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      throw InvalidArgument(fmt::format("--labels '{}': the name '{}' appears twice", text, name));
    }
    names.push_back(std::move(name));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (names.size() < 2) throw InvalidArgument(fmt::format("--labels '{}': expected at least two names", text));
  return names;
}

// The --strip parts as saved in the model (without "none").
std::vector<std::string> strip_parts(const std::vector<std::string>& strip) {
  std::vector<std::string> out;
  for (const auto& p : strip) {
    if (p != "none" && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

int resolve_train_threads(int threads) {
  return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Trains the CNN on the train split with early stopping on the dev split.
std::unique_ptr<lrp::Classifier> train_cnn_model(const TrainOptions& o, const nlp::Vocabulary& vocab,
                                                 const std::vector<std::vector<TokenId>>& x, const std::vector<int>& y,
                                                 const std::vector<std::vector<TokenId>>& dx, const std::vector<int>& dy,
                                                 const std::vector<std::string>& labels, nlohmann::json& training,
                                                 const std::function<void(std::string_view)>& warn) {
  bool finetune = false;
  Mat table = initial_embeddings<Mat>(o, vocab, 0.25f, finetune, training, warn);
  lrp::CnnTrainOptions co;
  co.kernel_sizes = o.kernel_sizes;
  co.n_filters = o.filters;
  co.max_tokens = o.max_tokens;
  co.max_epochs = o.epochs;
  co.patience = o.patience;
  co.batch_size = o.batch;
  co.learning_rate = o.lr;
  co.dropout = o.dropout;
  co.finetune_embeddings = finetune;
  co.threads = resolve_train_threads(o.threads);
  co.seed = o.seed;
  EpochReporter reporter("cnn", o, x.size(), warn);
  reporter.attach(co);
  lrp::CnnTrainReport rep;
  auto model = lrp::train_cnn(x, y, dx, dy, labels, std::move(table), co, &rep);
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
                                                    const std::vector<std::vector<TokenId>>& x,
                                                    const std::vector<int>& y,
                                                    const std::vector<std::vector<TokenId>>& dx,
                                                    const std::vector<int>& dy, const std::vector<std::string>& labels,
                                                    nlohmann::json& training,
                                                    const std::function<void(std::string_view)>& warn) {
  bool finetune = false;
  lrp::MatD table = initial_embeddings<lrp::MatD>(o, vocab, 0.1, finetune, training, warn);
  lrp::BiLstmTrainOptions bo;
  bo.n_hidden = o.hidden;
  bo.max_epochs = o.epochs;
  bo.patience = o.patience;
  bo.batch_size = o.batch;
  bo.optimizer = o.optimizer == "adagrad" ? lrp::BiLstmOptimizer::kAdagrad : lrp::BiLstmOptimizer::kAdam;
  bo.learning_rate = o.lr;
  bo.dropout_embedding = o.embedding_dropout;
  bo.dropout_hidden = o.dropout;
  bo.clip_norm = o.clip_norm;
  bo.weight_decay = o.weight_decay;
  bo.output_bias = o.output_bias;
  bo.finetune_embeddings = finetune;
  bo.float64 = o.float64;
  bo.max_tokens = o.max_tokens;
  bo.threads = resolve_train_threads(o.threads);
  bo.seed = o.seed;
  EpochReporter reporter("bilstm", o, x.size(), warn);
  reporter.attach(bo);
  lrp::BiLstmTrainReport rep;
  auto model = lrp::train_bilstm(x, y, dx, dy, labels, std::move(table), bo, &rep);
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
std::size_t drop_repeated(std::vector<std::vector<TokenId>>& x, std::vector<int>& y) {
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

int run_train(const TrainOptions& o) {
  if (o.arch != "svm" && o.arch != "cnn" && o.arch != "bilstm") {
    throw InvalidArgument(fmt::format("--arch {}: this build trains: svm, cnn, bilstm", o.arch));
  }
  if (o.arch != "svm" && o.dev_fraction <= 0 && o.dev_corpus.empty()) {
    throw InvalidArgument(fmt::format("--arch {} needs a dev set for early stopping: --dev-corpus SPEC or --dev-fraction > 0", o.arch));
  }
  if (o.sst_phrases && o.dev_corpus.empty()) {
    throw InvalidArgument("--sst-phrases needs --dev-corpus (a random split would put phrases of dev sentences into training)");
  }
  if (o.sst_phrases && o.input.corpus.empty()) throw InvalidArgument("--sst-phrases needs --corpus sst:PATH or sst-binary:PATH");
  if (o.optimizer != "adam" && o.optimizer != "adagrad") {
    throw InvalidArgument(fmt::format("--optimizer {}: expected adam or adagrad", o.optimizer));
  }
  if (!(o.dev_fraction >= 0 && o.dev_fraction < 1)) throw InvalidArgument("--dev-fraction must be in [0, 1)");
  if (!(o.C > 0)) throw InvalidArgument("--C must be positive");
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  const double t0 = now_seconds();
  std::unique_ptr<corpora::CorpusReader> reader;
  if (o.sst_phrases) {
    corpora::CorpusOptions co = o.input.corpus_options(warn);
    co.sst_phrases = true;
    reader = corpora::open_corpus(o.input.corpus, co);
    if (reader->format() != "sst" && reader->format() != "sst-binary") {
      throw InvalidArgument(fmt::format("--sst-phrases: {} is a {} corpus, not sst or sst-binary", o.input.corpus,
                                        reader->format()));
    }
  } else {
    reader = o.input.open(warn);
  }
  std::vector<corpora::Example> docs;
  corpora::Example ex;
  while (reader->next(ex)) {
    if (!ex.label) throw FormatError(fmt::format("document '{}' has no label; training needs a labelled corpus", ex.id));
    docs.push_back(std::move(ex));
    ex = corpora::Example();
  }
  if (docs.empty()) throw FormatError("the corpus holds no documents");
  if (o.max_docs > 0 && docs.size() > o.max_docs) {  // spread evenly, as the analyses' --max-docs
    std::vector<corpora::Example> kept;
    kept.reserve(o.max_docs);
    for (std::size_t i = 0; i < o.max_docs; ++i) kept.push_back(std::move(docs[i * docs.size() / o.max_docs]));
    warn(fmt::format("using {} of {} documents, spread evenly over the corpus", o.max_docs, docs.size()));
    docs = std::move(kept);
  }
  const std::size_t n_main = docs.size();  // documents of --corpus; those of --dev-corpus follow
  if (!o.dev_corpus.empty()) {
    InputOptions dev_input = o.input;  // the same preprocessing (--strip) as the training corpus
    dev_input.corpus = o.dev_corpus;
    dev_input.input.clear();
    dev_input.shard.clear();
    auto dev_reader = dev_input.open(warn);
    while (dev_reader->next(ex)) {
      if (!ex.label) throw FormatError(fmt::format("dev document '{}' has no label", ex.id));
      docs.push_back(std::move(ex));
      ex = corpora::Example();
    }
    if (docs.size() == n_main) throw FormatError(fmt::format("the dev corpus {} holds no documents", o.dev_corpus));
  }
  std::map<std::string, int> label_ids;
  for (const auto& d : docs) label_ids.emplace(*d.label, 0);
  std::vector<std::string> labels;
  std::vector<std::string> corpus_labels;  // with --labels: the corpus label of each class
  if (!o.label_names.empty()) {
    labels = parse_label_names(o.label_names);
    for (std::size_t k = 0; k < labels.size(); ++k) corpus_labels.push_back(std::to_string(k));
    std::string found;
    for (const auto& [name, id] : label_ids) found += (found.empty() ? "" : ", ") + name;
    if (label_ids.size() != labels.size()) {
      throw InvalidArgument(fmt::format("--labels gives {} names, but the corpus has {} labels ({})", labels.size(),
                                        label_ids.size(), found));
    }
    for (auto& [name, id] : label_ids) {
      const auto it = std::find(corpus_labels.begin(), corpus_labels.end(), name);
      if (it == corpus_labels.end()) {
        throw InvalidArgument(fmt::format("--labels names the integer labels 0..{}, but the corpus has label '{}' "
                                          "(its labels: {})",
                                          labels.size() - 1, name, found));
      }
      id = static_cast<int>(it - corpus_labels.begin());
    }
    for (auto& d : docs) d.label = labels[static_cast<std::size_t>(label_ids.at(*d.label))];
    label_ids.clear();
    for (std::size_t k = 0; k < labels.size(); ++k) label_ids.emplace(labels[k], static_cast<int>(k));
  }
  if (label_ids.size() < 2) throw FormatError("the corpus has fewer than two labels; a classifier needs two or more");
  if (labels.empty()) {
    for (auto& [name, id] : label_ids) {
      id = static_cast<int>(labels.size());
      labels.push_back(name);
    }
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
  if (!o.dev_corpus.empty()) {  // the given dev corpus instead of a random split
    train.resize(n_main);
    std::iota(train.begin(), train.end(), 0);
    dev.resize(docs.size() - n_main);
    std::iota(dev.begin(), dev.end(), n_main);
  }

  const std::unique_ptr<nlp::Tokenizer> tokenizer_ptr = make_train_tokenizer(o);
  const nlp::Tokenizer& tokenizer = *tokenizer_ptr;
  // A subword model: the ids are SentencePiece's piece ids, the vocabulary its piece table.
  const auto* spm = nlp::sentencepiece_of(tokenizer);
  std::vector<std::vector<TokenId>> piece_ids(spm ? docs.size() : 0);
  // Tokenize everything once (both cores).
  std::vector<std::vector<std::string>> tokens(docs.size());
  {
    ThreadPool pool(resolve_train_threads(o.threads));
    pool.parallel_for(docs.size(), [&](std::size_t i) {
      if (spm) {
        const std::vector<int> ids = spm->encode_ids(docs[i].text);
        piece_ids[i].assign(ids.begin(), ids.end());
        return;
      }
      if (docs[i].tokens) {  // pre-tokenized (SST trees, JSONL "tokens"): as evaluate/explain encode them
        for (auto& t : nlp::pretokenized(*docs[i].tokens, o.lowercase)) tokens[i].push_back(std::move(t.text));
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
    std::vector<std::vector<TokenId>> x;
    std::vector<int> y;
    for (const std::size_t i : subset) {
      x.push_back(ids_of(vocab, i));
      y.push_back(label_ids.at(*docs[i].label));
    }
    lrp::BowTrainOptions bo;
    bo.C = o.C;
    bo.sublinear_tf = o.sublinear_tf;
    bo.ignore_id = vocab.unk_id();
    bo.log = warn;
    return lrp::train_bow(x, y, labels, static_cast<Index>(vocab.size()), bo);
  };
  nlp::Vocabulary vocab = build(train);
  if (o.arch == "cnn" || o.arch == "bilstm") {
    warn(spm ? fmt::format("vocabulary: the {} pieces of {}", vocab.size(), o.tokenizer.substr(4))
             : fmt::format("vocabulary: {} entries (min count {}) from {} training documents", vocab.size(),
                           o.min_count, train.size()));
    std::vector<std::vector<TokenId>> x, dx;
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
      warn(fmt::format("sst phrases: {} distinct training sentences and phrases ({} repeats dropped)", x.size(),
                       dropped));
    }
    nlohmann::json training = {{"corpus", o.input.corpus.empty() ? o.input.input : o.input.corpus},
                               {"n_documents", docs.size()}, {"n_train", x.size()}, {"n_dev", dev.size()},
                               {"seed", o.seed}, {"min_count", o.min_count}, {"strip", strip_parts(o.input.strip)}};
    if (!o.dev_corpus.empty()) training["dev_corpus"] = o.dev_corpus;
    if (o.sst_phrases) training["sst_phrases"] = true;
    const auto model = o.arch == "cnn" ? train_cnn_model(o, vocab, x, y, dx, dy, labels, training, warn)
                                       : train_bilstm_model(o, vocab, x, y, dx, dy, labels, training, warn);
    if (spm) training["tokenizer"] = o.tokenizer;
    nlohmann::json config = {{"training", training}};
    if (!corpus_labels.empty()) config["corpus_labels"] = corpus_labels;
    save_model(o.out, config, tokenizer, vocab, *model, self_test_texts(docs));
    warn(fmt::format("wrote model to {} ({:.1f} s in all)", o.out, now_seconds() - t0));
    return 0;
  }
  warn(spm ? fmt::format("vocabulary: the {} pieces of {}", vocab.size(), o.tokenizer.substr(4))
           : fmt::format("vocabulary: {} entries (min count {}) from {} training documents", vocab.size(),
                         o.min_count, train.size()));
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
                             {"strip", strip_parts(o.input.strip)}};
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
  if (spm) training["tokenizer"] = o.tokenizer;
  nlohmann::json config = {{"training", training}};
  if (!corpus_labels.empty()) config["corpus_labels"] = corpus_labels;
  save_model(o.out, config, tokenizer, vocab, *model, self_test_texts(docs));
  warn(fmt::format("wrote model to {} ({:.1f} s in all)", o.out, now_seconds() - t0));
  return 0;
}

}  // namespace

void setup_train(CLI::App& root, Action& action) {
  auto opt = std::make_shared<TrainOptions>();
  CLI::App* cmd = root.add_subcommand("train", "train a classifier on a labelled corpus and write a model directory");
  cmd->add_option("--arch", opt->arch, "architecture: svm (TF-IDF bag of words + linear SVM), cnn (word-embedding CNN) or bilstm "
                  "(bidirectional LSTM, Li et al. 2016)")->capture_default_str();
  opt->input.add_to(cmd, false);
  cmd->add_option("-o,--output,--out", opt->out, "model directory to write (replaced atomically)")->required();
  cmd->add_option("--dev-fraction", opt->dev_fraction, "fraction of the corpus held out to report dev accuracy")
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "seed of the train/dev split and, for the CNN/BiLSTM, of initialisation, shuffling and dropout")->capture_default_str();
  cmd->add_option("--C", opt->C, "SVM regularisation: larger C fits the training data more closely")
      ->capture_default_str();
  cmd->add_flag("--sublinear-tf", opt->sublinear_tf, "use 1 + ln(tf) instead of raw term counts");
  cmd->add_flag("!--no-lowercase", opt->lowercase, "keep case (default: ICU case folding)");
  cmd->add_flag("--keep-punctuation", opt->keep_punctuation, "keep punctuation and symbols as tokens");
  cmd->add_option("--tokenizer", opt->tokenizer,
                  "icu-word (words, see --no-lowercase, --keep-punctuation, --min-count, --max-vocab) or "
                  "spm:FILE.model (SentencePiece subwords, e.g. from `textlrp tokenizer train`: the model keeps a "
                  "copy of FILE as tokenizer.model, its vocabulary is the piece table and `explain` adds per-word "
                  "relevance)")
      ->capture_default_str();
  cmd->parse_complete_callback([opt, cmd] {
    opt->word_options_given = cmd->count("--min-count") + cmd->count("--max-vocab") + cmd->count("--no-lowercase") +
                                  cmd->count("--keep-punctuation") >
                              0;
  });
  cmd->add_option("--min-count", opt->min_count, "drop words seen fewer times in training")->capture_default_str();
  cmd->add_option("--max-vocab", opt->max_vocab, "keep at most this many words (0 = all)")->capture_default_str();
  cmd->add_option("--max-docs", opt->max_docs,
                  "train on at most this many documents of --corpus, spread evenly over it (0 = all)")
      ->capture_default_str();
  cmd->add_option("--labels", opt->label_names,
                  "names of integer labels 0..N-1, comma-separated, spaces allowed (SST: \"very negative,negative,"
                  "neutral,positive,very positive\"); saved in the model, which then maps the corpus labels 0..N-1 to "
                  "these names whenever it reads a corpus. A count that does not match the corpus is a usage error");
  cmd->add_flag("!--no-refit", opt->refit, "after reporting dev accuracy, do not retrain on train + dev");
  cmd->add_option("--threads", opt->threads, "threads for tokenizing and for training the CNN/BiLSTM (default: all cores)");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages on stderr");
  cmd->add_option("--dev-corpus", opt->dev_corpus,
                  "labelled dev corpus (FORMAT:PATH) for early stopping and dev accuracy, instead of holding out "
                  "--dev-fraction of --corpus (e.g. sst:trees/dev.txt)");
  cmd->add_flag("--sst-phrases", opt->sst_phrases,
                "with an sst: or sst-binary: --corpus, also train on every labelled phrase of its trees (each distinct "
                "phrase once, as Li et al. 2016); the dev corpus stays sentence-level; needs --dev-corpus");
  auto* cnn = "CNN (--arch cnn) and BiLSTM (--arch bilstm)";
  cmd->add_option("--embeddings", opt->embeddings,
                  "CNN/BiLSTM: initial word vectors (word2vec binary/text, fastText .vec, GloVe; detected); frozen unless "
                  "--finetune-embeddings (default: random vectors of --dim, fine-tuned)")->group(cnn);
  cmd->add_option("--dim", opt->dim, "CNN/BiLSTM: dimension of random embeddings")->capture_default_str()->group(cnn);
  cmd->add_option("--kernel-sizes", opt->kernel_sizes, "CNN: filter widths")->delimiter(',')->capture_default_str()->group(cnn);
  cmd->add_option("--filters", opt->filters, "CNN: filters per width")->capture_default_str()->group(cnn);
  cmd->add_option("--max-tokens", opt->max_tokens,
                  "CNN/BiLSTM: the model reads the first N tokens of a document (in training and when used, saved in "
                  "the model; the output says \"truncated\")")->capture_default_str()->group(cnn);
  cmd->add_option("--epochs", opt->epochs, "CNN/BiLSTM: most epochs")->capture_default_str()->group(cnn);
  cmd->add_option("--patience", opt->patience, "CNN/BiLSTM: stop after this many epochs without a better dev accuracy")
      ->capture_default_str()->group(cnn);
  cmd->add_option("--batch", opt->batch, "CNN/BiLSTM: mini-batch size")->capture_default_str()->group(cnn);
  cmd->add_option("--lr", opt->lr, "CNN: Adam learning rate; BiLSTM: learning rate of --optimizer (Adagrad: try 0.05)")->capture_default_str()->group(cnn);
  cmd->add_option("--dropout", opt->dropout, "CNN: dropout on the pooled features; BiLSTM: on the final hidden states [hL; hR]")->capture_default_str()->group(cnn);
  cmd->add_flag("--finetune-embeddings", opt->finetune, "CNN/BiLSTM: train pre-trained vectors too")->group(cnn);
  cmd->add_flag("--freeze-embeddings", opt->freeze, "CNN/BiLSTM: keep random vectors fixed")->group(cnn);
  auto* bilstm = "BiLSTM (--arch bilstm)";
  cmd->add_option("--hidden", opt->hidden, "BiLSTM: hidden units per direction")->capture_default_str()->group(bilstm);
  cmd->add_option("--optimizer", opt->optimizer, "BiLSTM: adam or adagrad")
      ->check(CLI::IsMember({"adam", "adagrad"}))
      ->capture_default_str()
      ->group(bilstm);
  cmd->add_option("--embedding-dropout", opt->embedding_dropout,
                  "BiLSTM: dropout on every coordinate of the word embeddings (--dropout is on the final states)")
      ->capture_default_str()
      ->group(bilstm);
  cmd->add_option("--clip-norm", opt->clip_norm, "BiLSTM: clip the batch gradient to this global L2 norm (0 = off)")
      ->capture_default_str()
      ->group(bilstm);
  cmd->add_option("--weight-decay", opt->weight_decay, "BiLSTM: L2 penalty on the LSTM and output weights")
      ->capture_default_str()
      ->group(bilstm);
  cmd->add_flag("!--no-output-bias", opt->output_bias,
                "BiLSTM: no bias in the output layer (the Arras et al. 2017 layout; default: with bias)")
      ->group(bilstm);
  cmd->add_flag("--float64", opt->float64, "BiLSTM: train in float64 (default float32, about twice as fast)")
      ->group(bilstm);
  cmd->callback([opt, &action] { action = [opt] { return run_train(*opt); }; });
}

}  // namespace textlrp::app
