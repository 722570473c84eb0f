#include "apps/common/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "core/utf8.h"

namespace textlrp::app {
namespace {

// Heatmap colours (RGB). Positive relevance supports the target class, negative speaks against it.
constexpr std::string_view kPositiveRgb = "220,38,38";  // red
constexpr std::string_view kNegativeRgb = "37,99,235";  // blue
// Above this opacity the token text switches to white for contrast.
constexpr double kWhiteTextAlpha = 0.65;

// Inline CSS only: no @import, no url(), no web fonts, so the page makes no requests.
constexpr std::string_view kCss = R"css(
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#f5f6f8;color:#1f2328;font:15px/1.55 system-ui,-apple-system,"Segoe UI",
Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif,"Apple Color Emoji","Segoe UI Emoji",
"Noto Color Emoji"}
.page{max-width:96rem;margin:0 auto;padding:1.25rem 1.5rem 3rem}
.top{background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:1rem 1.25rem;
margin-bottom:1.25rem}
.top h1{font-size:1.4rem;margin:0 0 .35rem}
.summary{margin:.2rem 0;color:#424a53}
.summary b{color:#1f2328}
.legend{display:flex;align-items:center;gap:.6rem;margin-top:.6rem;font-size:.85rem;
color:#424a53;flex-wrap:wrap}
.legend .bar{width:16rem;height:.9rem;border:1px solid #c9cfd6;border-radius:3px;
background:linear-gradient(90deg,rgb(37,99,235),#fff 50%,rgb(220,38,38))}
.legend .note{flex-basis:100%;font-size:.8rem;color:#57606a}
.doc{background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:1rem 1.25rem;
margin:0 0 1.25rem;max-width:calc(var(--n,1) * 46rem)}
.doc-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:.4rem 1rem;
border-bottom:1px solid #eaeef2;padding-bottom:.5rem;margin-bottom:.75rem}
.doc-head h2{font-size:1.1rem;margin:0;overflow-wrap:anywhere}
.doc-head .n{color:#8c959f;font-weight:normal;margin-right:.4rem}
.doc-head .label{color:#424a53}
.views{display:grid;grid-template-columns:repeat(var(--n,1),minmax(0,1fr));gap:1.25rem}
@media (max-width:60rem){.views{grid-template-columns:minmax(0,1fr)}.doc{max-width:none}}
.view{min-width:0}
.views.multi .view{border-left:3px solid #eaeef2;padding-left:.9rem}
.view-head h3{font-size:1rem;margin:0 0 .3rem;overflow-wrap:anywhere}
.view-head h3 .method{font-weight:normal;color:#57606a}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.05rem .8rem;margin:0 0 .5rem;
font-size:.9rem}
.facts dt{color:#57606a}
.facts dd{margin:0;overflow-wrap:anywhere}
.right{color:#1a7f37;font-weight:600}
.wrong{color:#cf222e;font-weight:600}
.tag{font-size:.75rem;color:#57606a;font-weight:normal}
.scores{font-size:.85rem;margin:0 0 .6rem}
.scores summary{cursor:pointer;color:#57606a}
.scores table{border-collapse:collapse;margin-top:.25rem}
.scores td{padding:.05rem .6rem .05rem .3rem;text-align:left;border-bottom:1px solid #f0f2f4}
.scores td.num{text-align:right;font-variant-numeric:tabular-nums}
.scores tr.target{background:#fff3c4;font-weight:600}
.note{font-size:.85rem;color:#9a6700}
.text{white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.8;font-size:1rem;
border:1px solid #eaeef2;border-radius:6px;padding:.6rem .75rem;background:#fff}
.tok{border-radius:3px;padding:.1em 0}
.tok:hover{outline:1px solid #1f2328}
.tok[data-oov]{text-decoration:underline dotted #8c959f}
.empty{color:#8c959f;font-style:italic}
)css";

void append_escaped(std::string& out, std::string_view text) { append_html_escaped(out, text); }

// "%.6g"-style number for data attributes and tooltips; "nan"/"inf" when not finite.
std::string format_number(double v, std::string_view spec = "{:.6g}") {
  return fmt::format(fmt::runtime(spec), v);
}

std::string model_name(const ExplanationRecord& r) {
  return r.model.empty() ? std::string("(unnamed model)") : r.model;
}

std::string method_name(const ExplanationRecord& r) {
  return r.rule.empty() ? r.method : r.method + " " + r.rule;
}

// Where a bad record is, for FormatError messages.
std::string describe(const ExplanationRecord& r) {
  std::string s = fmt::format("report: document '{}'", r.id);
  if (!r.model.empty()) s += fmt::format(" (model '{}')", r.model);
  return s;
}

bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Largest finite |relevance| over the tokens; 0 when there is none (then nothing is coloured).
double max_abs_relevance(const ExplanationRecord& r) {
  double m = 0;
  for (const TokenRelevance& t : r.tokens) {
    if (std::isfinite(t.relevance)) m = std::max(m, std::abs(t.relevance));
  }
  return m;
}

// <span class="tok" data-r=".." title=".." style="..">surface</span>
void append_token(std::string& out, const TokenRelevance& t, std::string_view surface,
                  double max_abs) {
  out += "<span class=\"tok\" data-r=\"";
  out += format_number(t.relevance);
  out += '"';
  if (t.oov) out += " data-oov=\"1\"";
  out += " title=\"";
  append_escaped(out, t.text);
  out += ": ";
  out += format_number(t.relevance, "{:+.4g}");
  if (t.oov) out += " (not in the vocabulary)";
  out += '"';
  if (std::isfinite(t.relevance) && max_abs > 0 && t.relevance != 0) {
    const double alpha = std::min(1.0, std::abs(t.relevance) / max_abs);
    const std::string a = fmt::format("{:.3f}", alpha);
    if (a != "0.000") {
      fmt::format_to(std::back_inserter(out), " style=\"background:rgba({},{})",
                     t.relevance > 0 ? kPositiveRgb : kNegativeRgb, a);
      if (alpha > kWhiteTextAlpha) out += ";color:#fff";
      out += '"';
    }
  }
  out += '>';
  append_escaped(out, surface);
  out += "</span>";
}

// The document text with highlighted tokens (see render_report for the two modes).
void append_text(std::string& out, const ExplanationRecord& r) {
  const double max_abs = max_abs_relevance(r);
  std::size_t n_spans = 0;
  for (const TokenRelevance& t : r.tokens) n_spans += (t.begin && t.end) ? 1 : 0;

  out += "<div class=\"text\">";
  if (r.tokens.empty() && r.text.empty()) {
    out += "<span class=\"empty\">(empty document)</span></div>\n";
    return;
  }
  if (n_spans == 0) {  // pre-tokenized: tokens separated by single spaces
    for (std::size_t i = 0; i < r.tokens.size(); ++i) {
      if (i) out += ' ';
      append_token(out, r.tokens[i], r.tokens[i].text, max_abs);
    }
    if (r.tokens.empty()) append_escaped(out, r.text);
    out += "</div>\n";
    return;
  }
  if (n_spans != r.tokens.size()) {
    throw FormatError(
        fmt::format("{}: {} of {} tokens have spans (begin/end); expected all or none", describe(r),
                    n_spans, r.tokens.size()));
  }
  const std::string_view text = r.text;
  std::size_t prev_end = 0;
  for (std::size_t i = 0; i < r.tokens.size(); ++i) {
    const TokenRelevance& t = r.tokens[i];
    const std::size_t begin = *t.begin;
    const std::size_t end = *t.end;
    if (begin > end || end > text.size()) {
      throw FormatError(fmt::format("{}: tokens[{}]: span [{}, {}) is outside the text ({} bytes)",
                                    describe(r), i, begin, end, text.size()));
    }
    if (begin < prev_end) {
      throw FormatError(fmt::format(
          "{}: tokens[{}]: span [{}, {}) starts before the end of the previous token ({})",
          describe(r), i, begin, end, prev_end));
    }
    if ((begin < text.size() && is_utf8_continuation(text[begin])) ||
        (end < text.size() && is_utf8_continuation(text[end]))) {
      throw FormatError(fmt::format("{}: tokens[{}]: span [{}, {}) splits a UTF-8 sequence",
                                    describe(r), i, begin, end));
    }
    append_escaped(out, text.substr(prev_end, begin - prev_end));
    append_token(out, t, text.substr(begin, end - begin), max_abs);
    prev_end = end;
  }
  append_escaped(out, text.substr(prev_end));
  out += "</div>\n";
}

void append_scores(std::string& out, const ExplanationRecord& r) {
  if (r.scores.empty()) return;
  // Small label sets are shown open; long ones (20 Newsgroups) start folded to keep the columns
  // short.
  out += r.scores.size() <= 8 ? "<details class=\"scores\" open>" : "<details class=\"scores\">";
  fmt::format_to(std::back_inserter(out), "<summary>scores ({} classes)</summary><table>\n",
                 r.scores.size());
  for (const auto& [label, score] : r.scores) {
    const bool is_target = label == r.target;
    out += is_target ? "<tr class=\"target\"><td>" : "<tr><td>";
    append_escaped(out, label);
    if (is_target) out += " <span class=\"tag\">target</span>";
    if (label == r.prediction) out += " <span class=\"tag\">predicted</span>";
    if (r.label && label == *r.label) out += " <span class=\"tag\">true</span>";
    out += "</td><td class=\"num\">";
    out += format_number(score, "{:.4g}");
    out += "</td></tr>\n";
  }
  out += "</table></details>\n";
}

void append_fact(std::string& out, std::string_view name, std::string_view escaped_value) {
  out += "<dt>";
  out += name;
  out += "</dt><dd>";
  out += escaped_value;
  out += "</dd>";
}

void append_view(std::string& out, const ExplanationRecord& r) {
  out += "<article class=\"view\" data-model=\"";
  append_escaped(out, r.model);
  out += "\" data-method=\"";
  append_escaped(out, r.method);
  out += "\" data-rule=\"";
  append_escaped(out, r.rule);
  out += "\" data-prediction=\"";
  append_escaped(out, r.prediction);
  out += "\" data-target=\"";
  append_escaped(out, r.target);
  out += "\">\n<header class=\"view-head\"><h3>";
  append_escaped(out, model_name(r));
  out += " <span class=\"method\">";
  append_escaped(out, method_name(r));
  out += "</span></h3>\n<dl class=\"facts\">";

  std::string v;
  if (r.label) {
    const bool right = r.prediction == *r.label;
    v = right ? "<span class=\"right\">" : "<span class=\"wrong\">";
    append_escaped(v, r.prediction);
    v += right ? " &#10003;</span>" : " &#10007;</span>";
  } else {
    append_escaped(v, r.prediction);
  }
  append_fact(out, "prediction", v);
  v.clear();
  append_escaped(v, r.target);
  append_fact(out, "target", v);
  append_fact(out, "score", format_number(r.score, "{:.4g}"));
  append_fact(out, "relevance",
              fmt::format("sum {:.4g} + bias {:.4g}", r.relevance_sum, r.bias_relevance));
  append_fact(out, "max |R|",
              fmt::format("{:.4g} <span class=\"tag\">(full colour)</span>", max_abs_relevance(r)));
  out += "</dl>\n";
  append_scores(out, r);
  out += "</header>\n";
  if (r.truncated) {
    fmt::format_to(
        std::back_inserter(out),
        "<p class=\"note\">Truncated: the model saw only the first {} tokens; the rest of "
        "the text is shown without relevance.</p>\n",
        r.tokens.size());
  }
  append_text(out, r);
  out += "</article>\n";
}

void append_document(std::string& out, const ReportDocument& doc, std::size_t index) {
  const std::size_t n_views = std::max<std::size_t>(doc.views.size(), 1);
  const ExplanationRecord* first = doc.views.empty() ? nullptr : &doc.views.front();
  fmt::format_to(std::back_inserter(out),
                 "<section class=\"doc\" id=\"doc-{}\" style=\"--n:{}\" data-id=\"", index + 1,
                 n_views);
  if (first) append_escaped(out, first->id);
  fmt::format_to(std::back_inserter(out),
                 "\">\n<header class=\"doc-head\"><h2><span class=\"n\">#{}</span>", index + 1);
  if (first) append_escaped(out, first->id);
  out += "</h2>";
  // The true label of the document: the first view that knows it.
  for (const ExplanationRecord& r : doc.views) {
    if (!r.label) continue;
    out += "<span class=\"label\">true label: <b>";
    append_escaped(out, *r.label);
    out += "</b></span>";
    break;
  }
  out += "</header>\n";
  if (doc.views.empty()) {
    out += "<p class=\"empty\">(no explanations)</p>\n</section>\n";
    return;
  }
  out += doc.views.size() > 1 ? "<div class=\"views multi\">\n" : "<div class=\"views\">\n";
  for (const ExplanationRecord& r : doc.views) append_view(out, r);
  out += "</div>\n</section>\n";
}

// Distinct values in order of first appearance.
void add_distinct(std::vector<std::string>& values, std::string value) {
  if (std::find(values.begin(), values.end(), value) == values.end())
    values.push_back(std::move(value));
}

void append_list(std::string& out, const std::vector<std::string>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    append_escaped(out, values[i]);
  }
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

void append_summary(std::string& out, const std::vector<ReportDocument>& docs,
                    std::size_t n_shown) {
  std::vector<std::string> models;
  std::vector<std::string> methods;
  std::size_t n_views = 0;
  std::size_t n_labelled = 0;
  std::size_t n_right = 0;
  for (std::size_t i = 0; i < n_shown; ++i) {
    for (const ExplanationRecord& r : docs[i].views) {
      ++n_views;
      add_distinct(models, model_name(r));
      add_distinct(methods, method_name(r));
      if (r.label) {
        ++n_labelled;
        n_right += r.prediction == *r.label ? 1 : 0;
      }
    }
  }
  out += "<p class=\"summary\"><b>";
  out += plural(n_shown, "document", "documents");
  out += "</b>";
  if (n_shown < docs.size()) fmt::format_to(std::back_inserter(out), " (of {})", docs.size());
  out += " &middot; ";
  out += plural(n_views, "explanation", "explanations");
  out += " &middot; <b>";
  out += plural(models.size(), "model", "models");
  out += "</b>";
  if (!models.empty()) {
    out += ": ";
    append_list(out, models);
  }
  out += " &middot; <b>";
  out += plural(methods.size(), "method", "methods");
  out += "</b>";
  if (!methods.empty()) {
    out += ": ";
    append_list(out, methods);
  }
  if (n_labelled > 0) {
    fmt::format_to(std::back_inserter(out), " &middot; predictions right: {} of {} ({:.1f}%)",
                   n_right, n_labelled,
                   100.0 * static_cast<double>(n_right) / static_cast<double>(n_labelled));
  }
  out += "</p>\n";
}

}  // namespace

std::string render_report(const std::vector<ReportDocument>& docs, const ReportOptions& options) {
  const std::size_t n_shown =
      options.max_documents == 0 ? docs.size() : std::min(options.max_documents, docs.size());
  std::size_t n_text_bytes = 0;
  for (std::size_t i = 0; i < n_shown; ++i) {
    for (const ExplanationRecord& r : docs[i].views)
      n_text_bytes += r.text.size() + 120 * r.tokens.size();
  }
  std::string out;
  out.reserve(8192 + n_text_bytes);
  // The CSP is defence in depth: even a missed escape cannot run script or fetch anything.
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"textlrp\">\n<title>";
  append_escaped(out, options.title);
  out += "</title>\n<style>";
  out += kCss;
  out += "</style>\n</head>\n<body>\n<div class=\"page\">\n<header class=\"top\">\n<h1>";
  append_escaped(out, options.title);
  out += "</h1>\n";
  append_summary(out, docs, n_shown);
  out +=
      "<div class=\"legend\"><span>against target</span><span class=\"bar\"></span>"
      "<span>for target</span><span class=\"note\">Token colour: relevance for the target class, "
      "scaled per explanation by its largest |relevance| (shown as max |R|); hover a token for its "
      "value.</span></div>\n</header>\n<main>\n";
  for (std::size_t i = 0; i < n_shown; ++i) append_document(out, docs[i], i);
  out += "</main>\n</div>\n</body>\n</html>\n";
  return out;
}

std::string_view report_css() { return kCss; }

void append_report_document(std::string& out, const ReportDocument& doc, std::size_t index) {
  append_document(out, doc, index);
}

std::vector<ReportDocument> group_by_id(std::vector<ExplanationRecord> records) {
  std::vector<ReportDocument> docs;
  std::unordered_map<std::string, std::size_t> index;  // id -> position in docs
  for (ExplanationRecord& r : records) {
    const auto [it, inserted] = index.try_emplace(r.id, docs.size());
    if (inserted) docs.emplace_back();
    docs[it->second].views.push_back(std::move(r));
  }
  return docs;
}

}  // namespace textlrp::app
