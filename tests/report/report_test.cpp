// Tests for report/report.h: the HTML heatmap report (escaping, text reconstruction from
// spans, colours, grouping). The browser-level check of the same page is
// tests/cli/browser_report.sh.
#include "report/report.h"

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "tests/catch.h"

namespace textlrp::report {
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

TEST_CASE("report: script and img payloads in text, id, label, model and tokens are escaped", "[report]") {
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

  // The page's own script is the only <script> element; none comes from the data.
  CHECK(count(html, "<script") == 1);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("</title><") == std::string::npos);
  CHECK_THAT(html, Contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_THAT(html, Contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
  // Attribute context: the id in data-id=, the labels in the index's data-t/data-p and the filter
  // options, the model in data-model=; token text inside the highlight element.
  CHECK_THAT(html, Contains("data-id=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img"));
  CHECK_THAT(html, Contains("data-t=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\""));
  CHECK_THAT(html, Contains("data-p=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
  CHECK_THAT(html, Contains("<option value=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">"));
  CHECK_THAT(html, Contains("<i class=n14>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</i>"));
  CHECK_THAT(html, Contains("<i class=p20>&lt;script&gt;alert(1)&lt;/script&gt;</i>"));
  CHECK_THAT(html, Contains("data-model=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;model\""));
  // The payload's closing '>' never survives unescaped, so no tag can be opened by data.
  CHECK(html.find("onerror=alert(1)>") == std::string::npos);
  // The text still reads as the original.
  const std::vector<std::string> texts = visible_texts(html);
  REQUIRE(texts.size() == 1);
  CHECK(texts[0] == r.text);
}

TEST_CASE("report: spans reconstruct the full text, whitespace and non-ASCII included", "[report]") {
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
  // Every token with a non-zero colour level is one <i>; "the" (relevance 0) is plain text.
  CHECK(count(html, "<i class=") == r.tokens.size() - 1);
  CHECK_THAT(html, Contains(">Caf\xc3\xa9</i>"));
  CHECK_THAT(html, Contains(">\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e</i>"));
  CHECK_THAT(html, Contains(" was &lt;b&gt;<i class="));
  CHECK_THAT(html, Contains("</i>&lt;/b&gt; &amp; &quot;<i"));
  CHECK_THAT(html, Contains(",\n\tthe "));
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
  std::size_t n_nonzero = 0;
  for (const auto& [w, rel] : words) n_nonzero += rel != 0 ? 1 : 0;
  CHECK(count(html, "<i class=") == n_nonzero);
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
  CHECK_THAT(html, Contains("</i> three four</div>"));
  CHECK_THAT(html, Contains("Truncated"));
}

TEST_CASE("report: tokens past the model's max_tokens are marked unseen and the limit is reported",
          "[report]") {
  // Regression: the note said "saw only the first N tokens" with N = all tokens of the document,
  // and nothing distinguished the unread tokens (relevance 0) from read ones.
  ExplanationRecord r =
      make_record("d", "one two three four five",
                  {{"one", 1.0}, {"two", -1.0}, {"three", 0.0}, {"four", 0.0}, {"five", 0.0}});
  r.truncated = true;
  r.max_tokens = 2;
  for (std::size_t i = 2; i < r.tokens.size(); ++i) r.tokens[i].unseen = true;
  const std::string html = render_one(r);
  CHECK_THAT(html, Contains("the model reads at most 2 tokens; it read 2 of the 5 tokens"));
  CHECK(html.find("first 5 tokens") == std::string::npos);
  CHECK_THAT(html,
             Contains("</i> <span class=unseen title=\"not read by the model (it reads at most 2 tokens)\">"
                      "three four five</span></div>"));
  const std::vector<std::string> texts = visible_texts(html);
  REQUIRE(texts.size() == 1);
  CHECK(texts[0] == r.text);

  SECTION("the JSON carries max_tokens and unseen, and reads them back") {
    std::string line;
    explain::append_jsonl(line, r);
    CHECK_THAT(line, Contains("\"truncated\":true,\"max_tokens\":2,"));
    CHECK_THAT(line, Contains("{\"text\":\"three\",\"begin\":8,\"end\":13,\"relevance\":0,\"unseen\":true}"));
    CHECK_THAT(line, Contains("{\"text\":\"two\",\"begin\":4,\"end\":7,\"relevance\":-1}"));
    line.pop_back();
    const ExplanationRecord back = explain::parse_explanation_line(line, "t:1");
    REQUIRE(back.max_tokens);
    CHECK(*back.max_tokens == 2);
    CHECK(!back.tokens[1].unseen);
    CHECK(back.tokens[2].unseen);
    CHECK(back.tokens[4].unseen);
  }
  SECTION("pre-tokenized input: the unseen tokens are wrapped too") {
    for (auto& t : r.tokens) t.begin.reset(), t.end.reset();
    const std::string pre = render_one(r);
    CHECK_THAT(
        pre, Contains("<span class=unseen title=\"not read by the model (it reads at most 2 tokens)\">three "
                      "four five</span>"));
  }
  SECTION("an older file without max_tokens says the limit is unknown") {
    r.max_tokens.reset();
    for (auto& t : r.tokens) t.unseen = false;
    CHECK_THAT(render_one(r), Contains("its token limit is not recorded"));
  }
}

TEST_CASE("report: positive relevance is red, negative blue, alpha scaled by max |R| of the view",
          "[report]") {
  const ExplanationRecord r =
      make_record("d", "good bad meh fine", {{"good", 2.0}, {"bad", -4.0}, {"meh", 0.0}, {"fine", 1.0}});
  const std::string html = render_one(r);
  // Level = round(|R| / max|R| * 20): 2/4 -> p10, -4/4 -> n20, 1/4 -> p5; 0 is plain text.
  CHECK_THAT(html, Contains("<i class=p10>good</i> <i class=n20>bad</i> meh <i class=p5>fine</i>"));
  CHECK_THAT(html, Contains(".p10{background:rgba(220,38,38,0.50)}"));
  CHECK_THAT(html, Contains(".n20{background:rgba(37,99,235,1.00);color:#fff}"));
  CHECK_THAT(html, Contains(".p5{background:rgba(220,38,38,0.25)}"));

  // Two models of one document: the second has much smaller relevances.
  ExplanationRecord small = make_record("d", "good bad meh fine", {{"good", 0.02}, {"bad", -0.01}}, "bow");
  SECTION("by default each view is scaled by its own maximum") {
    const std::string two = render_report(group_by_id({r, small}), ReportOptions{});
    CHECK_THAT(two, Contains("<i class=p20>good</i> <i class=n10>bad</i> meh fine"));
  }
  SECTION("--color-scale shared: one scale for all views of the document") {
    ReportOptions shared;
    shared.color_scale = ColorScale::kShared;
    const std::string two = render_report(group_by_id({r, small}), shared);
    CHECK_THAT(two, Contains("<i class=p10>good</i> <i class=n20>bad</i> meh <i class=p5>fine</i>"));
    // 0.02 / 4 * 20 = 0.1 and 0.05 round to level 0: the small model's tokens stay plain.
    CHECK_THAT(two, Contains("<div class=\"text\">good bad meh fine</div>"));
    CHECK_THAT(two, Contains("shared by the document's views"));
    CHECK(parse_color_scale("shared") == ColorScale::kShared);
    CHECK(parse_color_scale("view") == ColorScale::kPerView);
    CHECK_THROWS_AS(parse_color_scale("global"), InvalidArgument);
  }
}

TEST_CASE("report: tokens under 7.5% of max |R| are plain text (no element)", "[report]") {
  // 0.05 / 1 * 20 = 1 -> plain; 0.075 * 20 = 1.5 -> rounds to 2 -> p2; -0.5 -> n10.
  const ExplanationRecord r =
      make_record("d", "big tiny small neg", {{"big", 1.0}, {"tiny", 0.05}, {"small", 0.075}, {"neg", -0.5}});
  CHECK_THAT(render_one(r), Contains("<i class=p20>big</i> tiny <i class=p2>small</i> <i class=n10>neg</i>"));
  CHECK(render_one(r).find(".p1{") == std::string::npos);
}

TEST_CASE("report: a subword piece's leading space is not highlighted", "[report]") {
  // SentencePiece: the piece "\u2581world" spans " world" in the text.
  ExplanationRecord r = make_record("s", "hello world", {{"hello", 1.0}});
  TokenRelevance piece;
  piece.text = " world";
  piece.begin = 5;
  piece.end = 11;
  piece.relevance = 1.0;
  r.tokens.push_back(piece);
  const std::string html = render_one(r);
  CHECK_THAT(html, Contains("<i class=p20>hello</i> <i class=p20>world</i></div>"));
}

TEST_CASE("report: an all-zero or non-finite document does not divide by zero", "[report]") {
  ExplanationRecord r = make_record("zero", "a b c", {{"a", 0.0}, {"b", 0.0}, {"c", 0.0}});
  std::string html = render_one(r);
  CHECK_THAT(html, Contains("<div class=\"text\">a b c</div>"));
  CHECK(count(html, "<i class=") == 0);

  r.tokens[1].relevance = std::nan("");
  r.tokens[2].relevance = 0.5;
  html = render_one(r);
  CHECK_THAT(html, Contains("<div class=\"text\">a <i class=x>b</i> <i class=p20>c</i></div>"));
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
  CHECK_THAT(html, Contains("<i class=p2>the</i> <i class=\"p4 o\">film</i> , <i class=n2>was</i> "
                            "<i class=p20>&lt;great&gt;</i>"));
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
  // A single-model card uses the page width (no per-card max-width any more).
  CHECK(html.find("max-width:calc(var(--n") == std::string::npos);
  CHECK_THAT(html, Contains("<b>3 documents</b> &middot; 5 explanations &middot; <b>2 models</b>: cnn, bow"));
  // d1's two columns come before d2's section.
  const std::size_t main = html.find("<main>");
  CHECK(html.find("data-id=\"d1\"", main) < html.find("<article class=\"view\" data-model=\"bow\"", main));
  CHECK(html.find("<article class=\"view\" data-model=\"bow\"", main) < html.find("data-id=\"d2\"", main));

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
  CHECK(count(html, "<script") == 1);  // the filter script; CSP allows it by hash only
  CHECK_THAT(html, Contains("script-src 'sha256-"));
  CHECK(html.find("'unsafe-inline'; script") != std::string::npos);  // style-src only
  CHECK(html.find("script-src 'unsafe-inline'") == std::string::npos);
  CHECK_THAT(html, Contains("<form id=\"filters\" hidden>"));  // the page reads without the script
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
  CHECK(count(html, "<style>") == 1);
  CHECK_THAT(html, Contains("class=\"right\""));
  CHECK(html.size() > 1000);

  SECTION("an empty report is still a valid page") {
    const std::string empty = render_report({}, ReportOptions{});
    CHECK_THAT(empty, Contains("<b>0 documents</b>"));
    CHECK_THAT(empty, Contains("</html>"));
  }
}

TEST_CASE("report: records sharing an id but not the text are separate documents, with a warning",
          "[report]") {
  // Regression: two explain runs without ids both numbered from 1; concatenated, their different
  // documents were merged into one card side by side.
  std::vector<ExplanationRecord> records = {
      make_record("1", "first run, doc one", {{"first", 1.0}}, "svm"),
      make_record("2", "first run, doc two", {{"first", 1.0}}, "svm"),
      make_record("1", "second run, doc one", {{"second", 1.0}}, "svm"),
      make_record("1", "first run, doc one", {{"first", 0.5}}, "cnn"),  // same id and text: side by side
      make_record("1", "third run", {{"third", 1.0}}, "svm"),
  };
  std::vector<std::string> warnings;
  const std::vector<ReportDocument> docs = group_by_id(records, &warnings);
  REQUIRE(docs.size() == 4);
  CHECK(docs[0].views.size() == 2);
  CHECK(docs[0].views[1].model == "cnn");
  CHECK(docs[1].views[0].id == "2");
  CHECK(docs[2].views[0].text == "second run, doc one");
  CHECK(docs[3].views[0].text == "third run");
  REQUIRE(warnings.size() == 1);  // one warning per colliding id
  CHECK_THAT(warnings[0], Contains("id '1'") && Contains("separate cards"));
  const std::string html = render_report(docs, ReportOptions{});
  CHECK(count(html, "<section class=\"doc\"") == 4);
  CHECK(count(html, "data-id=\"1\"") == 3);
}

TEST_CASE("report: summary with accuracy and confusion matrix, index rows linking to the cards", "[report]") {
  std::vector<ExplanationRecord> records;
  // 3 documents of class a (2 predicted right), 2 of class b (1 right), 1 without a label.
  const std::vector<std::pair<std::string, std::string>> truth_pred = {
      {"a", "a"}, {"a", "b"}, {"b", "b"}, {"a", "a"}, {"b", "a"}};
  for (std::size_t i = 0; i < truth_pred.size(); ++i) {
    ExplanationRecord r = make_record("d" + std::to_string(i + 1), "some text", {{"some", 1.0}}, "svm");
    r.label = truth_pred[i].first;
    r.prediction = truth_pred[i].second;
    r.target = r.prediction;
    r.scores = {{"a", r.prediction == "a" ? 0.9 - 0.1 * static_cast<double>(i) : 0.1},
                {"b", r.prediction == "b" ? 0.8 : 0.2}};
    records.push_back(r);
  }
  ExplanationRecord unlabelled = make_record("u", "no label", {{"no", 1.0}}, "svm");
  unlabelled.scores = {{"a", 0.3}, {"pos", 0.7}};
  records.push_back(unlabelled);
  const std::string html = render_report(group_by_id(records), ReportOptions{});
  // 3 of 5 right.
  CHECK_THAT(html,
             Contains("<b class=\"accuracy\">accuracy 60.0%</b> (3 of 5 documents with a label predicted "
                      "right); 1 without a label"));
  // Rows true a, b; columns predicted a, b (then pos, the unlabelled prediction).
  CHECK_THAT(html, Contains("<tr><th class=\"row\">1 a<td class=d>2<td class=e>1<td class=z>0<td>3<td>2\n"));
  CHECK_THAT(html, Contains("<tr><th class=\"row\">2 b<td class=e>1<td class=d>1<td class=z>0<td>2<td>1\n"));
  CHECK_THAT(html, Contains("<tr><th class=\"row\">predicted count<td>3<td>2<td>0<td>5<td>3\n"));
  // Index: one row per document, misclassified rows marked, with the confidence of the prediction.
  CHECK(count(html, "<tr data-t=") + count(html, "<tr class=x data-t=") == 6);
  CHECK_THAT(html, Contains("<tr class=x data-t=\"a\" data-p=\"b\" data-c=\"0.8\" data-ok=0><td><a "
                            "href=\"#doc-2\">2</a><td>d2<td>a<td>b<td class=num>0.8\n"));
  CHECK_THAT(html,
             Contains("<tr data-t=\"a\" data-p=\"a\" data-c=\"0.9\" data-ok=1><td><a href=\"#doc-1\">1</a>"));
  CHECK_THAT(html, Contains("<tr data-t=\"\" data-p=\"pos\" data-c=\"0.7\"><td><a href=\"#doc-6\">6</a>"));
  CHECK_THAT(html, Contains("<section class=\"doc\" id=\"doc-6\""));
  // Filter choices: the true classes and the predictions.
  CHECK_THAT(
      html,
      Contains(
          "<select name=\"t\"><option value=\"\">all<option value=\"a\">a<option value=\"b\">b</select>"));
  CHECK_THAT(html,
             Contains("<select name=\"p\"><option value=\"\">all<option value=\"a\">a<option value=\"b\">b"
                      "<option value=\"pos\">pos</select>"));
}

TEST_CASE("report: --max-documents picks documents spread over the classes, or the misclassified",
          "[report]") {
  // 6 of class a first, then 3 of b, then 1 of c (a corpus sorted by class).
  std::vector<ReportDocument> docs;
  const std::string classes = "aaaaaabbbc";
  for (std::size_t i = 0; i < classes.size(); ++i) {
    ExplanationRecord r = make_record("d" + std::to_string(i), "x", {{"x", 1.0}});
    r.label = std::string(1, classes[i]);
    r.prediction = i % 2 == 0 ? *r.label : "z";
    docs.push_back(ReportDocument{{r}});
  }
  using V = std::vector<std::size_t>;
  CHECK(select_documents(docs, 4, SelectMode::kFirst) == V{0, 1, 2, 3});
  // Round-robin a, b, c, a: documents 0, 6, 9, 1, in input order.
  CHECK(select_documents(docs, 4, SelectMode::kStratified) == V{0, 1, 6, 9});
  CHECK(select_documents(docs, 7, SelectMode::kStratified) == V{0, 1, 2, 6, 7, 8, 9});
  CHECK(select_documents(docs, 0, SelectMode::kStratified).size() == 10);
  CHECK(select_documents(docs, 99, SelectMode::kFirst).size() == 10);
  // Misclassified (odd positions: 1, 3, 5 of a, 7 of b, 9 of c), stratified among themselves.
  CHECK(select_documents(docs, 0, SelectMode::kMisclassified) == V{1, 3, 5, 7, 9});
  CHECK(select_documents(docs, 2, SelectMode::kMisclassified) == V{1, 7});
  CHECK(parse_select_mode("stratified") == SelectMode::kStratified);
  CHECK_THROWS_WITH(parse_select_mode("random"), Contains("first, stratified or misclassified"));
}

}  // namespace textlrp::report
