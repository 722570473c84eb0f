// embeddings/word2vec.h — readers (and writers) for the word2vec formats, binary and text. The
// text reader also reads fastText .vec files, which are word2vec text.
//
// Used by load_embeddings() (load.h), which picks the reader, and by tests that write fixtures.
//
// word2vec binary (word2vec.c, gensim save_word2vec_format(binary=True)):
//   "<n_words> <dim>\n"                     ASCII header, decimal, one space
//   n_words times:
//     [ '\n' ]                              optional, left by the previous row (word2vec.c writes it,
//                                           gensim's writers do not)
//     word bytes                            UTF-8, up to the first ' ' (no ' ' or '\n' inside)
//     ' '
//     dim x float32, little-endian          4 * dim bytes
//   [ whitespace ]                          a final '\n' is allowed; any other byte is an error
//
// word2vec text / fastText .vec:
//   line 1:   "<n_words> <dim>"
//   line k+1: "word v1 v2 .. vdim"          fields separated by one or more ' '; a trailing space
//                                           (fastText writes one) and "\r\n" endings are fine
//   Words contain no ' '. A UTF-8 byte order mark before line 1 is skipped.
//
// What the readers check (each failure is a FormatError "FILE:LINE: word2vec text: ..." or
// "FILE: byte N: word2vec binary: ..."):
//   - the header: two decimal integers; dim in 1..100000;
//   - the header's word count against the rows present: fewer rows is an error unless
//     LoadOptions::allow_short_header ("header claims 2519370 words, file holds 99"); more rows
//     is always an error;
//   - every row: the word is non-empty, has no ASCII control byte other than tab, is valid UTF-8
//     (or see LoadOptions::invalid_utf8) and is not a duplicate; exactly dim numbers
//     (text), or a complete 4*dim-byte vector (binary: a row cut by the end of file names the row
//     and the bytes missing); every number finite (no NaN/Inf, nothing beyond float range);
//   - memory: the matrix grows (doubling) as rows are actually read; the first reservation is
//     min(header count, rows the file size can hold) for binary and additionally at most 65536
//     rows for text, never the header's count alone; words longer than 64 KiB (binary) and lines
//     longer than 16 MiB (text) are errors, so a file without separators cannot make us scan or
//     buffer without bound;
//   - a text file read as binary (row 1's vector bytes are all ASCII digits and spaces) is an error
//     that says so.
// Numbers are parsed with std::from_chars semantics (a Clinger fast path for short decimals gives
// bit-identical results); values below float range become 0 or subnormals.
#pragma once

#include <filesystem>

#include "embeddings/embedding_table.h"

namespace textlrp::emb {

// Reads a word2vec binary file. Throws IoError if it cannot be read, FormatError as above.
EmbeddingTable read_word2vec_binary(const std::filesystem::path& path, const LoadOptions& options = {},
                                    const LogFn& log = {});

// Reads a word2vec text / fastText .vec file. Throws IoError or FormatError as above.
EmbeddingTable read_word2vec_text(const std::filesystem::path& path, const LoadOptions& options = {},
                                  const LogFn& log = {});

// fastText's .vec is word2vec text.
inline EmbeddingTable read_fasttext_vec(const std::filesystem::path& path, const LoadOptions& options = {},
                                        const LogFn& log = {}) {
  return read_word2vec_text(path, options, log);
}

// Write the table in the formats above (atomically; binary without the optional '\n', text with
// floats in shortest round-trip form, so reading back gives identical floats). Throw
// InvalidArgument if a word is empty or contains ' ', '\n' or '\r', and IoError on write errors.
void write_word2vec_binary(const EmbeddingTable& table, const std::filesystem::path& path);
void write_word2vec_text(const EmbeddingTable& table, const std::filesystem::path& path);

}  // namespace textlrp::emb
