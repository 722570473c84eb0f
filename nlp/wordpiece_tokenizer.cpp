// nlp/wordpiece_tokenizer.cpp — WordPieceTokenizer on ICU (character properties, lower-casing,
// NFC/NFD). Every normalised character carries the index of the raw character it came from; the
// spans are computed from those indices at the end (see the header for the conventions).
#include "nlp/wordpiece_tokenizer.h"

#include <fmt/format.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <limits>

#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"

namespace textlrp::nlp {

namespace {

struct RawChar {
  char32_t cp;
  std::uint32_t begin;
  std::uint32_t end;
};

// A normalised character and the index of the raw character it came from (-1: an inserted space).
struct Char {
  char32_t cp;
  std::int32_t raw;
};

constexpr char32_t kSpace = U' ';

// Decodes valid UTF-8 (checked by the caller).
std::vector<RawChar> decode(std::string_view s) {
  std::vector<RawChar> out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back({cp, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i + n)});
    i += n;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_control_category(char32_t cp) {
  switch (u_charType(static_cast<UChar32>(cp))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_PRIVATE_USE_CHAR:
    case U_UNASSIGNED:
    case U_SURROGATE: return true;
    default: return false;
  }
}

// Step 1's whitespace: becomes a space.
bool is_clean_space(char32_t cp) {
  if (cp == U' ' || cp == U'\t' || cp == U'\n' || cp == U'\r') return true;
  return cp >= 0x80 && u_charType(static_cast<UChar32>(cp)) == U_SPACE_SEPARATOR;
}

// What Python's str.split() splits on after cleaning (every other isspace() character is C* or Zs).
bool is_split_space(char32_t cp) { return cp == kSpace || cp == 0x2028 || cp == 0x2029; }

bool is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_punctuation(char32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126)) {
    return true;
  }
  if (cp < 0x80) return false;
  switch (u_charType(static_cast<UChar32>(cp))) {
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION: return true;
    default: return false;
  }
}

const icu::Normalizer2& nfc() {
  static const icu::Normalizer2* n = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* p = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status) || !p)
      throw Error(fmt::format("ICU: cannot load NFC data: {}", u_errorName(status)));
    return p;
  }();
  return *n;
}

const icu::Normalizer2& nfd() {
  static const icu::Normalizer2* n = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* p = icu::Normalizer2::getNFDInstance(status);
    if (U_FAILURE(status) || !p)
      throw Error(fmt::format("ICU: cannot load NFD data: {}", u_errorName(status)));
    return p;
  }();
  return *n;
}

std::vector<char32_t> code_points(const icu::UnicodeString& s) {
  std::vector<char32_t> out;
  for (int32_t i = 0; i < s.length();) {
    const UChar32 c = s.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
  return out;
}

// NFC over a character sequence, segment by segment (a segment starts at a character with an NFC
// boundary before it). A segment that normalisation leaves unchanged keeps its raw indices; a
// changed one gives all its output to the first raw character of the segment.
std::vector<Char> nfc_traced(const std::vector<Char>& in) {
  const icu::Normalizer2& n = nfc();
  std::vector<Char> out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    std::size_t j = i + 1;
    while (j < in.size() && !n.hasBoundaryBefore(static_cast<UChar32>(in[j].cp))) ++j;
    if (j == i + 1 && in[i].cp < 0x300) {
      out.push_back(in[i]);
      i = j;
      continue;
    }
    icu::UnicodeString seg;
    for (std::size_t k = i; k < j; ++k) seg.append(static_cast<UChar32>(in[k].cp));
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString norm = n.normalize(seg, status);
    if (U_FAILURE(status)) throw Error(fmt::format("ICU: NFC failed: {}", u_errorName(status)));
    if (norm == seg) {
      for (std::size_t k = i; k < j; ++k) out.push_back(in[k]);
    } else {
      std::int32_t raw = -1;
      for (std::size_t k = i; k < j && raw < 0; ++k) raw = in[k].raw;
      for (char32_t c : code_points(norm)) out.push_back({c, raw});
    }
    i = j;
  }
  return out;
}

bool is_cased(char32_t c) { return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_CASED); }
bool is_case_ignorable(char32_t c) {
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_CASE_IGNORABLE);
}

