// apps/common/analysis: the docvec TSV round trip and the SVG plots of the analysis report.
#include "apps/common/analysis.h"
#include "apps/common/analysis_report.h"
#include "core/error.h"
#include "core/file.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
using namespace textlrp::app;

TEST_CASE("analysis: docvec TSV round trip, escapes and grouping", "[apps][analysis]") {
  test::TempDir dir;
  std::string tsv = vectors_tsv_header(2);
  const std::vector<double> v1 = {0.5, -1.25};
  const std::vector<double> v2 = {1e-7, 3};
  append_vectors_tsv(tsv, "a\tb/1", "x", "y", "m", "lrp", v1);
  append_vectors_tsv(tsv, "c\\d\ne", "", "y", "m", "uniform", v2);
  append_vectors_tsv(tsv, "f", "z", "x", "m", "lrp", v2);
  write_file_atomic(dir / "v.tsv", tsv);
  const auto sets = read_vectors_tsv((dir / "v.tsv").string());
  REQUIRE(sets.size() == 2);
  REQUIRE(sets[0].weighting == "lrp");
  REQUIRE(sets[0].ids == std::vector<std::string>{"a\tb/1", "f"});
  REQUIRE(sets[0].x.rows() == 2);
  REQUIRE(sets[0].x(0, 1) == Approx(-1.25));
  REQUIRE(sets[0].x(1, 0) == Approx(1e-7));
  REQUIRE(sets[1].ids == std::vector<std::string>{"c\\d\ne"});
  REQUIRE(sets[1].labels == std::vector<std::string>{""});
  std::vector<int> labels;
  std::vector<Index> keep;
  REQUIRE(class_indices(sets[0], labels, keep) == std::vector<std::string>{"x", "z"});
  REQUIRE(labels == std::vector<int>{0, 1});

  write_file_atomic(dir / "bad.tsv", vectors_tsv_header(2) + "a\tb\tc\td\te\t1\tnope\n");
  REQUIRE_THROWS_AS(read_vectors_tsv((dir / "bad.tsv").string()), FormatError);
  write_file_atomic(dir / "short.tsv", vectors_tsv_header(2) + "a\tb\tc\td\te\t1\n");
  REQUIRE_THROWS_WITH(read_vectors_tsv((dir / "short.tsv").string()),
                      Catch::Matchers::Contains("short.tsv:2"));
  REQUIRE(parse_weighting("relevance", "gi").name == "gi");
  REQUIRE_THROWS_AS(parse_weighting("random"), InvalidArgument);
}

TEST_CASE("analysis report: SVG plots have axes, points, curves, legends and escape text",
          "[apps][analysis]") {
  ScatterData s;
  s.weighting = "lrp";
  s.x = {0, 1, 2};
  s.y = {1, 0, -1};
  s.cls = {0, 1, 1};
  s.explained1 = 0.5;
  s.explained2 = 0.25;
  const std::string svg = svg_scatter(s, {"<a>", "b&c"}, "t<script>");
  REQUIRE(svg.find("<script>") == std::string::npos);
  REQUIRE(svg.find("t&lt;script&gt;") != std::string::npos);
  std::size_t n_points = 0;
  for (std::size_t p = svg.find("class=\"pt\""); p != std::string::npos; p = svg.find("class=\"pt\"", p + 1))
    ++n_points;
  REQUIRE(n_points == 3);
  REQUIRE(svg.find("PC1 (50.0% of the variance)") != std::string::npos);
  REQUIRE(svg.find("&lt;a&gt;") != std::string::npos);
  REQUIRE(svg.find("b&amp;c") != std::string::npos);

  const std::string lines =
      svg_lines({{"lrp (AOPC 0.5)", "lrp", {1, 0.5, 0}}, {"random", "random", {1, 1, 0.9}}}, "title",
                "deleted tokens", "accuracy");
  REQUIRE(lines.find("data-method=\"lrp\"") != std::string::npos);
  REQUIRE(lines.find("stroke-dasharray") != std::string::npos);  // random is dashed
  REQUIRE(lines.find(">100%<") != std::string::npos);
  REQUIRE(lines.find("deleted tokens") != std::string::npos);
}

