// nlp/token.h — one token of a tokenized text: its normalized form and where it came from.
//
// Tokenizers (nlp/tokenizer.h) produce Tokens; the vocabulary (nlp/vocabulary.h) maps
// Token::text to ids, and the explain pipeline maps per-token relevance back onto the original
// text through the byte span [begin, end).
#pragma once

#include <cstdint>
#include <string>

namespace textlrp::nlp {

// A token. `text` is the NORMALIZED form used for vocabulary lookup (case-folded when the
// tokenizer lowercases, otherwise the surface form unchanged). [begin, end) is the byte span in
// the ORIGINAL UTF-8 input, so `original.substr(begin, end - begin)` is the surface form even
// when normalization changed the length ("Straße" -> "strasse", "İ" -> "i̇").
//
// Tokens that did not come from a text (see pretokenized() in nlp/tokenizer.h) have
// begin == end == 0: they carry no span.
struct Token {
  std::string text;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;

  bool operator==(const Token&) const = default;
};

}  // namespace textlrp::nlp
