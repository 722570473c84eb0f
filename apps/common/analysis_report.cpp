#include "apps/common/analysis_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <numeric>

#include "core/utf8.h"

namespace textlrp::app {
namespace {

constexpr std::string_view kExtraCss = R"css(
.analysis{background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:1rem 1.25rem;
margin:0 0 1.25rem}
.analysis>h2{font-size:1.25rem;margin:0 0 .5rem}
.analysis h3{font-size:1.05rem;margin:1rem 0 .4rem}
.analysis p.note{font-size:.88rem;color:#57606a;margin:.2rem 0 .6rem}
.analysis .doc{border:none;padding:0;margin:0 0 1.25rem;max-width:none}
.plots{display:flex;flex-wrap:wrap;gap:1rem}
figure.plot{margin:0;border:1px solid #eaeef2;border-radius:6px;padding:.4rem;background:#fff}
figure.plot figcaption{font-size:.82rem;color:#57606a;max-width:34rem;margin-top:.2rem}
svg.chart{display:block;max-width:100%;height:auto;font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
svg.chart .title{font-size:13px;font-weight:600}
svg.chart .legend{display:inline;font-size:11px}
svg.chart .axis{stroke:#424a53;stroke-width:1}
svg.chart .grid{stroke:#eaeef2;stroke-width:1}
svg.chart text{fill:#1f2328}
.tw-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:.8rem 1.2rem}
.tw-class h4{font-size:.95rem;margin:.2rem 0;overflow-wrap:anywhere}
.tw-class .pair{display:flex;gap:.8rem;flex-wrap:wrap}
table.tw,table.epi{border-collapse:collapse;font-size:.85rem}
table.tw caption{text-align:left;font-size:.8rem;color:#57606a}
table.tw td,table.tw th,table.epi td,table.epi th{padding:.1rem .5rem;border-bottom:1px solid #f0f2f4;text-align:left}
table.tw td.num,table.epi td.num{text-align:right;font-variant-numeric:tabular-nums}
table.epi th{background:#f5f6f8}
table.epi tr.best td{font-weight:600}
)css";

// Class colours (Tableau 20, strong colours first), cycled beyond 20 classes.
constexpr std::string_view kClassColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                              "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
                                              "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
                                              "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"};

std::string_view class_colour(int cls) {
  if (cls < 0) return "#57606a";
  return kClassColours[static_cast<std::size_t>(cls) % std::size(kClassColours)];
}

std::string_view method_colour(std::string_view method, std::size_t index) {
  static const std::map<std::string_view, std::string_view> fixed = {
      {"lrp", "#d62728"}, {"sa", "#1f77b4"},        {"gi", "#2ca02c"},
      {"ig", "#9467bd"},  {"occlusion", "#ff7f0e"}, {"random", "#7f7f7f"}};
  const auto it = fixed.find(method);
  if (it != fixed.end()) return it->second;
  return kClassColours[(index + 4) % std::size(kClassColours)];
}

std::string esc(std::string_view s) {
  std::string out;
  append_html_escaped(out, s);
  return out;
}

// About five "nice" tick values (1, 2 or 5 times a power of ten) covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

std::string tick_label(double v, double step) {
  if (step >= 1) return fmt::format("{:.0f}", v);
  const int decimals = std::min(6, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  return fmt::format("{:.{}f}", v, decimals);
}

struct Frame {
  double width, height, left, right, top, bottom;
  double x0, x1, y0, y1;  // data ranges
  double px(double x) const { return left + (x - x0) / (x1 - x0) * (width - left - right); }
  double py(double y) const { return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom); }
};

// Axes with ticks, grid lines, tick labels, axis labels and the title.
void append_axes(std::string& out, const Frame& f, const std::string& title, const std::string& x_label,
                 const std::string& y_label, double y_scale = 1, std::string_view y_suffix = "") {
  const auto xt = nice_ticks(f.x0, f.x1);
  const auto yt = nice_ticks(f.y0, f.y1);
  const double xs = xt.size() > 1 ? xt[1] - xt[0] : 1;
  const double ys = yt.size() > 1 ? (yt[1] - yt[0]) * y_scale : 1;
  const double pl = f.left, pr = f.width - f.right, pt = f.top, pb = f.height - f.bottom;
  for (double v : yt) {
    fmt::format_to(std::back_inserter(out),
                   "<line class=\"grid\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>", pl,
                   f.py(v), pr, f.py(v));
    fmt::format_to(
        std::back_inserter(out),
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}{}</text>",
        pl - 5, f.py(v), tick_label(v * y_scale, ys), y_suffix);
  }
  for (double v : xt) {
    fmt::format_to(std::back_inserter(out),
                   "<line class=\"axis\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>", f.px(v),
                   pb, f.px(v), pb + 4);
    fmt::format_to(std::back_inserter(out),
                   "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", f.px(v), pb + 16,
                   tick_label(v, xs));
  }
  fmt::format_to(std::back_inserter(out),
                 "<line class=\"axis\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\"/>"
                 "<line class=\"axis\" x1=\"{0:.1f}\" y1=\"{3:.1f}\" x2=\"{0:.1f}\" y2=\"{1:.1f}\"/>",
                 pl, pb, pr, pt);
  fmt::format_to(std::back_inserter(out),
                 "<text class=\"xlabel\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>",
                 (pl + pr) / 2, f.height - 12, esc(x_label));
  fmt::format_to(std::back_inserter(out),
                 "<text class=\"ylabel\" x=\"{0:.1f}\" y=\"{1:.1f}\" text-anchor=\"middle\" "
                 "transform=\"rotate(-90 {0:.1f} {1:.1f})\">{2}</text>",
                 14.0, (pt + pb) / 2, esc(y_label));
  fmt::format_to(std::back_inserter(out),
                 "<text class=\"title\" x=\"{:.1f}\" y=\"18\" text-anchor=\"middle\">{}</text>",
                 (pl + pr) / 2, esc(title));
}

// Width in px of `text` at the charts' 11px sans-serif, generously (7 px a character: wider than
// the average glyph), for the legend layout: the legend must never be clipped.
double text_width(std::string_view text) {
  std::size_t chars = 0;
  for (const char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return 7.0 * static_cast<double>(chars);
}

// Legend text longer than this is cut with "…"; the full text is in the entry's <title> tooltip.
constexpr std::size_t kLegendChars = 48;

std::string legend_text(const std::string& text) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (++chars > kLegendChars) return text.substr(0, i) + "…";
  }
  return text;
}

// Marker shapes, so that more classes than colours (and curves that coincide) stay apart.
enum class Shape { kCircle, kSquare, kTriangle, kDiamond };
constexpr Shape kShapes[] = {Shape::kCircle, Shape::kSquare, Shape::kTriangle, Shape::kDiamond};

Shape class_shape(int cls) {
  if (cls < 0) return Shape::kCircle;
  return kShapes[(static_cast<std::size_t>(cls) / std::size(kClassColours)) % std::size(kShapes)];
}

// One marker centred on (x, y) with "radius" r: <circle>, or a <path> for the other shapes.
void append_marker(std::string& out, Shape shape, double x, double y, double r, std::string_view fill,
                   std::string_view cls) {
  const std::string c = cls.empty() ? std::string() : fmt::format(" class=\"{}\"", cls);
  switch (shape) {
    case Shape::kCircle:
      fmt::format_to(std::back_inserter(out),
                     "<circle{} cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{:.1f}\" fill=\"{}\"/>", c, x, y, r, fill);
      return;
    case Shape::kSquare:
      fmt::format_to(std::back_inserter(out),
                     "<path{} d=\"M{:.1f},{:.1f}h{:.1f}v{:.1f}h{:.1f}z\" fill=\"{}\"/>", c, x - r * 0.9,
                     y - r * 0.9, 1.8 * r, 1.8 * r, -1.8 * r, fill);
      return;
    case Shape::kTriangle:
      fmt::format_to(std::back_inserter(out),
                     "<path{} d=\"M{:.1f},{:.1f}L{:.1f},{:.1f}L{:.1f},{:.1f}z\" fill=\"{}\"/>", c, x,
                     y - 1.2 * r, x + 1.1 * r, y + 0.8 * r, x - 1.1 * r, y + 0.8 * r, fill);
      return;
    case Shape::kDiamond:
      fmt::format_to(std::back_inserter(out),
                     "<path{} d=\"M{:.1f},{:.1f}L{:.1f},{:.1f}L{:.1f},{:.1f}L{:.1f},{:.1f}z\" fill=\"{}\"/>",
                     c, x, y - 1.2 * r, x + 1.2 * r, y, x, y + 1.2 * r, x - 1.2 * r, y, fill);
      return;
  }
}

// Dash patterns per curve (the random baseline is always dashed "5 3").
constexpr std::string_view kDashes[] = {"", "7 3", "2 2", "9 3 2 3", "4 4", "1 3"};

void append_legend_entry(std::string& out, double x, double y, std::string_view colour,
                         const std::string& text, bool line, std::string_view dash,
                         Shape shape = Shape::kSquare) {
  out += "<g class=\"legend-entry\"><title>";
  append_html_escaped(out, text);
  out += "</title>";
  if (line) {
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
                   "stroke-width=\"2.5\"{}/>",
                   x, y, x + 22, y, colour,
                   dash.empty() ? std::string() : fmt::format(" stroke-dasharray=\"{}\"", dash));
    append_marker(out, shape, x + 11, y, 3, colour, "");
  } else {
    append_marker(out, shape, x + 5, y, 5, colour, "");
  }
  fmt::format_to(std::back_inserter(out),
                 "<text x=\"{:.1f}\" y=\"{:.1f}\" dominant-baseline=\"middle\">{}</text></g>",
                 x + (line ? 28 : 15), y, esc(legend_text(text)));
}

std::string percent(double v) { return fmt::format("{:.2f}%", 100 * v); }

}  // namespace

std::string svg_scatter(const ScatterData& data, const std::vector<std::string>& class_names,
                        const std::string& title) {
  // Legend: every class, in columns of at most kRows entries, each column as wide as its longest
  // (cut) name; the chart widens to hold them (nothing is clipped, no "… more").
  constexpr std::size_t kRows = 30;
  constexpr double kRowHeight = 14;
  const std::size_t n_cols = (class_names.size() + kRows - 1) / kRows;
  const std::size_t rows = std::min(class_names.size(), kRows);
  std::vector<double> col_width(n_cols, 0);
  for (std::size_t c = 0; c < class_names.size(); ++c) {
    col_width[c / kRows] = std::max(col_width[c / kRows], 15 + text_width(legend_text(class_names[c])) + 12);
  }
  const double legend_width = std::accumulate(col_width.begin(), col_width.end(), 0.0);
  Frame f{370 + std::max(60.0, legend_width + 14),
          std::max(380.0, 60.0 + kRowHeight * static_cast<double>(rows)),
          56,
          std::max(60.0, legend_width + 14),
          32,
          46,
          0,
          1,
          0,
          1};
  if (!data.x.empty()) {
    const auto [xmin, xmax] = std::minmax_element(data.x.begin(), data.x.end());
    const auto [ymin, ymax] = std::minmax_element(data.y.begin(), data.y.end());
    const double dx = std::max(1e-9, *xmax - *xmin), dy = std::max(1e-9, *ymax - *ymin);
    f.x0 = *xmin - 0.05 * dx;
    f.x1 = *xmax + 0.05 * dx;
    f.y0 = *ymin - 0.05 * dy;
    f.y1 = *ymax + 0.05 * dy;
  }
  std::string out;
  fmt::format_to(
      std::back_inserter(out),
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "viewBox=\"0 0 {0:.0f} {1:.0f}\" role=\"img\" aria-label=\"{2}\">",
      f.width, f.height, esc(title));
  append_axes(out, f, title, fmt::format("PC1 ({:.1f}% of the variance)", 100 * data.explained1),
              fmt::format("PC2 ({:.1f}%)", 100 * data.explained2));
  // Draw in a fixed shuffled order so that no class (the last of a sorted corpus) covers the others.
  std::vector<Index> order(data.x.size());
  std::iota(order.begin(), order.end(), Index{0});
  analysis::seeded_shuffle(order, 1);
  const double r = data.x.size() > 3000 ? 1.6 : data.x.size() > 800 ? 2.2 : 3.0;
  out += "<g class=\"points\" fill-opacity=\"0.75\">";
  for (Index i : order) {
    const auto k = static_cast<std::size_t>(i);
    append_marker(out, class_shape(data.cls[k]), f.px(data.x[k]), f.py(data.y[k]), r,
                  class_colour(data.cls[k]), "pt");
  }
  out += "</g><g class=\"legend\">";
  double lx = f.width - f.right + 14;
  for (std::size_t c = 0; c < class_names.size(); ++c) {
    if (c > 0 && c % kRows == 0) lx += col_width[c / kRows - 1];
    append_legend_entry(out, lx, f.top + 8 + kRowHeight * static_cast<double>(c % kRows),
                        class_colour(static_cast<int>(c)), class_names[c], false, "",
                        class_shape(static_cast<int>(c)));
  }
  out += "</g></svg>";
  return out;
}

std::string svg_lines(const std::vector<LineSeries>& series, const std::string& title,
                      const std::string& x_label, const std::string& y_label) {
  std::size_t n = 0;
  for (const auto& s : series) n = std::max(n, s.y.size());
  // The legend column is as wide as its longest entry (cut at kLegendChars), so nothing is clipped.
  double legend_width = 60;
  for (const auto& ser : series)
    legend_width = std::max(legend_width, 28 + text_width(legend_text(ser.name)) + 10);
  Frame f{368 + legend_width,
          std::max(340.0, 80.0 + 16.0 * static_cast<double>(series.size())),
          56,
          legend_width,
          32,
          46,
          0,
          std::max<double>(1, static_cast<double>(n) - 1),
          0,
          1};
  std::string out;
  fmt::format_to(
      std::back_inserter(out),
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "viewBox=\"0 0 {0:.0f} {1:.0f}\" role=\"img\" aria-label=\"{2}\">",
      f.width, f.height, esc(title));
  append_axes(out, f, title, x_label, y_label, 100, "%");
  // Curves that coincide (e.g. two methods giving the same ranking) stay visible: each curve has its
  // own dash pattern and marker shape, and earlier curves are drawn wider, so a later one on top
  // leaves the earlier one's colour showing at both sides. Markers on every point up to 31 points,
  // else on about 16 evenly spaced ones.
  const std::size_t marker_step = n <= 31 ? 1 : (n + 15) / 16;
  auto dash_of = [&](std::size_t s) -> std::string_view {
    return series[s].method == "random" ? std::string_view("5 3") : kDashes[s % std::size(kDashes)];
  };
  for (std::size_t s = 0; s < series.size(); ++s) {
    const auto& ser = series[s];
    const std::string_view colour = method_colour(ser.method, s);
    const std::string_view dash = dash_of(s);
    const double width = 1.5 + 1.2 * static_cast<double>(series.size() - 1 - s);
    std::string d;
    for (std::size_t k = 0; k < ser.y.size(); ++k) {
      fmt::format_to(std::back_inserter(d), "{}{:.1f},{:.1f}", k ? " L" : "M", f.px(static_cast<double>(k)),
                     f.py(ser.y[k]));
    }
    fmt::format_to(std::back_inserter(out),
                   "<path class=\"curve\" data-method=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{}\" "
                   "stroke-width=\"{:.1f}\" "
                   "stroke-opacity=\"0.9\"{}/>",
                   esc(ser.method), d, colour, width,
                   dash.empty() ? std::string() : fmt::format(" stroke-dasharray=\"{}\"", dash));
    out += "<g class=\"markers\">";
    for (std::size_t k = 0; k < ser.y.size(); k += marker_step) {
      append_marker(out, kShapes[s % std::size(kShapes)], f.px(static_cast<double>(k)), f.py(ser.y[k]), 2.6,
                    colour, "");
    }
    out += "</g>";
  }
  out += "<g class=\"legend\">";
  for (std::size_t s = 0; s < series.size(); ++s) {
    append_legend_entry(out, f.width - f.right + 12, f.top + 8 + 16.0 * static_cast<double>(s),
                        method_colour(series[s].method, s), series[s].name, true, dash_of(s),
                        kShapes[s % std::size(kShapes)]);
  }
  out += "</g></svg>";
  return out;
}

namespace {

void append_topwords_table(std::string& out, const std::string& caption,
                           const std::vector<analysis::TopWords::Entry>& entries) {
  out += "<table class=\"tw\"><caption>";
  append_html_escaped(out, caption);
  out += "</caption><tr><th>word</th><th>sum</th><th>mean</th><th>docs</th></tr>";
  for (const auto& e : entries) {
    out += "<tr><td>";
    append_html_escaped(out, e.word);
    fmt::format_to(
        std::back_inserter(out),
        "</td><td class=\"num\">{:.3g}</td><td class=\"num\">{:.3g}</td><td class=\"num\">{}</td></tr>",
        e.stats.sum, e.stats.mean(), e.stats.documents);
  }
  if (entries.empty()) out += "<tr><td colspan=\"4\" class=\"empty\">(no words)</td></tr>";
  out += "</table>";
}

void append_topwords(std::string& out, const AnalysisReport& r) {
  out += "<section class=\"analysis\" id=\"topwords\">\n<h2>Most relevant words per class</h2>\n";
  for (const auto& m : r.models) {
    if (!m.topwords_note.empty()) {
      out += "<p class=\"note\"><b>";
      append_html_escaped(out, m.name);
      out += "</b>: ";
      append_html_escaped(out, m.topwords_note);
      out += "</p>\n";
    }
  }
  // Classes in the first model's label order; a class another model does not know shows no table there.
  std::vector<std::string> classes;
  for (const auto& m : r.models) {
    for (const auto& l : m.labels) {
      if (std::find(classes.begin(), classes.end(), l) == classes.end()) classes.push_back(l);
    }
  }
  out += "<div class=\"tw-grid\">\n";
  for (const auto& cls : classes) {
    out += "<div class=\"tw-class\" data-class=\"";
    append_html_escaped(out, cls);
    out += "\"><h4>";
    append_html_escaped(out, cls);
    out += "</h4><div class=\"pair\">";
    for (const auto& m : r.models) {
      const auto it = std::find(m.labels.begin(), m.labels.end(), cls);
      if (it == m.labels.end() || m.top_words.empty()) continue;
      const auto c = static_cast<std::size_t>(it - m.labels.begin());
      append_topwords_table(out, fmt::format("{} ({} documents)", m.name, m.class_documents[c]),
                            m.top_words[c]);
    }
    out += "</div></div>\n";
  }
  out += "</div>\n</section>\n";
}

void append_pca(std::string& out, const AnalysisReport& r) {
  out +=
      "<section class=\"analysis\" id=\"pca\">\n<h2>Document vectors: 2-D PCA</h2>\n"
      "<p class=\"note\">Each point is a document: d = &Sigma;<sub>t</sub> w<sub>t</sub> &middot; "
      "e(token<sub>t</sub>), "
      "scaled to unit length, projected on its first two principal components; colour = true class. "
      "Weights w: 1 (uniform), TF-IDF, or the token's relevance for the predicted class (Arras et al. 2017). "
      "Classes that form their own clusters mean the weighting found the words that tell them apart.</p>\n";
  for (const auto& m : r.models) {
    out += "<h3>";
    append_html_escaped(out, m.name);
    out += "</h3>\n";
    if (!m.vectors_note.empty()) {
      out += "<p class=\"note\">";
      append_html_escaped(out, m.vectors_note);
      out += "</p>\n";
    }
    if (m.scatters.empty()) continue;
    out += "<div class=\"plots\">\n";
    for (const auto& s : m.scatters) {
      out += "<figure class=\"plot\" data-kind=\"scatter\" data-model=\"";
      append_html_escaped(out, m.name);
      out += "\" data-weighting=\"";
      append_html_escaped(out, s.weighting);
      out += "\">";
      out += svg_scatter(s, m.labels, fmt::format("{}: {} weighting", m.name, s.weighting));
      fmt::format_to(std::back_inserter(out),
                     "<figcaption>{} documents; PC1 + PC2 explain {:.1f}% of the variance.</figcaption>",
                     s.x.size(), 100 * (s.explained1 + s.explained2));
      out += "</figure>\n";
    }
    out += "</div>\n";
  }
  out += "</section>\n";
}

void append_deletion(std::string& out, const AnalysisReport& r) {
  out +=
      "<section class=\"analysis\" id=\"deletion\">\n<h2>Word deletion</h2>\n"
      "<p class=\"note\">Tokens are deleted one by one, ordered by their relevance for the true class: "
      "correctly classified documents lose their most relevant tokens first (the faster the accuracy falls, "
      "the better the explanation), misclassified documents lose their most negative tokens first (the "
      "faster it "
      "rises, the better). Random = seeded random orders, averaged. AOPC = mean over k = 0..K of acc(0) "
      "&minus; acc(k) "
      "(falling) or acc(k) &minus; acc(0) (rising); larger is better.</p>\n";
  for (const auto& m : r.models) {
    out += "<h3>";
    append_html_escaped(out, m.name);
    out += "</h3>\n";
    if (!m.deletion_note.empty()) {
      out += "<p class=\"note\">";
      append_html_escaped(out, m.deletion_note);
      out += "</p>\n";
    }
    if (!m.has_deletion) continue;
    const DeletionData& d = m.deletion;
    out += "<p class=\"note\">";
    append_html_escaped(
        out, fmt::format("{} documents ({} correct, {} misclassified), up to {} deletions; deleting = {}.",
                         d.documents, d.correct, d.misclassified, d.max_delete, d.deletion));
    for (const auto& [name, why] : d.skipped) {
      append_html_escaped(out, fmt::format(" Skipped {}: {}", name, why));
    }
    out += "</p>\n<div class=\"plots\">\n";
    for (const bool wrong : {false, true}) {
      std::vector<LineSeries> series;
      for (const auto& c : d.curves) {
        const auto& y = wrong ? c.misclassified_accuracy : c.correct_accuracy;
        if (y.empty()) continue;
        series.push_back(
            {fmt::format("{} (AOPC {:.3f})", c.name, wrong ? c.misclassified_aopc : c.aopc), c.name, y});
      }
      const std::size_t n_docs = wrong ? d.misclassified : d.correct;
      if (series.empty() || n_docs == 0) continue;
      out += "<figure class=\"plot\" data-kind=\"deletion\" data-model=\"";
      append_html_escaped(out, m.name);
      out += wrong ? "\" data-documents=\"misclassified\">" : "\" data-documents=\"correct\">";
      out += svg_lines(series,
                       wrong ? fmt::format("{}: {} misclassified documents", m.name, n_docs)
                             : fmt::format("{}: {} correctly classified documents", m.name, n_docs),
                       "deleted tokens", "accuracy");
      out += wrong ? "<figcaption>Deleting the tokens with the most negative relevance for the true class "
                     "first.</figcaption>"
                   : "<figcaption>Deleting the tokens with the largest relevance for the true class "
                     "first.</figcaption>";
      out += "</figure>\n";
    }
    out += "</div>\n";
  }
  out += "</section>\n";
}

void append_epi(std::string& out, const AnalysisReport& r) {
  out += "<section class=\"analysis\" id=\"epi\">\n<h2>Explanatory power index</h2>\n";
  out += "<p class=\"note\">";
  append_html_escaped(
      out,
      fmt::format("Best mean k-NN accuracy over k = 1..{} of the document vectors, stratified {}-fold "
                  "cross-validation, {} distance on {} vectors (Arras et al. 2017). Higher = the "
                  "weighting keeps more of what separates the classes.",
                  r.epi_options.k_max, r.epi_options.folds, analysis::distance_name(r.epi_options.distance),
                  r.epi_options.normalize ? "unit-length" : "raw"));
  out +=
      "</p>\n<table class=\"epi\"><tr><th>model</th><th>weighting</th><th>documents</th><th>EPI</th><th>best "
      "k</th>"
      "<th>accuracy at k = 1</th></tr>\n";
  std::size_t n_rows = 0;
  for (const auto& m : r.models) {
    double best = -1;
    for (const auto& e : m.epi) best = std::max(best, e.cv.best_accuracy);
    for (const auto& e : m.epi) {
      ++n_rows;
      out += e.cv.best_accuracy == best ? "<tr class=\"best\"><td>" : "<tr><td>";
      append_html_escaped(out, e.model);
      out += "</td><td>";
      append_html_escaped(out, e.weighting);
      fmt::format_to(std::back_inserter(out),
                     "</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
                     "class=\"num\">{}</td></tr>\n",
                     e.documents, percent(e.cv.best_accuracy), e.cv.best_k,
                     e.cv.accuracy.empty() ? std::string("-") : percent(e.cv.accuracy[0]));
    }
  }
  if (n_rows == 0) out += "<tr><td colspan=\"6\" class=\"empty\">(no document vectors)</td></tr>\n";
  out += "</table>\n</section>\n";
}

}  // namespace

std::string render_analysis_report(const AnalysisReport& r) {
  std::string out;
  out.reserve(1 << 20);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"textlrp analyze\">\n<title>";
  append_html_escaped(out, r.title);
  out += "</title>\n<style>";
  out += report_css();
  out += kExtraCss;
  out += "</style>\n</head>\n<body>\n<div class=\"page\">\n<header class=\"top\">\n<h1>";
  append_html_escaped(out, r.title);
  out += "</h1>\n";
  if (!r.corpus.empty()) {
    out += "<p class=\"summary\"><b>corpus</b>: ";
    append_html_escaped(out, r.corpus);
    out += "</p>\n";
  }
  for (const auto& f : r.facts) {
    out += "<p class=\"summary\">";
    append_html_escaped(out, f);
    out += "</p>\n";
  }
  out +=
      "<p class=\"summary\">Sections: <b>examples</b> &middot; <b>top words</b> &middot; <b>PCA</b> &middot; "
      "<b>word deletion</b> &middot; <b>explanatory power</b></p>\n</header>\n<main>\n";

  out +=
      "<section class=\"analysis\" id=\"examples\">\n<h2>Example documents</h2>\n"
      "<div class=\"legend\"><span>against target</span><span class=\"bar\"></span><span>for target</span>"
      "<span class=\"note\">Token colour: relevance for the predicted class, scaled per explanation by its "
      "largest "
      "|relevance|; hover a token for its value.</span></div>\n";
  for (std::size_t i = 0; i < r.examples.size(); ++i) append_report_document(out, r.examples[i], i);
  if (r.examples.empty()) out += "<p class=\"empty\">(no example documents)</p>\n";
  out += "</section>\n";
  append_topwords(out, r);
  append_pca(out, r);
  append_deletion(out, r);
  append_epi(out, r);
  out += "</main>\n</div>\n</body>\n</html>\n";
  return out;
}

}  // namespace textlrp::app
