// nlp/tokenizer.cpp — the Tokenizer base, the config factory and pretokenized input.
#include "nlp/tokenizer.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/utf8.h"
#include "nlp/sentencepiece_tokenizer.h"
#include "nlp/wordpiece_tokenizer.h"

#include <limits>

namespace textlrp::nlp {
namespace {

constexpr const char* kValidKinds = "icu-word, spm, wordpiece";

bool get_bool(const nlohmann::json& config, const char* key, bool fallback) {
  const auto it = config.find(key);
  if (it == config.end()) return fallback;
  if (!it->is_boolean()) {
    throw FormatError(
        fmt::format("tokenizer config: key '{}' must be true or false, got {}", key, it->dump()));
  }
  return it->get<bool>();
}

// Builds the "spm" kind; `model_dir` is null when the caller gave no directory.
std::unique_ptr<Tokenizer> make_spm_tokenizer(const nlohmann::json& config,
                                              const std::filesystem::path* model_dir) {
  for (const auto& item : config.items()) {
    if (item.key() != "kind" && item.key() != "model") {
      throw FormatError(fmt::format(
          "tokenizer config: unknown key '{}' for kind \"spm\" (valid keys: kind, model)", item.key()));
    }
  }
  std::string model(SentencePieceTokenizer::kDefaultModelName);
  if (const auto it = config.find("model"); it != config.end()) {
    if (!it->is_string() || it->get<std::string>().empty()) {
      throw FormatError(fmt::format(
          "tokenizer config: key 'model' must be a file name (a non-empty string), got {}", it->dump()));
    }
    model = it->get<std::string>();
    if (model.find_first_of("/\\") != std::string::npos || model == "." || model == "..") {
      throw FormatError(fmt::format(
          "tokenizer config: key 'model' must name a file inside the model directory, got \"{}\"", model));
    }
  }
  if (!model_dir) {
    throw FormatError(
        fmt::format("tokenizer config: kind \"spm\" needs the model directory to find '{}'", model));
  }
  return std::make_unique<SentencePieceTokenizer>(*model_dir / model, model);
}

// Builds the "wordpiece" kind on the model directory's vocab.txt.
std::unique_ptr<Tokenizer> make_wordpiece_tokenizer(const nlohmann::json& config,
                                                    const std::filesystem::path* model_dir) {
  for (const auto& item : config.items()) {
    if (item.key() != "kind" && item.key() != "lower_case" && item.key() != "tokenize_chinese_chars") {
      throw FormatError(fmt::format(
          "tokenizer config: unknown key '{}' for kind \"wordpiece\" (valid keys: kind, lower_case, "
          "tokenize_chinese_chars)",
          item.key()));
    }
  }
  if (!model_dir)
    throw FormatError("tokenizer config: kind \"wordpiece\" needs the model directory to find vocab.txt");
  WordPieceOptions o;
  o.lower_case = get_bool(config, "lower_case", o.lower_case);
  o.tokenize_chinese_chars = get_bool(config, "tokenize_chinese_chars", o.tokenize_chinese_chars);
  o.max_length = std::numeric_limits<std::size_t>::max();  // the classifier truncates
  return std::make_unique<WordPieceTextTokenizer>(WordPieceTokenizer::load(*model_dir / "vocab.txt", o));
}

std::unique_ptr<Tokenizer> make_tokenizer_impl(const nlohmann::json& config,
                                               const std::filesystem::path* model_dir) {
  if (!config.is_object()) {
    throw FormatError(fmt::format("tokenizer config: expected an object, got {}", config.dump()));
  }
  const auto kind = config.find("kind");
  if (kind == config.end()) {
    throw FormatError(fmt::format("tokenizer config: missing key 'kind' (valid kinds: {})", kValidKinds));
  }
  if (kind->is_string() && kind->get<std::string>() == "spm") {
    return make_spm_tokenizer(config, model_dir);
  }
  if (kind->is_string() && kind->get<std::string>() == "wordpiece") {
    return make_wordpiece_tokenizer(config, model_dir);
  }
  if (!kind->is_string() || kind->get<std::string>() != "icu-word") {
    throw FormatError(
        fmt::format("tokenizer config: unknown kind {} (valid kinds: {})", kind->dump(), kValidKinds));
  }
  for (const auto& item : config.items()) {
    const std::string& key = item.key();
    if (key != "kind" && key != "lowercase" && key != "keep_punctuation") {
      throw FormatError(
          fmt::format("tokenizer config: unknown key '{}' for kind \"icu-word\" (valid keys: kind, "
                      "lowercase, keep_punctuation)",
                      key));
    }
  }
  TokenizerOptions options;
  options.lowercase = get_bool(config, "lowercase", options.lowercase);
  options.keep_punctuation = get_bool(config, "keep_punctuation", options.keep_punctuation);
  return std::make_unique<IcuWordTokenizer>(options);
}

}  // namespace

Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> make_tokenizer(const nlohmann::json& config,
                                          const std::filesystem::path& model_dir) {
  return make_tokenizer_impl(config, &model_dir);
}

std::unique_ptr<Tokenizer> make_tokenizer(const nlohmann::json& config) {
  return make_tokenizer_impl(config, nullptr);
}

std::vector<Token> pretokenized(const std::vector<std::string>& tokens, bool lowercase) {
  std::vector<Token> out;
  out.reserve(tokens.size());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (auto bad = find_invalid_utf8(tokens[i])) {
      throw InvalidArgument(fmt::format("pretokenized: token {}: invalid UTF-8 at byte {}", i, *bad));
    }
    Token& token = out.emplace_back();
    token.text = lowercase ? case_fold(tokens[i]) : tokens[i];
  }
  return out;
}

}  // namespace textlrp::nlp