// Python's str.lower() of one word, character by character (full mappings, e.g. U+0130 ->
// "i\u0307"), with the Final_Sigma context for U+03A3.
std::vector<Char> lower_traced(const std::vector<Char>& word) {
  std::vector<Char> out;
  out.reserve(word.size());
  for (std::size_t i = 0; i < word.size(); ++i) {
    const char32_t c = word[i].cp;
    if (c < 0x80) {
      out.push_back({(c >= U'A' && c <= U'Z') ? c + 32 : c, word[i].raw});
      continue;
    }
    if (c == 0x03A3) {
      bool before = false;
      for (std::size_t k = i; k-- > 0;) {
        if (is_case_ignorable(word[k].cp)) continue;
        before = is_cased(word[k].cp);
        break;
      }
      bool after = false;
      for (std::size_t k = i + 1; k < word.size(); ++k) {
        if (is_case_ignorable(word[k].cp)) continue;
        after = is_cased(word[k].cp);
        break;
      }
      out.push_back({before && !after ? char32_t{0x03C2} : char32_t{0x03C3}, word[i].raw});
      continue;
    }
    icu::UnicodeString s(static_cast<UChar32>(c));
    s.toLower(icu::Locale::getRoot());
    for (char32_t l : code_points(s)) out.push_back({l, word[i].raw});
  }
  return out;
}

// NFD, then drop category Mn.
std::vector<Char> strip_accents_traced(const std::vector<Char>& word) {
  const icu::Normalizer2& n = nfd();
  std::vector<Char> out;
  out.reserve(word.size());
  for (const Char& ch : word) {
    if (ch.cp < 0xC0) {
      out.push_back(ch);
      continue;
    }
    icu::UnicodeString d;
    if (!n.getDecomposition(static_cast<UChar32>(ch.cp), d))
      d = icu::UnicodeString(static_cast<UChar32>(ch.cp));
    for (char32_t c : code_points(d)) {
      if (u_charType(static_cast<UChar32>(c)) == U_NON_SPACING_MARK) continue;
      out.push_back({c, ch.raw});
    }
  }
  return out;
}

}  // namespace

struct WordPieceTokenizer::Impl {
  // Steps 1-4: the basic tokenizer's words as traced characters.
  static std::vector<std::vector<Char>> words(const WordPieceOptions& o, const std::vector<RawChar>& raw) {
    std::vector<Char> text;
    text.reserve(raw.size() + 8);
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const char32_t cp = raw[i].cp;
      const auto r = static_cast<std::int32_t>(i);
      if (cp == 0 || cp == 0xFFFD) continue;
      if (is_clean_space(cp)) {
        text.push_back({kSpace, r});
        continue;
      }
      if (is_control_category(cp)) continue;
      if (o.tokenize_chinese_chars && is_cjk(cp)) {
        text.push_back({kSpace, -1});
        text.push_back({cp, r});
        text.push_back({kSpace, -1});
        continue;
      }
      text.push_back({cp, r});
    }
    text = nfc_traced(text);
    std::vector<std::vector<Char>> out;
    std::vector<Char> word;
    auto flush_word = [&] {
      if (word.empty()) return;
      std::vector<Char> w = word;
      word.clear();
      if (o.lower_case) w = strip_accents_traced(lower_traced(w));
      std::vector<Char> part;
      for (const Char& c : w) {
        if (is_punctuation(c.cp)) {
          if (!part.empty()) out.push_back(std::move(part));
          part.clear();
          out.push_back({c});
        } else {
          part.push_back(c);
        }
      }
      if (!part.empty()) out.push_back(std::move(part));
    };
    for (const Char& c : text) {
      if (is_split_space(c.cp)) {
        flush_word();
      } else {
        word.push_back(c);
      }
    }
    flush_word();
    return out;
  }

  struct Piece {
    std::string text;
    TokenId id;
    std::int32_t first_raw;
    std::int32_t last_raw;
  };

  static void wordpiece(const WordPieceTokenizer& tok, const std::vector<Char>& word,
                        std::vector<Piece>& out) {
    const auto& o = tok.options_;
    const std::int32_t first = word.front().raw, last = word.back().raw;
    if (word.size() > o.max_input_chars_per_word) {
      out.push_back({o.unk_token, tok.unk_id_, first, last});
      return;
    }
    // Byte offset of each character in the word's UTF-8.
    std::string bytes;
    std::vector<std::size_t> at(word.size() + 1);
    for (std::size_t i = 0; i < word.size(); ++i) {
      at[i] = bytes.size();
      append_utf8(bytes, word[i].cp);
    }
    at[word.size()] = bytes.size();
    const std::size_t first_new = out.size();
    std::size_t start = 0;
    std::string candidate;
    while (start < word.size()) {
      std::size_t end = word.size();
      TokenId found = -1;
      for (; end > start; --end) {
        const std::size_t len = at[end] - at[start] + (start > 0 ? 2 : 0);
        if (len > tok.max_token_bytes_) continue;
        candidate.assign(start > 0 ? "##" : "");
        candidate.append(bytes, at[start], at[end] - at[start]);
        const auto it = tok.ids_.find(candidate);
        if (it != tok.ids_.end()) {
          found = it->second;
          break;
        }
      }
      if (found < 0) {
        out.resize(first_new);
        out.push_back({o.unk_token, tok.unk_id_, first, last});
        return;
      }
      out.push_back({candidate, found, word[start].raw, word[end - 1].raw});
      start = end;
    }
  }
};

