// textlrp import — turns a model trained elsewhere into a textlrp model directory.
//
//   textlrp import pytorch --arch cnn --weights FILE.safetensors --vocab FILE [--labels a,b,..]
//                          --out DIR [--no-lowercase] [--keep-punctuation] [--max-tokens N]
//   textlrp import pytorch --arch bilstm --weights FILE.safetensors --vocab FILE [--labels ..] --out DIR
//   textlrp import arras-bilstm --from DIR --embeddings FILE.npy --out DIR [--labels a,b,..]
//   textlrp import huggingface --from DIR --out DIR     (BERT / DistilBERT, lrp/models/bert_classifier.h)
// The weights are a PyTorch state dict saved with safetensors (tensor names and layouts in
// lrp/models/cnn_classifier.h and lrp/models/bilstm_classifier.h); the hyper-parameters are read off
// the tensor shapes. arras-bilstm reads the NumPy layout of Arras et al. 2017
// (../shared/data/arras-bilstm/README.txt) with core/npy; its vocabulary is DIR/vocab.txt (no
// <unk>: unknown tokens become zero vectors) and its labels are "0".."4" unless --labels names
// them. The vocabulary is vocab.txt-style (line k = token id k). The directory gets the ICU word
// tokenizer with the given options and self-tests made of vocabulary tokens, so a later load
// verifies the conversion.
#include <fmt/format.h>

#include <algorithm>

#include "apps/commands.h"
#include "apps/common/cli.h"
#include "core/error.h"
#include "core/file.h"
#include "core/safetensors.h"
#include "explain/import.h"
#include "lrp/models/bert_classifier.h"
#include "lrp/models/bilstm_classifier.h"
#include "lrp/models/cnn_classifier.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"
#include "nlp/wordpiece_tokenizer.h"

