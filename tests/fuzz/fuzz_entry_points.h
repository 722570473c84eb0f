// tests/fuzz/fuzz_entry_points.h — what each fuzz target does with one input, shared by the libFuzzer
// targets (tests/fuzz/fuzz_<name>.cpp) and the regression test (tests/core/fuzz_regressions_test.cpp),
// so that a saved crash input replays through exactly the code that found it.
//
// Each entry point feeds the bytes to a reader and, where the reader has a result, walks it and
// checks the invariants its header promises (spans inside the text, shapes matching data sizes, ...).
// A broken invariant calls fuzz_invariant_failed(), which aborts: a finding like a sanitizer report.
// The entry points let textlrp::Error (IoError, FormatError, InvalidArgument) escape: that is the
// expected outcome for bad input, and the callers catch it. Anything else escaping is a finding.
//
// Readers that only take a path (the embedding readers, the corpus readers, the model directory)
// read the input from an in-memory file (memfd_create, "/proc/self/fd/N"): no disk I/O per input,
// and the readers run unchanged. The embedding readers stream through a chunked FILE* reader
// (embeddings/reader_util.h), so a from-memory overload would mean a second implementation of it.
//
// Header-only on purpose: tests/CMakeLists.txt compiles every tests/**/*_test.cpp into
// textlrp_tests, and this header needs no extra source file there. Requires the compile definition
// TEXTLRP_SOURCE_DIR (the tiny SentencePiece models of tests/data/nlp are loaded from it).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "core/utf8.h"
#include "corpora/corpus.h"
#include "corpora/csv.h"
#include "corpora/example.h"
#include "corpora/jsonl.h"
#include "corpora/sst.h"
#include "embeddings/glove.h"
#include "embeddings/load.h"
#include "embeddings/word2vec.h"
#include "explain/explanation.h"
#include "explain/model.h"
#include "lrp/models/bow_classifier.h"
#include "nlp/sentencepiece_tokenizer.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"
#include "nlp/word_groups.h"

#ifndef TEXTLRP_SOURCE_DIR
#error "fuzz_entry_points.h needs TEXTLRP_SOURCE_DIR"
#endif

namespace textlrp::fuzz {

[[noreturn]] inline void fuzz_invariant_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, what);
  std::abort();
}
#define TEXTLRP_FUZZ_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::textlrp::fuzz::fuzz_invariant_failed(#cond, __FILE__, __LINE__))

