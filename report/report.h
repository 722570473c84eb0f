// report/report.h — renders explanations (schema-1 records) as one self-contained HTML page.
//
// Used by `textlrp report --explanations FILE -o FILE` (apps/cmd_report.cpp): it reads the JSONL
// records, groups them into documents with group_by_id(), picks the documents to show with
// select_documents() and writes render_report() with write_file_atomic(). The page is a heatmap in
// the style of Arras et al. (2016/2017): every token of the document text is highlighted red
// (relevance for the target class) or blue (against it), and when several models or methods
// explained the same document their views are shown side by side ("word2vec/CNN vs BoW/SVM").
//
// Page layout: a header (counts, models, methods, colour legend); #overview, per model the accuracy
// over the documents with a label and the confusion matrix with per-class counts; #index, one row
// per document (true label, prediction and confidence of its first view, further models'
// predictions) linking to its card, with a filter form (misclassified only, true class, predicted
// class, order by confidence); then one card per document. The filter form is the page's only
// script's work: without script the form stays hidden and the page reads in full. The script honours
// the query string ?misclassified=1&true=LABEL&pred=LABEL&sort=asc|desc, so a link (or a test with
// --dump-dom) can open the page filtered; it marks hidden rows and cards with the hidden attribute
// and sets <body data-shown="N">.
//
// The page is safe to open on untrusted text (e-mails, web posts): every piece of record data
// (text, id, labels, model and method names, token text) is HTML-escaped in text and attribute
// context; it loads nothing (no fonts, images, CDN or links out: inline CSS only) and carries a
// Content-Security-Policy that allows only the page's own script (by its SHA-256 hash) and no
// requests, even if a future change forgot an escape. It works offline from a file:// URL.
//
// Compact markup (a 20 Newsgroups post averages ~1.9 KB of text; the whole test set renders in one
// page): a token is <i class=p7>surface</i> — p2..p20 for positive, n2..n20 for negative relevance,
// |R| / scale rounded to twentieths — and a token whose level rounds to 0 or 1 (under 7.5% of the
// scale) is plain text. "o" marks an
// out-of-vocabulary token (<i class=o> when it has no colour), "x" a non-finite relevance. Exact
// values are in the JSONL. Cards use CSS content-visibility so that the browser lays out only what is
// on screen.
//
// Stable hooks for tests and tools: each document is `<section class="doc" id="doc-N" data-id="…">`,
// each explanation of it `<article class="view" data-model="…" data-method="…" …>`, the text of
// each view `<div class="text">`; tokens a truncating model never read are inside
// `<span class=unseen>`; index rows are `#index tbody tr` with data-t (true), data-p (predicted),
// data-c (confidence) and data-ok (1/0, when the label is known).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "explain/explanation.h"

namespace textlrp::report {

// The schema-1 records a page draws (explain/explanation.h).
using explain::ExplanationRecord;
using explain::TokenRelevance;
using explain::WordRelevance;

// How token colours are scaled: per explanation (each view by its own max |R|; the default) or
// shared by the views of one document (one max |R| for all models shown side by side).
enum class ColorScale { kPerView, kShared };
// "view" | "shared"; InvalidArgument otherwise.
ColorScale parse_color_scale(std::string_view text);

struct ReportOptions {
  std::string title = "textlrp report";  // page <title> and heading (escaped)
  std::size_t max_documents = 0;         // render at most the first this many documents; 0 = all
  ColorScale color_scale = ColorScale::kPerView;
  std::size_t total_documents = 0;  // "N documents (of TOTAL)" when larger than the shown count
  std::string selection_note;       // one line under the counts (plain text, escaped)
};

// One document as explained by one or more models/methods. views.size() > 1 renders the views in
// side-by-side columns, each headed by its model name, method/rule, prediction and score.
struct ReportDocument {
  std::vector<ExplanationRecord> views;
};

// Returns one complete HTML5 document (UTF-8) showing every document in `docs`, in order (the first
// options.max_documents of them when that is not 0): summary, index, then per document its id, true
// label (when known) and per view: model, method and rule, prediction (marked right/wrong when the
// label is known), target, score, relevance sum and bias, the table of all class scores with the
// target row highlighted, and the full document text with each token highlighted by its relevance.
//
// Colours: red for positive, blue for negative relevance, in 20 opacity steps of |R| / max|R|
// (options.color_scale says over what max|R| is taken); under 7.5% of max|R| a token is not coloured. A view whose relevances are all zero (or not
// finite) is drawn without colour; it is not an error. A token's leading whitespace (a subword
// piece's space) is never highlighted.
//
// Text reconstruction: when every token has a span, text[prev_end:begin] is written as plain text
// and text[begin:end] as the token, so whitespace, punctuation and newlines appear as in the
// original (CSS white-space: pre-wrap), and text after the last token is shown unhighlighted. From
// the first token marked unseen (past the model's max_tokens) the rest of the text is greyed and
// struck through, with a note giving the model's limit. When no token has a span (pre-tokenized
// input) the tokens are shown separated by single spaces. Empty views and documents with no views
// are rendered as such.
//
// Throws FormatError naming the document id, model and token index when a view mixes tokens with
// and without spans, or when a span lies outside the text, starts before the end of the previous
// token (overlap or out of order), or splits a UTF-8 sequence.
std::string render_report(const std::vector<ReportDocument>& docs, const ReportOptions& options);

// Groups records into documents: records with the same id AND the same text are one document (its
// views), in order of each document's first appearance; within a document the views keep the order
// of the input (so "model A then model B" stays so). Records sharing an id but not the text are
// different documents and become separate cards; for each such id one warning is appended to
// `warnings` (when given). It is not an error if ids repeat for the same model; each record becomes
// one view.
std::vector<ReportDocument> group_by_id(std::vector<ExplanationRecord> records,
                                        std::vector<std::string>* warnings = nullptr);

// Which documents `--max-documents N` shows. kFirst: the first N. kStratified (the default): N
// spread over the classes (true label, else prediction, of the first view), round-robin in order
// of each class's first appearance, so every class gets N / classes documents as far as it has
// them. kMisclassified: only documents whose first view's prediction differs from the known label,
// stratified the same way. The indices returned are in input order; n == 0 means all (of the pool).
enum class SelectMode { kFirst, kStratified, kMisclassified };
SelectMode parse_select_mode(std::string_view text);  // first|stratified|misclassified
std::vector<std::size_t> select_documents(const std::vector<ReportDocument>& docs, std::size_t n,
                                          SelectMode mode);

// Building blocks for other self-contained pages (apps/common/analysis_report.cpp): the page's
// inline CSS and one document <section class="doc"> exactly as render_report() draws it (index
// is 0-based; the section id is "doc-<index+1>"). Same escaping and FormatErrors as render_report.
std::string_view report_css();
void append_report_document(std::string& out, const ReportDocument& doc, std::size_t index,
                            ColorScale scale = ColorScale::kPerView);

}  // namespace textlrp::report
