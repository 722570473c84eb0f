// nlp/vocabulary.h — the mapping between token strings and integer ids (vocab.txt).
//
// Built from token counts when a model is trained, saved beside the model as vocab.txt and
// loaded with it; embeddings/ uses it to line up pre-trained vectors with model rows.
//
// vocab.txt format: UTF-8 text, one token per line, line N (1-based) is id N-1. Lines end with
// '\n' (a '\r' before it is dropped, a final '\n' is optional, a UTF-8 byte order mark at the
// start is skipped). A token may contain any character except '\n' and '\r' (tabs and spaces are
// part of the token); it may not be empty, and no token may appear twice.
//
// The unknown token "<unk>" (kUnk), when present, must be id 0 (line 1). A vocabulary without it
// is allowed (e.g. an imported one): then has_unk() is false and id() returns kNoId (-1) for an
// unknown token, so callers must check. Vocabularies made by build() always have it.
//
// A subword model's piece table (from_pieces(), SentencePieceTokenizer::vocabulary()) is the one
// exception to the <unk>-at-0 rule: its ids are the SentencePiece ids, so its unknown piece sits
// where the model put it (id 2 in T5's). Such a vocabulary lives in memory only; a model
// directory keeps the SentencePiece model file instead of a vocab.txt.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"

namespace textlrp::nlp {

class Vocabulary {
 public:
  static constexpr std::string_view kUnk = "<unk>";
  static constexpr TokenId kUnkId = 0;
  static constexpr TokenId kNoId = -1;

  // A vocabulary holding only <unk> (id 0).
  Vocabulary();

  // A vocabulary whose id i is tokens[i]. Throws InvalidArgument (naming the index) if a token is
  // empty, contains '\n' or '\r', is invalid UTF-8, is duplicated, or is "<unk>" at an index
  // other than 0. An empty list is allowed (a vocabulary without tokens or <unk>).
  explicit Vocabulary(std::vector<std::string> tokens);

  // Keeps the tokens with count >= min_count, ordered by count descending, then by token bytes
  // ascending (deterministic for equal counts), after <unk> at id 0. max_size caps size()
  // including <unk> (0 = unlimited; 1 keeps only <unk>). A "<unk>" key in counts is ignored.
  // Throws InvalidArgument if a kept token is empty, contains '\n' or '\r', or is invalid UTF-8.
  static Vocabulary build(const std::unordered_map<std::string, std::size_t>& counts, std::size_t min_count,
                          std::size_t max_size);

  // The piece table of a subword model: id i is pieces[i], and unk_id (any index, or kNoId) is
  // the unknown piece's id, whatever its string. Throws InvalidArgument (naming the index) for an
  // empty, duplicated or invalid-UTF-8 piece, or an unk_id that is neither kNoId nor an index of
  // `pieces`. The "<unk> must be id 0" rule does not apply, and pieces may contain '\n' and '\r'
  // (the sentencepiece test model has a piece with a '\r'): such a table cannot be saved.
  static Vocabulary from_pieces(std::vector<std::string> pieces, TokenId unk_id);

  // Reads vocab.txt (format above). Throws IoError if the file cannot be read, and FormatError
  // "PATH:LINE: ..." for an empty line, invalid UTF-8, a duplicate token (naming the first line),
  // "<unk>" on a line other than 1, or a file without any token.
  static Vocabulary load(const std::filesystem::path& path);

  // Writes vocab.txt atomically (core/file.h write_file_atomic); load() reads back an equal
  // vocabulary. Throws IoError, and InvalidArgument for a token vocab.txt cannot hold (one with
  // '\n' or '\r', possible only in a from_pieces() table).
  void save(const std::filesystem::path& path) const;

  // The id of `token`; for an unknown token, unk_id() (kUnkId, or kNoId without <unk>).
  TokenId id(std::string_view token) const {
    const auto it = index_.find(token);
    return it == index_.end() ? unk_id() : it->second;
  }
  // The id of `token`, or std::nullopt if it is not in the vocabulary.
  std::optional<TokenId> find(std::string_view token) const {
    const auto it = index_.find(token);
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }
  bool contains(std::string_view token) const { return index_.find(token) != index_.end(); }

  // The token with id `id`. Precondition: 0 <= id < size() (checked by TEXTLRP_ASSERT).
  const std::string& token(TokenId id) const;

  bool has_unk() const { return unk_id_ != kNoId; }
  // kUnkId (0) for a word vocabulary with <unk>, the unknown piece's id for from_pieces(), or
  // kNoId when there is no unknown token.
  TokenId unk_id() const { return unk_id_; }
  std::size_t size() const { return tokens_.size(); }
  // All tokens, indexed by id.
  const std::vector<std::string>& tokens() const { return tokens_; }

  bool operator==(const Vocabulary& other) const {
    return tokens_ == other.tokens_ && unk_id_ == other.unk_id_;
  }

 private:
  // Transparent hash so lookups by std::string_view do not build a std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  // Checks the tokens and builds index_. `word_rules`: "<unk>" may only be token 0 and tokens
  // may not contain '\n' or '\r' (vocab.txt's rules); without, only empty tokens, invalid UTF-8
  // and duplicates are refused.
  void index_tokens(bool word_rules);

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, TokenId, Hash, std::equal_to<>> index_;
  TokenId unk_id_ = kNoId;
};

}  // namespace textlrp::nlp
