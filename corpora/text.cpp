// corpora/text.cpp — the text and tsv readers (see text.h).
#include "corpora/text.h"

#include <string>

#include <fmt/format.h>

#include "core/error.h"
#include "core/file.h"
#include "corpora/line_utils.h"

namespace textlrp::corpora {
namespace {

class LineCorpusReader final : public CorpusReader {
 public:
  LineCorpusReader(const std::filesystem::path& path, bool tsv, const CorpusOptions& options)
      : reader_(path), tsv_(tsv), decoder_(options.encoding, options.warn) {}

  bool next(Example& out) override {
    while (reader_.next(line_)) {
      if (detail::is_blank(line_)) continue;
      const std::size_t n = reader_.line_number();
      decoder_.decode(reader_.name(), n, line_);
      out.tokens.reset();
      out.line = n;
      if (!tsv_) {
        out.text = line_;
        out.label.reset();
        out.id = detail::generated_id(n, out.text);
        return true;
      }
      const std::size_t tab = line_.find('\t');
      if (tab == std::string::npos) {
        throw FormatError(fmt::format("{}:{}: expected 'label<TAB>text', got a line without a tab: '{}'",
                                      reader_.name(), n, visible(line_, 60)));
      }
      if (tab == 0) {
        throw FormatError(
            fmt::format("{}:{}: expected a label before the tab, got an empty field", reader_.name(), n));
      }
      out.label = line_.substr(0, tab);
      out.text = line_.substr(tab + 1);
      out.id = detail::generated_id(n, out.text);
      return true;
    }
    decoder_.finish(reader_.name());
    return false;
  }

  std::string_view format() const override { return tsv_ ? "tsv" : "text"; }

 private:
  LineReader reader_;
  bool tsv_;
  detail::LineDecoder decoder_;
  std::string line_;
};

}  // namespace

std::unique_ptr<CorpusReader> open_text_corpus(const std::filesystem::path& path,
                                               const CorpusOptions& options) {
  return std::make_unique<LineCorpusReader>(path, false, options);
}

std::unique_ptr<CorpusReader> open_tsv_corpus(const std::filesystem::path& path,
                                              const CorpusOptions& options) {
  return std::make_unique<LineCorpusReader>(path, true, options);
}

}  // namespace textlrp::corpora
