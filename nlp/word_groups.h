// nlp/word_groups.h — which word each subword piece belongs to, for per-word relevance.
//
// A subword model (nlp/sentencepiece_tokenizer.h) gets one relevance per piece; a heatmap or a
// comparison with a word-level model wants one per word. The explain pipeline groups the pieces
// of a document by the ICU words of the same text (IcuWordTokenizer with keep_punctuation = true
// and lowercase = false, so every non-blank segment is a word) and sums the pieces' relevance
// per group: relevance(word) = sum of relevance(piece) over WordGroup::pieces.
//
// Assignment rule, per piece with span [b, e):
//   - a non-empty piece goes to the word whose span overlaps [b, e) by the most bytes; on a tie,
//     the earlier word;
//   - an empty piece (b == e: a "▁" the normalizer inserted, or a leading byte-fallback piece of
//     a character, see sentencepiece_tokenizer.h) goes to the word containing byte b
//     (word.begin <= b < word.end);
//   - a piece that lies in no word (a "▁" piece covering only the white space before a word, or
//     an empty piece between words) goes to the NEXT word, the first one that begins at or after
//     its end: a "▁" marks the start of the word that follows it. With no word after it, it goes
//     to the last word.
// So whenever the text has at least one word, every piece belongs to exactly one word, and the
// words' relevances add up to the pieces' (nothing is lost). A piece that spans two ICU words
// (possible in CJK text, where ICU's dictionary and the subword model cut differently) counts for
// one of them only, and the other may be left with no pieces. Every word is still returned (with
// an empty `pieces` list, i.e. relevance 0), so the groups are exactly the word tokenizer's
// tokens, in order: two models of different kinds are compared word by word on the same
// segmentation. Only when there is no word at all (e.g. a text of one tab, kept as a piece by a
// model without normalization) are pieces left without a group.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "nlp/token.h"
#include "nlp/tokenizer.h"

namespace textlrp::nlp {

struct WordGroup {
  // The word's byte span in the original text (text.substr(begin, end - begin) is the word).
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  // Indices into the pieces vector, increasing.
  std::vector<std::size_t> pieces;

  bool operator==(const WordGroup&) const = default;
};

// Groups `pieces` (tokens of `text` from any tokenizer, with spans into `text`) by the words
// `word_tokenizer` finds in `text`; see the rule above. Returns one group per word, in text order.
// Precondition: the pieces' spans lie inside `text` (begin <= end <= text.size()), as every
// Tokenizer guarantees; throws InvalidArgument naming the piece otherwise. Throws whatever
// word_tokenizer.tokenize() throws (InvalidArgument for invalid UTF-8).
// It is not an error if there are no pieces or no words: the result then has groups with empty
// piece lists, or is empty.
std::vector<WordGroup> group_pieces_by_word(std::string_view text, const std::vector<Token>& pieces,
                                            const Tokenizer& word_tokenizer);

// The same for words that are already tokenized. Precondition: `words` are in text order with
// disjoint spans (as IcuWordTokenizer gives them); throws InvalidArgument otherwise.
std::vector<WordGroup> group_pieces_by_word(const std::vector<Token>& pieces,
                                            const std::vector<Token>& words);

// The word tokenizer the explain pipeline groups pieces with: IcuWordTokenizer with
// keep_punctuation = true and lowercase = false.
const Tokenizer& default_word_tokenizer();

}  // namespace textlrp::nlp
