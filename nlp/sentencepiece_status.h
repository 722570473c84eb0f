// nlp/sentencepiece_status.h — SentencePiece's util::Status as an error message, for the two files
// that call SentencePiece (nlp/sentencepiece_tokenizer.cpp, train/sentencepiece_train.cpp).
// Internal: not installed; includes no SentencePiece header (a forward declaration suffices).
#pragma once

#include <string>

namespace sentencepiece::util {
class Status;
}  // namespace sentencepiece::util

namespace textlrp::nlp {

// The message of a failed status, without the "./src/file.cc(123) [condition] " prefix that
// SentencePiece's CHECK_OR_RETURN adds.
std::string spm_status_text(const sentencepiece::util::Status& status);

}  // namespace textlrp::nlp
