// Tests for apps/common/report.h: the HTML heatmap report (escaping, text reconstruction from
// spans, colours, grouping). The browser-level check of the same page is
// tests/cli/browser_report.sh.
#include "apps/common/report.h"

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "tests/catch.h"

namespace textlrp::app {
namespace {

using Catch::Matchers::Contains;

// A record whose tokens are the given words found left to right in `text` (byte spans).
ExplanationRecord make_record(std::string id, std::string text,
                              const std::vector<std::pair<std::string, double>>& words,
                              std::string model = "cnn") {
  ExplanationRecord r;
  r.id = std::move(id);
  r.text = std::move(text);
  r.prediction = "pos";
  r.target = "pos";
  r.rule = "epsilon(0.01)";
  r.scores = {{"neg", 0.25}, {"pos", 0.75}};
  r.score = 0.75;
  r.model = std::move(model);
  std::size_t from = 0;
  for (const auto& [word, relevance] : words) {
    const std::size_t begin = r.text.find(word, from);
    REQUIRE(begin != std::string::npos);
    TokenRelevance t;
    t.text = word;
    t.begin = static_cast<std::uint32_t>(begin);
    t.end = static_cast<std::uint32_t>(begin + word.size());
    t.relevance = relevance;
    r.tokens.push_back(t);
    r.relevance_sum += relevance;
    from = begin + word.size();
  }
  return r;
}

std::string render_one(const ExplanationRecord& r) {
  return render_report({ReportDocument{{r}}}, ReportOptions{});
}

std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t pos = haystack.find(needle); pos != std::string_view::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// The contents of every <div class="text"> with tags removed and entities decoded: what a browser
// shows as the document text.
std::vector<std::string> visible_texts(const std::string& html) {
  std::vector<std::string> texts;
  const std::string open = "<div class=\"text\">";
  for (std::size_t pos = html.find(open); pos != std::string::npos; pos = html.find(open, pos)) {
    pos += open.size();
    const std::size_t close = html.find("</div>", pos);
    REQUIRE(close != std::string::npos);
    std::string stripped;
    bool in_tag = false;
    for (std::size_t i = pos; i < close; ++i) {
      if (html[i] == '<') in_tag = true;
      if (!in_tag) stripped += html[i];
      if (html[i] == '>') in_tag = false;
    }
    std::string decoded;
    for (std::size_t i = 0; i < stripped.size();) {
      bool matched = false;
      for (const auto& [entity, ch] : {std::pair<std::string_view, char>{"&amp;", '&'},
                                       {"&lt;", '<'},
                                       {"&gt;", '>'},
                                       {"&quot;", '"'},
                                       {"&#39;", '\''}}) {
        if (std::string_view(stripped).substr(i, entity.size()) == entity) {
          decoded += ch;
          i += entity.size();
          matched = true;
          break;
        }
      }
      if (!matched) decoded += stripped[i++];
    }
    texts.push_back(decoded);
    pos = close;
  }
  return texts;
}

const std::string kScript = "<script>alert(1)</script>";
const std::string kImg = "\"><img src=x onerror=alert(1)>";

}  // namespace

TEST_CASE("report: script and img payloads in text, id, label, model and tokens are escaped",
          "[report]") {
  ExplanationRecord r =
      make_record(kScript + kImg, "Hi " + kScript + " and " + kImg + " bye",
                  {{"Hi", 0.5}, {kScript, 1.0}, {kImg, -0.7}, {"bye", 0.1}}, kImg + "model");
  r.label = kImg;
  r.prediction = kScript;
  r.target = kImg;
  r.rule = kScript;
  r.scores = {{kScript, 0.1}, {kImg, 0.9}};
  ReportOptions options;
  options.title = "</title>" + kScript;
  const std::string html = render_report({ReportDocument{{r}}}, options);

  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("</title><") == std::string::npos);
  CHECK_THAT(html, Contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_THAT(html, Contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
  // Attribute context: the id in data-id=, the token text in title=, the model in data-model=.
  CHECK_THAT(html, Contains("data-id=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img"));
  CHECK_THAT(html, Contains("title=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;: -0.7\""));
  CHECK_THAT(html, Contains("title=\"&lt;script&gt;alert(1)&lt;/script&gt;: +1\""));
  CHECK_THAT(html, Contains("data-model=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;model\""));
  // The payload's closing '>' never survives unescaped, so no tag can be opened by data.
  CHECK(html.find("onerror=alert(1)>") == std::string::npos);
  // The text still reads as the original.
  const std::vector<std::string> texts = visible_texts(html);
  REQUIRE(texts.size() == 1);
  CHECK(texts[0] == r.text);
}

TEST_CASE("report: spans reconstruct the full text, whitespace and non-ASCII included",
          "[report]") {
  const std::string text =
      "  Caf\xc3\xa9 na\xc3\xafve,\n\tthe \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e movie "
      "\xf0\x9f\x98\x80"
      " was <b>bold</b> & \"fun\"!\n\nEnd.";
  const ExplanationRecord r = make_record("d1", text,
                                          {{"Caf\xc3\xa9", 0.3},
                                           {"na\xc3\xafve", -0.2},
                                           {"the", 0.0},
                                           {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 0.9},
                                           {"movie", 0.1},
                                           {"\xf0\x9f\x98\x80", 0.4},
                                           {"bold", 0.6},
                                           {"fun", 0.2}});
  const std::string html = render_one(r);
  const std::vector<std::string> texts = visible_texts(html);
  REQUIRE(texts.size() == 1);
  CHECK(texts[0] == text);
  CHECK(count(html, "<span class=\"tok\"") == r.tokens.size());
  CHECK_THAT(html, Contains(">Caf\xc3\xa9</span>"));
  CHECK_THAT(html, Contains(">\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e</span>"));
  CHECK_THAT(html, Contains(" was &lt;b&gt;<span class=\"tok\""));
  CHECK_THAT(html, Contains("</span>&lt;/b&gt; &amp; &quot;<span"));
  CHECK_THAT(html, Contains("white-space:pre-wrap"));
  CHECK_THAT(html, Contains("<meta charset=\"utf-8\">"));
}

TEST_CASE("report: a long document (a 20 Newsgroups post) is shown in full", "[report]") {
  std::string text;
  std::vector<std::pair<std::string, double>> words;
  for (int i = 0; i < 1500; ++i) {
    std::string w = std::to_string(i);
    w.insert(w.begin(), 'w');
    text += w + (i % 12 == 11 ? ".\n" : " ");
    words.emplace_back(w, (i % 7) - 3.0);
  }
  const ExplanationRecord r = make_record("long", text, words);
  const std::string html = render_one(r);
  CHECK(count(html, "<span class=\"tok\"") == 1500);
  const std::vector<std::string> texts = visible_texts(html);
  REQUIRE(texts.size() == 1);
  CHECK(texts[0] == text);
}

TEST_CASE("report: text after the last token and a truncated document are shown", "[report]") {
  ExplanationRecord r = make_record("d", "one two three four", {{"one", 1.0}, {"two", -1.0}});
  r.truncated = true;
  const std::string html = render_one(r);
  const std::vector<std::string> texts = visible_texts(html);
  REQUIRE(texts.size() == 1);
  CHECK(texts[0] == "one two three four");
  CHECK_THAT(html, Contains("</span> three four</div>"));
  CHECK_THAT(html, Contains("Truncated"));
}

TEST_CASE("report: positive relevance is red, negative blue, alpha scaled by max |R| of the view",
          "[report]") {
  const ExplanationRecord r = make_record(
      "d", "good bad meh fine", {{"good", 2.0}, {"bad", -4.0}, {"meh", 0.0}, {"fine", 1.0}});
  const std::string html = render_one(r);
  CHECK_THAT(
      html,
      Contains("data-r=\"2\" title=\"good: +2\" style=\"background:rgba(220,38,38,0.500)\">good<"));
  CHECK_THAT(html, Contains("data-r=\"-4\" title=\"bad: -4\" "
                            "style=\"background:rgba(37,99,235,1.000);color:#fff\">bad<"));
  CHECK_THAT(html, Contains("data-r=\"0\" title=\"meh: +0\">meh<"));
  CHECK_THAT(html, Contains("style=\"background:rgba(220,38,38,0.250)\">fine<"));

  SECTION("each view is scaled by its own maximum") {
    const ExplanationRecord small =
        make_record("d", "good bad", {{"good", 0.02}, {"bad", -0.01}}, "bow");
    const std::string two = render_report(group_by_id({r, small}), ReportOptions{});
    CHECK_THAT(two, Contains("style=\"background:rgba(220,38,38,1.000);color:#fff\">good<"));
    CHECK_THAT(two, Contains("style=\"background:rgba(37,99,235,0.500)\">bad<"));
  }
}

TEST_CASE("report: an all-zero or non-finite document does not divide by zero", "[report]") {
  ExplanationRecord r = make_record("zero", "a b c", {{"a", 0.0}, {"b", 0.0}, {"c", 0.0}});
  std::string html = render_one(r);
  CHECK(count(html, "<span class=\"tok\"") == 3);
  CHECK(html.find("rgba(") == std::string::npos);
  CHECK(html.find("nan") == std::string::npos);
  CHECK(html.find("inf") == std::string::npos);

  r.tokens[1].relevance = std::nan("");
  r.tokens[2].relevance = 0.5;
  html = render_one(r);
  CHECK_THAT(html, Contains("data-r=\"nan\""));
  CHECK_THAT(html, Contains("rgba(220,38,38,1.000)"));
  CHECK(count(html, "rgba(") == 1);
}

TEST_CASE("report: pre-tokenized tokens are shown separated by spaces", "[report]") {
  ExplanationRecord r = make_record("p", "the film,was great", {});
  for (const auto& [w, rel] : std::vector<std::pair<std::string, double>>{
           {"the", 0.1}, {"film", 0.2}, {",", 0.0}, {"was", -0.1}, {"<great>", 1.0}}) {
    TokenRelevance t;
    t.text = w;
    t.relevance = rel;
    r.tokens.push_back(t);
  }
  r.tokens[1].oov = true;
  const std::string html = render_one(r);
  const std::vector<std::string> texts = visible_texts(html);
  REQUIRE(texts.size() == 1);
  CHECK(texts[0] == "the film , was <great>");
  CHECK(count(html, "<span class=\"tok\"") == 5);
  CHECK_THAT(html, Contains("data-oov=\"1\""));
}

TEST_CASE("report: bad spans throw FormatError naming the document and token", "[report]") {
  ExplanationRecord r = make_record("doc-7", "ab cd ef", {{"ab", 1.0}, {"cd", 1.0}, {"ef", 1.0}});
  SECTION("overlap") {
    r.tokens[1].begin = 1;
    REQUIRE_THROWS_AS(render_one(r), FormatError);
    REQUIRE_THROWS_WITH(render_one(r),
                        Contains("doc-7") && Contains("tokens[1]") && Contains("previous token"));
  }
  SECTION("outside the text") {
    r.tokens[2].end = 99;
    REQUIRE_THROWS_WITH(render_one(r), Contains("tokens[2]") && Contains("outside the text"));
  }
  SECTION("some tokens without spans") {
    r.tokens[0].begin.reset();
    r.tokens[0].end.reset();
    REQUIRE_THROWS_WITH(render_one(r), Contains("2 of 3 tokens have spans"));
  }
  SECTION("a span that splits a UTF-8 sequence") {
    ExplanationRecord u = make_record("u", "caf\xc3\xa9 x", {{"caf\xc3\xa9", 1.0}});
    u.tokens[0].end = 4;
    REQUIRE_THROWS_WITH(render_one(u), Contains("splits a UTF-8 sequence"));
  }
}

TEST_CASE("report: group_by_id puts models of one document side by side", "[report]") {
  std::vector<ExplanationRecord> records = {
      make_record("d1", "good film", {{"good", 1.0}}, "cnn"),
      make_record("d2", "bad film", {{"bad", -1.0}}, "cnn"),
      make_record("d1", "good film", {{"good", 0.5}}, "bow"),
      make_record("d3", "ok", {{"ok", 0.1}}, "bow"),
      make_record("d2", "bad film", {{"bad", -0.5}}, "bow"),
  };
  const std::vector<ReportDocument> docs = group_by_id(records);
  REQUIRE(docs.size() == 3);
  CHECK(docs[0].views.size() == 2);
  CHECK(docs[0].views[0].model == "cnn");
  CHECK(docs[0].views[1].model == "bow");
  CHECK(docs[1].views.size() == 2);
  CHECK(docs[1].views[0].id == "d2");
  CHECK(docs[2].views.size() == 1);
  CHECK(docs[2].views[0].id == "d3");

  const std::string html = render_report(docs, ReportOptions{});
  CHECK(count(html, "<section class=\"doc\"") == 3);
  CHECK(count(html, "<article class=\"view\"") == 5);
  CHECK(count(html, "<div class=\"views multi\">") == 2);
  CHECK_THAT(html, Contains("style=\"--n:2\" data-id=\"d1\""));
  CHECK_THAT(html, Contains("style=\"--n:1\" data-id=\"d3\""));
  CHECK_THAT(html, Contains("data-model=\"cnn\""));
  CHECK_THAT(html, Contains("data-model=\"bow\""));
  CHECK_THAT(html, Contains("grid-template-columns:repeat(var(--n,1)"));
  CHECK_THAT(
      html,
      Contains("<b>3 documents</b> &middot; 5 explanations &middot; <b>2 models</b>: cnn, bow"));
  // d1's two columns come before d2's section.
  CHECK(html.find("data-id=\"d1\"") < html.find("data-model=\"bow\""));
  CHECK(html.find("data-model=\"bow\"") < html.find("data-id=\"d2\""));

  ReportOptions two;
  two.max_documents = 2;
  const std::string limited = render_report(docs, two);
  CHECK(count(limited, "<section class=\"doc\"") == 2);
  CHECK_THAT(limited, Contains("<b>2 documents</b> (of 3)"));
}

TEST_CASE("report: the page is self-contained, without script or requests", "[report]") {
  ExplanationRecord r = make_record("d", "a fine film", {{"fine", 1.0}, {"film", -0.5}});
  r.label = "pos";
  const std::string html = render_report(group_by_id({r, r}), ReportOptions{});
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(count(html, "<style>") == 1);
  CHECK_THAT(html, Contains("Content-Security-Policy\" content=\"default-src 'none'"));
  CHECK_THAT(html, Contains("against target"));
  CHECK_THAT(html, Contains("for target"));
  CHECK_THAT(html, Contains("true label: <b>pos</b>"));
  CHECK_THAT(html, Contains("<tr class=\"target\"><td>pos"));
  CHECK_THAT(html, Contains("class=\"right\""));
  CHECK(html.size() > 1000);

  SECTION("an empty report is still a valid page") {
    const std::string empty = render_report({}, ReportOptions{});
    CHECK_THAT(empty, Contains("<b>0 documents</b>"));
    CHECK_THAT(empty, Contains("</html>"));
  }
}

}  // namespace textlrp::app
