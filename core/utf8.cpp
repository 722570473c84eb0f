#include "core/utf8.h"

#include <array>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace textlrp {

std::optional<std::size_t> find_invalid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0u) != 0x80u) return i;
      cp = (cp << 6) | (s[i + k] & 0x3Fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return std::nullopt;
}

namespace {

// Length of the valid UTF-8 sequence at text[i], or 0 when it is invalid there. Sets *cp.
std::size_t sequence_at(std::string_view text, std::size_t i, std::uint32_t* cp) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  const unsigned char c = s[i];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  std::size_t len;
  std::uint32_t v;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    v = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    v = c & 0x0Fu;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    v = c & 0x07u;
  } else {
    return 0;
  }
  if (i + len > n) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((s[i + k] & 0xC0u) != 0x80u) return 0;
    v = (v << 6) | (s[i + k] & 0x3Fu);
  }
  if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
    return 0;
  }
  *cp = v;
  return len;
}

// The number of bytes of the maximal subpart of an ill-formed sequence starting at text[i] (at
// least 1): the lead byte plus the continuation bytes that could still have completed it
// (Unicode 15, section 3.9, "U+FFFD substitution of maximal subparts").
std::size_t maximal_subpart(std::string_view text, std::size_t i) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  const unsigned char c = s[i];
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  std::size_t k = 1;
  if (i + k < n && s[i + k] >= lo && s[i + k] <= hi) {
    ++k;
    while (k < len && i + k < n && (s[i + k] & 0xC0u) == 0x80u) ++k;
  }
  return k;
}

bool is_invisible(std::uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD || cp == 0x034F || cp == 0x061C ||
         cp == 0x115F || cp == 0x1160 || cp == 0x1680 || cp == 0x180E || (cp >= 0x2000 && cp <= 0x200F) ||
         (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0x3164 ||
         (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || cp == 0xFFA0 || (cp >= 0xFFF0 && cp <= 0xFFFB) ||
         (cp >= 0xE0000 && cp <= 0xE0FFF);
}

}  // namespace

std::string replace_invalid_utf8(std::string_view text, std::size_t* n_replaced) {
  if (is_valid_utf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::uint32_t cp;
    const std::size_t len = sequence_at(text, i, &cp);
    if (len > 0) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++count;
      i += maximal_subpart(text, i);
    }
  }
  if (n_replaced) *n_replaced += count;
  return out;
}

std::string visible(std::string_view text, std::size_t max_bytes) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (i >= max_bytes) {
      out += "...";
      break;
    }
    std::uint32_t cp;
    const std::size_t len = sequence_at(text, i, &cp);
    if (len == 0) {
      out += fmt::format("\\x{:02X}", static_cast<unsigned>(static_cast<unsigned char>(text[i])));
      ++i;
    } else if (cp != 0x20 && is_invisible(cp)) {
      out += fmt::format("<U+{:04X}>", cp);
      i += len;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string latin1_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

std::string decode_utf8_or_latin1(std::string_view bytes, bool* was_latin1) {
  const bool valid = is_valid_utf8(bytes);
  if (was_latin1) *was_latin1 = !valid;
  return valid ? std::string(bytes) : latin1_to_utf8(bytes);
}

namespace {

// What follows the backslash of each byte's escape: 0 for a byte copied as is, 'u' for \u00XX.
constexpr std::array<char, 256> kJsonEscape = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 'u';
  t[0x7F] = 'u';
  t['<'] = t['>'] = t['&'] = 'u';  // safe inside HTML <script>
  t['"'] = '"';
  t['\\'] = '\\';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  return t;
}();

// True when one of the 8 bytes of x needs an escape (kJsonEscape): a byte below 0x20, 0x7F, or
// one of " \\ < > &. Bit tricks on a 64-bit word ("has a zero byte", "has a byte below n"), so that
// ordinary text is checked and copied 8 bytes at a time.
constexpr bool word_needs_escape(std::uint64_t x) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  // (v - 1·n) & ~v has a high bit set in some byte iff some byte of v is below n (n <= 0x80); n = 1
  // finds a zero byte, so v = x ^ c·ones finds a byte equal to c. One branch for all seven tests.
  auto below = [](std::uint64_t v, std::uint64_t n) { return (v - kOnes * n) & ~v; };
  auto equal = [&](unsigned char c) { return below(x ^ (kOnes * c), 1); };
  const std::uint64_t m =
      below(x, 0x20) | equal('"') | equal('\\') | equal('<') | equal('>') | equal('&') | equal(0x7F);
  return (m & kHigh) != 0;
}
static_assert(!word_needs_escape(0x6867666564636261ull));  // "abcdefgh"
static_assert(!word_needs_escape(0xA9C3A9C3A9C3A9C3ull));  // "éééé"
static_assert(!word_needs_escape(0x2020202020202020ull));  // spaces
static_assert(word_needs_escape(0x68676665640A6261ull));   // a newline
static_assert(word_needs_escape(0x1F67666564636261ull));   // 0x1F
static_assert(word_needs_escape(0x6867666564637F61ull));   // 0x7F
static_assert(word_needs_escape(0x6867666564263E3Cull));   // < > &

}  // namespace

char* write_json_string(char* dst, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  *dst++ = '"';
  // Text goes 8 bytes at a time: a word that needs no escape is copied as it is (the destination
  // has room: json_string_bound), one that does (and the tail) byte by byte through the table.
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    std::size_t stop = n;  // the bytes up to here go through the table
    if (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      if (!word_needs_escape(word)) {
        std::memcpy(dst, &word, 8);
        dst += 8;
        i += 8;
        continue;
      }
      stop = i + 8;
    }
    for (; i < stop; ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      const char e = kJsonEscape[c];
      if (e == 0) {
        *dst++ = static_cast<char>(c);
        continue;
      }
      *dst++ = '\\';
      *dst++ = e;
      if (e == 'u') {
        *dst++ = '0';
        *dst++ = '0';
        *dst++ = kHex[c >> 4];
        *dst++ = kHex[c & 15];
      }
    }
  }
  *dst++ = '"';
  return dst;
}

void append_json_string(std::string& out, std::string_view text) {
  // Runs of bytes that need no escape are appended whole; the rest through write_json_string.
  out.push_back('"');
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && kJsonEscape[static_cast<unsigned char>(text[j])] == 0) ++j;
    out.append(text.data() + i, j - i);
    if (j == text.size()) break;
    char escaped[json_string_bound(1)];
    const char* end = write_json_string(escaped, text.substr(j, 1));
    out.append(escaped + 1, static_cast<std::size_t>(end - 1 - (escaped + 1)));  // without the quotes
    i = j + 1;
  }
  out.push_back('"');
}

void append_html_escaped(std::string& out, std::string_view text) {
  for (const char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(ch);
    }
  }
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_html_escaped(out, text);
  return out;
}

}  // namespace textlrp
