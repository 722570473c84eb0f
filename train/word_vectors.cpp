#include "train/word_vectors.h"

#include <fasttext/fasttext.h>
#include <fmt/format.h>
#include <unistd.h>

#include <random>

#include "core/error.h"

namespace textlrp::train {
namespace fs = std::filesystem;

std::size_t train_vectors(const fs::path& tokenized_text, const fs::path& out_vec,
                          const TrainVectorsOptions& o) {
  if (o.dim < 1 || o.dim > 10000)
    throw InvalidArgument(fmt::format("--dim must be in [1, 10000], got {}", o.dim));
  if (o.epoch < 1) throw InvalidArgument("--epoch must be at least 1");
  if (o.threads < 1) throw InvalidArgument("--threads must be at least 1");
  if (o.min_count < 1) throw InvalidArgument("--min-count must be at least 1");
  if (o.model != "skipgram" && o.model != "cbow") {
    throw InvalidArgument(fmt::format("--model {}: expected skipgram or cbow", o.model));
  }
  fasttext::Args args;
  args.input = tokenized_text.string();
  args.output = "";
  args.dim = o.dim;
  args.epoch = o.epoch;
  args.minCount = o.min_count;
  args.ws = o.window;
  args.thread = o.threads;
  args.neg = o.negatives;
  args.lr = o.learning_rate;
  args.model = o.model == "cbow" ? fasttext::model_name::cbow : fasttext::model_name::sg;
  args.loss = fasttext::loss_name::ns;
  args.minn = o.min_subword;
  args.maxn = o.max_subword;
  args.seed = o.seed;
  args.verbose = 0;
  fasttext::FastText ft;
  try {
    fasttext::FastText::TrainCallback cb;
    if (o.progress) {
      cb = [&](float progress, float loss, double, double, int64_t eta) { o.progress(progress, loss, eta); };
    }
    ft.train(args, cb);
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: fastText training failed: {}", tokenized_text.string(), e.what()));
  }
  std::random_device rd;
  fs::path tmp = out_vec;
  tmp += fmt::format(".tmp-{}-{:08x}", ::getpid(), rd());
  try {
    ft.saveVectors(tmp.string());
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw IoError(fmt::format("{}: cannot write vectors: {}", out_vec.string(), e.what()));
  }
  std::error_code ec;
  if (!fs::exists(tmp, ec) || fs::file_size(tmp, ec) == 0) {
    fs::remove(tmp, ec);
    throw IoError(fmt::format("{}: cannot write vectors", out_vec.string()));
  }
  fs::rename(tmp, out_vec, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError(fmt::format("{}: cannot rename into place: {}", out_vec.string(), ec.message()));
  }
  return static_cast<std::size_t>(ft.getDictionary()->nwords());
}

}  // namespace textlrp::train
