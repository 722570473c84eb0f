// textlrp train — reads a labelled corpus, builds the vocabulary, trains a classifier and writes a
// model directory. The training is the library's (train::train_model, train/train_model.h); this
// file parses the flags, reads the documents, shows the progress and writes the directory.
#include <fmt/format.h>

#include <cstdio>

#include "apps/commands.h"
#include "apps/common/cli.h"
#include "core/error.h"
#include "train/train_model.h"
#include "train/training_input.h"

namespace textlrp::app {
namespace {

struct TrainOptions {
  train::TrainOptions train;  // what is trained and how
  InputOptions input;
  std::string out;
  std::string dev_corpus;
  std::size_t max_docs = 0;
  std::string label_names;  // --labels "NAME,NAME,...": names of the integer labels 0..N-1
  bool quiet = false;
};

// Progress of a neural trainer on stderr: a \r-line per batch on a terminal (epoch, position, loss,
// the last dev accuracy, docs/s, ETA) and one log line per epoch.
class EpochReporter {
 public:
  EpochReporter(bool quiet, const std::function<void(std::string_view)>& warn)
      : tty_(!quiet && stderr_is_tty()), quiet_(quiet), warn_(warn) {}
  void attach(train::TrainEvents& events) {
    events.batch_done = [this](const train::BatchProgress& p) { progress(p); };
    events.epoch_done = [this](const train::EpochResult& e) { epoch_done(e); };
  }

