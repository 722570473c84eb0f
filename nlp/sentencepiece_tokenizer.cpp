// nlp/sentencepiece_tokenizer.cpp — the SentencePiece adapter (with train/sentencepiece_train.cpp
// the only sentencepiece users). util::Status becomes textlrp::Error here and never leaves this file.
#include "nlp/sentencepiece_tokenizer.h"

#include <algorithm>
#include <climits>
#include <exception>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <sentencepiece_processor.h>

#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"
#include "nlp/sentencepiece_status.h"

namespace textlrp::nlp {
namespace {

bool is_continuation(std::string_view text, std::size_t i) {
  return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
}

void check_input(std::string_view utf8) {
  if (utf8.size() >= static_cast<std::size_t>(INT32_MAX)) {
    throw InvalidArgument(
        fmt::format("sentencepiece: text of {} bytes is too long (the limit is 2 GiB)", utf8.size()));
  }
  if (auto bad = find_invalid_utf8(utf8)) {
    throw InvalidArgument(fmt::format("sentencepiece: invalid UTF-8 at byte {}", *bad));
  }
}

}  // namespace

// The message of a failed status, without the "./src/file.cc(123) [condition] " prefix that
// SentencePiece's CHECK_OR_RETURN adds.
std::string spm_status_text(const sentencepiece::util::Status& status) {
  const char* raw = status.error_message();
  std::string message = raw && *raw ? std::string(raw) : status.ToString();
  if (message.find(".cc(") != std::string::npos) {
    const auto cut = message.find("] ");
    if (cut != std::string::npos) {
      const bool parse_failed = message.find("ParseFrom") != std::string::npos;
      message.erase(0, cut + 2);
      if (message.empty()) {
        message =
            parse_failed ? "the bytes do not parse as a SentencePiece ModelProto" : "internal check failed";
      }
    }
  }
  return message;
}

struct SentencePieceTokenizer::Impl {
  sentencepiece::SentencePieceProcessor processor;
};

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& model_file,
                                               std::string model_name)
    : SentencePieceTokenizer(read_file(model_file), model_file.string(), std::move(model_name)) {}

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_serialized(std::string bytes,
                                                                                std::string source,
                                                                                std::string model_name) {
  return std::unique_ptr<SentencePieceTokenizer>(
      new SentencePieceTokenizer(std::move(bytes), std::move(source), std::move(model_name)));
}

SentencePieceTokenizer::SentencePieceTokenizer(std::string bytes, std::string source, std::string model_name)
    : impl_(std::make_unique<Impl>()),
      serialized_(std::move(bytes)),
      source_(std::move(source)),
      model_name_(std::move(model_name)) {
  if (serialized_.empty()) {
    throw FormatError(fmt::format("{}: not a valid SentencePiece model: the file is empty", source_));
  }
  const auto status = impl_->processor.LoadFromSerializedProto(serialized_);
  if (!status.ok()) {
    throw FormatError(
        fmt::format("{}: not a valid SentencePiece model: {}", source_, spm_status_text(status)));
  }
  if (impl_->processor.GetPieceSize() <= 0) {
    throw FormatError(fmt::format("{}: not a valid SentencePiece model: it has no pieces", source_));
  }
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

SentencePieceTokenizer::Encoding SentencePieceTokenizer::encode_impl(std::string_view utf8,
                                                                     bool want_tokens) const {
  check_input(utf8);
  Encoding out;
  if (utf8.empty()) return out;
  sentencepiece::ImmutableSentencePieceText spt;
  const auto status = impl_->processor.Encode(utf8, spt.mutable_proto());
  if (!status.ok()) {
    throw Error(fmt::format("{}: sentencepiece: encoding failed: {}", source_, spm_status_text(status)));
  }
  const std::size_t n = spt.pieces_size();
  out.ids.reserve(n);
  if (want_tokens) out.tokens.reserve(n);
  const auto size = static_cast<std::uint32_t>(utf8.size());
  std::uint32_t previous_end = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto piece = spt.pieces(static_cast<int>(i));
    out.ids.push_back(static_cast<int>(piece.id()));
    if (!want_tokens) continue;
    // SentencePiece's spans are byte offsets into `utf8`. Defend against anything odd: clamp to
    // the text, widen to character boundaries, and start no earlier than the previous end (all
    // of which keeps SentencePiece's own spans unchanged on every model we tested).
    std::uint32_t begin = std::min(piece.begin(), size);
    std::uint32_t end = std::min(std::max(piece.end(), begin), size);
    while (begin > 0 && is_continuation(utf8, begin)) --begin;
    while (end < size && is_continuation(utf8, end)) ++end;
    begin = std::max(begin, previous_end);
    end = std::max(end, begin);
    previous_end = end;
    out.tokens.push_back(Token{piece.piece(), begin, end});
  }
  return out;
}

std::vector<Token> SentencePieceTokenizer::tokenize(std::string_view utf8) const {
  return encode_impl(utf8, true).tokens;
}

SentencePieceTokenizer::Encoding SentencePieceTokenizer::encode(std::string_view utf8) const {
  return encode_impl(utf8, true);
}

std::vector<int> SentencePieceTokenizer::encode_ids(std::string_view utf8) const {
  return encode_impl(utf8, false).ids;
}

nlohmann::json SentencePieceTokenizer::config() const { return {{"kind", "spm"}, {"model", model_name_}}; }

std::size_t SentencePieceTokenizer::piece_size() const {
  return static_cast<std::size_t>(impl_->processor.GetPieceSize());
}

const std::string& SentencePieceTokenizer::id_to_piece(int id) const {
  TEXTLRP_ASSERT(id >= 0 && static_cast<std::size_t>(id) < piece_size());
  return impl_->processor.IdToPiece(id);
}

std::optional<int> SentencePieceTokenizer::piece_to_id(std::string_view piece) const {
  const int id = impl_->processor.PieceToId(piece);
  // PieceToId returns unk_id() for unknown pieces: tell them apart from the <unk> piece itself.
  if (id == impl_->processor.unk_id() && impl_->processor.IdToPiece(id) != piece) {
    return std::nullopt;
  }
  return id;
}

std::vector<std::string> SentencePieceTokenizer::pieces() const {
  std::vector<std::string> out;
  out.reserve(piece_size());
  for (int id = 0; id < impl_->processor.GetPieceSize(); ++id) {
    out.push_back(impl_->processor.IdToPiece(id));
  }
  return out;
}

int SentencePieceTokenizer::unk_id() const { return impl_->processor.unk_id(); }

Vocabulary SentencePieceTokenizer::vocabulary() const {
  const int unk = unk_id();
  return Vocabulary::from_pieces(pieces(), unk >= 0 ? static_cast<TokenId>(unk) : Vocabulary::kNoId);
}

bool SentencePieceTokenizer::is_control(int id) const { return impl_->processor.IsControl(id); }

bool SentencePieceTokenizer::is_byte(int id) const { return impl_->processor.IsByte(id); }

void SentencePieceTokenizer::save(const std::filesystem::path& model_dir) const {
  write_file_atomic(model_dir / model_name_, serialized_);
}

}  // namespace textlrp::nlp
