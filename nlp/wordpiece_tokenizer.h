// nlp/wordpiece_tokenizer.h — BERT's WordPiece tokenizer (Hugging Face BertTokenizer semantics)
// with byte spans into the original UTF-8 text.
//
// Steps, on Unicode code points (as the Python BasicTokenizer + WordpieceTokenizer):
//  1. clean: drop U+0000, U+FFFD and every character of general category C* except \t \n \r;
//     \t \n \r, space and category Zs become a space;
//  2. (tokenize_chinese_chars) every CJK ideograph gets a space on each side;
//  3. NFC, then split on whitespace (space, U+2028, U+2029);
//  4. per word: with lower_case, lower-case (full mapping, final sigma) then NFD and drop the
//     combining marks (category Mn); split off every punctuation character (ASCII 33-47, 58-64,
//     91-96, 123-126, or category P*) as its own word;
//  5. WordPiece per word: more than max_input_chars_per_word code points -> one [UNK]; otherwise
//     greedy longest match first with "##" continuation pieces; a position without a match makes
//     the WHOLE word one [UNK];
//  6. [CLS] + pieces + [SEP]; with more than max_length - 2 pieces, the first max_length - 2 are
//     kept and the encoding is marked truncated.
// Literal special-token strings in the text ("[CLS]") are NOT mapped to special ids (they are
// split like any text: "[", "cl", "##s", "]").
//
// Byte spans: every normalised character is traced back to the one raw character it came from
// (lower-casing and NFD expansions, NFC compositions inherit the first raw character of the
// composed sequence). A piece spans from the first byte of the raw character of its first
// character to the last byte of the raw character of its last one. Raw characters that produce
// nothing (removed by cleaning, combining marks dropped, absorbed by NFC) are appended to the
// piece that precedes them within the same whitespace-delimited raw word; with no such piece they
// belong to no piece. Whitespace is never inside a span. [CLS] and [SEP] have no span.
//
// ICU is an implementation detail: no ICU type appears here. Immutable after construction;
// encode() is const and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"
#include "nlp/tokenizer.h"

namespace textlrp::nlp {

struct WordPieceOptions {
  bool lower_case = true;              // tokenizer_config.json do_lower_case (also strips accents)
  bool tokenize_chinese_chars = true;  // step 2
  std::size_t max_input_chars_per_word = 100;
  std::size_t max_length = 512;  // including [CLS] and [SEP]; at least 2
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
};

// One piece of an encoding. [begin, end) is a byte span into the encoded text; special pieces
// ([CLS], [SEP]) have special == true and begin == end == 0.
struct WordPiece {
  std::string text;
  TokenId id = 0;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  bool special = false;
  bool operator==(const WordPiece&) const = default;
};

struct WordPieceEncoding {
  std::vector<WordPiece> pieces;               // [CLS], the pieces, [SEP]
  std::size_t n_pieces_before_truncation = 0;  // without [CLS] and [SEP]
  bool truncated = false;
  std::vector<TokenId> ids() const;
};

// A word of an encoding: a piece and the "##" pieces that follow it, merged. text is the merged
// normalised text ("te" + "##pid" -> "tepid"), [begin, end) the union of their spans, and
// [first, last) the piece indices in the encoding. Special pieces are not part of any word.
struct WordPieceWord {
  std::string text;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  std::size_t first = 0;
  std::size_t last = 0;
};
std::vector<WordPieceWord> merge_word_pieces(const WordPieceEncoding& encoding);

class WordPieceTokenizer {
 public:
  // vocab[i] is the token of id i. Throws FormatError naming `source` (the vocabulary file) when
  // the unk, cls or sep token is absent, a token is empty, or options.max_length < 2.
  WordPieceTokenizer(std::vector<std::string> vocab, WordPieceOptions options,
                     std::string source = "vocab.txt");

  // Reads a BERT vocab.txt (one token per line, line k = id k; a '\r' before '\n' is dropped).
  // Throws IoError / FormatError naming the file.
  static WordPieceTokenizer load(const std::filesystem::path& vocab_txt, WordPieceOptions options);

  // Throws InvalidArgument naming the byte offset of the first invalid UTF-8 sequence, or when the
  // text is 4 GiB or longer.
  WordPieceEncoding encode(std::string_view utf8) const;

  // The basic tokenizer's words (steps 1-4) with their spans, before WordPiece.
  struct Word {
    std::string text;
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
  };
  std::vector<Word> basic_tokenize(std::string_view utf8) const;

  const WordPieceOptions& options() const { return options_; }
  const std::vector<std::string>& vocab() const { return vocab_; }
  // -1 when absent.
  TokenId id(std::string_view token) const;
  TokenId unk_id() const { return unk_id_; }
  TokenId cls_id() const { return cls_id_; }
  TokenId sep_id() const { return sep_id_; }

 private:
  struct Impl;
  std::vector<std::string> vocab_;
  std::unordered_map<std::string, TokenId> ids_;
  std::size_t max_token_bytes_ = 0;
  WordPieceOptions options_;
  TokenId unk_id_ = -1, cls_id_ = -1, sep_id_ = -1;
};

// The WordPiece tokenizer behind the Tokenizer interface (kind "wordpiece" in a model directory):
// tokenize() returns the pieces WITHOUT [CLS] and [SEP] and without truncation (the transformer
// classifier adds both and truncates), Token::text being the piece ("##pid", "[UNK]").
// config(): {"kind": "wordpiece", "lower_case": bool, "tokenize_chinese_chars": bool}; the
// vocabulary is the model directory's vocab.txt.
class WordPieceTextTokenizer final : public Tokenizer {
 public:
  explicit WordPieceTextTokenizer(WordPieceTokenizer tokenizer) : tokenizer_(std::move(tokenizer)) {}
  std::vector<Token> tokenize(std::string_view utf8) const override;
  nlohmann::json config() const override;
  const WordPieceTokenizer& wordpiece() const { return tokenizer_; }

 private:
  WordPieceTokenizer tokenizer_;
};

}  // namespace textlrp::nlp