 private:
  void progress(const train::BatchProgress& p) {
    if (!tty_) {
      if (!quiet_) log_progress(p);
      return;
    }
    const double rate = static_cast<double>(p.done) / std::max(now_seconds() - t_epoch_, 1e-9);
    const double eta = static_cast<double>(p.total - p.done) / std::max(rate, 1e-9);
    const std::string dev = last_dev_ < 0 ? std::string() : fmt::format("  dev {:.2f} %", 100 * last_dev_);
    const std::string arch(p.arch);
    std::fprintf(stderr, "\rtrain %s: epoch %d  %zu/%zu  loss %.4f%s  %.0f docs/s  ETA %d:%02d   ",
                 arch.c_str(), p.epoch, p.done, p.total, p.loss, dev.c_str(), rate,
                 static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
  }
  // Not a terminal (a log file, nohup): a log line every kLogEvery seconds within an epoch.
  static constexpr double kLogEvery = 10;
  void log_progress(const train::BatchProgress& p) {
    const double t = now_seconds();
    if (t - last_log_ < kLogEvery || p.done >= p.total) return;
    last_log_ = t;
    const double rate = static_cast<double>(p.done) / std::max(t - t_epoch_, 1e-9);
    const int eta = static_cast<int>(static_cast<double>(p.total - p.done) / std::max(rate, 1e-9));
    warn_(fmt::format(
        "epoch {}: {}/{} ({:.1f}%), loss {:.4f}, {:.0f} docs/s, epoch ETA {}:{:02d}", p.epoch, p.done,
        p.total, 100.0 * static_cast<double>(p.done) / static_cast<double>(std::max<std::size_t>(p.total, 1)),
        p.loss, rate, eta / 60, eta % 60));
  }
  void epoch_done(const train::EpochResult& e) {
    if (tty_) std::fprintf(stderr, "\r\033[K");
    warn_(fmt::format("epoch {}: train loss {:.4f}, dev accuracy {:.2f} %, {:.1f} s ({:.0f} docs/s)", e.epoch,
                      e.train_loss, 100 * e.dev_accuracy, e.seconds,
                      static_cast<double>(e.n_train) / std::max(e.seconds, 1e-9)));
    last_dev_ = e.dev_accuracy;
    t_epoch_ = now_seconds();
    last_log_ = t_epoch_;
  }

  bool tty_;
  bool quiet_;
  const std::function<void(std::string_view)>& warn_;
  double t_epoch_ = now_seconds();
  double last_log_ = t_epoch_;
  double last_dev_ = -1;
};

int run_train(TrainOptions o) {
  train::TrainOptions& t = o.train;
  train::check_options(t, !o.dev_corpus.empty());
  if (!o.label_names.empty()) t.label_names = train::parse_label_names(o.label_names);
  t.corpus = o.input.corpus.empty() ? o.input.input : o.input.corpus;
  t.dev_corpus = o.dev_corpus;
  t.strip = o.input.strip;
  const std::function<void(std::string_view)> warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  const double t0 = now_seconds();
  train::TrainingDocuments docs =
      train::read_training_documents(o.input, o.dev_corpus, t.sst_phrases, o.max_docs, warn);
  train::TrainEvents events;
  events.log = warn;
  events.elapsed = [t0] { return now_seconds() - t0; };
  EpochReporter reporter(o.quiet, warn);
  reporter.attach(events);
  const train::TrainedModel model =
      train::train_model(std::move(docs.documents), std::move(docs.dev_documents), t, events);
  save_model(o.out, model.config, *model.tokenizer, model.vocab, *model.classifier, model.self_test_texts);
  warn(fmt::format("wrote model to {} ({:.1f} s in all)", o.out, now_seconds() - t0));
  return 0;
}

}  // namespace

void setup_train(CLI::App& root, Action& action) {
  auto opt = std::make_shared<TrainOptions>();
  CLI::App* cmd =
      root.add_subcommand("train", "train a classifier on a labelled corpus and write a model directory");
  cmd->add_option("--arch", opt->train.arch,
                  "architecture: svm (TF-IDF bag of words + linear SVM), cnn (word-embedding CNN) or bilstm "
                  "(bidirectional LSTM, Li et al. 2016)")
      ->capture_default_str();
  add_input_options(cmd, opt->input, false);
  cmd->add_option("-o,--output,--out", opt->out, "model directory to write (replaced atomically)")
      ->required();
  cmd->add_option("--dev-fraction", opt->train.dev_fraction,
                  "fraction of the corpus held out to report dev accuracy")
      ->capture_default_str();
  cmd->add_option(
         "--seed", opt->train.seed,
         "seed of the train/dev split and, for the CNN/BiLSTM, of initialisation, shuffling and dropout")
      ->capture_default_str();
  cmd->add_option("--C", opt->train.C, "SVM regularisation: larger C fits the training data more closely")
      ->capture_default_str();
  cmd->add_flag("--sublinear-tf", opt->train.sublinear_tf, "use 1 + ln(tf) instead of raw term counts");
  cmd->add_flag("!--no-lowercase", opt->train.lowercase, "keep case (default: ICU case folding)");
  cmd->add_flag("--keep-punctuation", opt->train.keep_punctuation, "keep punctuation and symbols as tokens");
  cmd->add_option(
         "--tokenizer", opt->train.tokenizer,
         "icu-word (words, see --no-lowercase, --keep-punctuation, --min-count, --max-vocab) or "
         "spm:FILE.model (SentencePiece subwords, e.g. from `textlrp tokenizer train`: the model keeps a "
         "copy of FILE as tokenizer.model, its vocabulary is the piece table and `explain` adds per-word "
         "relevance)")
      ->capture_default_str();
  cmd->parse_complete_callback([opt, cmd] {
    opt->train.word_options_given = cmd->count("--min-count") + cmd->count("--max-vocab") +
                                        cmd->count("--no-lowercase") + cmd->count("--keep-punctuation") >
                                    0;
  });
  cmd->add_option("--min-count", opt->train.min_count, "drop words seen fewer times in training")
      ->capture_default_str();
  cmd->add_option("--max-vocab", opt->train.max_vocab, "keep at most this many words (0 = all)")
      ->capture_default_str();
  cmd->add_option("--max-docs", opt->max_docs,
                  "train on at most this many documents of --corpus, spread evenly over it (0 = all)")
      ->capture_default_str();
  cmd->add_option(
      "--labels", opt->label_names,
      "names of integer labels 0..N-1, comma-separated, spaces allowed (SST: \"very negative,negative,"
      "neutral,positive,very positive\"); saved in the model, which then maps the corpus labels 0..N-1 to "
      "these names whenever it reads a corpus. A count that does not match the corpus is a usage error");
  cmd->add_flag("!--no-refit", opt->train.refit,
                "after reporting dev accuracy, do not retrain on train + dev");
  cmd->add_option("--threads", opt->train.threads,
                  "threads for tokenizing and for training the CNN/BiLSTM (default: all cores)");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages on stderr");
  cmd->add_option(
      "--dev-corpus", opt->dev_corpus,
      "labelled dev corpus (FORMAT:PATH) for early stopping and dev accuracy, instead of holding out "
      "--dev-fraction of --corpus (e.g. sst:trees/dev.txt)");
  cmd->add_flag(
      "--sst-phrases", opt->train.sst_phrases,
      "with an sst: or sst-binary: --corpus, also train on every labelled phrase of its trees (each distinct "
      "phrase once, as Li et al. 2016); the dev corpus stays sentence-level; needs --dev-corpus");
  auto* cnn = "CNN (--arch cnn) and BiLSTM (--arch bilstm)";
  cmd->add_option("--embeddings", opt->train.embeddings,
                  "CNN/BiLSTM: initial word vectors (word2vec binary/text, fastText .vec, GloVe; detected); "
                  "frozen unless "
                  "--finetune-embeddings (default: random vectors of --dim, fine-tuned)")
      ->group(cnn);
  cmd->add_option("--dim", opt->train.dim, "CNN/BiLSTM: dimension of random embeddings")
      ->capture_default_str()
      ->group(cnn);
  cmd->add_option("--kernel-sizes", opt->train.kernel_sizes, "CNN: filter widths")
      ->delimiter(',')
      ->capture_default_str()
      ->group(cnn);
  cmd->add_option("--filters", opt->train.filters, "CNN: filters per width")
      ->capture_default_str()
      ->group(cnn);
  cmd->add_option(
         "--max-tokens", opt->train.max_tokens,
         "CNN/BiLSTM: the model reads the first N tokens of a document (in training and when used, saved in "
         "the model; the output says \"truncated\")")
      ->capture_default_str()
      ->group(cnn);
  cmd->add_option("--epochs", opt->train.epochs, "CNN/BiLSTM: most epochs")
      ->capture_default_str()
      ->group(cnn);
  cmd->add_option("--patience", opt->train.patience,
                  "CNN/BiLSTM: stop after this many epochs without a better dev accuracy")
      ->capture_default_str()
      ->group(cnn);
  cmd->add_option("--batch", opt->train.batch, "CNN/BiLSTM: mini-batch size")
      ->capture_default_str()
      ->group(cnn);
  cmd->add_option("--lr", opt->train.lr,
                  "CNN: Adam learning rate; BiLSTM: learning rate of --optimizer (Adagrad: try 0.05)")
      ->capture_default_str()
      ->group(cnn);
  cmd->add_option("--dropout", opt->train.dropout,
                  "CNN: dropout on the pooled features; BiLSTM: on the final hidden states [hL; hR]")
      ->capture_default_str()
      ->group(cnn);
  cmd->add_flag("--finetune-embeddings", opt->train.finetune, "CNN/BiLSTM: train pre-trained vectors too")
      ->group(cnn);
  cmd->add_flag("--freeze-embeddings", opt->train.freeze, "CNN/BiLSTM: keep random vectors fixed")
      ->group(cnn);
  auto* bilstm = "BiLSTM (--arch bilstm)";
  cmd->add_option("--hidden", opt->train.hidden, "BiLSTM: hidden units per direction")
      ->capture_default_str()
      ->group(bilstm);
  cmd->add_option("--optimizer", opt->train.optimizer, "BiLSTM: adam or adagrad")
      ->check(CLI::IsMember({"adam", "adagrad"}))
      ->capture_default_str()
      ->group(bilstm);
  cmd->add_option(
         "--embedding-dropout", opt->train.embedding_dropout,
         "BiLSTM: dropout on every coordinate of the word embeddings (--dropout is on the final states)")
      ->capture_default_str()
      ->group(bilstm);
  cmd->add_option("--clip-norm", opt->train.clip_norm,
                  "BiLSTM: clip the batch gradient to this global L2 norm (0 = off)")
      ->capture_default_str()
      ->group(bilstm);
  cmd->add_option("--weight-decay", opt->train.weight_decay,
                  "BiLSTM: L2 penalty on the LSTM and output weights")
      ->capture_default_str()
      ->group(bilstm);
  cmd->add_flag("!--no-output-bias", opt->train.output_bias,
                "BiLSTM: no bias in the output layer (the Arras et al. 2017 layout; default: with bias)")
      ->group(bilstm);
  cmd->add_flag("--float64", opt->train.float64,
                "BiLSTM: train in float64 (default float32, about twice as fast)")
      ->group(bilstm);
  cmd->callback([opt, &action] { action = [opt] { return run_train(*opt); }; });
}

}  // namespace textlrp::app
