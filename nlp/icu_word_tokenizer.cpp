// nlp/icu_word_tokenizer.cpp — IcuWordTokenizer and case_fold on ICU (the only ICU users in nlp).
//
// Per document: validate UTF-8, convert to UTF-16 once while recording the UTF-8 byte offset of
// every UTF-16 unit, run a per-thread clone of one word BreakIterator over the UTF-16 buffer, and
// map segment boundaries back to byte offsets through the table. ICU status codes become
// textlrp::Error here and never leave this file.
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>
#include <unicode/utf16.h>

#include "core/error.h"
#include "core/utf8.h"
#include "nlp/tokenizer.h"

namespace textlrp::nlp {
namespace {

// The shared word BreakIterator that per-thread iterators are cloned from. Created once; a
// BreakIterator must not be used by two threads at once, so it is only ever cloned (under
// a mutex) and never iterated.
const icu::BreakIterator& prototype() {
  static const std::unique_ptr<icu::BreakIterator> proto = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> it(
        icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status) || !it) {
      throw Error(fmt::format("ICU: cannot create the word break iterator: {}", u_errorName(status)));
    }
    return it;
  }();
  return *proto;
}

// Per-thread working state, reused across documents so tokenize() allocates little.
struct Scratch {
  std::unique_ptr<icu::BreakIterator> words;
  std::vector<UChar> u16;             // the document in UTF-16
  std::vector<std::uint32_t> offset;  // offset[i] = UTF-8 byte offset of u16[i]; [n16] = size
  std::vector<UChar> folded;          // case-folding output for one token

  icu::BreakIterator& iterator() {
    if (!words) {
      static std::mutex mutex;
      std::lock_guard<std::mutex> lock(mutex);
      words.reset(prototype().clone());
      if (!words) throw Error("ICU: cannot clone the word break iterator");
    }
    return *words;
  }
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// The length of the longest prefix of `s` that is pure ASCII.
std::size_t ascii_prefix_length(std::string_view s) {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if (word & 0x8080808080808080ull) break;
  }
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
  return i;
}

void check_input(std::string_view utf8, std::string_view what) {
  if (utf8.size() >= static_cast<std::size_t>(INT32_MAX)) {
    throw InvalidArgument(
        fmt::format("{}: text of {} bytes is too long (the limit is 2 GiB)", what, utf8.size()));
  }
  // Skip the ASCII prefix eight bytes at a time (most text is mostly ASCII); the rest starts on
  // a character boundary and goes through the full validator.
  const std::size_t ascii = ascii_prefix_length(utf8);
  if (auto bad = find_invalid_utf8(utf8.substr(ascii))) {
    throw InvalidArgument(fmt::format("{}: invalid UTF-8 at byte {}", what, ascii + *bad));
  }
}

