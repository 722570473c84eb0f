// report/report_index.cpp — the parts of the `textlrp report` page above the documents (the
// summary line, the overview of models and classes, the sortable index with its filters) and the
// choice of documents (group_by_id, select_documents). The document cards are report.cpp's.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "report/report.h"
#include "report/report_parts.h"

namespace textlrp::report {
namespace parts {
namespace {

void add_distinct(std::vector<std::string>& values, const std::string& value) {
  if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
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

void append_options(std::string& out, const std::vector<std::string>& values) {
  out += "<option value=\"\">all";
  for (const std::string& v : values) {
    out += "<option value=\"";
    append_escaped(out, v);
    out += "\">";
    append_escaped(out, v);
  }
}

}  // namespace

void append_summary(std::string& out, const std::vector<ReportDocument>& docs, std::size_t n_shown,
                    std::size_t n_total) {
  std::vector<std::string> models;
  std::vector<std::string> methods;
  std::size_t n_views = 0;
  for (std::size_t i = 0; i < n_shown; ++i) {
    for (const ExplanationRecord& r : docs[i].views) {
      ++n_views;
      add_distinct(models, model_name(r));
      add_distinct(methods, method_name(r));
    }
  }
  out += "<p class=\"summary\"><b>";
  out += plural(n_shown, "document", "documents");
  out += "</b>";
  if (n_shown < n_total) fmt::format_to(std::back_inserter(out), " (of {})", n_total);
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
  out += "</p>\n";
}

// Per model: accuracy, the per-class counts and the confusion matrix (rows: true class, columns:
// predicted class) over the shown documents with a known label.
void append_overview(std::string& out, const std::vector<ReportDocument>& docs, std::size_t n_shown) {
  std::vector<std::string> models;
  for (std::size_t i = 0; i < n_shown; ++i) {
    for (const ExplanationRecord& r : docs[i].views) add_distinct(models, model_name(r));
  }
  out += "<section class=\"overview\" id=\"overview\"><h2>Summary</h2>\n";
  if (models.empty()) out += "<p class=\"empty\">(no explanations)</p>\n";
  for (const std::string& m : models) {
    std::vector<std::string> labels;  // the model's labels, then any other true label
    std::map<std::pair<std::size_t, std::size_t>, std::size_t> cells;
    std::size_t n_labelled = 0, n_right = 0, n_views = 0;
    std::vector<const ExplanationRecord*> views;
    for (std::size_t i = 0; i < n_shown; ++i) {
      for (const ExplanationRecord& r : docs[i].views) {
        if (model_name(r) != m) continue;
        views.push_back(&r);
        for (const auto& [label, s] : r.scores) add_distinct(labels, label);
        break;  // one view per document and model
      }
    }
    for (const ExplanationRecord* r : views) {
      ++n_views;
      add_distinct(labels, r->prediction);
      if (!r->label) continue;
      add_distinct(labels, *r->label);
      ++n_labelled;
      n_right += r->prediction == *r->label ? 1 : 0;
      const auto at = [&](const std::string& l) {
        return static_cast<std::size_t>(std::find(labels.begin(), labels.end(), l) - labels.begin());
      };
      ++cells[{at(*r->label), at(r->prediction)}];
    }
    out += "<div class=\"model-stats\" data-model=\"";
    append_escaped(out, m);
    out += "\"><h3>";
    append_escaped(out, m);
    out += "</h3>\n<p class=\"summary\">";
    if (n_labelled > 0) {
      fmt::format_to(
          std::back_inserter(out),
          "<b class=\"accuracy\">accuracy {:.1f}%</b> ({} of {} documents with a label predicted right)",
          100.0 * static_cast<double>(n_right) / static_cast<double>(n_labelled), n_right, n_labelled);
      if (n_labelled < n_views)
        fmt::format_to(std::back_inserter(out), "; {} without a label", n_views - n_labelled);
    } else {
      fmt::format_to(std::back_inserter(out), "{} documents, none with a true label: no accuracy", n_views);
    }
    out += "</p>\n";
    if (n_labelled == 0) {
      out += "</div>\n";
      continue;
    }
    // Rows: true class (with its count), columns: predicted class by number (the row headers name them).
    out +=
        "<div class=\"cm-wrap\"><table class=\"cm\"><caption class=\"tag\">confusion matrix: rows = true "
        "class, "
        "columns = predicted class (numbered as the rows)</caption>\n<tr><th class=\"row\">true \\ predicted";
    for (std::size_t c = 0; c < labels.size(); ++c) {
      out += "<th title=\"";
      append_escaped(out, labels[c]);
      fmt::format_to(std::back_inserter(out), "\">{}", c + 1);
    }
    out += "<th>count<th>right\n";
    std::vector<std::size_t> col_totals(labels.size(), 0);
    for (std::size_t t = 0; t < labels.size(); ++t) {
      std::size_t row_total = 0;
      for (std::size_t p = 0; p < labels.size(); ++p) {
        const auto it = cells.find({t, p});
        const std::size_t n = it == cells.end() ? 0 : it->second;
        row_total += n;
        col_totals[p] += n;
      }
      fmt::format_to(std::back_inserter(out), "<tr><th class=\"row\">{} ", t + 1);
      append_escaped(out, labels[t]);
      for (std::size_t p = 0; p < labels.size(); ++p) {
        const auto it = cells.find({t, p});
        const std::size_t n = it == cells.end() ? 0 : it->second;
        out += n == 0 ? "<td class=z>" : (t == p ? "<td class=d>" : "<td class=e>");
        out += std::to_string(n);
      }
      const auto diag = cells.find({t, t});
      fmt::format_to(std::back_inserter(out), "<td>{}<td>{}\n", row_total,
                     diag == cells.end() ? 0 : diag->second);
    }
    out += "<tr><th class=\"row\">predicted count";
    for (const std::size_t n : col_totals) fmt::format_to(std::back_inserter(out), "<td>{}", n);
    fmt::format_to(std::back_inserter(out), "<td>{}<td>{}\n</table></div>\n</div>\n", n_labelled, n_right);
  }
  out += "</section>\n";
}

// The index of the shown documents (one row each: true label, prediction and confidence of the first
// view, per further model its prediction and score) with the filter form the script reveals.
void append_index(std::string& out, const std::vector<ReportDocument>& docs, std::size_t n_shown) {
  std::vector<std::string> models;
  std::vector<std::string> true_labels;
  std::vector<std::string> predictions;
  for (std::size_t i = 0; i < n_shown; ++i) {
    for (const ExplanationRecord& r : docs[i].views) add_distinct(models, model_name(r));
    if (const ExplanationRecord* f = first_view(docs[i])) {
      if (f->label) add_distinct(true_labels, *f->label);
      add_distinct(predictions, f->prediction);
    }
  }
  std::sort(true_labels.begin(), true_labels.end());
  std::sort(predictions.begin(), predictions.end());
  out +=
      "<section class=\"index\" id=\"index\"><h2>Documents</h2>\n<form id=\"filters\" hidden>"
      "<label><input type=\"checkbox\" name=\"mis\"> misclassified only</label>"
      "<label>true class <select name=\"t\">";
  append_options(out, true_labels);
  out += "</select></label><label>predicted class <select name=\"p\">";
  append_options(out, predictions);
  out +=
      "</select></label><label>order <select name=\"sort\"><option value=\"doc\">as in the input"
      "<option value=\"desc\">confidence, highest first<option value=\"asc\">confidence, lowest first"
      "</select></label><output id=\"shown\"></output></form>\n";
  if (models.size() > 1) {
    out += "<p class=\"tag\">Filters and confidence use the first model (";
    append_escaped(out, models.front());
    out += ").</p>\n";
  }
  out +=
      "<div class=\"index-wrap\"><table "
      "class=\"ix\"><thead><tr><th>#<th>id<th>true<th>predicted<th>confidence";
  for (std::size_t m = 1; m < models.size(); ++m) {
    out += "<th>";
    append_escaped(out, models[m]);
    out += "<th>score";
  }
  out += "</thead>\n<tbody>\n";
  for (std::size_t i = 0; i < n_shown; ++i) {
    const ExplanationRecord* f = first_view(docs[i]);
    const bool known = f && f->label;
    const bool right = known && f->prediction == *f->label;
    out += known && !right ? "<tr class=x" : "<tr";
    if (f) {
      out += " data-t=\"";
      if (f->label) append_escaped(out, *f->label);
      out += "\" data-p=\"";
      append_escaped(out, f->prediction);
      out += "\" data-c=\"";
      out += format_number(confidence(*f), "{:.4g}");
      out += '"';
      if (known) out += right ? " data-ok=1" : " data-ok=0";
    }
    fmt::format_to(std::back_inserter(out), "><td><a href=\"#doc-{}\">{}</a><td>", i + 1, i + 1);
    if (f) append_escaped(out, f->id);
    out += "<td>";
    if (known) append_escaped(out, *f->label);
    out += "<td>";
    if (f) append_escaped(out, f->prediction);
    out += "<td class=num>";
    if (f) out += format_number(confidence(*f), "{:.4g}");
    for (std::size_t m = 1; m < models.size(); ++m) {
      const ExplanationRecord* v = nullptr;
      for (const ExplanationRecord& r : docs[i].views) {
        if (model_name(r) == models[m]) {
          v = &r;
          break;
        }
      }
      out += "<td>";
      if (v) append_escaped(out, v->prediction);
      out += "<td class=num>";
      if (v) out += format_number(confidence(*v), "{:.4g}");
    }
    out += '\n';
  }
  out += "</tbody></table></div>\n</section>\n";
}

}  // namespace parts

using parts::first_view;

std::vector<ReportDocument> group_by_id(std::vector<ExplanationRecord> records,
                                        std::vector<std::string>* warnings) {
  std::vector<ReportDocument> docs;
  std::unordered_map<std::string, std::size_t> index;    // id + '\0' + text -> position in docs
  std::unordered_map<std::string, std::size_t> n_texts;  // id -> distinct texts seen with it
  for (ExplanationRecord& r : records) {
    std::string key = r.id;
    key += '\0';
    key += r.text;
    const auto [it, inserted] = index.try_emplace(std::move(key), docs.size());
    if (inserted) {
      docs.emplace_back();
      const std::size_t n = ++n_texts[r.id];
      if (n == 2 && warnings) {
        warnings->push_back(fmt::format(
            "report: id '{}' is used by different documents (their texts differ); they are shown as separate "
            "cards, not side by side",
            r.id));
      }
    }
    docs[it->second].views.push_back(std::move(r));
  }
  return docs;
}

std::vector<std::size_t> select_documents(const std::vector<ReportDocument>& docs, std::size_t n,
                                          SelectMode mode) {
  std::vector<std::size_t> pool;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (mode == SelectMode::kMisclassified) {
      const ExplanationRecord* f = first_view(docs[i]);
      if (!f || !f->label || f->prediction == *f->label) continue;
    }
    pool.push_back(i);
  }
  if (n == 0 || n >= pool.size()) return pool;
  if (mode == SelectMode::kFirst) {
    pool.resize(n);
    return pool;
  }
  // Stratified (also among the misclassified): round-robin over the classes (the true label, else
  // the prediction) in order of first appearance, each class's documents in input order; the picked
  // documents keep the input order.
  std::vector<std::string> classes;
  std::vector<std::vector<std::size_t>> members;
  for (const std::size_t i : pool) {
    const ExplanationRecord* f = first_view(docs[i]);
    const std::string key = !f ? std::string() : (f->label ? *f->label : f->prediction);
    auto it = std::find(classes.begin(), classes.end(), key);
    if (it == classes.end()) {
      classes.push_back(key);
      members.emplace_back();
      it = classes.end() - 1;
    }
    members[static_cast<std::size_t>(it - classes.begin())].push_back(i);
  }
  std::vector<std::size_t> picked;
  for (std::size_t round = 0; picked.size() < n; ++round) {
    for (const auto& m : members) {
      if (round < m.size() && picked.size() < n) picked.push_back(m[round]);
    }
  }
  std::sort(picked.begin(), picked.end());
  return picked;
}

SelectMode parse_select_mode(std::string_view text) {
  if (text == "first") return SelectMode::kFirst;
  if (text == "stratified") return SelectMode::kStratified;
  if (text == "misclassified") return SelectMode::kMisclassified;
  throw InvalidArgument(fmt::format("--select '{}': expected first, stratified or misclassified", text));
}

}  // namespace textlrp::report
