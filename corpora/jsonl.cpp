// corpora/jsonl.cpp — the JSONL reader (see jsonl.h).
#include "corpora/jsonl.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"
#include "corpora/line_utils.h"

namespace textlrp::corpora {
namespace {

using nlohmann::json;

// nlohmann's messages start with "[json.exception.parse_error.101] "; keep only the explanation.
std::string parser_message(const json::exception& e) {
  std::string what = e.what();
  if (!what.empty() && what.front() == '[') {
    const std::size_t end = what.find("] ");
    if (end != std::string::npos) what.erase(0, end + 2);
  }
  return what;
}

class JsonlReader final : public CorpusReader {
 public:
  JsonlReader(const std::filesystem::path& path, const CorpusOptions& options)
      : reader_(path), decoder_(options.encoding, options.warn) {}

  bool next(Example& out) override {
    while (reader_.next(line_)) {
      if (detail::is_blank(line_)) continue;
      parse(reader_.line_number(), out);
      ++n_records_;
      return true;
    }
    decoder_.finish(reader_.name());
    return false;
  }

  std::string_view format() const override { return "jsonl"; }

 private:
  [[noreturn]] void fail(std::size_t n, const std::string& what) const {
    throw FormatError(fmt::format("{}:{}: {}", reader_.name(), n, what));
  }

  // A string or number as a string; `key` names the field in messages.
  std::string scalar_string(std::size_t n, const json& value, const char* key) const {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number()) return value.dump();
    fail(n, fmt::format("expected \"{}\" to be a string or number, got {}", key, value.type_name()));
  }

  void parse(std::size_t n, Example& out) {
    decoder_.decode(reader_.name(), n, line_);
    json obj;
    try {
      obj = json::parse(line_);
    } catch (const json::exception& e) {
      // parse_error (syntax) and out_of_range (a number beyond double range, e.g. 1e999: found
      // by fuzzing) both mean the line is not JSON we can represent.
      std::string hint;
      const std::size_t first = line_.find_first_not_of(" \t");
      if (n_records_ == 0 && first != std::string::npos && line_[first] != '{' && line_[first] != '[') {
        // The first record does not even start like JSON: most likely plain text.
        hint =
            "; if this is plain text (one document a line), read it with --input-format text "
            "(or --corpus text:PATH)";
      }
      fail(n, fmt::format("expected a JSON object, got invalid JSON: {}{}", parser_message(e), hint));
    }
    if (!obj.is_object()) fail(n, fmt::format("expected a JSON object, got {}", obj.type_name()));

    const auto text = obj.find("text");
    const auto tokens = obj.find("tokens");
    const bool has_text = text != obj.end();
    const bool has_tokens = tokens != obj.end();
    if (!has_text && !has_tokens) fail(n, "expected a \"text\" or \"tokens\" field, got neither");

    out.tokens.reset();
    if (has_tokens) {
      if (!tokens->is_array()) {
        fail(n, fmt::format("expected \"tokens\" to be an array of strings, got {}", tokens->type_name()));
      }
      std::vector<std::string> toks;
      toks.reserve(tokens->size());
      for (std::size_t i = 0; i < tokens->size(); ++i) {
        const json& t = (*tokens)[i];
        if (!t.is_string())
          fail(n, fmt::format("expected \"tokens\"[{}] to be a string, got {}", i, t.type_name()));
        toks.push_back(t.get<std::string>());
      }
      out.tokens = std::move(toks);
    }
    if (has_text) {
      if (!text->is_string())
        fail(n, fmt::format("expected \"text\" to be a string, got {}", text->type_name()));
      out.text = text->get<std::string>();
      if (has_tokens) check_tokens_match_text(n, *out.tokens, out.text);
    } else {
      out.text.clear();
      for (std::size_t i = 0; i < out.tokens->size(); ++i) {
        if (i) out.text.push_back(' ');
        out.text += (*out.tokens)[i];
      }
    }

    const auto id = obj.find("id");
    out.id =
        (id == obj.end() || id->is_null()) ? detail::generated_id(n, out.text) : scalar_string(n, *id, "id");
    const auto label = obj.find("label");
    if (label == obj.end() || label->is_null()) {
      out.label.reset();
    } else {
      out.label = scalar_string(n, *label, "label");
    }
    out.line = n;
  }

  // "text" and "tokens" together must describe one document: the tokens are the text's tokens,
  // found in it in order, with nothing but whitespace before, between (or nothing: "it" "'s")
  // and after them. Otherwise the model would read the tokens while the output showed the text.
  void check_tokens_match_text(std::size_t n, const std::vector<std::string>& tokens,
                               std::string_view text) const {
    auto is_ws = [](char c) {
      return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    };
    std::size_t pos = 0;
    auto skip_ws = [&] {
      while (pos < text.size() && is_ws(text[pos])) ++pos;
    };
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      skip_ws();
      const std::string& t = tokens[i];
      if (t.empty() || text.compare(pos, t.size(), t) != 0) {
        const std::string_view found = text.substr(pos, std::max<std::size_t>(t.size(), 1) + 10);
        fail(n, fmt::format(
                    "\"tokens\" do not match \"text\": expected token {} '{}' at byte {} of the text, "
                    "found '{}'{}; give only one of the two, or tokens that are the text's tokens in order "
                    "(only whitespace between them)",
                    i, visible(t), pos, visible(found), pos >= text.size() ? " (end of text)" : ""));
      }
      pos += t.size();
    }
    skip_ws();
    if (pos < text.size()) {
      fail(n,
           fmt::format("\"tokens\" do not match \"text\": the {} token(s) end at byte {} of the text, but "
                       "it goes on with '{}'; give only one of the two, or tokens that cover the whole text",
                       tokens.size(), pos, visible(text.substr(pos, 20))));
    }
  }

  LineReader reader_;
  detail::LineDecoder decoder_;
  std::size_t n_records_ = 0;
  std::string line_;
};

}  // namespace

std::unique_ptr<CorpusReader> open_jsonl_corpus(const std::filesystem::path& path,
                                                const CorpusOptions& options) {
  return std::make_unique<JsonlReader>(path, options);
}

}  // namespace textlrp::corpora
