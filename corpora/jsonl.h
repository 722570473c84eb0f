// corpora/jsonl.h — `jsonl:PATH`: one JSON object per line.
//
// Each non-blank line is an object with
//   "text":   string                 the document, or
//   "tokens": [string, ...]          a pre-tokenized document (Example::tokens is set; when
//                                    "text" is absent, text = tokens joined by single spaces),
//   "id":     string | number        optional; defaults to "<line>-<hash>" (line_utils.h),
//   "label":  string | number | null optional; numbers are kept as written by the JSON
//                                    serializer (1 -> "1", 0.5 -> "0.5"), null means unlabelled.
// Other keys are ignored. When both "text" and "tokens" are given, the tokens must be the text's
// tokens: found in the text in order, with only whitespace before, between (or none) and after
// them ({"text": "it's ok", "tokens": ["it", "'s", "ok"]}); anything else is a FormatError naming
// the line, the token and the byte of the text where it was expected. The model reads the tokens,
// the output shows the text.
// Blank lines (empty or whitespace only) are skipped. PATH "-" reads stdin ("<stdin>").
// Bytes are decoded by CorpusOptions::encoding (strict UTF-8 by default). A first record that is
// not JSON and does not start with '{' or '[' gets a hint to read the file as plain text.
// Every problem is a FormatError "PATH:LINE: ..." (plus ":COL" for invalid UTF-8, which is
// checked on the raw bytes before parsing): invalid JSON (with the parser's explanation), a
// value that is not an object, neither "text" nor "tokens", or a field of the wrong type.
#pragma once

#include <filesystem>
#include <memory>

#include "corpora/corpus.h"

namespace textlrp::corpora {

// Throws IoError if PATH cannot be opened; next() throws FormatError as described above.
std::unique_ptr<CorpusReader> open_jsonl_corpus(const std::filesystem::path& path,
                                                const CorpusOptions& options);

}  // namespace textlrp::corpora
