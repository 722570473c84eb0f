// report/report_parts.h — what the two halves of the `textlrp report` page share (internal to
// report/): report.cpp renders the page and the document cards, report_index.cpp the summary,
// the overview and the index above them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "explain/explanation.h"
#include "report/report.h"

namespace textlrp::report::parts {

// HTML-escaped text.
void append_escaped(std::string& out, std::string_view text);
// "%.6g"-style number; "nan"/"inf" when not finite.
std::string format_number(double v, std::string_view spec = "{:.6g}");
std::string model_name(const ExplanationRecord& r);   // "(unnamed model)" when it has none
std::string method_name(const ExplanationRecord& r);  // the method and its rule
// The view a document is summarised by (index, filters): its first view; null without views.
const ExplanationRecord* first_view(const ReportDocument& doc);
// The score of the predicted class (the confidence the index sorts by).
double confidence(const ExplanationRecord& r);

// The page's parts above the documents, for the first n_shown of `docs` (report_index.cpp).
void append_summary(std::string& out, const std::vector<ReportDocument>& docs, std::size_t n_shown,
                    std::size_t n_total);
void append_overview(std::string& out, const std::vector<ReportDocument>& docs, std::size_t n_shown);
void append_index(std::string& out, const std::vector<ReportDocument>& docs, std::size_t n_shown);

}  // namespace textlrp::report::parts
