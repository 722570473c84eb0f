// corpora/jsonl.cpp — the JSONL reader (see jsonl.h).
#include "corpora/jsonl.h"

#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file.h"
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
  explicit JsonlReader(const std::filesystem::path& path) : reader_(path) {}

  bool next(Example& out) override {
    while (reader_.next(line_)) {
      if (detail::is_blank(line_)) continue;
      parse(reader_.line_number(), out);
      return true;
    }
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

  void parse(std::size_t n, Example& out) const {
    detail::check_utf8_line(reader_.name(), n, line_);
    json obj;
    try {
      obj = json::parse(line_);
    } catch (const json::exception& e) {
      // parse_error (syntax) and out_of_range (a number beyond double range, e.g. 1e999: found
      // by fuzzing) both mean the line is not JSON we can represent.
      fail(n, fmt::format("expected a JSON object, got invalid JSON: {}", parser_message(e)));
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
        if (!t.is_string()) fail(n, fmt::format("expected \"tokens\"[{}] to be a string, got {}", i, t.type_name()));
        toks.push_back(t.get<std::string>());
      }
      out.tokens = std::move(toks);
    }
    if (has_text) {
      if (!text->is_string()) fail(n, fmt::format("expected \"text\" to be a string, got {}", text->type_name()));
      out.text = text->get<std::string>();
    } else {
      out.text.clear();
      for (std::size_t i = 0; i < out.tokens->size(); ++i) {
        if (i) out.text.push_back(' ');
        out.text += (*out.tokens)[i];
      }
    }

    const auto id = obj.find("id");
    out.id = (id == obj.end() || id->is_null()) ? detail::generated_id(n, out.text) : scalar_string(n, *id, "id");
    const auto label = obj.find("label");
    if (label == obj.end() || label->is_null()) {
      out.label.reset();
    } else {
      out.label = scalar_string(n, *label, "label");
    }
    out.line = n;
  }

  LineReader reader_;
  std::string line_;
};

}  // namespace

std::unique_ptr<CorpusReader> open_jsonl_corpus(const std::filesystem::path& path,
                                                const CorpusOptions& /*options*/) {
  return std::make_unique<JsonlReader>(path);
}

}  // namespace textlrp::corpora
