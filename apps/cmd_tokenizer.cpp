// textlrp tokenizer train|encode — SentencePiece subword models for the CNN / BiLSTM.
//
//   textlrp tokenizer train --corpus SPEC --vocab-size N --out FILE.model [--model-type
//   unigram|bpe]
//       trains a model with SentencePiece's trainer on the corpus lines (every document split into
//       lines; blank lines skipped) and writes FILE.model atomically;
//   textlrp tokenizer encode --model FILE.model [--input FILE|-] [--words]
//       one JSONL line per input line: {"line","text","tokens":[{"text","id","begin","end"}],
//       "words"?:[{"text","begin","end","pieces":[i,...]}]}, spans being byte offsets into "text".
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "apps/commands.h"
#include "apps/common/cli.h"
#include "apps/training.h"
#include "core/error.h"
#include "core/file.h"
#include "core/utf8.h"
#include "corpora/corpus.h"
#include "nlp/sentencepiece_tokenizer.h"
#include "nlp/word_groups.h"
#include "train/sentencepiece_train.h"

namespace textlrp::app {
namespace {

struct TokenizerTrainOptions {
  std::string corpus;
  std::vector<std::string> strip;
  std::string out;
  train::SentencePieceTrainOptions spm;
  bool quiet = false;
};

struct TokenizerEncodeOptions {
  std::string model;
  std::string input = "-";
  std::string output = "-";
  bool words = false;
};

#if TEXTLRP_WITH_TRAINING
int run_tokenizer_train(const TokenizerTrainOptions& o) {
  auto warn = [&](std::string_view m) {
    if (!o.quiet) log_line(m);
  };
  const double t0 = now_seconds();
  InputOptions input;
  input.corpus = o.corpus;
  input.strip = o.strip;
  auto reader = input.open(warn);

  // Feeds SentencePiece one line at a time: documents are read lazily, split at '\n'.
  corpora::Example doc;
  std::size_t n_docs = 0;
  std::size_t n_lines = 0;
  std::size_t n_too_long = 0;
  std::size_t pos = 0;
  bool have_doc = false;
  auto next_line = [&](std::string& line) {
    for (;;) {
      if (!have_doc || pos > doc.text.size()) {
        if (!reader->next(doc)) return false;
        ++n_docs;
        have_doc = true;
        pos = 0;
      }
      const std::size_t nl = std::min(doc.text.find('\n', pos), doc.text.size());
      std::string_view piece(doc.text.data() + pos, nl - pos);
      pos = nl + 1;
      if (!piece.empty() && piece.back() == '\r') piece.remove_suffix(1);
      if (piece.find_first_not_of(" \t\f\v") == std::string_view::npos) continue;
      ++n_lines;
      if (piece.size() > o.spm.max_sentence_length) ++n_too_long;
      line.assign(piece);
      return true;
    }
  };
  // Opened first so an unwritable --out fails before a long training; renamed into place only
  // after the trained model has loaded back.
  AtomicFile out(o.out);
  if (!o.quiet) {
    log_line(fmt::format("training a {} model with {} pieces on {} ...", o.spm.model_type, o.spm.vocab_size,
                         o.corpus));
  }
  std::string model;
  try {
    model = train::train_sentencepiece(next_line, o.spm);
  } catch (const InvalidArgument&) {
    if (n_lines == 0) throw FormatError(fmt::format("{}: the corpus holds no text", o.corpus));
    throw;
  } catch (const Error&) {
    if (n_lines == 0) throw FormatError(fmt::format("{}: the corpus holds no text", o.corpus));
    throw;
  }
  if (n_too_long > 0) {
    warn(fmt::format("{} of {} lines are longer than {} bytes and were left out (--max-sentence-length)",
                     n_too_long, n_lines, o.spm.max_sentence_length));
  }
  // Check the model loads before it replaces anything.
  const auto check = nlp::SentencePieceTokenizer::from_serialized(model, "trained model");
  out.write(model);
  out.commit();
  warn(fmt::format("wrote {} ({} pieces, {} bytes) trained on {} lines of {} documents in {:.1f} s", o.out,
                   check->piece_size(), model.size(), n_lines, n_docs, now_seconds() - t0));
  return 0;
}
#endif

void append_tokens_json(std::string& out, const std::vector<nlp::Token>& tokens,
                        const std::vector<int>& ids) {
  out += "\"tokens\":[";
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"text\":";
    append_json_string(out, tokens[i].text);
    out += fmt::format(",\"id\":{},\"begin\":{},\"end\":{}}}", ids[i], tokens[i].begin, tokens[i].end);
  }
  out += ']';
}

int run_tokenizer_encode(const TokenizerEncodeOptions& o) {
  const nlp::SentencePieceTokenizer tokenizer(o.model);
  LineReader in(o.input);
  Output out(o.output);
  std::string line;
  std::string json;
  while (in.next(line)) {
    if (auto bad = find_invalid_utf8(line)) {
      throw FormatError(fmt::format("{}:{}: invalid UTF-8 at byte {}", in.name(), in.line_number(), *bad));
    }
    const auto encoded = tokenizer.encode(line);
    json.clear();
    json += fmt::format("{{\"line\":{},\"text\":", in.line_number());
    append_json_string(json, line);
    json += ',';
    append_tokens_json(json, encoded.tokens, encoded.ids);
    if (o.words) {
      const auto groups = nlp::group_pieces_by_word(line, encoded.tokens, nlp::default_word_tokenizer());
      json += ",\"words\":[";
      for (std::size_t g = 0; g < groups.size(); ++g) {
        if (g > 0) json += ',';
        json += "{\"text\":";
        append_json_string(json,
                           std::string_view(line).substr(groups[g].begin, groups[g].end - groups[g].begin));
        json += fmt::format(",\"begin\":{},\"end\":{},\"pieces\":[{}]}}", groups[g].begin, groups[g].end,
                            fmt::join(groups[g].pieces, ","));
      }
      json += ']';
    }
    json += "}\n";
    out.write(json);
  }
  out.commit();
  return 0;
}

int default_threads() { return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 128u)); }

}  // namespace

