#include "embeddings/embedding_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/rng.h"
#include "core/utf8.h"
#include "nlp/tokenizer.h"
#include "nlp/vocabulary.h"

namespace textlrp::emb {

EmbeddingTable::EmbeddingTable(std::vector<std::string> words_in, Mat vectors_in)
    : words(std::move(words_in)), vectors(std::move(vectors_in)) {
  if (static_cast<Index>(words.size()) != vectors.rows()) {
    throw InvalidArgument(
        fmt::format("EmbeddingTable: {} words but {} vector rows", words.size(), vectors.rows()));
  }
  index.reserve(words.size());
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i].empty()) throw InvalidArgument(fmt::format("EmbeddingTable: word {} is empty", i));
    const auto [it, inserted] = index.emplace(words[i], static_cast<Index>(i));
    if (!inserted) {
      throw InvalidArgument(
          fmt::format("EmbeddingTable: word {} '{}' duplicates word {}", i, words[i], it->second));
    }
  }
}

namespace {

// For each vocabulary id, the table row it takes (or -1), and the counts.
struct Match {
  std::vector<Index> rows;
  Coverage coverage;
};

Match match_vocabulary(const EmbeddingTable& table, const nlp::Vocabulary& vocab, std::size_t n_examples,
                       bool casefold) {
  Match m;
  m.rows.assign(vocab.size(), -1);
  const std::size_t first = vocab.has_unk() ? 1 : 0;
  WordIndex folded;  // case_fold(word) -> first row; built on the first exact miss
  bool folded_built = false;
  for (std::size_t id = first; id < vocab.size(); ++id) {
    const std::string& token = vocab.token(static_cast<TokenId>(id));
    ++m.coverage.n_vocab;
    if (const auto row = table.find(token)) {
      m.rows[id] = *row;
      ++m.coverage.n_found;
      continue;
    }
    if (casefold) {
      if (!folded_built) {
        folded.reserve(table.words.size());
        for (std::size_t r = 0; r < table.words.size(); ++r) {
          folded.emplace(nlp::case_fold(table.words[r]), static_cast<Index>(r));  // first wins
        }
        folded_built = true;
      }
      const auto it = folded.find(nlp::case_fold(token));
      if (it != folded.end()) {
        m.rows[id] = it->second;
        ++m.coverage.n_found_casefold;
        continue;
      }
    }
    ++m.coverage.n_missing;
    if (m.coverage.most_frequent_missing.size() < n_examples) {
      m.coverage.most_frequent_missing.push_back(token);
    }
  }
  m.coverage.oov_rate = m.coverage.n_vocab == 0 ? 0.0
                                                : static_cast<double>(m.coverage.n_missing) /
                                                      static_cast<double>(m.coverage.n_vocab);
  return m;
}

}  // namespace

std::string to_string(const Coverage& c) {
  const double pct =
      c.n_vocab == 0 ? 0.0 : 100.0 * static_cast<double>(c.n_found) / static_cast<double>(c.n_vocab);
  std::string out = fmt::format(
      "coverage: {} of {} vocabulary words found ({:.2f}%), {} more after case folding; OOV {:.2f}%",
      c.n_found, c.n_vocab, pct, c.n_found_casefold, 100.0 * c.oov_rate);
  if (!c.most_frequent_missing.empty()) {
    out += "; most frequent missing:";
    for (std::size_t i = 0; i < c.most_frequent_missing.size(); ++i) {
      out += (i == 0 ? " " : ", ");
      out += c.most_frequent_missing[i];
    }
  }
  return out;
}

Coverage coverage(const EmbeddingTable& table, const nlp::Vocabulary& vocab, std::size_t n_examples,
                  bool casefold) {
  return match_vocabulary(table, vocab, n_examples, casefold).coverage;
}

