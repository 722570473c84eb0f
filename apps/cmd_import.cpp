// textlrp import — turns a model trained elsewhere into a textlrp model directory.
//
//   textlrp import pytorch --arch cnn --weights FILE.safetensors --vocab FILE [--labels a,b,..]
//                          --out DIR [--no-lowercase] [--keep-punctuation] [--max-tokens N]
// The weights are a PyTorch state dict saved with safetensors (tensor names and layouts in
// lrp/models/cnn_classifier.h); the hyper-parameters are read off the tensor shapes. The vocabulary
// is vocab.txt-style (line k = token id k). The directory gets the ICU word tokenizer with the given
// options and self-tests made of vocabulary tokens, so a later load verifies the conversion.
#include <fmt/format.h>

#include <algorithm>

#include "apps/commands.h"
#include "apps/common/model.h"
#include "apps/common/pipeline.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "lrp/models/cnn_classifier.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"

namespace textlrp::app {
namespace {

struct ImportOptions {
  std::string arch = "cnn";
  std::string weights;
  std::string vocab;
  std::vector<std::string> labels;
  std::string out;
  bool lowercase = true;
  bool keep_punctuation = false;
  Index max_tokens = lrp::kDefaultMaxTokens;
  bool quiet = false;
};

// Up to three texts of up to eight vocabulary tokens each, spread over the vocabulary.
std::vector<std::string> self_test_texts(const nlp::Vocabulary& vocab) {
  std::vector<std::string> texts;
  const std::size_t n = vocab.size();
  const std::size_t n_texts = std::min<std::size_t>(3, (n + 7) / 8);
  for (std::size_t k = 0; k < n_texts; ++k) {
    std::string text;
    const std::size_t start = k * n / std::max<std::size_t>(n_texts, 1);
    for (std::size_t i = start; i < std::min(n, start + 8); ++i) {
      text += (text.empty() ? "" : " ") + vocab.token(static_cast<TokenId>(i));
    }
    texts.push_back(text);
  }
  return texts;
}

int run_import_pytorch(const ImportOptions& o) {
  auto log = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  if (o.arch != "cnn") {
    throw InvalidArgument(fmt::format("--arch {}: import pytorch supports: cnn", o.arch));
  }
  const TensorStore store = TensorStore::load(o.weights);
  const auto model = lrp::CnnClassifier::from_pytorch(store, o.labels, o.max_tokens);
  const nlp::Vocabulary vocab = nlp::Vocabulary::load(o.vocab);
  if (static_cast<Index>(vocab.size()) != model->n_vocab()) {
    throw FormatError(fmt::format("{}: {} tokens, but embedding.weight in {} has {} rows", o.vocab, vocab.size(),
                                  o.weights, model->n_vocab()));
  }
  if (model->labels().size() < 2) {
    throw FormatError(fmt::format("{}: fc has {} output(s); a classifier needs at least 2 classes", o.weights,
                                  model->labels().size()));
  }
  if (o.lowercase) {
    std::size_t n_cased = 0;
    for (const auto& t : vocab.tokens()) n_cased += nlp::case_fold(t) != t ? 1 : 0;
    if (n_cased > 0) {
      log(fmt::format("warning: {} vocabulary tokens change under case folding and can never match; use "
                      "--no-lowercase if the model was trained on cased text",
                      n_cased));
    }
  }
  nlp::TokenizerOptions topt;
  topt.lowercase = o.lowercase;
  topt.keep_punctuation = o.keep_punctuation;
  const nlp::IcuWordTokenizer tokenizer(topt);
  nlohmann::json config = {{"training", {{"imported_from", "pytorch"}, {"weights", o.weights}, {"vocab", o.vocab}}}};
  save_model(o.out, config, tokenizer, vocab, *model, self_test_texts(vocab));
  std::string widths;
  for (const auto& c : model->convs()) widths += (widths.empty() ? "" : ",") + std::to_string(c.kernel());
  log(fmt::format("imported cnn: {} tokens x {} dims, widths [{}] x {} filters, {} classes -> {}", model->n_vocab(),
                  model->embedding().n_embd(), widths, model->convs()[0].n_filters(), model->labels().size(), o.out));
  return 0;
}

}  // namespace

void setup_import(CLI::App& root, Action& action) {
  CLI::App* cmd = root.add_subcommand("import", "convert a model trained elsewhere into a textlrp model directory");
  cmd->require_subcommand(1);
  auto opt = std::make_shared<ImportOptions>();
  CLI::App* py = cmd->add_subcommand(
      "pytorch",
      "import a PyTorch text CNN saved with safetensors: embedding.weight [V x E], conv.weight [F x E x K] and "
      "conv.bias [F] (or convs.{i}.weight/bias for several widths), fc.weight [C x n_widths*F], fc.bias [C]");
  py->add_option("--arch", opt->arch, "architecture of the weights")
      ->capture_default_str()
      ->check(CLI::IsMember({"cnn"}));
  py->add_option("--weights", opt->weights, "state dict as .safetensors (float32)")->required();
  py->add_option("--vocab", opt->vocab, "vocabulary: one token a line, line k = token id k")->required();
  py->add_option("--labels", opt->labels, "class names, comma-separated, in output order (default: 0,1,..,C-1)")
      ->delimiter(',');
  py->add_option("--out", opt->out, "model directory to write (replaced atomically)")->required();
  py->add_flag("--lowercase,!--no-lowercase", opt->lowercase,
               "case-fold tokens before the vocabulary lookup (default: on; use --no-lowercase for cased vocabularies)");
  py->add_flag("--keep-punctuation", opt->keep_punctuation, "keep punctuation and symbols as tokens (default: off)");
  py->add_option("--max-tokens", opt->max_tokens, "longer documents are truncated (the output says so)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  py->add_flag("-q,--quiet", opt->quiet, "no log messages on stderr");
  py->callback([opt, &action] { action = [opt] { return run_import_pytorch(*opt); }; });
}

}  // namespace textlrp::app