TEST_CASE("analysis report: more than 20 classes, long legend text and coinciding curves stay readable",
          "[apps][analysis]") {
  // 45 classes with long names: every class in the legend (no "… more"), shapes beyond 20 colours,
  // and the chart wide enough for the legend columns.
  ScatterData s;
  std::vector<std::string> names;
  for (int c = 0; c < 45; ++c) {
    names.push_back("comp.os.ms-windows.misc.class-" + std::to_string(c));
    s.x.push_back(c);
    s.y.push_back(c % 7);
    s.cls.push_back(c);
  }
  const std::string svg = svg_scatter(s, names, "many");
  std::size_t n_entries = 0;
  for (std::size_t p = svg.find("class=\"legend-entry\""); p != std::string::npos;
       p = svg.find("class=\"legend-entry\"", p + 1))
    ++n_entries;
  CHECK(n_entries == 45);
  CHECK(svg.find("more<") == std::string::npos);
  CHECK(svg.find("comp.os.ms-windows.misc.class-44") != std::string::npos);
  std::size_t n_points = 0;
  for (std::size_t p = svg.find("class=\"pt\""); p != std::string::npos; p = svg.find("class=\"pt\"", p + 1))
    ++n_points;
  CHECK(n_points == 45);
  CHECK(svg.find("<path class=\"pt\"") != std::string::npos);  // classes 21+ are squares, triangles
  // The svg is as wide as the plot (370 px) plus two legend columns of ~200 px.
  const std::size_t w = svg.find("width=\"");
  REQUIRE(w != std::string::npos);
  CHECK(std::stod(svg.substr(w + 7)) > 370 + 2 * 200);

  // Two methods with exactly the same curve: different dashes, widths and marker shapes.
  const std::string lines =
      svg_lines({{"lrp", "lrp", {1, 0.5, 0.2}}, {"sa", "sa", {1, 0.5, 0.2}}}, "t", "x", "y");
  CHECK(lines.find("stroke-width=\"2.7\"") != std::string::npos);  // the first is drawn wider
  CHECK(lines.find("stroke-width=\"1.5\" stroke-opacity=\"0.9\" stroke-dasharray=\"7 3\"") !=
        std::string::npos);
  CHECK(lines.find("<g class=\"markers\"><circle") != std::string::npos);
  CHECK(lines.find("<g class=\"markers\"><path") != std::string::npos);
  // A long legend entry is cut with an ellipsis, the full text in its <title>.
  const std::string long_name(80, 'w');
  const std::string cut = svg_lines({{long_name, "lrp", {1, 0}}}, "t", "x", "y");
  CHECK(cut.find("<title>" + long_name + "</title>") != std::string::npos);
  CHECK(cut.find(std::string(48, 'w') + "…</text>") != std::string::npos);
}

TEST_CASE("analysis: deletion results with out-of-range counts are format errors, not undefined behaviour",
          "[apps][analysis]") {
  using Catch::Matchers::Contains;
  auto parse = [](const std::string& text) {
    return deletion_data(nlohmann::ordered_json::parse(text), "d.json");
  };
  const std::string methods = R"("methods":{"lrp":{"accuracy":[1,0.5],"aopc":0.25}})";
  const DeletionData ok = parse(R"({"model":"m","max_delete":1,"documents":2,)" + methods + "}");
  CHECK(ok.max_delete == 1);
  CHECK(ok.documents == 2);
  CHECK(ok.correct == 0);
  REQUIRE(ok.curves.size() == 1);
  CHECK(ok.curves[0].aopc == 0.25);
  CHECK_THROWS_WITH(
      parse(R"({"model":"m","max_delete":1e300,"documents":2,)" + methods + "}"),
      Contains("d.json") && Contains("\"max_delete\": expected an integer 0..2147483647, got 1e+300"));
  CHECK_THROWS_WITH(parse(R"({"model":"m","max_delete":1,"documents":-1,)" + methods + "}"),
                    Contains("\"documents\": expected an integer"));
  CHECK_THROWS_WITH(parse(R"({"model":"m","max_delete":1,"documents":2,"correct":2.5,)" + methods + "}"),
                    Contains("\"correct\": expected an integer"));
  CHECK_THROWS_AS(parse(R"({"model":"m","documents":2,)" + methods + "}"), FormatError);
}
