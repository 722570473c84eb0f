#include "nlp/text_encoder.h"

#include <fmt/format.h>

#include "core/error.h"
#include "nlp/sentencepiece_tokenizer.h"
#include "nlp/word_groups.h"
#include "nlp/wordpiece_tokenizer.h"

namespace textlrp::nlp {

TextEncoder::Kind encoder_kind(const Tokenizer& tokenizer) {
  if (dynamic_cast<const SentencePieceTokenizer*>(&tokenizer) != nullptr)
    return TextEncoder::Kind::kSentencePiece;
  if (dynamic_cast<const WordPieceTextTokenizer*>(&tokenizer) != nullptr)
    return TextEncoder::Kind::kWordPiece;
  return TextEncoder::Kind::kWords;
}

const SentencePieceTokenizer* sentencepiece_of(const Tokenizer& tokenizer) {
  return dynamic_cast<const SentencePieceTokenizer*>(&tokenizer);
}

TextEncoder::TextEncoder(std::shared_ptr<const Tokenizer> tokenizer, Vocabulary vocabulary)
    : tokenizer_(std::move(tokenizer)), vocab_(std::move(vocabulary)) {
  if (!tokenizer_) throw InvalidArgument("TextEncoder: no tokenizer");
  kind_ = encoder_kind(*tokenizer_);
  spm_ = sentencepiece_of(*tokenizer_);
  if (spm_ && !(vocab_ == spm_->vocabulary())) {
    throw InvalidArgument("TextEncoder: a SentencePiece model's vocabulary must be its piece table");
  }
  if (const auto* wp = dynamic_cast<const WordPieceTextTokenizer*>(tokenizer_.get())) {
    // Its unknown piece is [UNK] (not <unk> at id 0): is_oov() marks [UNK] pieces as the other
    // models mark unknown words.
    vocab_ = Vocabulary::from_pieces(vocab_.tokens(), wp->wordpiece().unk_id());
  }
  const nlohmann::json c = tokenizer_->config();
  lowercase_words_ = c.is_object() ? c.value("lowercase", true) : true;
}

TextEncoder TextEncoder::from_config(const nlohmann::json& tokenizer_config, const std::filesystem::path& dir,
                                     const std::string& where) {
  nlohmann::json config = tokenizer_config;
  if (config.is_object()) config.erase("vocab");  // the model directory's business
  std::shared_ptr<const Tokenizer> tokenizer = make_tokenizer(config, dir);
  if (const auto* spm = sentencepiece_of(*tokenizer)) {
    // The piece table is the vocabulary (ids = SentencePiece ids); there is no vocab.txt.
    if (tokenizer_config.contains("vocab")) {
      throw FormatError(
          fmt::format("{}: \"tokenizer\": kind \"spm\" takes its vocabulary from the model file, "
                      "not from \"vocab\"",
                      where));
    }
    // Built here rather than by the constructor, which would build the piece table a second time
    // to check it.
    TextEncoder e;
    e.vocab_ = spm->vocabulary();
    e.kind_ = Kind::kSentencePiece;
    e.spm_ = spm;
    e.tokenizer_ = std::move(tokenizer);
    return e;
  }
  const std::string vocab_file = tokenizer_config.value("vocab", std::string("vocab.txt"));
  return TextEncoder(std::move(tokenizer), Vocabulary::load(dir / vocab_file));
}

const Tokenizer& TextEncoder::tokenizer() const {
  if (!tokenizer_) throw InvalidArgument("TextEncoder: no tokenizer (an empty or moved-from model)");
  return *tokenizer_;
}

std::vector<TokenId> TextEncoder::encode(std::string_view text, std::vector<Token>* tokens) const {
  std::vector<TokenId> ids;
  if (spm_) {
    SentencePieceTokenizer::Encoding e = spm_->encode(text);
    ids.assign(e.ids.begin(), e.ids.end());
    if (tokens) *tokens = std::move(e.tokens);
    return ids;
  }
  std::vector<Token> local = tokenizer().tokenize(text);
  ids = this->ids(local);
  if (kind_ == Kind::kWordPiece && vocab_.has_unk()) {
    // An unknown WordPiece word is one "[UNK]" piece: its text becomes its surface, as SentencePiece's
    // unknown pieces, so is_oov() tells it from a known token.
    for (std::size_t t = 0; t < local.size(); ++t) {
      if (ids[t] == vocab_.unk_id())
        local[t].text = std::string(text.substr(local[t].begin, local[t].end - local[t].begin));
    }
  }
  if (tokens) *tokens = std::move(local);
  return ids;
}

std::vector<TokenId> TextEncoder::ids(std::span<const Token> tokens) const {
  std::vector<TokenId> ids;
  ids.reserve(tokens.size());
  for (const auto& t : tokens) ids.push_back(vocab_.id(t.text));
  return ids;
}

std::vector<TokenId> TextEncoder::encode_words(const std::vector<std::string>& words,
                                               std::vector<Token>* tokens) const {
  TEXTLRP_ASSERT(!subword());
  std::vector<Token> local = pretokenized(words, lowercase_words_);
  std::vector<TokenId> ids = this->ids(local);
  if (tokens) *tokens = std::move(local);
  return ids;
}

bool TextEncoder::is_oov(TokenId token_id, std::string_view token_text) const {
  if (token_id < 0) return true;
  return token_id == vocab_.unk_id() && token_text != vocab_.token(token_id);
}

std::vector<EncodedWord> TextEncoder::words(std::string_view text, const std::vector<Token>& pieces) const {
  std::vector<EncodedWord> out;
  if (kind_ == Kind::kWordPiece) {
    // A piece and the "##" pieces after it.
    WordPieceEncoding enc;
    for (const auto& t : pieces) enc.pieces.push_back({t.text, 0, t.begin, t.end, false});
    for (const auto& g : merge_word_pieces(enc)) {
      EncodedWord w{g.begin, g.end, {}};
      for (std::size_t p = g.first; p < g.last; ++p) w.pieces.push_back(p);
      out.push_back(std::move(w));
    }
  } else if (kind_ == Kind::kSentencePiece) {
    // The pieces of each ICU word of the text (nlp/word_groups.h).
    for (auto& g : group_pieces_by_word(text, pieces, default_word_tokenizer())) {
      out.push_back({g.begin, g.end, std::move(g.pieces)});
    }
  }
  return out;
}

nlohmann::json TextEncoder::save(const std::filesystem::path& dir) const {
  nlohmann::json tok = tokenizer().config();
  if (spm_) {
    spm_->save(dir);  // dir / "tokenizer.model": the directory carries its own tokenizer
  } else {
    tok["vocab"] = "vocab.txt";
    vocab_.save(dir / "vocab.txt");
  }
  return tok;
}

}  // namespace textlrp::nlp
