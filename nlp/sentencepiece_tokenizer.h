// nlp/sentencepiece_tokenizer.h — subword tokenization with SentencePiece models (unigram, BPE).
//
// Models that read subwords (a CNN or BiLSTM with `--tokenizer spm:FILE`) use this adapter as their
// Tokenizer: each piece becomes one Token whose text is the piece string ("▁Hello", "ing") and
// whose span points into the ORIGINAL text, so relevance can be drawn on the input without
// re-tokenizing. encode() also gives the piece ids, which index the model's embedding rows
// directly (no Vocabulary lookup: the piece table IS the vocabulary). `textlrp tokenizer train`
// trains such models (train/sentencepiece_train.h); nlp/word_groups.h maps pieces back to words.
//
// In a model directory the SentencePiece model is stored as a file next to config.json; the
// tokenizer config is {"kind": "spm", "model": "tokenizer.model"} and make_tokenizer(config,
// model_dir) (nlp/tokenizer.h) loads model_dir/"tokenizer.model". save() writes that file.
//
// Spans. SentencePiece normalizes the text (NFKC, white space collapsing, "▁" for spaces) and
// reports for every piece the byte range of the original text it came from. This adapter passes
// those ranges through, after checking them, with these cases worth knowing:
//   - a piece with a leading "▁" that stands for a real space covers that space:
//     "Hello world" -> "▁Hello" [0,5), "▁world" [5,11) (the first "▁" was inserted by the
//     normalizer and covers no byte; the second covers the space at byte 5);
//   - a piece made only of "▁" (e.g. before a character that starts no piece with "▁") covers
//     the white space it stands for, or is EMPTY (begin == end, at the start of the next piece)
//     when the normalizer inserted it (at the start of the text);
//   - repeated spaces go to the next piece ("a   b" -> "▁a" [0,1), "▁b" [1,5)), but leading and
//     trailing white space, which the normalizer removes, belongs to no piece (spans need not
//     touch each other);
//   - byte-fallback pieces ("<0xF0>", "<0x9F>", ...) of one character: the LAST covers the whole
//     character, the others are empty at the character's start (they carry the same character;
//     nlp/word_groups.h gives all of them to the character's word);
//   - an unknown piece (id unk_id()) has as text its surface in the normalized text (e.g. "😀"
//     or "日本"), as SentencePiece's EncodeAsPieces gives it, not "<unk>".
// In every case 0 <= begin <= end <= text.size(), both on UTF-8 character boundaries, and spans are
// in text order without overlap (each begins at or after the previous one's end). The adapter
// enforces this (clamping if SentencePiece ever reported otherwise), so callers may rely on it.
//
// Thread safety: immutable after construction; tokenize(), encode() and the lookups are const and
// may be called from several threads at once (SentencePieceProcessor's Encode is const and keeps
// no per-call state in the processor).
//
// sentencepiece is an implementation detail: no sentencepiece type appears here, and its
// util::Status errors become textlrp::Error naming the model file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nlp/token.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"

namespace textlrp::nlp {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // The file name config() reports by default and save() writes inside a model directory.
  static constexpr std::string_view kDefaultModelName = "tokenizer.model";

  // Tokens and their piece ids, index by index (ids.size() == tokens.size()).
  struct Encoding {
    std::vector<Token> tokens;
    std::vector<int> ids;
  };

  // Loads a SentencePiece model file (a serialized ModelProto, "FILE.model").
  // `model_name` is the file name config() reports and save() writes (default "tokenizer.model").
  // Throws IoError "PATH: cannot read ...: strerror" when the file cannot be read, and
  // FormatError "PATH: not a valid SentencePiece model: ..." when its content is not a model
  // (truncated, empty, another format).
  explicit SentencePieceTokenizer(const std::filesystem::path& model_file,
                                  std::string model_name = std::string(kDefaultModelName));

  // Builds the tokenizer from the bytes of a model file. `source` names the bytes in error
  // messages (e.g. "<memory>"). Throws FormatError as above.
  static std::unique_ptr<SentencePieceTokenizer> from_serialized(
      std::string bytes, std::string source = "<memory>",
      std::string model_name = std::string(kDefaultModelName));

  ~SentencePieceTokenizer() override;
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  // One Token per piece: text = the piece string, span as described at the top of this file.
  // Precondition: valid UTF-8 shorter than 2 GiB; throws InvalidArgument naming the byte offset
  // of the first invalid sequence otherwise. Empty text gives no tokens, and so does text made
  // only of the white space the model's normalizer removes: ' ' always, and with the NFKC rules
  // (the default) also tabs, newlines and the other Unicode spaces. A model trained with
  // "identity" normalization keeps a tab as a piece (often <unk>) — the model saw it that way.
  // Throws Error if SentencePiece reports a failure (not expected for a loaded model).
  std::vector<Token> tokenize(std::string_view utf8) const override;

  // Tokens and piece ids in one pass (same preconditions and errors as tokenize()).
  Encoding encode(std::string_view utf8) const;

  // Only the piece ids (same preconditions and errors as tokenize()). Pieces not in the model
  // map to unk_id().
  std::vector<int> encode_ids(std::string_view utf8) const;

  // {"kind": "spm", "model": model_name()}.
  nlohmann::json config() const override;

  // The number of pieces in the model (ids are 0 .. piece_size() - 1).
  std::size_t piece_size() const;
  // The piece with id `id`. Precondition: 0 <= id < piece_size() (TEXTLRP_ASSERT).
  const std::string& id_to_piece(int id) const;
  // The id of `piece`, or std::nullopt if the model has no such piece.
  std::optional<int> piece_to_id(std::string_view piece) const;
  // All piece strings, indexed by id (e.g. to list the vocabulary of a model).
  std::vector<std::string> pieces() const;
  // The id of the unknown piece (usually 0; 2 in T5's model).
  int unk_id() const;
  // The piece table as a Vocabulary (Vocabulary::from_pieces): id i is id_to_piece(i) and the
  // unknown id is unk_id(), so vocabulary ids ARE the piece ids encode() gives. A model that
  // reads subwords uses this as its vocabulary. Throws InvalidArgument if a piece cannot be a
  // vocabulary entry (contains '\n' or '\r'; not seen in practice).
  Vocabulary vocabulary() const;
  // True for ids of control pieces (<s>, </s>, <pad>), which encode() never produces.
  bool is_control(int id) const;
  // True for byte-fallback pieces ("<0x41>").
  bool is_byte(int id) const;

  // The file name recorded in config() (relative to the model directory).
  const std::string& model_name() const { return model_name_; }
  // The model file's bytes, as loaded.
  const std::string& serialized_model() const { return serialized_; }
  // Writes the model to model_dir / model_name() atomically. Throws IoError.
  void save(const std::filesystem::path& model_dir) const;

 private:
  struct Impl;
  SentencePieceTokenizer(std::string bytes, std::string source, std::string model_name);
  Encoding encode_impl(std::string_view utf8, bool want_tokens) const;

  std::unique_ptr<Impl> impl_;
  std::string serialized_;
  std::string source_;
  std::string model_name_;
};

}  // namespace textlrp::nlp