Mat embedding_matrix(const EmbeddingTable& table, const nlp::Vocabulary& vocab, std::uint64_t seed,
                     float init_scale, Coverage* out, bool casefold) {
  if (!(init_scale >= 0) || !std::isfinite(init_scale)) {
    throw InvalidArgument(
        fmt::format("embedding_matrix: init_scale must be finite and >= 0, got {}", init_scale));
  }
  const Index dim = table.dim();
  if (dim < 1) throw InvalidArgument("embedding_matrix: the embedding table has no dimension");
  const Match m = match_vocabulary(table, vocab, 20, casefold);
  const Index n_rows = static_cast<Index>(vocab.size());
  Mat matrix(n_rows, dim);  // [n_vocab x dim]
  for (Index i = 0; i < n_rows; ++i) {
    const Index row = m.rows[static_cast<std::size_t>(i)];
    if (row >= 0) {
      matrix.row(i) = table.vectors.row(row);
      continue;
    }
    // Counter-based: element (i, j) depends only on (seed, i, j).
    for (Index j = 0; j < dim; ++j) {
      const std::uint64_t counter =
          static_cast<std::uint64_t>(i) * static_cast<std::uint64_t>(dim) + static_cast<std::uint64_t>(j) + 1;
      const std::uint64_t z = mix64(seed + kSplitMix64Gamma * counter);
      const float u = static_cast<float>(z >> 40) * 0x1.0p-24f;  // [0, 1)
      matrix(i, j) = init_scale * (2.0f * u - 1.0f);
    }
  }
  if (out) *out = m.coverage;
  return matrix;
}

EmbeddingTable memory_table(const WordVectors& v, const nlp::Vocabulary* only) {
  if (v.dim < 1)
    throw InvalidArgument(
        fmt::format("embeddings {}: the dimension must be at least 1, got {}", v.name, v.dim));
  if (v.view.data() && !v.values.empty())
    throw InvalidArgument(fmt::format("embeddings {}: both values and a view of values were given", v.name));
  const std::span<const float> values = v.data();
  const auto dim = static_cast<std::size_t>(v.dim);
  if (values.size() % dim != 0 || values.size() / dim != v.words.size()) {
    // The product as a double: it cannot overflow (a huge dim is an error here, not a wrap).
    throw InvalidArgument(fmt::format(
        "embeddings {}: {} words need {} x {} = {} values, got {}", v.name, v.words.size(), v.words.size(),
        dim, static_cast<double>(v.words.size()) * static_cast<double>(dim), values.size()));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw InvalidArgument(
          fmt::format("embeddings {}: row {} ('{}'), column {}: expected a finite number, found {}", v.name,
                      i / dim, v.words[i / dim], i % dim, values[i]));
    }
  }
  WordIndex seen;
  seen.reserve(v.words.size());
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < v.words.size(); ++i) {
    const std::string& w = v.words[i];
    if (w.empty()) throw InvalidArgument(fmt::format("embeddings {}: word {} is empty", v.name, i));
    if (!is_valid_utf8(w))
      throw InvalidArgument(fmt::format("embeddings {}: word {} is not valid UTF-8", v.name, i));
    const auto [it, inserted] = seen.emplace(w, static_cast<Index>(i));
    if (!inserted) {
      throw InvalidArgument(
          fmt::format("embeddings {}: word {} '{}' repeats word {}", v.name, i, w, it->second));
    }
    // As TableBuilder::add (reader_util.cpp) keeps the rows of a file.
    if (!only || only->contains(w) || only->contains(nlp::case_fold(w))) kept.push_back(i);
  }
  std::vector<std::string> words;
  words.reserve(kept.size());
  Mat m(static_cast<Index>(kept.size()), static_cast<Index>(dim));
  for (std::size_t r = 0; r < kept.size(); ++r) {
    words.push_back(v.words[kept[r]]);
    std::copy_n(values.data() + kept[r] * dim, dim, m.data() + static_cast<std::size_t>(r) * dim);
  }
  return EmbeddingTable(std::move(words), std::move(m));
}

}  // namespace textlrp::emb
