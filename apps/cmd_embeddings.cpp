// textlrp embeddings train — word vectors for a corpus with libfasttext, tokenized exactly as the
// classifiers tokenize (ICU words, case folded), so the vectors match the models' vocabularies.
// textlrp embeddings inspect — reads a vectors file (checking every row), says which format it
// is, and reports its coverage of a model's vocabulary: JSON on stdout.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "apps/commands.h"
#include "apps/common/analysis.h"
#include "apps/common/cli.h"
#include "apps/training.h"
#include "core/error.h"
#include "core/file.h"
#include "embeddings/load.h"
#include "nlp/tokenizer.h"
#include "train/word_vectors.h"

namespace textlrp::app {
namespace {

struct EmbTrainOptions {
  InputOptions input;
  std::string out;
  train::TrainVectorsOptions train;
  std::size_t max_docs = 0;
  bool lowercase = true;
  bool quiet = false;
};

#if TEXTLRP_WITH_TRAINING
int run_embeddings_train(const EmbTrainOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  if (o.out.empty()) throw InvalidArgument("-o/--output is required");
  const Documents docs = o.max_docs == 0 ? Documents::streamed(o.input, warn)
                                         : Documents::in_memory(read_documents(o.input, o.max_docs, warn));
  auto reader = docs.open();
  nlp::TokenizerOptions topt;
  topt.lowercase = o.lowercase;
  const nlp::IcuWordTokenizer tokenizer(topt);
  // One document per line, tokens joined by spaces, in a temporary file beside the output.
  std::filesystem::path tmp_text = o.out;
  tmp_text += fmt::format(".corpus-{}.txt", ::getpid());
  struct Remove {
    std::filesystem::path p;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove(p, ec);
    }
  } remove_tmp{tmp_text};
  std::size_t n_docs = 0, n_tokens = 0;
  {
    AtomicFile text(tmp_text);
    corpora::Example ex;
    std::string line;
    while (reader->next(ex)) {
      line.clear();
      if (ex.tokens) {
        for (const auto& t : nlp::pretokenized(*ex.tokens, o.lowercase))
          line += (line.empty() ? "" : " ") + t.text;
      } else {
        for (const auto& t : tokenizer.tokenize(ex.text)) {
          if (!line.empty()) line.push_back(' ');
          line += t.text;
          ++n_tokens;
        }
      }
      line.push_back('\n');
      text.write(line);
      ++n_docs;
    }
    text.commit();
  }
  train::TrainVectorsOptions topts = o.train;
  if (topts.threads <= 0) topts.threads = resolve_threads(0);
  warn(fmt::format("training {}-d {} vectors on {} documents ({} tokens), {} epochs, {} threads", o.train.dim,
                   o.train.model, n_docs, n_tokens, o.train.epoch, topts.threads));
  const bool tty = !o.quiet && stderr_is_tty();
  std::mutex mu;
  if (tty) {
    topts.progress = [&](double p, double loss, std::int64_t eta) {
      std::lock_guard<std::mutex> lock(mu);
      std::fprintf(stderr, "\rembeddings: %5.1f%%  loss %.4f  ETA %lld:%02lld   ", 100 * p, loss,
                   static_cast<long long>(eta / 60), static_cast<long long>(eta % 60));
    };
  } else if (!o.quiet) {
    // Not a terminal (a log file, nohup): a line every 10 s instead of a rewritten one.
    double last = now_seconds();
    topts.progress = [&mu, last](double p, double loss, std::int64_t eta) mutable {
      std::lock_guard<std::mutex> lock(mu);
      const double t = now_seconds();
      if (t - last < 10) return;
      last = t;
      // fastText reports a loss of -1 until it has one.
      log_line(fmt::format("embeddings: {:.1f}%{}  ETA {}:{:02d}", 100 * p,
                           loss >= 0 ? fmt::format("  loss {:.4f}", loss) : std::string(), eta / 60,
                           eta % 60));
    };
  }
  const double t0 = now_seconds();
  const std::size_t n_words = train::train_vectors(tmp_text, o.out, topts);
  if (tty) std::fprintf(stderr, "\r\033[K");
  warn(fmt::format("wrote {} vectors to {} in {:.1f} s", n_words, o.out, now_seconds() - t0));
  return 0;
}
#endif

struct InspectOptions {
  std::string vectors;
  std::string format = "auto";
  std::string model;
  bool allow_short_header = false;
  bool allow_duplicates = false;
  bool quiet = false;
};

int run_embeddings_inspect(const InspectOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  const emb::Format format = emb::parse_format(o.format);
  std::string description;
  const emb::Format detected =
      format == emb::Format::kAuto ? emb::detect_format(o.vectors, &description) : format;
  emb::LoadOptions lo;
  lo.allow_short_header = o.allow_short_header;
  lo.allow_duplicates = o.allow_duplicates;
  const emb::EmbeddingTable table = emb::load_embeddings(o.vectors, detected, warn, lo);
  nlohmann::json j = {{"file", o.vectors},
                      {"format", std::string(emb::to_string(detected))},
                      {"words", table.size()},
                      {"dim", table.dim()}};
  if (!description.empty()) j["detected"] = description;
  if (!o.model.empty()) {
    const Model m = load_model(o.model, false);
    const emb::Coverage c = emb::coverage(table, m.vocab());
    warn(emb::to_string(c));
    j["coverage"] = {{"model", o.model},
                     {"vocabulary", c.n_vocab},
                     {"found", c.n_found},
                     {"found_casefold", c.n_found_casefold},
                     {"missing", c.n_missing},
                     {"oov_rate", c.oov_rate},
                     {"most_frequent_missing", c.most_frequent_missing}};
  }
  Output out("-");
  out.write(j.dump(2) + "\n");
  out.commit();
  return 0;
}

}  // namespace

