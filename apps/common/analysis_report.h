// apps/common/analysis_report.h — the analysis report: one self-contained HTML page with what the
// analyses of Arras et al. (2016/2017) show about one or two models (`textlrp analyze`):
//
//   #examples  highlighted example documents, the models side by side (report.h's rendering)
//   #topwords  the most relevant words per class, one table per class and model
//   #pca       2-D PCA scatter plots of document vectors (uniform vs TF-IDF vs LRP weighting),
//              coloured by class, with axes, axis labels and a legend (inline SVG)
//   #deletion  word-deletion curves per method (inline SVG): accuracy vs deleted words, for the
//              correctly classified (falling) and the misclassified documents (rising), with AOPC
//   #epi       the explanatory power index table (model x weighting)
//
// Same safety rules as report.h: every piece of data is HTML-escaped (in SVG text too), the page has
// no JavaScript, loads nothing and carries the same Content-Security-Policy. Stable hooks for tests:
// each section is <section class="analysis" id="…">, each plot <figure class="plot"
// data-kind="scatter|deletion" data-model="…" …> holding one <svg class="chart">, each data point
// an element of class "pt" (a <circle> for the first 20 classes; classes 21+ reuse the 20 colours
// with a square, triangle or diamond <path>), each curve a <path class="curve" data-method="…"> with
// its own dash pattern and marker shape, each legend entry a <g class="legend-entry"> (every class,
// in columns of 30; text cut at 48 characters, the full text in its <title>; the chart is as wide
// as its legend, so nothing is clipped).
#pragma once

#include <string>
#include <vector>

#include "apps/common/analysis.h"
#include "report/report.h"

namespace textlrp::app {

struct ScatterData {
  std::string weighting;
  std::vector<double> x, y;               // PC1, PC2 per document
  std::vector<int> cls;                   // class index per document (into AnalysisModel::labels; -1 = none)
  double explained1 = 0, explained2 = 0;  // explained variance ratios
};

struct AnalysisModel {
  std::string name;
  std::string architecture;
  std::vector<std::string> labels;
  // Top words: per class (label order), with the number of documents of the class.
  std::vector<std::vector<analysis::TopWords::Entry>> top_words;
  std::vector<std::size_t> class_documents;
  std::string topwords_note;
  std::vector<ScatterData> scatters;
  std::string vectors_note;  // where the vectors come from, or why there are none
  std::vector<EpiRow> epi;
  bool has_deletion = false;
  DeletionData deletion;
  std::string deletion_note;
};

struct AnalysisReport {
  std::string title = "textlrp analysis";
  std::string corpus;              // what was analysed (escaped when drawn)
  std::vector<std::string> facts;  // one line each under the title (plain text, escaped)
  std::vector<ReportDocument> examples;
  std::vector<AnalysisModel> models;
  EpiOptions epi_options;
};

// The complete HTML5 page (UTF-8). Throws FormatError from the example rendering (bad spans).
std::string render_analysis_report(const AnalysisReport& report);

// The SVG pieces, exposed for tests: a scatter plot and a line chart, each a complete <svg> element.
struct LineSeries {
  std::string name;    // legend text (escaped)
  std::string method;  // data-method attribute
  std::vector<double> y;
};
std::string svg_scatter(const ScatterData& data, const std::vector<std::string>& class_names,
                        const std::string& title);
std::string svg_lines(const std::vector<LineSeries>& series, const std::string& title,
                      const std::string& x_label, const std::string& y_label);

}  // namespace textlrp::app
