// nlp/text_encoder.h — a model's tokenizer and vocabulary as one object: text -> tokens (with byte
// spans into the text), ids, and out-of-vocabulary flags.
//
// Three kinds of encoders exist, and their differences live here and nowhere else:
//   - words (IcuWordTokenizer + vocab.txt): ids are Vocabulary::id() of each token's text;
//   - SentencePiece (kind "spm"): the piece table IS the vocabulary, and ids are the ones
//     SentencePiece gives (an unknown piece's text is its surface, e.g. "😀", not "<unk>", so
//     looking texts up would only be right by luck);
//   - WordPiece (kind "wordpiece", BERT): pieces looked up in vocab.txt; a word is a piece and the
//     "##" pieces after it.
// The two subword kinds split pre-tokenized input like any text; per-word relevance sums the
// pieces of words() (WordPiece: "##" merging; SentencePiece: the ICU words of the text,
// nlp/word_groups.h).
//
// A model directory (lrp/model_dir.h) builds its encoder with from_config() and writes it with
// save(). Immutable after construction: every const member is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "nlp/token.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"

namespace textlrp::nlp {

class SentencePieceTokenizer;

// A word of a subword encoding: its byte span in the text and the indices of its pieces.
struct EncodedWord {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  std::vector<std::size_t> pieces;
};

class TextEncoder {
 public:
  enum class Kind { kWords, kSentencePiece, kWordPiece };

  // An encoder without a tokenizer (a moved-from or default-constructed model); encode() throws
  // InvalidArgument on it.
  TextEncoder() = default;
  // `vocabulary` maps the tokenizer's token texts to ids. For a SentencePiece tokenizer it must be
  // the tokenizer's piece table (SentencePieceTokenizer::vocabulary()); InvalidArgument otherwise.
  TextEncoder(std::shared_ptr<const Tokenizer> tokenizer, Vocabulary vocabulary);

  // Builds the encoder of a model directory from its config "tokenizer" section: kind "spm" takes
  // its vocabulary from the model file (a "vocab" key is a FormatError), the others read
  // dir/`vocab` (default "vocab.txt"). Errors name `where` (the config file) or the file read.
  static TextEncoder from_config(const nlohmann::json& tokenizer_config, const std::filesystem::path& dir,
                                 const std::string& where);

  // Tokenizes `text` and maps it to ids (unknown tokens map to <unk>, or -1 when the vocabulary
  // has none). Fills `tokens` when it is not null. Throws what the tokenizer throws
  // (InvalidArgument for invalid UTF-8).
  std::vector<TokenId> encode(std::string_view text, std::vector<Token>* tokens = nullptr) const;
  // Ids of tokens that are already made (vocabulary lookup of each text).
  std::vector<TokenId> ids(std::span<const Token> tokens) const;
  // Input that arrives split into words (SST trees, JSONL "tokens") for a word encoder: the words
  // as tokens without spans (case-folded when the tokenizer lowercases) and their ids.
  // Precondition: !subword() (a subword encoder splits the words' text with encode() instead).
  std::vector<TokenId> encode_words(const std::vector<std::string>& words,
                                    std::vector<Token>* tokens = nullptr) const;

  // True when `token_id` marks a token the vocabulary does not hold: -1, or the unknown id for a
  // token whose text is not the unknown token's own string.
  bool is_oov(TokenId token_id, std::string_view token_text) const;

  Kind kind() const { return kind_; }
  // The tokens are subword pieces (SentencePiece or WordPiece), not words.
  bool subword() const { return kind_ != Kind::kWords; }
  // The words of a subword encoding of `text` (`pieces` as encode() gave them): for WordPiece a
  // piece and the "##" pieces after it, for SentencePiece the ICU words of the text
  // (nlp/word_groups.h). Empty for a word encoder.
  std::vector<EncodedWord> words(std::string_view text, const std::vector<Token>& pieces) const;

  // Writes the encoder's files into `dir` (vocab.txt, or the SentencePiece model file) and returns
  // the config "tokenizer" section that from_config() reads back. Throws IoError.
  nlohmann::json save(const std::filesystem::path& dir) const;

  const Tokenizer& tokenizer() const;
  const Vocabulary& vocabulary() const { return vocab_; }
  // The SentencePiece tokenizer when kind() is kSentencePiece, else nullptr.
  const SentencePieceTokenizer* sentencepiece() const { return spm_; }

 private:
  std::shared_ptr<const Tokenizer> tokenizer_;
  Vocabulary vocab_;
  Kind kind_ = Kind::kWords;
  const SentencePieceTokenizer* spm_ = nullptr;
  bool lowercase_words_ = true;  // encode_words(): the tokenizer's "lowercase" setting
};

// The kind of encoder `tokenizer` makes (the one place that asks a tokenizer which class it is).
TextEncoder::Kind encoder_kind(const Tokenizer& tokenizer);
// The SentencePiece tokenizer behind `tokenizer`, or nullptr.
const SentencePieceTokenizer* sentencepiece_of(const Tokenizer& tokenizer);

}  // namespace textlrp::nlp