void setup_tokenizer(CLI::App& root, Action& action) {
  CLI::App* cmd =
      root.add_subcommand("tokenizer", "train SentencePiece subword models and encode text with them");
  cmd->require_subcommand(1);

  auto train = std::make_shared<TokenizerTrainOptions>();
  train->spm.threads = default_threads();
  CLI::App* t = cmd->add_subcommand(
      "train",
      "train a SentencePiece model on a corpus (each document split into lines; blank lines "
      "skipped) and write FILE.model");
  t->add_option("--corpus", train->corpus,
                "corpus as FORMAT:PATH with FORMAT one of folder, spamassassin, jsonl, tsv, csv, sst, "
                "text (labels are ignored); without a prefix the format is detected")
      ->required();
  t->add_option("--strip", train->strip,
                "for folder corpora: remove e-mail headers, footers and/or quoted lines "
                "(default: none)")
      ->check(CLI::IsMember({"headers", "footers", "quotes"}))
      ->delimiter(',');
  t->add_option("--vocab-size", train->spm.vocab_size, "number of pieces, including <unk>, <s> and </s>")
      ->capture_default_str();
  t->add_option("-o,--output,--out", train->out, "model file to write (replaced atomically)")->required();
  t->add_option("--model-type", train->spm.model_type, "unigram or bpe")
      ->check(CLI::IsMember({"unigram", "bpe"}))
      ->capture_default_str();
  t->add_option("--character-coverage", train->spm.character_coverage,
                "fraction of characters the pieces must cover; use 1.0 for small alphabets")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  t->add_option("--normalization", train->spm.normalization,
                "normalization rule: nmt_nfkc, nfkc, nmt_nfkc_cf, nfkc_cf (case folding) or "
                "identity")
      ->check(CLI::IsMember({"nmt_nfkc", "nfkc", "nmt_nfkc_cf", "nfkc_cf", "identity"}))
      ->capture_default_str();
  t->add_flag("--byte-fallback", train->spm.byte_fallback,
              "spell unknown characters as UTF-8 byte pieces instead of <unk> (default: off)");
  t->add_option("--max-sentences", train->spm.max_sentences,
                "train on a random sample of at most this many lines (0 = all)")
      ->capture_default_str();
  t->add_option("--max-sentence-length", train->spm.max_sentence_length,
                "leave out lines longer than this many bytes")
      ->capture_default_str();
  t->add_option("--seed", train->spm.seed, "seed of SentencePiece's sampling")->capture_default_str();
  t->add_option("--threads", train->spm.threads, "training threads (default: all cores)")
      ->check(CLI::Range(1, 128));
  t->add_flag("-q,--quiet", train->quiet, "no log messages on stderr");
  t->add_flag("-v,--verbose", train->spm.verbose, "show SentencePiece's own training log");
#if TEXTLRP_WITH_TRAINING
  t->callback([train, &action] { action = [train] { return run_tokenizer_train(*train); }; });
#else
  add_training_unavailable(*cmd, "train", "tokenizer train", action, t);
#endif

  auto encode = std::make_shared<TokenizerEncodeOptions>();
  CLI::App* e = cmd->add_subcommand(
      "encode",
      "encode text (one document a line) with a SentencePiece model: one JSONL line per input "
      "line, {\"line\",\"text\",\"tokens\":[{\"text\",\"id\",\"begin\",\"end\"}]}, spans in bytes");
  e->add_option("--model", encode->model, "SentencePiece model file (FILE.model)")->required();
  e->add_option("--input", encode->input, "text file, one document a line; - for stdin")
      ->capture_default_str();
  e->add_option("-o,--output,--out", encode->output, "JSONL file to write; - for stdout")
      ->capture_default_str();
  e->add_flag("--words", encode->words,
              "also group the pieces by ICU word: \"words\":[{\"text\",\"begin\",\"end\","
              "\"pieces\":[token indices]}] (default: off)");
  e->callback([encode, &action] { action = [encode] { return run_tokenizer_encode(*encode); }; });
}

}  // namespace textlrp::app