std::vector<TokenId> WordPieceEncoding::ids() const {
  std::vector<TokenId> out;
  out.reserve(pieces.size());
  for (const auto& p : pieces) out.push_back(p.id);
  return out;
}

std::vector<WordPieceWord> merge_word_pieces(const WordPieceEncoding& encoding) {
  std::vector<WordPieceWord> out;
  for (std::size_t i = 0; i < encoding.pieces.size(); ++i) {
    const WordPiece& p = encoding.pieces[i];
    if (p.special) continue;
    const bool continuation = p.text.size() > 2 && p.text.compare(0, 2, "##") == 0;
    if (continuation && !out.empty() && out.back().last == i) {
      WordPieceWord& w = out.back();
      w.text += p.text.substr(2);
      w.end = std::max(w.end, p.end);
      w.last = i + 1;
    } else {
      out.push_back({p.text, p.begin, p.end, i, i + 1});
    }
  }
  return out;
}

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> vocab, WordPieceOptions options,
                                       std::string source)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  if (options_.max_length < 2) {
    throw FormatError(fmt::format("{}: maximum length {} is too small, expected at least 2 ([CLS] and [SEP])",
                                  source, options_.max_length));
  }
  if (vocab_.size() > static_cast<std::size_t>(std::numeric_limits<TokenId>::max())) {
    throw FormatError(fmt::format("{}: {} tokens, too many", source, vocab_.size()));
  }
  ids_.reserve(vocab_.size());
  for (std::size_t i = 0; i < vocab_.size(); ++i) {
    if (vocab_[i].empty())
      throw FormatError(fmt::format("{}:{}: empty token, expected one token per line", source, i + 1));
    ids_[vocab_[i]] = static_cast<TokenId>(i);  // a duplicate maps to its last line, as in Hugging Face
    max_token_bytes_ = std::max(max_token_bytes_, vocab_[i].size());
  }
  auto need = [&](const std::string& token) {
    const TokenId t = id(token);
    if (t < 0) throw FormatError(fmt::format("{}: the special token '{}' is missing", source, token));
    return t;
  };
  unk_id_ = need(options_.unk_token);
  cls_id_ = need(options_.cls_token);
  sep_id_ = need(options_.sep_token);
}

WordPieceTokenizer WordPieceTokenizer::load(const std::filesystem::path& vocab_txt,
                                            WordPieceOptions options) {
  const std::string bytes = read_file(vocab_txt);
  if (const auto bad = find_invalid_utf8(bytes)) {
    throw FormatError(fmt::format("{}: byte {}: invalid UTF-8", vocab_txt.string(), *bad));
  }
  std::vector<std::string> tokens;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t nl = bytes.find('\n', pos);
    if (nl == std::string::npos) nl = bytes.size();
    std::string line = bytes.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    tokens.push_back(std::move(line));
    pos = nl + 1;
  }
  return WordPieceTokenizer(std::move(tokens), std::move(options), vocab_txt.string());
}

TokenId WordPieceTokenizer::id(std::string_view token) const {
  const auto it = ids_.find(std::string(token));
  return it == ids_.end() ? -1 : it->second;
}

