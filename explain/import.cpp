#include "explain/import.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "lrp/models/bert_classifier.h"
#include "lrp/models/bilstm_classifier.h"
#include "nlp/wordpiece_tokenizer.h"

namespace textlrp::explain {
namespace {

// Warns about vocabulary tokens that case folding changes (they could never match lowercased input).
void warn_cased(bool lowercase, const nlp::Vocabulary& vocab, std::vector<std::string>& warnings) {
  if (!lowercase) return;
  std::size_t n_cased = 0;
  for (const auto& t : vocab.tokens()) n_cased += nlp::case_fold(t) != t ? 1 : 0;
  if (n_cased > 0) {
    warnings.push_back(
        fmt::format("warning: {} vocabulary tokens change under case folding and can never match; use "
                    "--no-lowercase if the model was trained on cased text",
                    n_cased));
  }
}

// With labels, a corpus labelled with the class indices (SST's 0..4) still maps to the classes:
// config "corpus_labels" = "0".."C-1" (see Model::corpus_labels).
void add_corpus_labels(const std::vector<std::string>& labels, nlohmann::json& config) {
  if (labels.empty()) return;
  std::vector<std::string> ids;
  for (std::size_t c = 0; c < labels.size(); ++c) ids.push_back(std::to_string(c));
  if (ids != labels) config["corpus_labels"] = ids;
}

std::unique_ptr<nlp::Tokenizer> word_tokenizer(const PytorchImport& o) {
  nlp::TokenizerOptions topt;
  topt.lowercase = o.lowercase;
  topt.keep_punctuation = o.keep_punctuation;
  return std::make_unique<nlp::IcuWordTokenizer>(topt);
}

}  // namespace

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

ImportedModel import_pytorch(const TensorStore& store, nlp::Vocabulary vocab, const std::string& vocab_name,
                             const PytorchImport& o) {
  if (o.arch != "cnn" && o.arch != "bilstm") {
    throw InvalidArgument(fmt::format("--arch {}: import pytorch supports: cnn, bilstm", o.arch));
  }
  if (o.max_tokens < 1)
    throw InvalidArgument(fmt::format("max_tokens must be at least 1, got {}", o.max_tokens));
  ImportedModel out;
  if (o.arch == "bilstm") {
    auto model = lrp::BiLstmClassifier::from_pytorch(store, o.labels, o.max_tokens);
    if (static_cast<Index>(vocab.size()) != model->n_vocab()) {
      throw FormatError(fmt::format("{}: {} tokens, but the embedding matrix in {} has {} rows", vocab_name,
                                    vocab.size(), store.name(), model->n_vocab()));
    }
    if (model->labels().size() < 2) {
      throw FormatError(fmt::format("{}: the output layer has {} class(es); a classifier needs at least 2",
                                    store.name(), model->labels().size()));
    }
    out.summary = fmt::format("bilstm: {} tokens x {} dims, {} hidden units per direction, {} classes{}",
                              model->n_vocab(), model->n_embd(), model->n_hidden(), model->labels().size(),
                              model->weights().fc_bias.size() > 0 ? " (with output bias)" : "");
    out.classifier = std::move(model);
  } else {
    auto model = lrp::CnnClassifier::from_pytorch(store, o.labels, o.max_tokens);
    if (static_cast<Index>(vocab.size()) != model->n_vocab()) {
      throw FormatError(fmt::format("{}: {} tokens, but embedding.weight in {} has {} rows", vocab_name,
                                    vocab.size(), store.name(), model->n_vocab()));
    }
    if (model->labels().size() < 2) {
      throw FormatError(fmt::format("{}: fc has {} output(s); a classifier needs at least 2 classes",
                                    store.name(), model->labels().size()));
    }
    std::string widths;
    for (const auto& c : model->convs()) widths += (widths.empty() ? "" : ",") + std::to_string(c.kernel());
    out.summary = fmt::format("cnn: {} tokens x {} dims, widths [{}] x {} filters, {} classes",
                              model->n_vocab(), model->embedding().n_embd(), widths,
                              model->convs()[0].n_filters(), model->labels().size());
    out.classifier = std::move(model);
  }
  warn_cased(o.lowercase, vocab, out.warnings);
  out.tokenizer = word_tokenizer(o);
  out.vocab = std::move(vocab);
  add_corpus_labels(o.labels, out.config);
  out.config["hyper"] = {{"max_tokens", o.max_tokens}};
  return out;
}

nlp::WordPieceOptions huggingface_tokenizer_options(const nlohmann::json& tc, const std::string& tc_name,
                                                    Index& max_length) {
  nlp::WordPieceOptions wo;
  if (tc.is_null()) return wo;
  if (!tc.is_object()) throw FormatError(fmt::format("{}: expected a JSON object", tc_name));
  auto flag = [&](const char* key, bool& value) {
    if (!tc.contains(key) || tc.at(key).is_null()) return;
    if (!tc.at(key).is_boolean()) {
      throw FormatError(
          fmt::format("{}: key '{}' is {}, expected true or false", tc_name, key, tc.at(key).dump()));
    }
    value = tc.at(key).get<bool>();
  };
  flag("do_lower_case", wo.lower_case);
  flag("tokenize_chinese_chars", wo.tokenize_chinese_chars);
  if (tc.contains("strip_accents") && !tc.at("strip_accents").is_null() &&
      tc.at("strip_accents") != nlohmann::json(wo.lower_case)) {
    throw FormatError(
        fmt::format("{}: key 'strip_accents' is {}; only null (accents stripped with lower-casing) is "
                    "supported",
                    tc_name, tc.at("strip_accents").dump()));
  }
  if (tc.contains("model_max_length")) {
    const auto& m = tc.at("model_max_length");
    if (!m.is_number() || !(m.get<double>() >= 2)) {
      throw FormatError(
          fmt::format("{}: key 'model_max_length' is {}, expected a number >= 2", tc_name, m.dump()));
    }
    // Hugging Face writes 1e30 for "no limit": the position table is the limit then.
    max_length = std::min<Index>(max_length, static_cast<Index>(std::min(m.get<double>(), 1e9)));
  }
  return wo;
}

ImportedModel import_huggingface(std::shared_ptr<const lrp::BertClassifier> model,
                                 nlp::WordPieceTokenizer wordpiece, nlp::Vocabulary vocab, Index max_length,
                                 const std::string& vocab_name, const std::string& weights_name) {
  if (static_cast<Index>(vocab.size()) != model->config().vocab_size) {
    throw FormatError(
        fmt::format("{}: {} tokens, but config.json's vocab_size (and the word embeddings) is {}", vocab_name,
                    vocab.size(), model->config().vocab_size));
  }
  if (model->config().labels.size() < 2) {
    throw FormatError(fmt::format("{}: the classifier has {} class(es); a classifier needs at least 2",
                                  weights_name, model->config().labels.size()));
  }
  ImportedModel out;
  const auto& c = model->config();
  out.summary =
      fmt::format("{}: {} layers, hidden {}, {} heads, feed-forward {}, {} pieces, {} classes, max length {}",
                  c.architecture_name(), c.layers, c.hidden, c.heads, c.intermediate, c.vocab_size,
                  c.labels.size(), max_length);
  const TokenId cls = wordpiece.cls_id(), sep = wordpiece.sep_id();
  out.config["hyper"] = {
      {"huggingface", c.to_huggingface()}, {"max_length", max_length}, {"cls_id", cls}, {"sep_id", sep}};
  out.classifier = std::make_unique<lrp::BertSequenceClassifier>(std::move(model), cls, sep, max_length);
  out.tokenizer = std::make_unique<nlp::WordPieceTextTokenizer>(std::move(wordpiece));
  out.vocab = std::move(vocab);
  out.subword = true;
  return out;
}

ImportedModel import_huggingface(const TensorStore& store, const nlohmann::json& hf_config,
                                 const std::string& config_name, const nlohmann::json& tc,
                                 const std::string& tc_name, std::vector<std::string> vocab_lines,
                                 const std::string& vocab_name) {
  std::shared_ptr<const lrp::BertClassifier> model =
      lrp::BertClassifier::from_huggingface(store, lrp::BertConfig::from_huggingface(hf_config, config_name));
  Index max_length = model->config().max_positions;
  const nlp::WordPieceOptions wo = huggingface_tokenizer_options(tc, tc_name, max_length);
  // vocab.txt's rules (Vocabulary::load): no empty line, no duplicate, valid UTF-8.
  for (std::size_t i = 0; i < vocab_lines.size(); ++i) {
    if (vocab_lines[i].empty()) throw FormatError(fmt::format("{}: token {}: empty", vocab_name, i));
  }
  if (vocab_lines.empty()) throw FormatError(fmt::format("{}: empty vocabulary (no tokens)", vocab_name));
  nlp::Vocabulary vocab;
  try {
    vocab = nlp::Vocabulary(vocab_lines);
  } catch (const InvalidArgument& e) {
    throw FormatError(fmt::format("{}: {}", vocab_name, e.what()));
  }
  nlp::WordPieceTokenizer wordpiece(std::move(vocab_lines), wo, vocab_name);
  return import_huggingface(std::move(model), std::move(wordpiece), std::move(vocab), max_length, vocab_name,
                            store.name());
}

Model in_memory_model(ImportedModel imported, std::string name) {
  Model m;
  m.name = std::move(name);
  m.config = std::move(imported.config);
  m.config["format"] = "textlrp-model";
  m.config["format_version"] = kFormatVersion;
  m.config["architecture"] = std::string(imported.classifier->architecture());
  m.config["labels"] = imported.classifier->labels();
  m.config["tokenizer"] = imported.tokenizer->config();
  // As a saved directory reads it back (a positive number is unsigned there, as the pipeline expects).
  m.config = nlohmann::json::parse(m.config.dump());
  if (m.config.contains("corpus_labels")) {
    for (const auto& l : m.config["corpus_labels"]) m.corpus_labels.push_back(l.get<std::string>());
  }
  m.encoder = nlp::TextEncoder(std::move(imported.tokenizer), std::move(imported.vocab));
  m.classifier = std::move(imported.classifier);
  return m;
}

}  // namespace textlrp::explain
