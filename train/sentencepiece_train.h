// train/sentencepiece_train.h — training SentencePiece subword models (unigram, BPE) with
// SentencePiece's trainer (libsentencepiece_train), for `textlrp tokenizer train`.
//
// The model it returns is read back by nlp::SentencePieceTokenizer (nlp/sentencepiece_tokenizer.h).
// Part of the optional training module (TEXTLRP_WITH_TRAINING): an explain-only build has no
// SentencePiece trainer, only the tokenizer.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace textlrp::train {

// Settings of train_sentencepiece (`textlrp tokenizer train`); defaults as in spm_train, except
// the number of threads.
struct SentencePieceTrainOptions {
  // Size of the piece table including <unk>, <s>, </s>.
  std::size_t vocab_size = 8000;
  // "unigram" or "bpe".
  std::string model_type = "unigram";
  // Fraction of characters the model must cover; the rest become <unk> (or bytes with
  // byte_fallback). 0.9995 suits most scripts, 1.0 small alphabets such as English.
  double character_coverage = 0.9995;
  // SentencePiece's normalization rule: "nmt_nfkc" (NFKC plus NMT clean-up), "nfkc",
  // "nmt_nfkc_cf" / "nfkc_cf" (the same with case folding) or "identity" (none). The NFKC rules
  // add a ~240 KB table to the model file; "identity" keeps small models small.
  std::string normalization = "nmt_nfkc";
  // Decompose unknown characters into UTF-8 byte pieces instead of <unk>.
  bool byte_fallback = false;
  // Sample at most this many sentences (0 = use all).
  std::size_t max_sentences = 0;
  // Sentences longer than this many bytes are skipped by SentencePiece.
  std::size_t max_sentence_length = 4192;
  // Seed of SentencePiece's sampling (process-wide in SentencePiece).
  unsigned seed = 1;
  int threads = 1;
  // SentencePiece's own log lines (on stderr) are shown only when true.
  bool verbose = false;
};

// Trains a SentencePiece model on the sentences `next_sentence` yields (it returns false when
// there are no more) and returns the serialized model (the bytes of a .model file).
// Throws InvalidArgument for bad options (model type not unigram/bpe, unknown normalization,
// vocab_size < 4, coverage outside (0, 1], threads outside 1..128) and for a vocabulary size the
// corpus cannot support (SentencePiece's message, which names the largest possible size), Error for
// other training failures; an exception thrown by `next_sentence` is rethrown unchanged.
// Not to be called from two threads at once: SentencePiece's seed and log level are process-wide.
// Deterministic for a given corpus and options when threads == 1.
std::string train_sentencepiece(const std::function<bool(std::string&)>& next_sentence,
                                const SentencePieceTrainOptions& options);

}  // namespace textlrp::train