namespace textlrp::app {
namespace {

struct ImportOptions {
  std::string arch = "cnn";
  std::string weights;
  std::string vocab;
  std::string from;        // arras-bilstm: the folder of .npy files and vocab.txt
  std::string embeddings;  // arras-bilstm: the embedding matrix .npy
  std::vector<std::string> labels;
  std::string out;
  bool lowercase = true;
  bool keep_punctuation = false;
  Index max_tokens = lrp::kDefaultMaxTokens;
  bool quiet = false;
};

// Warns about vocabulary tokens that case folding changes (they could never match lowercased input).
void warn_cased(const ImportOptions& o, const nlp::Vocabulary& vocab) {
  if (!o.lowercase || o.quiet) return;
  std::size_t n_cased = 0;
  for (const auto& t : vocab.tokens()) n_cased += nlp::case_fold(t) != t ? 1 : 0;
  if (n_cased > 0) {
    log_line(
        fmt::format("warning: {} vocabulary tokens change under case folding and can never match; use "
                    "--no-lowercase if the model was trained on cased text",
                    n_cased));
  }
}

// With --labels, a corpus labelled with the class indices (SST's 0..4) still maps to the classes:
// config "corpus_labels" = "0".."C-1" (see Model::corpus_labels).
void add_corpus_labels(const ImportOptions& o, nlohmann::json& config) {
  if (o.labels.empty()) return;
  std::vector<std::string> ids;
  for (std::size_t c = 0; c < o.labels.size(); ++c) ids.push_back(std::to_string(c));
  if (ids != o.labels) config["corpus_labels"] = ids;
}

// Writes the model directory of an imported BiLSTM (shared by both importers).
void save_bilstm(const ImportOptions& o, const lrp::BiLstmClassifier& model, const nlp::Vocabulary& vocab,
                 const std::string& source_file, nlohmann::json training) {
  if (static_cast<Index>(vocab.size()) != model.n_vocab()) {
    throw FormatError(fmt::format("{}: {} tokens, but the embedding matrix in {} has {} rows", o.vocab,
                                  vocab.size(), source_file, model.n_vocab()));
  }
  if (model.labels().size() < 2) {
    throw FormatError(fmt::format("{}: the output layer has {} class(es); a classifier needs at least 2",
                                  source_file, model.labels().size()));
  }
  warn_cased(o, vocab);
  nlp::TokenizerOptions topt;
  topt.lowercase = o.lowercase;
  topt.keep_punctuation = o.keep_punctuation;
  const nlp::IcuWordTokenizer tokenizer(topt);
  nlohmann::json config = {{"training", std::move(training)}};
  add_corpus_labels(o, config);
  save_model(o.out, config, tokenizer, vocab, model, self_test_texts(vocab));
  if (!o.quiet) {
    log_line(
        fmt::format("imported bilstm: {} tokens x {} dims, {} hidden units per direction, {} classes{} -> {}",
                    model.n_vocab(), model.n_embd(), model.n_hidden(), model.labels().size(),
                    model.weights().fc_bias.size() > 0 ? " (with output bias)" : "", o.out));
  }
}

int run_import_arras(ImportOptions o) {
  const std::filesystem::path dir(o.from);
  o.vocab = (dir / "vocab.txt").string();
  const nlp::Vocabulary vocab = nlp::Vocabulary::load(o.vocab);
  const auto model = lrp::BiLstmClassifier::from_arras(dir, o.embeddings, o.labels);
  save_bilstm(o, *model, vocab, o.embeddings,
              {{"imported_from", "arras-bilstm"}, {"from", o.from}, {"embeddings", o.embeddings}});
  return 0;
}

int run_import_pytorch(const ImportOptions& o) {
  PytorchImport spec;
  spec.arch = o.arch;
  spec.labels = o.labels;
  spec.lowercase = o.lowercase;
  spec.keep_punctuation = o.keep_punctuation;
  spec.max_tokens = o.max_tokens;
  if (spec.arch != "cnn" && spec.arch != "bilstm") {
    throw InvalidArgument(fmt::format("--arch {}: import pytorch supports: cnn, bilstm", o.arch));
  }
  const TensorStore store = TensorStore::load(o.weights);
  ImportedModel imported = import_pytorch(store, nlp::Vocabulary::load(o.vocab), o.vocab, spec);
  if (!o.quiet) {
    for (const auto& w : imported.warnings) log_line(w);
  }
  nlohmann::json config = {
      {"training", {{"imported_from", "pytorch"}, {"weights", o.weights}, {"vocab", o.vocab}}}};
  if (imported.config.contains("corpus_labels")) config["corpus_labels"] = imported.config["corpus_labels"];
  save_model(o.out, config, *imported.tokenizer, imported.vocab, *imported.classifier,
             self_test_texts(imported.vocab));
  if (!o.quiet) log_line(fmt::format("imported {} -> {}", imported.summary, o.out));
  return 0;
}

// Hugging Face BertForSequenceClassification / DistilBertForSequenceClassification directory.
int run_import_huggingface(const ImportOptions& o) {
  const std::filesystem::path dir(o.from);
  std::shared_ptr<const lrp::BertClassifier> model = lrp::BertClassifier::from_huggingface_directory(dir);
  Index max_length = model->config().max_positions;
  const auto tc_path = dir / "tokenizer_config.json";
  nlohmann::json tc;  // null: no tokenizer_config.json
  if (std::filesystem::exists(tc_path)) {
    try {
      tc = nlohmann::json::parse(read_file(tc_path));
    } catch (const nlohmann::json::exception& e) {
      throw FormatError(fmt::format("{}: not valid JSON: {}", tc_path.string(), e.what()));
    }
    if (!tc.is_object()) throw FormatError(fmt::format("{}: expected a JSON object", tc_path.string()));
  }
  const nlp::WordPieceOptions wo = huggingface_tokenizer_options(tc, tc_path.string(), max_length);
  const auto vocab_path = dir / "vocab.txt";
  nlp::WordPieceTokenizer wordpiece = nlp::WordPieceTokenizer::load(vocab_path, wo);
  nlp::Vocabulary vocab = nlp::Vocabulary::load(vocab_path);
  const ImportedModel imported =
      import_huggingface(std::move(model), std::move(wordpiece), std::move(vocab), max_length,
                         vocab_path.string(), (dir / "model.safetensors").string());
  save_model(o.out, {{"training", {{"imported_from", "huggingface"}, {"from", o.from}}}}, *imported.tokenizer,
             imported.vocab, *imported.classifier, self_test_texts(imported.vocab));
  if (!o.quiet) log_line(fmt::format("imported {} -> {}", imported.summary, o.out));
  return 0;
}

}  // namespace

void setup_import(CLI::App& root, Action& action) {
  CLI::App* cmd =
      root.add_subcommand("import", "convert a model trained elsewhere into a textlrp model directory");
  cmd->require_subcommand(1);
  auto opt = std::make_shared<ImportOptions>();
  CLI::App* py =
      cmd->add_subcommand("pytorch",
                          "import a PyTorch model saved with safetensors. --arch cnn: embedding.weight [V x "
                          "E], conv.weight [F x E x K] "
                          "and conv.bias [F] (or convs.{i}.weight/bias for several widths), fc.weight [C x "
                          "n_widths*F], fc.bias [C]. "
                          "--arch bilstm: embedding.weight [V x E], nn.LSTM(bidirectional=True) weight_ih_l0 "
                          "[4H x E], weight_hh_l0 "
                          "[4H x H], bias_ih_l0, bias_hh_l0 [4H] and the same with _reverse (prefixed lstm. "
                          "or not; gate order i,f,g,o), "
                          "fc.weight [C x 2H] (forward direction's columns first), optional fc.bias [C]");
  py->add_option("--arch", opt->arch, "architecture of the weights: cnn or bilstm")
      ->capture_default_str()
      ->check(CLI::IsMember({"cnn", "bilstm"}));
  py->add_option("--weights", opt->weights, "state dict as .safetensors (float32)")->required();
  py->add_option("--vocab", opt->vocab, "vocabulary: one token a line, line k = token id k")->required();
  py->add_option(
        "--labels", opt->labels,
        "class names, comma-separated, in output order (default: 0,1,..,C-1); a corpus labelled 0..C-1 is "
        "then read with these names")
      ->delimiter(',');
  py->add_option("-o,--output,--out", opt->out, "model directory to write (replaced atomically)")->required();
  py->add_flag("--lowercase,!--no-lowercase", opt->lowercase,
               "case-fold tokens before the vocabulary lookup (default: on; use --no-lowercase for cased "
               "vocabularies)");
  py->add_flag("--keep-punctuation", opt->keep_punctuation,
               "keep punctuation and symbols as tokens (default: off)");
  py->add_option("--max-tokens", opt->max_tokens, "longer documents are truncated (the output says so)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  py->add_flag("-q,--quiet", opt->quiet, "no log messages on stderr");
  py->callback([opt, &action] { action = [opt] { return run_import_pytorch(*opt); }; });

  auto aopt = std::make_shared<ImportOptions>();
  aopt->keep_punctuation = true;  // the SST vocabulary holds punctuation tokens ("." "," "--" "...")
  CLI::App* arras = cmd->add_subcommand(
      "arras-bilstm",
      "import the bidirectional LSTM of Arras et al. 2017 (github.com/ArrasL/LRP_for_LSTM) from its NumPy "
      "layout: "
      "DIR/Wxh_Left.npy [4H x E], bxh_Left.npy [4H], Whh_Left.npy [4H x H], bhh_Left.npy [4H], Why_Left.npy "
      "[C x H], "
      "the same with _Right (gate order i,g,f,o, float64), DIR/vocab.txt (no <unk>: unknown words are zero "
      "vectors) and the embedding matrix [V x E] as .npy");
  arras->add_option("--from", aopt->from, "folder with the .npy weights and vocab.txt")->required();
  arras->add_option("--embeddings", aopt->embeddings, "embedding matrix [V x E] as .npy (<f8 or <f4)")
      ->required();
  arras
      ->add_option(
          "--labels", aopt->labels,
          "class names, comma-separated, in output order (default: 0,1,..,C-1); a corpus labelled 0..C-1 is "
          "then read with these names")
      ->delimiter(',');
  arras->add_option("-o,--output,--out", aopt->out, "model directory to write (replaced atomically)")
      ->required();
  arras->add_flag(
      "--lowercase,!--no-lowercase", aopt->lowercase,
      "case-fold tokens before the vocabulary lookup (default: on; the SST vocabulary is lowercased)");
  arras->add_flag(
      "--keep-punctuation,!--no-keep-punctuation", aopt->keep_punctuation,
      "keep punctuation and symbols as tokens of text input (default: on, the vocabulary has them)");
  arras->add_flag("-q,--quiet", aopt->quiet, "no log messages on stderr");
  arras->callback([aopt, &action] { action = [aopt] { return run_import_arras(*aopt); }; });

  auto hopt = std::make_shared<ImportOptions>();
  CLI::App* hf = cmd->add_subcommand(
      "huggingface",
      "import a Hugging Face BertForSequenceClassification or DistilBertForSequenceClassification directory: "
      "config.json (hidden_act gelu, id2label), model.safetensors (F32, F16 or BF16; a pytorch_model.bin "
      "must be "
      "converted to safetensors first), vocab.txt and tokenizer_config.json (do_lower_case, "
      "model_max_length)");
  hf->add_option("--from", hopt->from, "the Hugging Face model directory")->required();
  hf->add_option("--out", hopt->out, "model directory to write (replaced atomically)")->required();
  hf->add_flag("-q,--quiet", hopt->quiet, "no log messages on stderr");
  hf->callback([hopt, &action] { action = [hopt] { return run_import_huggingface(*hopt); }; });
}

}  // namespace textlrp::app
