// apps/common/cli.cpp — the tool's input flags, progress line and log lines (apps/common/cli.h).
#include "apps/common/cli.h"

#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace textlrp::app {

void log_line(std::string_view message) {
  std::fprintf(stderr, "textlrp: %.*s\n", static_cast<int>(message.size()), message.data());
}

bool stderr_is_tty() { return ::isatty(2) == 1; }

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void add_input_options(CLI::App* cmd, InputOptions& in, bool input_allowed) {
  cmd->add_option("--corpus", in.corpus,
                  "labelled corpus as FORMAT:PATH with FORMAT one of folder, spamassassin, jsonl, tsv, csv, "
                  "sst, sst-binary, "
                  "text; without a prefix the format is detected (and reported)");
  if (input_allowed) {
    cmd->add_option(
        "--input", in.input,
        "documents to read instead of a corpus: a .jsonl file ({\"text\"} or {\"tokens\"} per line, "
        "optional \"id\" and \"label\"), a .txt file (one document a line), a .tsv or .csv file, "
        "or - for stdin (JSONL unless --input-format says otherwise)");
    cmd->add_option(
           "--input-format", in.input_format,
           "format of --input: auto (by the file's extension: .txt text, .tsv tsv, .csv csv, else jsonl), "
           "jsonl, text, tsv or csv")
        ->check(CLI::IsMember({"auto", "jsonl", "text", "tsv", "csv"}))
        ->capture_default_str();
  }
  cmd->add_option(
         "--strip", in.strip,
         "for folder corpora (20 Newsgroups): remove e-mail headers, signature footers and/or quoted "
         "reply lines, as scikit-learn's remove=(...); none strips nothing. A model remembers its "
         "training --strip and applies it by itself; an explicit different --strip wins, with a warning "
         "(default: the model's, else none)")
      ->check(CLI::IsMember({"headers", "footers", "quotes", "none"}))
      ->delimiter(',');
  cmd->add_option(
         "--encoding", in.encoding,
         "byte decoding of line formats (jsonl, text, tsv, csv, sst): utf-8 (invalid bytes are an error "
         "naming the line and byte), latin-1 (every byte one Latin-1 character) or replace (invalid "
         "sequences become U+FFFD, counted on stderr). Folder corpora fall back to Latin-1 per file")
      ->check(CLI::IsMember({"utf-8", "utf8", "latin-1", "latin1", "replace"}))
      ->capture_default_str();
  cmd->add_option("--csv-label-column", in.csv_label_column,
                  "csv: the label column, a 1-based number or a header name")
      ->capture_default_str();
  cmd->add_option(
         "--csv-text-columns", in.csv_text_columns,
         "csv: the text column(s), 1-based numbers or header names, comma-separated, joined by --csv-join "
         "(default: every column but the label's)")
      ->delimiter(',');
  cmd->add_option(
         "--csv-header", in.csv_header,
         "csv: whether the first record is a header: yes, no or auto (yes when a column is given by name or "
         "the label field reads label, class, category, ...)")
      ->check(CLI::IsMember({"auto", "yes", "no"}))
      ->capture_default_str();
  cmd->add_option("--csv-join", in.csv_join,
                  "csv: what joins several text columns: newline, space or period (\". \")")
      ->check(CLI::IsMember({"newline", "space", "period"}))
      ->capture_default_str();
}

void add_shard_option(CLI::App* cmd, InputOptions& in) {
  cmd->add_option(
         "--shard", in.shard,
         "process only shard I of N (1 <= I <= N): documents I, I+N, I+2N, ... of the input (1-based). "
         "Run N processes (or machines) with 1/N .. N/N and concatenate their outputs: every document "
         "appears exactly once, with its id")
      ->type_name("I/N");
}

Progress::Progress(std::string what, bool enabled, std::size_t total)
    : what_(std::move(what)),
      enabled_(enabled),
      tty_(enabled && stderr_is_tty()),
      total_(total),
      start_(now_seconds()),
      last_log_(start_) {}

Progress& Progress::log_every(double seconds) {
  log_every_ = seconds;
  return *this;
}

Progress& Progress::total_from(std::function<std::size_t()> total) {
  total_from_ = std::move(total);
  return *this;
}

double Progress::elapsed() const { return now_seconds() - start_; }

std::size_t Progress::total() const {
  if (total_ > 0) return total_;
  return total_from_ ? total_from_() : 0;
}

void Progress::update(std::size_t done) {
  if (!enabled_) return;
  const double t = now_seconds();
  const bool log_line_now = !tty_ && log_every_ > 0 && t - last_log_ >= log_every_;
  if (!tty_ && !log_line_now) return;
  if (tty_ && t - last_ < 0.2) return;
  last_ = t;
  const double rate = done / std::max(1e-9, t - start_);
  const std::size_t total = this->total();
  const std::string rate_text = rate >= 100 ? fmt::format("{:.0f}", rate) : fmt::format("{:.2f}", rate);
  std::string line;
  if (total > 0) {
    const double eta = (total > done ? static_cast<double>(total - done) : 0.0) / std::max(rate, 1e-9);
    const int e = static_cast<int>(eta);
    line = fmt::format("{}: {}/{} ({:.1f}%)  {} docs/s  ETA {}", what_, done, total,
                       100.0 * static_cast<double>(done) / static_cast<double>(total), rate_text,
                       e >= 3600 ? fmt::format("{}:{:02d}:{:02d}", e / 3600, e / 60 % 60, e % 60)
                                 : fmt::format("{}:{:02d}", e / 60, e % 60));
  } else {
    line = fmt::format("{}: {} docs  {} docs/s", what_, done, rate_text);
  }
  if (tty_) {
    std::fprintf(stderr, "\r%s   ", line.c_str());
    std::fflush(stderr);
  } else {
    last_log_ = t;
    log_line(line);
  }
}

double Progress::finish(std::size_t done, bool quiet) {
  const double secs = elapsed();
  if (tty_) std::fprintf(stderr, "\r\033[K");
  const std::vector<std::string> warnings = explain::take_input_warnings();
  if (!quiet) {
    for (const auto& w : warnings) log_line(w);
    std::fprintf(stderr, "textlrp: %s: %zu documents in %.2f s (%.0f docs/s)\n", what_.c_str(), done, secs,
                 done / std::max(secs, 1e-9));
  }
  return secs;
}

}  // namespace textlrp::app
