// corpora/input.cpp — opening the documents an InputOptions names (corpora/input.h).
#include "corpora/input.h"

#include <fmt/format.h>

#include "core/error.h"

namespace textlrp::corpora {

namespace {

// Maps the labels of another reader's documents (InputOptions::relabel).
class RelabelReader : public corpora::CorpusReader {
 public:
  RelabelReader(std::unique_ptr<corpora::CorpusReader> inner,
                std::vector<std::pair<std::string, std::string>> map)
      : inner_(std::move(inner)), map_(std::move(map)) {}
  bool next(corpora::Example& out) override {
    if (!inner_->next(out)) return false;
    if (out.label) {
      for (const auto& [from, to] : map_) {
        if (*out.label == from) {
          out.label = to;
          break;
        }
      }
    }
    return true;
  }
  std::string_view format() const override { return inner_->format(); }

 private:
  std::unique_ptr<corpora::CorpusReader> inner_;
  std::vector<std::pair<std::string, std::string>> map_;
};

std::unique_ptr<corpora::CorpusReader> relabeled(
    std::unique_ptr<corpora::CorpusReader> reader,
    const std::vector<std::pair<std::string, std::string>>& map) {
  if (map.empty()) return reader;
  return std::make_unique<RelabelReader>(std::move(reader), map);
}

}  // namespace

corpora::CorpusOptions InputOptions::corpus_options(const std::function<void(std::string_view)>& warn) const {
  corpora::CorpusOptions co;
  co.warn = warn;
  co.encoding = corpora::parse_encoding(encoding);
  co.csv_label_column = csv_label_column;
  co.csv_text_columns = csv_text_columns;
  co.csv_header = csv_header == "yes"  ? corpora::CsvHeader::kYes
                  : csv_header == "no" ? corpora::CsvHeader::kNo
                                       : corpora::CsvHeader::kAuto;
  co.csv_join = csv_join == "space" ? " " : csv_join == "period" ? ". " : "\n";
  for (const auto& s : strip) {
    if (s == "headers") co.strip_headers = true;
    if (s == "footers") co.strip_footers = true;
    if (s == "quotes") co.strip_quotes = true;
  }
  return co;
}

bool InputOptions::reads_stdin() const {
  if (!input.empty()) return input == "-";
  const std::size_t colon = corpus.find(':');
  return corpus == "-" || (colon != std::string::npos && corpus.substr(colon + 1) == "-");
}

std::unique_ptr<corpora::CorpusReader> InputOptions::open(
    const std::function<void(std::string_view)>& warn) const {
  if (corpus.empty() == input.empty()) {
    throw InvalidArgument(corpus.empty() ? "give the documents with --corpus SPEC or --input FILE"
                                         : "give either --corpus or --input, not both");
  }
  const corpora::CorpusOptions co = corpus_options(warn);
  const corpora::Shard part = shard.empty() ? corpora::Shard{} : corpora::Shard::parse(shard);
  if (!corpus.empty())
    return relabeled(corpora::shard_corpus(corpora::open_corpus(corpus, co), part), relabel);
  std::string fmt_name = input_format;
  if (fmt_name == "auto") {
    auto ends_with = [&](std::string_view suffix) {
      return input.size() > suffix.size() &&
             input.compare(input.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    fmt_name = ends_with(".txt") || ends_with(".text") ? "text"
               : ends_with(".tsv")                     ? "tsv"
               : ends_with(".csv")                     ? "csv"
                                                       : "jsonl";
    if ((fmt_name == "tsv" || fmt_name == "csv") && warn)
      warn(fmt::format("input: reading {} as {} (by its extension)", input, fmt_name));
  }
  return relabeled(corpora::shard_corpus(corpora::open_corpus(fmt_name + ":" + input, co), part), relabel);
}

DocumentCounter::DocumentCounter(const InputOptions& input) {
  auto is_stdin = [](const std::string& spec) {
    return spec == "-" || (spec.size() >= 2 && spec.compare(spec.size() - 2, 2, ":-") == 0);
  };
  if (is_stdin(input.input) || is_stdin(input.corpus)) return;
  thread_ = std::thread([this, in = input] {
    try {
      auto reader = in.open({});
      corpora::Example ex;
      std::size_t n = 0;
      while (!stop_.load(std::memory_order_relaxed) && reader->next(ex)) ++n;
      if (!stop_.load()) total_.store(n);
    } catch (...) {
      // The main pass reads the same input and reports the error.
    }
  });
}

DocumentCounter::~DocumentCounter() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

}  // namespace textlrp::corpora
