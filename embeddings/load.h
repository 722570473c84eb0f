// embeddings/load.h — load a word-vector file of any supported format, detecting which.
//
// The entry point for apps (`textlrp train --vectors FILE`, `textlrp embeddings ...`). It sniffs
// the format, says what it picked through the log, and calls the reader of word2vec.h or glove.h.
//
// Detection (Format::kAuto) looks at the first bytes only (at most 4 MiB):
//   - line 1 is "<n_words> <dim>" (two decimal integers):
//       - line 2 splits into dim + 1 fields ending in a number, as valid UTF-8 -> word2vec text
//         (fastText .vec); also when nothing follows the header;
//       - otherwise -> word2vec binary;
//   - line 1 has 2 or more fields and ends in a number -> GloVe text;
//   - an empty file, or anything else -> FormatError saying what line 1 looks like.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "embeddings/embedding_table.h"

namespace textlrp::emb {

enum class Format { kAuto, kWord2VecBinary, kWord2VecText, kGlove };

// "auto", "word2vec-binary", "word2vec-text", "glove".
std::string_view to_string(Format format);

// Inverse of to_string, also accepting "bin" (word2vec binary), "vec" / "fasttext-vec" /
// "word2vec" (word2vec text) and "txt" (GloVe). Throws InvalidArgument listing the valid names.
Format parse_format(std::string_view name);

// The format of `path` by the rules above. When `description` is given it receives e.g.
// "word2vec binary (header 2747 x 10)". Throws IoError, or FormatError if no rule applies.
Format detect_format(const std::filesystem::path& path, std::string* description = nullptr);

// Reads `path` as `format` (detected when kAuto). Logs one line saying which format was detected
// ("embeddings: detected word2vec binary (header 2747 x 10) in FILE") or requested, warnings from
// the reader, and a summary ("embeddings: loaded 2747 words x 10 dims from FILE").
// Throws IoError or FormatError (file, format, line or byte offset: see the readers).
EmbeddingTable load_embeddings(const std::filesystem::path& path, Format format = Format::kAuto,
                               const LogFn& log = {}, const LoadOptions& options = {});

}  // namespace textlrp::emb
