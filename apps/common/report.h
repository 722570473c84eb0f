// apps/common/report.h — renders explanations (schema-1 records) as one self-contained HTML page.
//
// Used by `textlrp report --explanations FILE --out FILE` (apps/cmd_report.cpp): it reads the
// JSONL records, groups them by document id with group_by_id() and writes render_report() with
// write_file_atomic(). The page is a heatmap in the style of Arras et al. (2016/2017): every token
// of the document text is highlighted red (relevance for the target class) or blue (against it),
// and when several models or methods explained the same document their views are shown side by
// side ("word2vec/CNN vs BoW/SVM").
//
// The page is safe to open on untrusted text (e-mails, web posts): every piece of record data
// (text, id, labels, model and method names, token text) is HTML-escaped in text and attribute
// context; the page contains no JavaScript, loads nothing (no fonts, images, CDN or links out:
// inline CSS only) and carries a Content-Security-Policy that forbids scripts and requests even if
// a future change forgot an escape. It works offline from a file:// URL.
//
// Stable hooks for tests and tools: each document is `<section class="doc" data-id="…">`, each
// explanation of it `<article class="view" data-model="…" data-method="…" …>`, and each token
// is `<span class="tok" data-r="<relevance>" title="<token>: <relevance>">surface</span>` (the
// class attribute is exactly "tok"; OOV tokens add data-oov="1").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "apps/common/explanation.h"

namespace textlrp::app {

struct ReportOptions {
  std::string title = "textlrp report";  // page <title> and heading (escaped)
  std::size_t max_documents = 0;         // render at most this many documents; 0 = all
};

// One document as explained by one or more models/methods. views.size() > 1 renders the views in
// side-by-side columns, each headed by its model name, method/rule, prediction and score.
struct ReportDocument {
  std::vector<ExplanationRecord> views;
};

// Returns one complete HTML5 document (UTF-8) showing every document in `docs`, in order (the first
// options.max_documents of them when that is not 0). Per document: id, true label (when known);
// per view: model, method and rule, prediction (marked right/wrong when the label is known),
// target, score, relevance sum and bias, the table of all class scores with the target row
// highlighted, and the full document text with each token highlighted by its relevance.
//
// Colours: red for positive, blue for negative relevance; the opacity is |R| / max|R| over the
// tokens of that view, so every view uses the full colour range. A view whose relevances are all
// zero (or not finite) is drawn without colour; it is not an error. Non-finite relevances are
// written as data-r="nan"/"inf" and drawn without colour.
//
// Text reconstruction: when every token has a span, text[prev_end:begin] is written as plain text
// and text[begin:end] as the highlighted token, so whitespace, punctuation and newlines appear as
// in the original (CSS white-space: pre-wrap), and text after the last token (e.g. a truncated
// document) is shown unhighlighted. When no token has a span (pre-tokenized input) the tokens are
// shown separated by single spaces. Empty views and documents with no views are rendered as such.
//
// Throws FormatError naming the document id, model and token index when a view mixes tokens with
// and without spans, or when a span lies outside the text, starts before the end of the previous
// token (overlap or out of order), or splits a UTF-8 sequence.
std::string render_report(const std::vector<ReportDocument>& docs, const ReportOptions& options);

// Groups records with the same id into one ReportDocument, in order of each id's first appearance;
// within a document the views keep the order of the input (so "model A then model B" stays so).
// It is not an error if ids repeat for the same model; each record becomes one view.
std::vector<ReportDocument> group_by_id(std::vector<ExplanationRecord> records);

// Building blocks for other self-contained pages (apps/common/analysis_report.cpp): the page's
// inline CSS and one document <section class="doc"> exactly as render_report() draws it (index
// is 0-based; the section id is "doc-<index+1>"). Same escaping and FormatErrors as render_report.
std::string_view report_css();
void append_report_document(std::string& out, const ReportDocument& doc, std::size_t index);

}  // namespace textlrp::app
