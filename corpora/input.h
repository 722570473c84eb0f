// corpora/input.h — which documents to read and how: a labelled corpus (--corpus FORMAT:PATH) or an
// input file (--input FILE|- with its format), with the reading options of corpora/corpus.h
// (--strip, --encoding, --csv-*), a shard of the documents and a label map.
//
// Users: the command-line tool fills it from its flags (apps/common/cli.h, add_input_options), the
// public API (api/src/api.cpp) and the trainers' document reader (train/training_input.h) fill it
// themselves; explain::input_for_models (explain/pipeline.h) adapts it to the models that read it.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "corpora/corpus.h"

namespace textlrp::corpora {

struct InputOptions {
  std::string corpus;
  std::string input;
  std::string input_format = "auto";
  std::vector<std::string> strip;  // headers, footers, quotes (folder corpora)
  std::string shard;               // "I/N" (empty = everything); see corpora::Shard
  // Corpus label -> model label, applied to every document read (a model trained with
  // `train --labels`: "3" -> "positive"); set by explain::input_for_models, empty = labels as read.
  std::vector<std::pair<std::string, std::string>> relabel;
  std::string encoding = "utf-8";  // line formats: utf-8, latin-1 or replace (corpora::Encoding)
  std::string csv_label_column = "1";
  std::vector<std::string> csv_text_columns;
  std::string csv_header = "auto";   // auto, yes, no
  std::string csv_join = "newline";  // newline, space, period
  // Opens the reader. Throws InvalidArgument when neither or both of corpus/input are given.
  std::unique_ptr<CorpusReader> open(const std::function<void(std::string_view)>& warn) const;
  // The corpus options these settings give (strip, encoding, csv_*), for opening further corpora
  // (a dev corpus) the same way. Throws InvalidArgument for a bad encoding.
  CorpusOptions corpus_options(const std::function<void(std::string_view)>& warn) const;
  // True when the documents come from stdin (input "-" or corpus FORMAT:-), which can be read once only.
  bool reads_stdin() const;
};

// Counts the documents of `input` in a background thread (a second reader over the same input,
// without warnings), for progress totals; stdin is never counted. total() is 0 until the count is
// known (or when counting failed: the main pass reports the error). The destructor stops and joins.
class DocumentCounter {
 public:
  explicit DocumentCounter(const InputOptions& input);
  ~DocumentCounter();
  DocumentCounter(const DocumentCounter&) = delete;
  DocumentCounter& operator=(const DocumentCounter&) = delete;
  std::size_t total() const { return total_.load(); }

 private:
  std::atomic<std::size_t> total_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace textlrp::corpora
