// corpora/csv.h — `csv:PATH`: comma-separated values (RFC 4180), one document per record.
//
// Quoting as RFC 4180: a field in double quotes may hold commas, line breaks and doubled quotes
// ("" = one "); CRLF and LF line ends are both accepted (a CRLF inside a quoted field becomes
// LF); a quote inside an unquoted field is kept as a literal character. Every record must have as
// many fields as the first one. Blank lines between records are skipped.
//
// Columns (CorpusOptions): csv_label_column (default "1") and csv_text_columns (default: every
// other column, in file order), each a 1-based index or, when the file has a header row, a header
// name. Several text columns are joined by csv_join (default "\n"), empty ones left out.
// csv_header: kYes / kNo, or kAuto: the first record is a header when a column is chosen by name
// or when its label field is a usual column name (label, class, category, target, sentiment,
// polarity, rating, stars, y; any case). Layouts that work as they are:
//   AG News   "3","Wall St. Bears Claw Back","Reuters - Short-sellers, ..."   (no header, labels 1..4)
//   Yelp      label,text  /  "1","The food was ..."                           (header)
//   DBpedia   label,title,content  /  1,E. D. Abbott Ltd,"Abbott of Farnham ..." (header or not)
// id = the 1-based line on which the record starts; Example::line = that line. Bytes are decoded
// by CorpusOptions::encoding. PATH "-" reads stdin.
//
// Errors: InvalidArgument (exit 2) when a column does not exist ("--csv-label-column 'stars': no
// such column; the header has: label, text"); FormatError "PATH:LINE: ..." for an unterminated
// quote (naming the line where it opened), a character after a closing quote, a record with the
// wrong number of fields, or an empty label.
#pragma once

#include <filesystem>
#include <memory>

#include "corpora/corpus.h"

namespace textlrp::corpora {

std::unique_ptr<CorpusReader> open_csv_corpus(const std::filesystem::path& path,
                                              const CorpusOptions& options);

}  // namespace textlrp::corpora