void setup_embeddings(CLI::App& root, Action& action) {
  CLI::App* group =
      root.add_subcommand("embeddings", "word vectors: train them on a corpus, inspect a vectors file");
  group->require_subcommand(1);
  auto opt = std::make_shared<EmbTrainOptions>();
  CLI::App* cmd = group->add_subcommand(
      "train", "train word vectors on a corpus with fastText (libfasttext); writes a .vec text file");
  add_input_options(cmd, opt->input);
  cmd->add_option("-o,--output,--out", opt->out, "vectors file to write (.vec, atomically)")->required();
  cmd->add_option("--dim", opt->train.dim, "vector dimension")->capture_default_str();
  cmd->add_option("--epoch", opt->train.epoch, "passes over the corpus")->capture_default_str();
  cmd->add_option("--min-count", opt->train.min_count, "ignore words seen fewer times")
      ->capture_default_str();
  cmd->add_option("--window", opt->train.window, "context window size")->capture_default_str();
  cmd->add_option("--model", opt->train.model, "skipgram or cbow")->capture_default_str();
  cmd->add_option("--minn", opt->train.min_subword, "shortest character n-gram (0 = words only)")
      ->capture_default_str();
  cmd->add_option("--maxn", opt->train.max_subword, "longest character n-gram (0 = words only)")
      ->capture_default_str();
  opt->train.threads = 0;
  cmd->add_option("--threads", opt->train.threads,
                  "training threads (default: all cores; fastText is deterministic only with --threads 1)");
  cmd->add_option("--max-docs", opt->max_docs,
                  "use at most this many documents, spread evenly over the corpus (0 = all)")
      ->capture_default_str();
  cmd->add_option("--seed", opt->train.seed, "random seed")->capture_default_str();
  cmd->add_flag("!--no-lowercase", opt->lowercase,
                "keep case (default: ICU case folding, as the classifiers)");
  cmd->add_flag("-q,--quiet", opt->quiet, "no log messages or progress on stderr");
#if TEXTLRP_WITH_TRAINING
  cmd->callback([opt, &action] { action = [opt] { return run_embeddings_train(*opt); }; });
#else
  add_training_unavailable(*group, "train", "embeddings train", action, cmd);
#endif

  auto io = std::make_shared<InspectOptions>();
  CLI::App* inspect = group->add_subcommand(
      "inspect",
      "read a vectors file (word2vec binary/text, fastText .vec, GloVe; every row checked) and print JSON: "
      "format, words, dim and, with --model, how much of the model's vocabulary it covers");
  inspect->add_option("vectors", io->vectors, "vectors file")->required();
  inspect->add_option("--format", io->format, "auto, word2vec-binary, word2vec-text or glove")
      ->capture_default_str();
  inspect->add_option("--model", io->model, "model directory whose vocabulary to check coverage against");
  inspect->add_flag(
      "--allow-short-header", io->allow_short_header,
      "accept a header that claims more words than the file holds (a warning instead of an error)");
  inspect->add_flag("--allow-duplicates", io->allow_duplicates, "keep the first row of a repeated word");
  inspect->add_flag("-q,--quiet", io->quiet, "no log messages on stderr");
  inspect->callback([io, &action] { action = [io] { return run_embeddings_inspect(*io); }; });
}

}  // namespace textlrp::app
