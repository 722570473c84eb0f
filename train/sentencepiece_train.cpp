// train/sentencepiece_train.cpp — SentencePiece's trainer behind train_sentencepiece().
// util::Status becomes textlrp::Error here and never leaves this file.
#include "train/sentencepiece_train.h"

#include <climits>
#include <exception>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include "core/error.h"
#include "nlp/sentencepiece_status.h"

namespace textlrp::train {

namespace {

// Feeds SentencePiece's trainer from a callback. An exception from the callback ends the
// iteration with an error status and is kept, so train_sentencepiece() can rethrow it as is.
class CallbackIterator final : public sentencepiece::SentenceIterator {
 public:
  explicit CallbackIterator(const std::function<bool(std::string&)>& next) : next_(next) { advance(); }
  bool done() const override { return done_; }
  void Next() override { advance(); }
  const std::string& value() const override { return value_; }
  sentencepiece::util::Status status() const override { return status_; }
  std::exception_ptr error() const { return error_; }

 private:
  void advance() {
    if (done_) return;
    try {
      value_.clear();
      done_ = !next_(value_);
    } catch (...) {
      error_ = std::current_exception();
      done_ = true;
      status_ = sentencepiece::util::Status(sentencepiece::util::StatusCode::kCancelled,
                                            "reading the corpus failed");
    }
  }

  const std::function<bool(std::string&)>& next_;
  std::string value_;
  bool done_ = false;
  std::exception_ptr error_;
  sentencepiece::util::Status status_;
};

}  // namespace

std::string train_sentencepiece(const std::function<bool(std::string&)>& next_sentence,
                                const SentencePieceTrainOptions& options) {
  if (options.model_type != "unigram" && options.model_type != "bpe") {
    throw InvalidArgument(fmt::format("sentencepiece: model type '{}' is not supported (valid: unigram, bpe)",
                                      options.model_type));
  }
  if (options.vocab_size < 4 || options.vocab_size > static_cast<std::size_t>(INT32_MAX)) {
    throw InvalidArgument(
        fmt::format("sentencepiece: vocabulary size {} is out of range (at least 4: <unk>, <s>, </s> and one "
                    "piece)",
                    options.vocab_size));
  }
  if (!(options.character_coverage > 0 && options.character_coverage <= 1)) {
    throw InvalidArgument(fmt::format("sentencepiece: character coverage {} is out of range (0, 1]",
                                      options.character_coverage));
  }
  if (options.normalization != "nmt_nfkc" && options.normalization != "nfkc" &&
      options.normalization != "nmt_nfkc_cf" && options.normalization != "nfkc_cf" &&
      options.normalization != "identity") {
    throw InvalidArgument(
        fmt::format("sentencepiece: normalization '{}' is not supported (valid: nmt_nfkc, nfkc, nmt_nfkc_cf, "
                    "nfkc_cf, identity)",
                    options.normalization));
  }
  if (options.threads < 1 || options.threads > 128) {
    throw InvalidArgument(fmt::format("sentencepiece: {} threads is out of range (1..128)", options.threads));
  }
  if (options.max_sentence_length < 1 || options.max_sentence_length > static_cast<std::size_t>(INT32_MAX)) {
    throw InvalidArgument(fmt::format("sentencepiece: maximum sentence length {} is out of range",
                                      options.max_sentence_length));
  }
  const std::unordered_map<std::string, std::string> args = {
      {"model_type", options.model_type},
      {"vocab_size", std::to_string(options.vocab_size)},
      {"character_coverage", fmt::format("{}", options.character_coverage)},
      {"byte_fallback", options.byte_fallback ? "true" : "false"},
      {"normalization_rule_name", options.normalization},
      {"input_sentence_size", std::to_string(options.max_sentences)},
      {"shuffle_input_sentence", "true"},
      {"max_sentence_length", std::to_string(options.max_sentence_length)},
      {"num_threads", std::to_string(options.threads)},
      {"minloglevel", options.verbose ? "0" : "2"},
  };
  sentencepiece::SetRandomGeneratorSeed(options.seed);
  CallbackIterator iterator(next_sentence);
  std::string model;
  const auto status = sentencepiece::SentencePieceTrainer::Train(args, &iterator, &model);
  if (iterator.error()) std::rethrow_exception(iterator.error());
  if (!status.ok()) {
    const std::string message = nlp::spm_status_text(status);
    if (status.code() == sentencepiece::util::StatusCode::kInvalidArgument ||
        message.find("Vocabulary size") != std::string::npos) {
      throw InvalidArgument(fmt::format("sentencepiece: training failed: {}", message));
    }
    throw Error(fmt::format("sentencepiece: training failed: {}", message));
  }
  if (model.empty()) throw Error("sentencepiece: training produced no model");
  return model;
}

}  // namespace textlrp::train
