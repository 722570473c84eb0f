// nlp/tokenizer.h — turning UTF-8 text into Tokens (normalized text + byte span).
//
// Tokenizer is the interface the training, predict and explain pipelines use; a model directory
// stores the tokenizer's config() in its config.json and rebuilds it with make_tokenizer().
// IcuWordTokenizer segments with ICU's Unicode word-break rules (UAX #29, root locale, with
// dictionaries for Chinese, Japanese, Thai, ...), so it needs no language-specific setup.
// pretokenized() and case_fold() serve inputs that arrive already split (e.g. SST trees).
//
// ICU is an implementation detail: no ICU type appears here.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nlp/token.h"

namespace textlrp::nlp {

// Abstract tokenizer. Implementations are immutable after construction: tokenize() is const and
// safe to call from several threads at once on one object.
class Tokenizer {
 public:
  virtual ~Tokenizer();

  // Splits `utf8` into tokens, in text order, with spans into `utf8`.
  // Precondition: `utf8` is valid UTF-8 and shorter than 2 GiB; throws InvalidArgument (naming the
  // byte offset of the first invalid sequence) otherwise. It is not an error if the text is empty
  // or whitespace only: the result is then empty.
  virtual std::vector<Token> tokenize(std::string_view utf8) const = 0;

  // The settings as JSON, such that make_tokenizer(config()) builds an equivalent tokenizer.
  virtual nlohmann::json config() const = 0;
};

struct TokenizerOptions {
  // Case-fold every token (Unicode full case folding, e.g. "Straße" -> "strasse").
  bool lowercase = true;
  // Keep non-word segments that are not whitespace (punctuation, symbols, emoji) as tokens.
  bool keep_punctuation = false;
};

// Word tokenizer on ICU's word BreakIterator (root locale).
//
// A segment whose ICU rule status is a word (letters, numbers, kana, ideographs) becomes a token.
// Segments made only of white space, control and format characters are always dropped. Any other
// segment (punctuation, symbols, emoji) is kept only when options.keep_punctuation is on. With
// options.lowercase, Token::text is the ICU full case folding of the segment; otherwise it is the
// segment's bytes unchanged. Spans always refer to the original bytes.
//
// Thread-safe and cheap to call: ICU break iterators are cached per thread, and each document is
// converted to UTF-16 once.
class IcuWordTokenizer final : public Tokenizer {
 public:
  // Throws Error if ICU's word-break data cannot be loaded.
  explicit IcuWordTokenizer(TokenizerOptions options = {});

  std::vector<Token> tokenize(std::string_view utf8) const override;

  // {"kind": "icu-word", "lowercase": bool, "keep_punctuation": bool}
  nlohmann::json config() const override;

  const TokenizerOptions& options() const { return options_; }

 private:
  TokenizerOptions options_;
};

// Builds a tokenizer from its config() JSON. "kind" is required. Valid kinds:
//   "icu-word"  {"kind", "lowercase"?, "keep_punctuation"?}: IcuWordTokenizer; the optional keys
//               default as in TokenizerOptions;
//   "spm"       {"kind", "model"?}: SentencePieceTokenizer (nlp/sentencepiece_tokenizer.h) on the
//               model file `model` (default "tokenizer.model"), a plain file name inside
//               `model_dir` (no '/' or '\\');
//   "wordpiece" {"kind", "lower_case"?, "tokenize_chinese_chars"?}: WordPieceTextTokenizer
//               (nlp/wordpiece_tokenizer.h) on `model_dir`/vocab.txt (BERT-family models).
// Throws FormatError naming the bad key when the config is not an object, "kind" is missing or
// unknown (the message lists the valid kinds), a key is unknown, or a value has the wrong type;
// for "spm", IoError / FormatError naming the model file when it is missing or not a model.
std::unique_ptr<Tokenizer> make_tokenizer(const nlohmann::json& config,
                                          const std::filesystem::path& model_dir);

// The same for configs that need no files. Throws FormatError for kind "spm" (it needs the
// model directory: use the overload above).
std::unique_ptr<Tokenizer> make_tokenizer(const nlohmann::json& config);

// Tokens for input that is already split into words (e.g. SST parse trees): Token::text is the
// token (case-folded when `lowercase`), and begin == end == 0 because there is no original text
// to point into. Tokens are kept as given, including empty ones.
// Precondition: every token is valid UTF-8; throws InvalidArgument naming the token index
// otherwise.
std::vector<Token> pretokenized(const std::vector<std::string>& tokens, bool lowercase);

// Unicode full case folding (the normalization IcuWordTokenizer applies when lowercasing).
// ASCII text is folded without ICU. Precondition: valid UTF-8; throws InvalidArgument otherwise.
std::string case_fold(std::string_view utf8);

}  // namespace textlrp::nlp
