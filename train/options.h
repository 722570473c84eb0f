// train/options.h — what `textlrp train` trains and how (train_model() in train/train_model.h; the
// public API textlrp/train.h). Standard types only, so that the public API can carry it as it is.
//
// The fields are the flags of `textlrp train` (their names in the comments); the errors of
// check_options() and train_model() name the flags too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "embeddings/memory_vectors.h"

namespace textlrp::train {

// Word vectors held in memory, instead of an --embeddings file (the Python package's
// `textlrp.train(..., embeddings=(words, array))`): embeddings/memory_vectors.h, shared with the
// document vectors (analysis/docvec.h). Used exactly as the rows of a file would be (matched to the
// vocabulary, case folding included; words without a vector random). train_model() throws
// InvalidArgument for the bad tables emb::memory_table() rejects, and for both this and
// `embeddings` given.
using WordVectors = emb::WordVectors;

// The default --max-tokens (== lrp::kDefaultMaxTokens, checked in train_model.cpp).
inline constexpr std::ptrdiff_t kDefaultMaxTokens = 5000;

struct TrainOptions {
  std::string arch = "svm";   // --arch: svm (TF-IDF BoW + linear SVM), cnn or bilstm
  double dev_fraction = 0.1;  // --dev-fraction: held out for dev accuracy (unless dev documents are given)
  std::uint64_t seed = 1;     // --seed: split, initialisation, shuffling, dropout
  bool refit = true;          // !--no-refit: SVM: retrain on train + dev after reporting dev accuracy
  int threads = 0;            // --threads: tokenizing and the CNN/BiLSTM (< 1: every core)
  // Tokens and vocabulary
  std::string tokenizer = "icu-word";  // --tokenizer: icu-word or spm:FILE.model (a subword model)
  bool lowercase = true;               // !--no-lowercase (icu-word)
  bool keep_punctuation = false;       // --keep-punctuation (icu-word)
  std::size_t min_count = 1;           // --min-count (icu-word)
  std::size_t max_vocab = 0;           // --max-vocab, 0 = all (icu-word)
  // True when any of the four icu-word options above was given explicitly: with an spm: tokenizer
  // that is an InvalidArgument (the SentencePiece model decides them).
  bool word_options_given = false;
  // --labels: names of the integer corpus labels 0..N-1 (see parse_label_names); empty = the
  // corpus labels as they are, sorted.
  std::vector<std::string> label_names;
  // SVM
  double C = 1.0;             // --C
  bool sublinear_tf = false;  // --sublinear-tf
  // CNN and BiLSTM
  std::string embeddings;  // --embeddings FILE: initial word vectors (else random of `dim`)
  std::shared_ptr<const WordVectors> word_vectors;  // the same from memory (no flag; not with `embeddings`)
  std::ptrdiff_t dim = 100;                         // --dim
  std::ptrdiff_t max_tokens = kDefaultMaxTokens;    // --max-tokens
  int epochs = 10;                                  // --epochs
  int patience = 2;                                 // --patience
  std::ptrdiff_t batch = 32;                        // --batch
  double lr = 1e-3;                                 // --lr
  double dropout = 0.5;                             // --dropout
  bool finetune = false;                            // --finetune-embeddings (pre-trained vectors)
  bool freeze = false;                              // --freeze-embeddings (random vectors)
  bool sst_phrases = false;  // --sst-phrases: the training documents hold SST phrases; train on each once
  // CNN
  std::vector<std::ptrdiff_t> kernel_sizes = {2, 3, 4};  // --kernel-sizes
  std::ptrdiff_t filters = 100;                          // --filters
  // BiLSTM
  std::ptrdiff_t hidden = 60;      // --hidden
  std::string optimizer = "adam";  // --optimizer: adam or adagrad
  double embedding_dropout = 0.0;  // --embedding-dropout
  double clip_norm = 5.0;          // --clip-norm
  double weight_decay = 0.0;       // --weight-decay
  bool output_bias = true;         // !--no-output-bias
  bool float64 = false;            // --float64
  // Provenance, recorded in config.json "training" (nothing else uses them).
  std::string corpus;              // the corpus spec or input file
  std::string dev_corpus;          // the dev corpus spec, when the dev documents came from one
  std::vector<std::string> strip;  // the folder-corpus --strip parts the documents were read with
};

// A CNN/BiLSTM trainer's progress after every mini-batch.
struct BatchProgress {
  std::string_view arch;  // "cnn" or "bilstm"
  int epoch = 0;
  std::size_t done = 0;   // documents done in this epoch
  std::size_t total = 0;  // documents per epoch
  double loss = 0;        // mean loss so far in this epoch
};
// ... and after every epoch.
struct EpochResult {
  std::string_view arch;
  int epoch = 0;
  double train_loss = 0;
  double dev_accuracy = 0;
  double seconds = 0;       // of this epoch
  std::size_t n_train = 0;  // training documents per epoch
};

// What train_model() tells while it works; every member may be empty. Called on the calling
// thread (batch_done from the trainer's thread, which is the calling thread too).
struct TrainEvents {
  std::function<void(std::string_view)> log;  // the log lines of `textlrp train` (without "textlrp: ")
  std::function<void(const BatchProgress&)> batch_done;
  std::function<void(const EpochResult&)> epoch_done;
  // Seconds since the caller started (e.g. before reading the corpus), for "read N documents ...
  // in S s"; empty = since train_model() was called.
  std::function<double()> elapsed;
};

// --labels "very negative,negative,neutral": names separated by commas (spaces kept inside a name,
// trimmed around it). InvalidArgument for an empty or repeated name or fewer than two names.
std::vector<std::string> parse_label_names(const std::string& text);

// The limits of the sizes that multiply into the CNN's and BiLSTM's allocations (check_options and
// train_model reject more, naming the flag, the limit and the value: an absurd size is a usage
// error, never an out-of-memory).
inline constexpr std::ptrdiff_t kMaxDim = 10000;  // --dim (random embeddings; as `embeddings train --dim`)
inline constexpr std::ptrdiff_t kMaxFilters = 10000;  // --filters (per width)
inline constexpr std::size_t kMaxKernelWidths = 64;   // --kernel-sizes: how many widths
inline constexpr std::ptrdiff_t kMaxKernelSize = 64;  // --kernel-sizes: each width
inline constexpr std::ptrdiff_t kMaxHidden = 10000;   // --hidden (per direction)
inline constexpr int kMaxEpochs = 100000;             // --epochs
inline constexpr int kMaxThreads = 1024;              // --threads (the Python package caps it here)
inline constexpr int kMaxBiLstmThreads = 256;         // --threads of --arch bilstm
// The parameters of one part of a model, known once the vocabulary is built: the embedding table
// (vocabulary x dimension), the CNN's convolutions (filters x widths x dimension), the BiLSTM's
// gates (8 x hidden x (dimension + hidden + 1)). Training holds several copies of each (gradients,
// optimizer state): 1e9 float parameters are 4 GB each.
inline constexpr double kMaxParameters = 1e9;

// The checks that need no documents: --arch, --optimizer, --dev-fraction, --C, a dev set for the
// neural architectures (`dev_documents`: dev documents will be given), and for --arch cnn / bilstm
// the sizes and rates of the architecture: --dim, --filters, --kernel-sizes, --hidden, --epochs
// (within the limits above), --batch, --max-tokens (at least 1), --patience, --lr, --dropout,
// --embedding-dropout, --clip-norm, --weight-decay, --threads. InvalidArgument naming the
// flag (with the limit and the value for a size).
void check_options(const TrainOptions& options, bool dev_documents);

}  // namespace textlrp::train
