// train/: the size checks of check_options() and train_model() — an absurd --dim, --hidden,
// --filters, --kernel-sizes or --epochs (or sizes whose product is too many parameters for the
// vocabulary) is an InvalidArgument naming the flag, the limit and the value, before anything is
// allocated (it was a std::bad_alloc, Python's MemoryError, or the machine's OOM killer); the
// limits themselves are accepted.
#include <fmt/format.h>
#include <textlrp/train.h>

#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "tests/catch.h"
#include "tests/helpers.h"
#include "train/options.h"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
namespace fs = std::filesystem;
namespace tt = textlrp::train;

namespace {

std::string above(std::string_view flag, long long value, long long limit) {
  return fmt::format("{}: {} is out of range (at most {})", flag, value, limit);
}

std::string below(std::string_view flag, long long value, long long limit) {
  return fmt::format("{}: {} is not {} or more", flag, value, limit);
}

void check_message(const tt::TrainOptions& o, const std::string& message) {
  CHECK_THROWS_AS(tt::check_options(o, false), textlrp::InvalidArgument);
  CHECK_THROWS_WITH(tt::check_options(o, false), Equals(message));
}

std::vector<textlrp::TrainDocument> documents() {
  std::vector<textlrp::TrainDocument> docs;
  for (int i = 0; i < 6; ++i) {
    docs.push_back({"free prize now win", "spam", std::nullopt, ""});
    docs.push_back({"lunch meeting tomorrow see", "ham", std::nullopt, ""});
  }
  return docs;
}

}  // namespace

TEST_CASE("train: absurd CNN and BiLSTM sizes are InvalidArguments naming the flag, the limit and the value",
          "[train][options]") {
  for (const std::string arch : {"cnn", "bilstm"}) {
    INFO(arch);
    tt::TrainOptions o;
    o.arch = arch;
    tt::check_options(o, false);  // the defaults
    tt::TrainOptions t = o;
    t.dim = 1'000'000'000'000;  // the issue: textlrp.train(..., dim=10**12) raised MemoryError
    check_message(t, above("--dim", t.dim, tt::kMaxDim));
    t.dim = 0;
    check_message(t, below("--dim", 0, 1));
    t.dim = tt::kMaxDim;
    tt::check_options(t, false);
    t.embeddings = "vectors.vec";  // --dim is not used with word vectors
    t.dim = 0;
    tt::check_options(t, false);
    t = o;
    t.epochs = tt::kMaxEpochs + 1;
    check_message(t, above("--epochs", t.epochs, tt::kMaxEpochs));
    t.epochs = 0;
    check_message(t, below("--epochs", 0, 1));
    t = o;
    t.batch = 0;
    check_message(t, below("--batch", 0, 1));
    t = o;
    t.max_tokens = 0;
    check_message(t, below("--max-tokens", 0, 1));
    t = o;
    t.lr = 0;
    check_message(t, "--lr: 0 is not positive");
    t = o;
    t.dropout = 1;
    check_message(t, "--dropout: 1 is not in [0, 1)");
    // The other architecture's sizes are not looked at.
    t = o;
    (arch == "cnn" ? t.hidden : t.filters) = std::numeric_limits<std::ptrdiff_t>::max();
    tt::check_options(t, false);
  }
  tt::TrainOptions cnn;
  cnn.arch = "cnn";
  tt::TrainOptions t = cnn;
  t.filters = tt::kMaxFilters + 1;
  check_message(t, above("--filters", t.filters, tt::kMaxFilters));
  t.filters = 0;
  check_message(t, below("--filters", 0, 1));
  t = cnn;
  t.kernel_sizes = {2, tt::kMaxKernelSize + 1};
  check_message(t, above("--kernel-sizes", tt::kMaxKernelSize + 1, tt::kMaxKernelSize));
  t.kernel_sizes = {0};
  check_message(t, below("--kernel-sizes", 0, 1));
  t.kernel_sizes.assign(tt::kMaxKernelWidths + 1, 2);
  check_message(
      t, above("--kernel-sizes: the number of widths", static_cast<long long>(tt::kMaxKernelWidths + 1),
               static_cast<long long>(tt::kMaxKernelWidths)));
  t.kernel_sizes.clear();
  check_message(t, "--kernel-sizes: expected at least one filter width");
  t = cnn;
  t.threads = tt::kMaxThreads + 1;
  check_message(t, above("--threads", t.threads, tt::kMaxThreads));
  t.threads = tt::kMaxThreads;
  tt::check_options(t, false);
  t = cnn;
  t.patience = -1;
  check_message(t, below("--patience", -1, 0));

  tt::TrainOptions bilstm;
  bilstm.arch = "bilstm";
  t = bilstm;
  t.hidden = tt::kMaxHidden + 1;
  check_message(t, above("--hidden", t.hidden, tt::kMaxHidden));
  t.hidden = 0;
  check_message(t, below("--hidden", 0, 1));
  t = bilstm;
  t.patience = 0;
  check_message(t, below("--patience", 0, 1));
  t = bilstm;
  t.threads = tt::kMaxBiLstmThreads + 1;
  check_message(t, fmt::format("--threads: {} is out of range for --arch bilstm (at most {})", t.threads,
                               tt::kMaxBiLstmThreads));
  t = bilstm;
  t.clip_norm = -1;
  check_message(t, "--clip-norm: -1 is not 0 or more");
  t = bilstm;
  t.weight_decay = -0.5;
  check_message(t, "--weight-decay: -0.5 is not 0 or more");
  t = bilstm;
  t.embedding_dropout = 1;
  check_message(t, "--embedding-dropout: 1 is not in [0, 1)");
  // The SVM does not use them.
  tt::TrainOptions svm;
  svm.dim = 0;
  svm.hidden = 0;
  svm.epochs = 0;
  tt::check_options(svm, false);
}