std::vector<WordPieceTokenizer::Word> WordPieceTokenizer::basic_tokenize(std::string_view utf8) const {
  if (const auto bad = find_invalid_utf8(utf8)) {
    throw InvalidArgument(fmt::format("byte {}: invalid UTF-8", *bad));
  }
  if (utf8.size() >= std::numeric_limits<std::uint32_t>::max()) {
    throw InvalidArgument(fmt::format("text of {} bytes is too long (limit 4 GiB)", utf8.size()));
  }
  const std::vector<RawChar> raw = decode(utf8);
  std::vector<Word> out;
  for (const auto& w : Impl::words(options_, raw)) {
    Word word;
    for (const Char& c : w) append_utf8(word.text, c.cp);
    word.begin = raw[static_cast<std::size_t>(w.front().raw)].begin;
    word.end = raw[static_cast<std::size_t>(w.back().raw)].end;
    out.push_back(std::move(word));
  }
  return out;
}

WordPieceEncoding WordPieceTokenizer::encode(std::string_view utf8) const {
  if (const auto bad = find_invalid_utf8(utf8)) {
    throw InvalidArgument(fmt::format("byte {}: invalid UTF-8", *bad));
  }
  if (utf8.size() >= std::numeric_limits<std::uint32_t>::max()) {
    throw InvalidArgument(fmt::format("text of {} bytes is too long (limit 4 GiB)", utf8.size()));
  }
  const std::vector<RawChar> raw = decode(utf8);
  const auto words = Impl::words(options_, raw);
  std::vector<Impl::Piece> pieces;
  for (const auto& w : words) Impl::wordpiece(*this, w, pieces);

  // Spans: first/last raw character, then the raw characters that produced nothing join the piece
  // that precedes them in their whitespace-delimited raw word.
  std::vector<std::uint32_t> end(pieces.size());
  for (std::size_t p = 0; p < pieces.size(); ++p)
    end[p] = raw[static_cast<std::size_t>(pieces[p].last_raw)].end;
  std::vector<char> produced(raw.size(), 0);
  for (const auto& w : words) {
    for (const Char& c : w) produced[static_cast<std::size_t>(c.raw)] = 1;
  }
  std::size_t p = 0;        // pieces[0, p) have last_raw < j
  bool space_since = true;  // a raw whitespace character lies between pieces[p-1] and j
  for (std::size_t j = 0; j < raw.size(); ++j) {
    const auto jj = static_cast<std::int32_t>(j);
    while (p < pieces.size() && pieces[p].last_raw < jj) {
      ++p;
      space_since = false;
    }
    const char32_t cp = raw[j].cp;
    if (is_clean_space(cp) || cp == 0x2028 || cp == 0x2029) {
      space_since = true;
      continue;
    }
    if (produced[j]) continue;
    if (p < pieces.size() && pieces[p].first_raw < jj) continue;  // inside pieces[p]'s span already
    if (p > 0 && !space_since) end[p - 1] = std::max(end[p - 1], raw[j].end);
  }

  WordPieceEncoding enc;
  enc.n_pieces_before_truncation = pieces.size();
  const std::size_t keep = std::min(pieces.size(), options_.max_length - 2);
  enc.truncated = keep < pieces.size();
  enc.pieces.reserve(keep + 2);
  enc.pieces.push_back({options_.cls_token, cls_id_, 0, 0, true});
  for (std::size_t i = 0; i < keep; ++i) {
    enc.pieces.push_back({std::move(pieces[i].text), pieces[i].id,
                          raw[static_cast<std::size_t>(pieces[i].first_raw)].begin, end[i], false});
  }
  enc.pieces.push_back({options_.sep_token, sep_id_, 0, 0, true});
  return enc;
}

std::vector<Token> WordPieceTextTokenizer::tokenize(std::string_view utf8) const {
  WordPieceEncoding e = tokenizer_.encode(utf8);
  std::vector<Token> out;
  out.reserve(e.pieces.size());
  for (auto& p : e.pieces) {
    if (!p.special) out.push_back({std::move(p.text), p.begin, p.end});
  }
  return out;
}

nlohmann::json WordPieceTextTokenizer::config() const {
  return {{"kind", "wordpiece"},
          {"lower_case", tokenizer_.options().lower_case},
          {"tokenize_chinese_chars", tokenizer_.options().tokenize_chinese_chars}};
}

}  // namespace textlrp::nlp
