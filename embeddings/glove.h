// embeddings/glove.h — reader (and writer) for GloVe text files (glove.6B.50d.txt, glove.840B...).
//
// Used by load_embeddings() (load.h) and by tests.
//
// Layout: UTF-8 text, no header, one row per line:
//   "word v1 v2 .. vdim"       fields separated by one or more ' '; "\r\n" and trailing spaces ok
// Some words contain spaces (glove.840B has ". . ." and "at name@domain.com"), so the LAST dim
// fields of a line are the numbers and everything before them is the word, spaces included.
// dim comes from line 1: the number of fields at its end that are numbers, leaving at least the
// first field to the word (so "new york 0.1 0.2" on line 1 gives dim 2 and the word "new york").
// A UTF-8 byte order mark before line 1 is skipped.
//
// Checks (each failure a FormatError "FILE:LINE: GloVe text: ..."): empty file; a line 1 that is
// a word2vec/fastText header "<n_words> <dim>" (read such a file as word2vec text); dim in
// 1..100000; every line has at least dim + 1 fields; the last dim are finite floats; the word is
// non-empty, free of ASCII control bytes other than tab, valid UTF-8 (see
// LoadOptions::invalid_utf8) and not a duplicate; no empty line between rows. Memory grows with the
// rows actually read (at most 65536 rows are reserved up front).
// A line with too many numbers cannot be told from a word with spaces and numbers in it; its extra
// leading numbers become part of the word (this is GloVe's own convention).
#pragma once

#include <filesystem>

#include "embeddings/embedding_table.h"

namespace textlrp::emb {

// Reads a GloVe text file. Throws IoError if it cannot be read, FormatError as above.
// LoadOptions::allow_short_header has no effect (there is no header).
EmbeddingTable read_glove_text(const std::filesystem::path& path, const LoadOptions& options = {},
                               const LogFn& log = {});

// Writes the table as GloVe text (atomically, floats in shortest round-trip form). Throws
// InvalidArgument if a word is empty, contains '\n' or '\r', or begins or ends with a space, and
// IoError on write errors.
void write_glove_text(const EmbeddingTable& table, const std::filesystem::path& path);

}  // namespace textlrp::emb