void ascii_lower_in_place(std::string& s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

// Decodes valid UTF-8 into s.u16 and fills s.offset. Returns the UTF-16 length.
std::int32_t to_utf16(std::string_view utf8, Scratch& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
  const std::size_t n = utf8.size();
  // UTF-16 never needs more units than UTF-8 needs bytes.
  if (s.u16.size() < n + 1) {
    s.u16.resize(n + 1);
    s.offset.resize(n + 1);
  }
  UChar* out = s.u16.data();
  std::uint32_t* off = s.offset.data();
  std::size_t j = 0;
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      out[j] = static_cast<UChar>(c);
      off[j++] = static_cast<std::uint32_t>(i);
      ++i;
      continue;
    }
    UChar32 cp;
    std::size_t len;
    if (c < 0xE0) {
      cp = static_cast<UChar32>(((c & 0x1F) << 6) | (p[i + 1] & 0x3F));
      len = 2;
    } else if (c < 0xF0) {
      cp = static_cast<UChar32>(((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F));
      len = 3;
    } else {
      cp = static_cast<UChar32>(((c & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6) |
                                (p[i + 3] & 0x3F));
      len = 4;
    }
    if (cp < 0x10000) {
      out[j] = static_cast<UChar>(cp);
      off[j++] = static_cast<std::uint32_t>(i);
    } else {
      out[j] = U16_LEAD(cp);
      off[j++] = static_cast<std::uint32_t>(i);
      out[j] = U16_TRAIL(cp);
      off[j++] = static_cast<std::uint32_t>(i);
    }
    i += len;
  }
  off[j] = static_cast<std::uint32_t>(n);
  return static_cast<std::int32_t>(j);
}

// True if u16[begin, end) holds only white space, control and format characters.
bool is_blank(const UChar* u16, std::int32_t begin, std::int32_t end) {
  std::int32_t i = begin;
  while (i < end) {
    UChar32 c;
    U16_NEXT(u16, i, end, c);
    if (c < 0x80) {
      if (c > 0x20 && c != 0x7F) return false;
      continue;
    }
    if (u_isUWhiteSpace(c)) continue;
    const std::int8_t type = u_charType(c);
    if (type == U_CONTROL_CHAR || type == U_FORMAT_CHAR) continue;
    return false;
  }
  return true;
}

// Full case folding of UTF-16 units into UTF-8.
std::string fold_utf16(const UChar* src, std::int32_t n, std::vector<UChar>& buffer) {
  if (buffer.size() < static_cast<std::size_t>(n) * 3 + 8) buffer.resize(n * 3 + 8);
  UErrorCode status = U_ZERO_ERROR;
  std::int32_t n_folded = u_strFoldCase(buffer.data(), static_cast<std::int32_t>(buffer.size()), src, n,
                                        U_FOLD_CASE_DEFAULT, &status);
  if (status == U_BUFFER_OVERFLOW_ERROR) {
    buffer.resize(static_cast<std::size_t>(n_folded) + 1);
    status = U_ZERO_ERROR;
    n_folded = u_strFoldCase(buffer.data(), static_cast<std::int32_t>(buffer.size()), src, n,
                             U_FOLD_CASE_DEFAULT, &status);
  }
  if (U_FAILURE(status)) {
    throw Error(fmt::format("ICU: case folding failed: {}", u_errorName(status)));
  }
  std::string out(static_cast<std::size_t>(n_folded) * 3, '\0');
  std::int32_t n_bytes = 0;
  u_strToUTF8(out.data(), static_cast<std::int32_t>(out.size()), &n_bytes, buffer.data(), n_folded, &status);
  if (U_FAILURE(status)) {
    throw Error(fmt::format("ICU: UTF-16 to UTF-8 conversion failed: {}", u_errorName(status)));
  }
  out.resize(static_cast<std::size_t>(n_bytes));
  return out;
}

}  // namespace

IcuWordTokenizer::IcuWordTokenizer(TokenizerOptions options) : options_(options) {
  prototype();  // report missing ICU data at construction, not at the first tokenize()
}

std::vector<Token> IcuWordTokenizer::tokenize(std::string_view utf8) const {
  check_input(utf8, "tokenize");
  std::vector<Token> tokens;
  if (utf8.empty()) return tokens;

  Scratch& s = scratch();
  const std::int32_t n16 = to_utf16(utf8, s);
  const UChar* u16 = s.u16.data();
  const std::uint32_t* offset = s.offset.data();

  icu::BreakIterator& words = s.iterator();
  UErrorCode status = U_ZERO_ERROR;
  UText text = UTEXT_INITIALIZER;
  utext_openUChars(&text, u16, n16, &status);
  words.setText(&text, status);  // takes a shallow clone: `text` itself can be closed now
  utext_close(&text);
  if (U_FAILURE(status)) {
    throw Error(fmt::format("ICU: cannot set the break iterator's text: {}", u_errorName(status)));
  }

  tokens.reserve(utf8.size() / 6 + 1);
  std::int32_t begin = words.first();
  for (std::int32_t end = words.next(); end != icu::BreakIterator::DONE; begin = end, end = words.next()) {
    const bool is_word = words.getRuleStatus() >= UBRK_WORD_NONE_LIMIT;
    if (!is_word && (!options_.keep_punctuation || is_blank(u16, begin, end))) continue;

    Token& token = tokens.emplace_back();
    token.begin = offset[begin];
    token.end = offset[end];
    const std::string_view surface = utf8.substr(token.begin, token.end - token.begin);
    if (!options_.lowercase) {
      token.text.assign(surface);
    } else if (surface.size() == static_cast<std::size_t>(end - begin)) {
      // As many bytes as UTF-16 units: every character is ASCII.
      token.text.assign(surface);
      ascii_lower_in_place(token.text);
    } else {
      token.text = fold_utf16(u16 + begin, end - begin, s.folded);
    }
  }
  return tokens;
}

nlohmann::json IcuWordTokenizer::config() const {
  return {{"kind", "icu-word"},
          {"lowercase", options_.lowercase},
          {"keep_punctuation", options_.keep_punctuation}};
}

std::string case_fold(std::string_view utf8) {
  check_input(utf8, "case_fold");
  std::string out(utf8);
  if (ascii_prefix_length(utf8) == utf8.size()) {
    ascii_lower_in_place(out);
    return out;
  }
  out.clear();
  icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<std::int32_t>(utf8.size())))
      .foldCase(U_FOLD_CASE_DEFAULT)
      .toUTF8String(out);
  return out;
}

}  // namespace textlrp::nlp