TEST_CASE("train: sizes within their limits whose product is too many parameters are InvalidArguments",
          "[train][options]") {
  textlrp::test::TempDir tmp;
  // CNN: the most filters, wide kernels, the largest --dim: the convolutions are too large (the
  // embedding table of the small vocabulary is not).
  textlrp::TrainOptions cnn;
  cnn.arch = "cnn";
  cnn.dim = tt::kMaxDim;
  cnn.filters = tt::kMaxFilters;
  cnn.kernel_sizes = {tt::kMaxKernelSize, tt::kMaxKernelSize};
  cnn.threads = 1;
  const double conv = static_cast<double>(cnn.filters) * 2 * tt::kMaxKernelSize * tt::kMaxDim;
  REQUIRE(conv > tt::kMaxParameters);
  CHECK_THROWS_AS(textlrp::train_model(documents(), tmp / "cnn", cnn), textlrp::InvalidArgument);
  CHECK_THROWS_WITH(
      textlrp::train_model(documents(), tmp / "cnn", cnn),
      Equals(fmt::format("the convolutions: --filters {} x {} (the sum of --kernel-sizes) x {} "
                         "dimensions = {:.0f} parameters: more than the limit of {:.0f}; lower "
                         "--filters or --kernel-sizes",
                         cnn.filters, 2 * tt::kMaxKernelSize, cnn.dim, conv, tt::kMaxParameters)));
  // BiLSTM: the most hidden units and the largest --dim: the gates are too large.
  textlrp::TrainOptions bilstm;
  bilstm.arch = "bilstm";
  bilstm.dim = tt::kMaxDim;
  bilstm.hidden = tt::kMaxHidden;
  bilstm.threads = 1;
  const double h = static_cast<double>(tt::kMaxHidden);
  const double gates = 8 * h * (static_cast<double>(tt::kMaxDim) + h + 1);
  REQUIRE(gates > tt::kMaxParameters);
  CHECK_THROWS_WITH(
      textlrp::train_model(documents(), tmp / "bilstm", bilstm),
      Contains(fmt::format("the LSTM gates: 8 x --hidden {} x ({} dimensions + {} + 1) = {:.0f} "
                           "parameters: more than the limit of {:.0f}",
                           bilstm.hidden, bilstm.dim, bilstm.hidden, gates, tt::kMaxParameters)));
  // The embedding table: a vocabulary of more than kMaxParameters / kMaxDim words at the largest --dim.
  const std::size_t n_words = static_cast<std::size_t>(tt::kMaxParameters / tt::kMaxDim) + 10;
  std::vector<textlrp::TrainDocument> many;
  for (int d = 0; d < 2; ++d) {
    std::string text;
    for (std::size_t i = d; i < n_words; i += 2) text += fmt::format("w{} ", i);
    many.push_back({text, d == 0 ? "a" : "b", std::nullopt, ""});
  }
  many.push_back({"w1", "a", std::nullopt, ""});  // the dev documents
  many.push_back({"w2", "b", std::nullopt, ""});
  textlrp::TrainOptions wide = cnn;
  wide.filters = 1;
  wide.kernel_sizes = {1};
  CHECK_THROWS_AS(textlrp::train_model({many[0], many[1]}, tmp / "wide", wide, {}, {many[2], many[3]}),
                  textlrp::InvalidArgument);
  CHECK_THROWS_WITH(
      textlrp::train_model({many[0], many[1]}, tmp / "wide", wide, {}, {many[2], many[3]}),
      Contains(fmt::format("the embedding table: {} vocabulary entries x --dim {} = {:.0f} "
                           "parameters: more than the limit of {:.0f}",
                           n_words + 1, tt::kMaxDim, static_cast<double>(n_words + 1) * tt::kMaxDim,
                           tt::kMaxParameters)));
  for (const char* d : {"cnn", "bilstm", "wide"}) CHECK(!fs::exists(tmp / d));
}