// An anonymous in-memory file whose contents are replaced for every input; path() opens it.
class MemFile {
 public:
  MemFile() {
    fd_ = memfd_create("textlrp-fuzz", 0);
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  const std::filesystem::path& set(std::string_view bytes) {
    if (::ftruncate(fd_, 0) != 0) std::abort();
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

inline MemFile& mem_file() {
  static MemFile f;
  return f;
}

inline std::filesystem::path source_path(std::string_view relative) {
  return std::filesystem::path(TEXTLRP_SOURCE_DIR) / relative;
}

// ---------------------------------------------------------------------------------------------
// core/safetensors: TensorStore::parse, then every tensor read as floats, doubles and a matrix.
inline void run_safetensors(std::string_view data) {
  const TensorStore store = TensorStore::parse(std::string(data), "fuzz.safetensors");
  for (const std::string& name : store.names()) {
    const TensorInfo& info = store.info(name);
    TEXTLRP_FUZZ_CHECK(info.begin <= info.end);
    TEXTLRP_FUZZ_CHECK(static_cast<std::uint64_t>(info.numel()) * dtype_size(info.dtype) ==
                       info.end - info.begin);
    const std::vector<std::int64_t> any(info.shape.size(), -1);
    try {
      const std::vector<float> f = store.floats(name, any);
      TEXTLRP_FUZZ_CHECK(static_cast<std::int64_t>(f.size()) == info.numel());
    } catch (const Error&) {
    }
    try {
      const std::vector<double> d = store.doubles(name, any);
      TEXTLRP_FUZZ_CHECK(static_cast<std::int64_t>(d.size()) == info.numel());
    } catch (const Error&) {
    }
    try {
      if (info.shape.size() == 2) {
        const Mat m = store.matrix(name);
        TEXTLRP_FUZZ_CHECK(m.rows() == info.shape[0] && m.cols() == info.shape[1]);
      } else if (info.shape.size() == 1) {
        const Vec v = store.vector(name);
        TEXTLRP_FUZZ_CHECK(v.size() == info.shape[0]);
      }
    } catch (const Error&) {
    }
  }
  (void)store.metadata();
}

// ---------------------------------------------------------------------------------------------
// core/npy: parse_npy.
inline void run_npy(std::string_view data) {
  const NpyArray a = parse_npy(data, "fuzz.npy");
  TEXTLRP_FUZZ_CHECK(static_cast<std::int64_t>(a.data.size()) == a.numel());
}

// ---------------------------------------------------------------------------------------------
// embeddings: byte 0 picks the reader (auto detection through load_embeddings, word2vec binary,
// word2vec text, GloVe) and the LoadOptions; the rest is the file.
inline void run_embeddings(std::string_view data) {
  if (data.empty()) return;
  const auto sel = static_cast<unsigned char>(data[0]);
  data.remove_prefix(1);
  emb::LoadOptions options;
  options.allow_short_header = (sel & 0x04) != 0;
  options.allow_duplicates = (sel & 0x08) != 0;
  switch ((sel >> 4) & 0x3) {
    case 1: options.invalid_utf8 = emb::LoadOptions::InvalidUtf8::kLatin1; break;
    case 2: options.invalid_utf8 = emb::LoadOptions::InvalidUtf8::kSkip; break;
    default: options.invalid_utf8 = emb::LoadOptions::InvalidUtf8::kError; break;
  }
  if (sel & 0x40) options.max_words = 3;
  static const nlp::Vocabulary only_vocab(std::vector<std::string>{"<unk>", "the", "a", "cat"});
  if (sel & 0x80) options.only = &only_vocab;
  const emb::LogFn log = [](std::string_view) {};
  const std::filesystem::path& path = mem_file().set(data);
  emb::EmbeddingTable table;
  switch (sel & 0x3) {
    case 0: {
      std::string description;
      (void)emb::detect_format(path, &description);
      table = emb::load_embeddings(path, emb::Format::kAuto, log, options);
      break;
    }
    case 1: table = emb::read_word2vec_binary(path, options, log); break;
    case 2: table = emb::read_word2vec_text(path, options, log); break;
    default: table = emb::read_glove_text(path, options, log); break;
  }
  TEXTLRP_FUZZ_CHECK(static_cast<Index>(table.words.size()) == table.vectors.rows());
  for (const std::string& w : table.words) TEXTLRP_FUZZ_CHECK(!find_invalid_utf8(w));
}

// ---------------------------------------------------------------------------------------------
// corpora/sst: byte 0 picks sst or sst-binary and the phrase option; the rest is the file. Every
// example is read; leaves joined by spaces must be the text.
inline void run_sst(std::string_view data) {
  if (data.empty()) return;
  const auto sel = static_cast<unsigned char>(data[0]);
  data.remove_prefix(1);
  corpora::CorpusOptions options;
  options.sst_phrases = (sel & 1) != 0;
  const std::filesystem::path& path = mem_file().set(data);
  auto reader =
      (sel & 2) ? corpora::open_sst_binary_corpus(path, options) : corpora::open_sst_corpus(path, options);
  corpora::Example ex;
  std::size_t n = 0;
  while (reader->next(ex)) {
    TEXTLRP_FUZZ_CHECK(ex.label.has_value());
    TEXTLRP_FUZZ_CHECK(ex.tokens.has_value());
    std::string joined;
    for (std::size_t i = 0; i < ex.tokens->size(); ++i) {
      if (i) joined.push_back(' ');
      joined += (*ex.tokens)[i];
    }
    TEXTLRP_FUZZ_CHECK(joined == ex.text);
    TEXTLRP_FUZZ_CHECK(++n < (std::size_t{1} << 24));
  }
}

// ---------------------------------------------------------------------------------------------
// corpora/jsonl: every example is read; text must be valid UTF-8. (An empty "id": "" is kept as
// written: jsonl.h allows any string, see tests/data/fuzz-regressions/jsonl/empty-id.jsonl.)
inline void run_jsonl(std::string_view data) {
  const std::filesystem::path& path = mem_file().set(data);
  auto reader = corpora::open_jsonl_corpus(path, corpora::CorpusOptions{});
  corpora::Example ex;
  while (reader->next(ex)) {
    TEXTLRP_FUZZ_CHECK(!find_invalid_utf8(ex.text));
    TEXTLRP_FUZZ_CHECK(ex.line > 0);
  }
}

// ---------------------------------------------------------------------------------------------
// corpora/csv: byte 0 picks the header mode (auto/yes/no), the encoding (utf-8/replace/latin-1)
// and whether the text column is chosen as "2" (else: every column but the label's); the rest is
// the file. Every example is read; it has a label and its text is valid UTF-8.
inline void run_csv(std::string_view data) {
  if (data.empty()) return;
  const auto sel = static_cast<unsigned char>(data[0]);
  data.remove_prefix(1);
  corpora::CorpusOptions options;
  options.csv_header = (sel & 3) == 1   ? corpora::CsvHeader::kYes
                       : (sel & 3) == 2 ? corpora::CsvHeader::kNo
                                        : corpora::CsvHeader::kAuto;
  options.encoding = ((sel >> 2) & 3) == 1   ? corpora::Encoding::kReplace
                     : ((sel >> 2) & 3) == 2 ? corpora::Encoding::kLatin1
                                             : corpora::Encoding::kUtf8;
  if (sel & 0x10) options.csv_text_columns = {"2"};
  const std::filesystem::path& path = mem_file().set(data);
  auto reader = corpora::open_csv_corpus(path, options);
  corpora::Example ex;
  while (reader->next(ex)) {
    TEXTLRP_FUZZ_CHECK(ex.label.has_value());
    TEXTLRP_FUZZ_CHECK(!find_invalid_utf8(ex.text));
    TEXTLRP_FUZZ_CHECK(!find_invalid_utf8(*ex.label));
    TEXTLRP_FUZZ_CHECK(ex.line > 0);
  }
}

// ---------------------------------------------------------------------------------------------
// explain/explanation: each line is parsed as a schema-1 record (parse_explanation_line, the
// reader of validate, report, topwords, docvec, ...); a line it rejects with a FormatError is
// skipped, as those commands report it. Each record read must keep its spans inside its text, and
// writing it back (append_jsonl, the writer of explain) must give a line that reads back to the
// same record (same strings and spans; relevances are written in float precision).
inline void run_explanations(std::string_view data) {
  std::size_t line_no = 0;
  while (!data.empty()) {
    const std::size_t nl = data.find('\n');
    const std::string line(data.substr(0, nl));
    data.remove_prefix(nl == std::string_view::npos ? data.size() : nl + 1);
    ++line_no;
    explain::ExplanationRecord r;
    try {
      r = explain::parse_explanation_line(line, "fuzz.jsonl:" + std::to_string(line_no));
    } catch (const FormatError&) {
      continue;
    }
    for (const explain::TokenRelevance& t : r.tokens) {
      TEXTLRP_FUZZ_CHECK(t.begin.has_value() == t.end.has_value());
      if (t.begin) TEXTLRP_FUZZ_CHECK(*t.begin <= *t.end && *t.end <= r.text.size());
    }
    if (r.words) {
      for (const explain::WordRelevance& w : *r.words)
        TEXTLRP_FUZZ_CHECK(w.begin <= w.end && w.end <= r.text.size());
    }
    std::string out;
    explain::append_jsonl(out, r);
    TEXTLRP_FUZZ_CHECK(!out.empty() && out.back() == '\n');
    out.pop_back();
    const explain::ExplanationRecord back = explain::parse_explanation_line(out, "fuzz.jsonl (written back)");
    TEXTLRP_FUZZ_CHECK(back.id == r.id && back.text == r.text && back.label == r.label);
    TEXTLRP_FUZZ_CHECK(back.prediction == r.prediction && back.target == r.target && back.rule == r.rule);
    TEXTLRP_FUZZ_CHECK(back.tokens.size() == r.tokens.size());
    for (std::size_t i = 0; i < r.tokens.size(); ++i) {
      TEXTLRP_FUZZ_CHECK(back.tokens[i].text == r.tokens[i].text &&
                         back.tokens[i].begin == r.tokens[i].begin && back.tokens[i].end == r.tokens[i].end &&
                         back.tokens[i].oov == r.tokens[i].oov);
    }
    TEXTLRP_FUZZ_CHECK(back.words.has_value() == r.words.has_value());
    TEXTLRP_FUZZ_CHECK(back.scores.size() == r.scores.size());
  }
}

// ---------------------------------------------------------------------------------------------
// nlp: byte 0 picks the tokenizer (ICU words with each option, or one of the two tiny
// SentencePiece models of tests/data/nlp); the rest is the text, arbitrary bytes (invalid UTF-8
// must be an InvalidArgument). The spans must satisfy what tokenizer.h and sentencepiece_tokenizer.h
// promise; SentencePiece pieces are then grouped by word (nlp/word_groups.h).
struct Tokenizers {
  nlp::IcuWordTokenizer icu[4] = {nlp::IcuWordTokenizer({.lowercase = false, .keep_punctuation = false}),
                                  nlp::IcuWordTokenizer({.lowercase = true, .keep_punctuation = false}),
                                  nlp::IcuWordTokenizer({.lowercase = false, .keep_punctuation = true}),
                                  nlp::IcuWordTokenizer({.lowercase = true, .keep_punctuation = true})};
  nlp::SentencePieceTokenizer unigram_bytes{source_path("tests/data/nlp/tiny_unigram_bytes.model")};
  nlp::SentencePieceTokenizer bpe{source_path("tests/data/nlp/tiny_bpe.model")};
};

inline const Tokenizers& tokenizers() {
  static const Tokenizers t;
  return t;
}

inline bool on_boundary(std::string_view text, std::size_t i) {
  return i == 0 || i >= text.size() || (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
}

inline void check_spans(std::string_view text, const std::vector<nlp::Token>& tokens) {
  std::size_t prev_end = 0;
  for (const nlp::Token& t : tokens) {
    TEXTLRP_FUZZ_CHECK(t.begin <= t.end && t.end <= text.size());
    TEXTLRP_FUZZ_CHECK(t.begin >= prev_end);
    TEXTLRP_FUZZ_CHECK(on_boundary(text, t.begin) && on_boundary(text, t.end));
    TEXTLRP_FUZZ_CHECK(!find_invalid_utf8(t.text));
    prev_end = t.end;
  }
}

// f() on text whose UTF-8 validity is `valid`: it must throw InvalidArgument exactly when the text
// is invalid (the exception goes on, as the expected outcome for bad input).
template <class F>
auto valid_input_only(bool valid, F f) {
  try {
    auto result = f();
    TEXTLRP_FUZZ_CHECK(valid);
    return result;
  } catch (const InvalidArgument&) {
    TEXTLRP_FUZZ_CHECK(!valid);
    throw;
  }
}

inline void run_tokenizer(std::string_view data) {
  if (data.empty()) return;
  const auto sel = static_cast<unsigned char>(data[0]);
  data.remove_prefix(1);
  const Tokenizers& t = tokenizers();
  const bool valid = !find_invalid_utf8(data);
  switch (sel % 4) {
    case 0: {
      const nlp::IcuWordTokenizer& icu = t.icu[(sel >> 2) & 3];
      const std::vector<nlp::Token> tokens = valid_input_only(valid, [&] { return icu.tokenize(data); });
      check_spans(data, tokens);
      for (const nlp::Token& tok : tokens) TEXTLRP_FUZZ_CHECK(tok.begin < tok.end);
      break;
    }
    case 1:
    case 2: {
      const nlp::SentencePieceTokenizer& spm = (sel % 4 == 1) ? t.unigram_bytes : t.bpe;
      const nlp::SentencePieceTokenizer::Encoding enc =
          valid_input_only(valid, [&] { return spm.encode(data); });
      TEXTLRP_FUZZ_CHECK(enc.tokens.size() == enc.ids.size());
      check_spans(data, enc.tokens);
      for (const int id : enc.ids) {
        TEXTLRP_FUZZ_CHECK(id >= 0 && static_cast<std::size_t>(id) < spm.piece_size());
        TEXTLRP_FUZZ_CHECK(!spm.is_control(id));
      }
      TEXTLRP_FUZZ_CHECK(spm.tokenize(data) == enc.tokens);
      const std::vector<int> ids = spm.encode_ids(data);
      TEXTLRP_FUZZ_CHECK(ids == enc.ids);
      const auto groups = nlp::group_pieces_by_word(data, enc.tokens, nlp::default_word_tokenizer());
      for (const auto& g : groups) {
        TEXTLRP_FUZZ_CHECK(g.begin <= g.end && g.end <= data.size());
        for (const std::size_t p : g.pieces) TEXTLRP_FUZZ_CHECK(p < enc.tokens.size());
      }
      break;
    }
    default: {
      const std::string folded = valid_input_only(valid, [&] { return nlp::case_fold(data); });
      TEXTLRP_FUZZ_CHECK(!find_invalid_utf8(folded));
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// config.json of a model directory (lrp/model_dir.h, via explain::load_model): a valid tiny BoW/SVM model
// directory (vocab.txt, model.safetensors, and the SentencePiece model as tokenizer.model for
// {"kind": "spm"} configs) is written once per process under /tmp; each input replaces its
// config.json and the directory is loaded with its self-tests.
class ConfigDir {
 public:
  ConfigDir() {
    dir_ = std::filesystem::temp_directory_path() / ("textlrp-fuzz-config-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    const nlp::Vocabulary vocab(std::vector<std::string>{"<unk>", "the", "cat", "sat", "good", "bad"});
    const auto n = static_cast<Index>(vocab.size());
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1, 1);
    Vec idf(n);
    Mat w(2, n);
    for (Index i = 0; i < n; ++i) idf[i] = 1 + std::abs(u(rng));
    for (Index i = 0; i < w.size(); ++i) w.data()[i] = u(rng);
    Vec b(2);
    b << 0.25f, -0.25f;
    const lrp::BowClassifier bow({"neg", "pos"}, idf, w, b, lrp::BowOptions{});
    const nlp::IcuWordTokenizer tokenizer;
    explain::save_model(dir_, nlohmann::json::object(), tokenizer, vocab, bow, {"the cat sat", "good"});
    std::filesystem::copy_file(source_path("tests/data/nlp/tiny_unigram_bytes.model"),
                               dir_ / "tokenizer.model");
    valid_config_ = read_file(dir_ / "config.json");
  }
  ~ConfigDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ConfigDir(const ConfigDir&) = delete;
  ConfigDir& operator=(const ConfigDir&) = delete;

  const std::filesystem::path& path() const { return dir_; }
  // The config.json save_model wrote (a seed).
  const std::string& valid_config() const { return valid_config_; }

 private:
  std::filesystem::path dir_;
  std::string valid_config_;
};

inline ConfigDir& config_dir() {
  static ConfigDir d;
  return d;
}

inline void run_config(std::string_view data) {
  ConfigDir& d = config_dir();
  {
    std::FILE* f = std::fopen((d.path() / "config.json").c_str(), "wb");
    if (!f) std::abort();
    if (!data.empty() && std::fwrite(data.data(), 1, data.size(), f) != data.size()) std::abort();
    std::fclose(f);
  }
  const explain::Model m = explain::load_model(d.path(), true);
  TEXTLRP_FUZZ_CHECK(m.classifier != nullptr);
  TEXTLRP_FUZZ_CHECK(m.classifier->n_vocab() == static_cast<Index>(m.vocab().size()));
  (void)m.encoder.encode("the cat sat on a good mat");
}

// The targets by name (as in fuzz_<name>.cpp and tests/data/fuzz-regressions/<name>/).
struct Target {
  const char* name;
  void (*run)(std::string_view);
};
inline constexpr Target kTargets[] = {
    {"safetensors", run_safetensors},
    {"npy", run_npy},
    {"embeddings", run_embeddings},
    {"config", run_config},
    {"sst", run_sst},
    {"jsonl", run_jsonl},
    {"tokenizer", run_tokenizer},
    {"explanations", run_explanations},
    {"csv", run_csv},
};

// One input, as libFuzzer sees it: the project's own errors are the expected outcome for bad
// input; anything else propagates (an uncaught exception aborts the fuzzer: a finding).
inline int run_one(void (*run)(std::string_view), const std::uint8_t* data, std::size_t size) {
  try {
    run(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const Error&) {
  }
  return 0;
}

}  // namespace textlrp::fuzz
