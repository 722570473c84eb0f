// core/utf8.h — UTF-8 validation, Latin-1 decoding and JSON string escaping.
//
// Used by the corpus readers (decode a file as UTF-8, fall back to Latin-1), the JSONL input
// reader (reject invalid UTF-8 with a line number) and every writer of JSON or HTML.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace textlrp {

// Returns the byte offset of the first invalid UTF-8 sequence (overlong forms, surrogates and
// code points above U+10FFFF are invalid), or std::nullopt if the whole text is valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);
inline bool is_valid_utf8(std::string_view text) { return !find_invalid_utf8(text).has_value(); }

// Decodes Latin-1 (ISO-8859-1) bytes to UTF-8: every byte is one code point.
std::string latin1_to_utf8(std::string_view bytes);

// Returns the text as UTF-8: unchanged when valid, else decoded as Latin-1.
// Sets *was_latin1 (if given) to say which happened.
std::string decode_utf8_or_latin1(std::string_view bytes, bool* was_latin1 = nullptr);

// A UTF-8 byte-order mark (U+FEFF encoded), which the text readers skip at the start of a file.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// True when `text` starts with kUtf8Bom.
inline bool starts_with_bom(std::string_view text) { return text.substr(0, 3) == kUtf8Bom; }

// Returns `text` with every maximal invalid UTF-8 subpart (the Unicode "substitution of maximal
// subparts" practice, as Python's errors="replace" and ICU do) replaced by U+FFFD, and adds the
// number of replacements to *n_replaced (if given). Valid text comes back unchanged.
std::string replace_invalid_utf8(std::string_view text, std::size_t* n_replaced = nullptr);

// `text` made safe and visible for an error message: characters that print as nothing or look
// like a space (control characters, U+FEFF byte-order mark, zero-width and bidi controls, soft
// hyphen, no-break and other unusual spaces, line/paragraph separators) become "<U+FEFF>"-style
// escapes, and bytes that are not valid UTF-8 become "\xE9". Ordinary text, including
// non-ASCII letters and the ASCII space, is kept. At most `max_bytes` of the input are shown
// (cut at a character boundary, "..." appended). The one helper every reader's message uses.
std::string visible(std::string_view text, std::size_t max_bytes = 80);

// Appends `text` as a JSON string literal (with quotes) to `out`. Control characters become
// \u00XX escapes; '<', '>' and '&' are escaped too so the JSON is safe inside HTML. Precondition:
// text is valid UTF-8. The one JSON escaper: every writer of JSON calls this or write_json_string.
void append_json_string(std::string& out, std::string_view text);

// The most bytes write_json_string writes for `n` bytes of text: every byte may become a six-byte
// \u00XX escape, plus the two quotes.
constexpr std::size_t json_string_bound(std::size_t n) { return 6 * n + 2; }

// append_json_string into raw memory, for writers that size their buffer once (apps' JSONL
// writer): writes the literal at `dst`, which must have room for json_string_bound(text.size())
// bytes, and returns the end of what it wrote. The same bytes as append_json_string.
char* write_json_string(char* dst, std::string_view text);

// Appends `text` with HTML special characters (& < > " ') escaped.
void append_html_escaped(std::string& out, std::string_view text);
std::string html_escape(std::string_view text);

}  // namespace textlrp
