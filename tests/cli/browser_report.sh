#!/usr/bin/env bash
# tests/cli/browser_report.sh — renders a hostile explanations file with `textlrp report` and
# checks the page in a real browser (headless Chromium): no injected script/img/element survives
# parsing (the page's own filter script is the only <script>), the title was not changed by script,
# every token with a colour level is an <i class=pN|nN> with the level derived from the fixture, the
# browser-visible text of each view equals the document text, the summary and index are there, the
# filter script runs (CSP hash right) and honours ?misclassified=1, ?true=, ?pred= and ?sort=, and a
# screenshot can be taken.
#
# Run by ctest with TEXTLRP (the textlrp binary), TEXTLRP_SOURCE_DIR and TEXTLRP_TEST_OUT (a
# writable folder in the build tree). By hand:
#   TEXTLRP=build/bin/textlrp TEXTLRP_SOURCE_DIR=. TEXTLRP_TEST_OUT=/tmp/brtest \
#     bash tests/cli/browser_report.sh
# Outputs in $TEXTLRP_TEST_OUT/browser/: report.html, report.dom.html (Chromium's parsed and
# serialized DOM), report.png (1280x2000 screenshot) and the Chromium logs.
#
# Needs chromium (Debian package `chromium`; override with CHROMIUM=/path) and python3 (to parse the
# DOM properly: grep cannot tell an element from an attribute value). Without a browser the test
# prints SKIP and passes, unless TEXTLRP_REQUIRE_BROWSER=1.
set -euo pipefail

: "${TEXTLRP:?set TEXTLRP to the textlrp binary}"
: "${TEXTLRP_SOURCE_DIR:?set TEXTLRP_SOURCE_DIR to the source tree}"
: "${TEXTLRP_TEST_OUT:?set TEXTLRP_TEST_OUT to a writable folder}"

say() { echo "browser_report: $*"; }
fail() {
  echo "browser_report: FAIL: $*" >&2
  exit 1
}

fixture="$TEXTLRP_SOURCE_DIR/tests/data/report/hostile.jsonl"
out="$TEXTLRP_TEST_OUT/browser"
report="$out/report.html"
dom="$out/report.dom.html"
png="$out/report.png"
mkdir -p "$out"
rm -f "$report" "$dom" "$png"

[[ -f "$fixture" ]] || fail "fixture $fixture not found"
[[ -x "$TEXTLRP" ]] || fail "TEXTLRP=$TEXTLRP is not an executable"
command -v python3 > /dev/null || fail "python3 is needed to parse the dumped DOM"

source "$(dirname "${BASH_SOURCE[0]}")/browser.bash"
find_browser

# (1)+(2) Render the fixture.
say "rendering $fixture"
"$TEXTLRP" report --explanations "$fixture" --out "$report" || fail "textlrp report exited with $?"
[[ -s "$report" ]] || fail "$report is missing or empty"
say "ok: report written ($(wc -c < "$report") bytes)"

# The raw HTML too: data is escaped, so these can only appear if an escape is missing. The one
# <script> is the page's own (filters).
n_script=$(grep -oi '<script' "$report" | wc -l)
((n_script == 1)) || fail "raw report contains $n_script '<script' (expected only the page's own)"
if grep -qi '<img' "$report"; then fail "raw report contains '<img'"; fi
if grep -qiE 'https?://' "$report"; then fail "raw report contains an http(s) URL"; fi
say "ok: raw HTML has one <script (the page's own), no <img or http(s):// URL"

# (3) Chromium: dump the parsed DOM and take a screenshot. A fresh profile per run, no network.
render_page "$report" "$dom" "$png" 1280,2000 60 "$out"
# The same page opened with filter queries (the script applies them before the DOM is dumped).
# The hostile label is percent-encoded like a browser would.
hostile_label="$(python3 -c 'import json,sys,urllib.parse; r=[json.loads(l) for l in open(sys.argv[1])]; print(urllib.parse.quote(r[3]["label"], safe=""))' "$fixture")"
dump_dom_query "$report" "misclassified=1" "$out/report.mis.dom.html" 60 "$out"
dump_dom_query "$report" "true=$hostile_label" "$out/report.true.dom.html" 60 "$out"
dump_dom_query "$report" "pred=rec.autos" "$out/report.pred.dom.html" 60 "$out"
dump_dom_query "$report" "sort=asc" "$out/report.asc.dom.html" 60 "$out"

# (4) Check the dumped DOM against the fixture.
python3 - "$fixture" "$dom" "$out" << 'PY'
import json
import math
import sys
from html.parser import HTMLParser

fixture, dom_path, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []


def check(ok, what):
    print(("browser_report: ok: " if ok else "browser_report: FAIL: ") + what)
    if not ok:
        failures.append(what)


records = [json.loads(line) for line in open(fixture, encoding="utf-8") if line.strip()]
# Expected layout: records grouped by id and text in order of first appearance (group_by_id).
groups = {}
for r in records:
    groups.setdefault((r["id"], r["text"]), []).append(r)
views = [r for g in groups.values() for r in g]


def level(rel, scale):
    """The colour level of report/report.cpp: round(min(1, |R| / scale) * 20), signed; 0 below 2."""
    if rel is None or scale <= 0 or rel == 0:
        return 0
    lv = int(math.floor(min(1.0, abs(rel) / scale) * 20 + 0.5))
    if lv < 2:  # under 7.5% of the scale: plain text
        return 0
    return lv if rel > 0 else -lv


def expected_marks(r):
    """(surface, class) per highlighted token of a view: text[begin:end] without its leading
    whitespace (or the pre-tokenized text); tokens with level 0, in the vocabulary and finite are
    plain text and not listed."""
    data = r["text"].encode("utf-8")
    finite = [abs(t["relevance"]) for t in r["tokens"] if t["relevance"] is not None and not t.get("unseen")]
    scale = max(finite, default=0.0)
    out = []
    for t in r["tokens"]:
        if t.get("unseen"):
            break
        surface = data[t["begin"]:t["end"]].decode("utf-8") if "begin" in t else t["text"]
        surface = surface.lstrip(" \t\r\n")
        lv = level(t["relevance"], scale)
        cls = [("p" if lv > 0 else "n") + str(abs(lv))] if lv else []
        if t.get("oov"):
            cls.append("o")
        if t["relevance"] is None:
            cls.append("x")
        if surface and cls:
            out.append((surface, " ".join(cls)))
    return out


def expected_text(r):
    if r["tokens"] and "begin" not in r["tokens"][0]:
        return " ".join(t["text"] for t in r["tokens"])
    return r["text"]


class Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = {}
        self.ids = []
        self.handlers = []
        self.title = None
        self.in_title = False
        self.sections = []  # [data-id, number of views]
        self.toks = []  # [text, class] of each <i> in a text block
        self.in_tok = False
        self.rows = []  # attrs of the index rows
        self.in_tbody = False
        self.body = {}
        self.form = None
        self.texts = []  # visible text of each <div class="text">
        self.in_text = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if "id" in a:
            self.ids.append(a["id"])
        self.handlers += [f"<{tag} {k}=...>" for k in a if k.startswith("on")]
        if tag == "title":
            self.in_title, self.title = True, ""
        if tag == "section" and a.get("class") == "doc":
            self.sections.append([a.get("data-id"), 0])
        if tag == "article" and a.get("class") == "view" and self.sections:
            self.sections[-1][1] += 1
        if tag == "div" and a.get("class") == "text":
            self.in_text = True
            self.texts.append("")
        if tag == "i" and self.in_text:
            self.in_tok = True
            self.toks.append(["", a.get("class")])
        if tag == "tbody":
            self.in_tbody = True
        if tag == "tr" and self.in_tbody and "data-p" in a:  # rows of the index table
            self.rows.append(a)
        if tag == "body":
            self.body = a
        if tag == "form":
            self.form = a

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag == "i":
            self.in_tok = False
        if tag == "tbody":
            self.in_tbody = False
        if tag == "div":
            self.in_text = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.in_text:
            self.texts[-1] += data
        if self.in_tok:
            self.toks[-1][0] += data


def parse(path):
    d = Dom()
    d.feed(open(path, encoding="utf-8").read())
    d.close()
    return d


dom = parse(dom_path)

check(dom.tags.get("script", 0) == 1, f"exactly one <script> element, the page's own ({dom.tags.get('script', 0)} found)")
for tag in ["img", "iframe", "object", "embed", "link", "base", "svg", "math"]:
    check(dom.tags.get(tag, 0) == 0, f"no <{tag}> element ({dom.tags.get(tag, 0)} found)")
check(dom.tags.get("form", 0) == 1, "one <form> (the filters)")
n_style = dom.tags.get("style", 0)
check(n_style == 1, f"exactly one <style> element ({n_style} found)")
check("injected" not in dom.ids, "no element with id=injected")
check(not dom.handlers, f"no on* event-handler attributes ({', '.join(dom.handlers) or 'none'})")
check(dom.title is not None and dom.title.strip() != "" and "PWNED" not in dom.title,
      f"title is not PWNED (title: {dom.title!r})")

check([s[0] for s in dom.sections] == [g[0]["id"] for g in groups.values()],
      f"{len(groups)} <section class=\"doc\"> with the fixture ids as data-id, in order")
check([s[1] for s in dom.sections] == [len(g) for g in groups.values()],
      f"views per document {[s[1] for s in dom.sections]} == {[len(g) for g in groups.values()]} "
      "(same id and text side by side)")

want = [m for r in views for m in expected_marks(r)]
check([(t, c) for t, c in dom.toks] == want,
      f"{len(dom.toks)} highlighted tokens == {len(want)} expected: the fixture tokens with non-zero colour "
      "level, in order, with the level derived from the relevances")
check(any(c.startswith("p") for _, c in dom.toks) and any(c.startswith("n") for _, c in dom.toks),
      "both red (p) and blue (n) levels occur")
got_text = [t for t, _ in dom.toks]
for word in ["café", "日本語", "😀", "PWNED", "<script>"]:
    check(any(word in t for t in got_text), f"'{word}' is shown inside a highlighted token")

# Summary and index.
check("overview" in dom.ids and "index" in dom.ids, "the page has #overview (summary) and #index")
raw_dom = open(dom_path, encoding="utf-8").read()
firsts = [g[0] for g in groups.values()]
n_right = sum(1 for v in firsts if v.get("label") == v["prediction"])
n_labelled = sum(1 for v in firsts if "label" in v)
acc = f"accuracy {100 * n_right / n_labelled:.1f}%"
check(acc in raw_dom, f"the summary shows the first model's {acc} ({n_right} of {n_labelled})")
check(raw_dom.count('<table class="cm">') == len({v.get("model") for g in groups.values() for v in g}),
      "one confusion matrix per model")
check(len(dom.rows) == len(groups), f"{len(dom.rows)} index rows == {len(groups)} documents")
first_views = [g[0] for g in groups.values()]
check([r.get("data-t") for r in dom.rows] == [v.get("label", "") for v in first_views],
      "index rows carry each document's true label (data-t), hostile ones intact")
check([r.get("data-p") for r in dom.rows] == [v["prediction"] for v in first_views],
      "index rows carry the first view's prediction (data-p)")
check(dom.form is not None and "hidden" not in dom.form, "the filter script ran: the form is shown (CSP hash right)")
check(dom.body.get("data-shown") is None, "no filter applied without a query")


def confidence(v):
    return v["scores"].get(v["prediction"], v["score"])


def shown(d):
    return [i for i, r in enumerate(d.rows) if "hidden" not in r]


def check_filter(name, keep, order=None):
    d = parse(f"{out_dir}/report.{name}.dom.html")
    vis = [r for r in d.rows if "hidden" not in r]
    want_rows = [first_views[i] for i in (order if order is not None else range(len(first_views))) if keep(first_views[i])]
    check([(r.get("data-t"), r.get("data-p")) for r in vis] == [(v.get("label", ""), v["prediction"]) for v in want_rows],
          f"?{name}: index shows {len(vis)} rows == {len(want_rows)} expected, in order")
    check(d.body.get("data-shown") == str(len(want_rows)), f"?{name}: body data-shown={d.body.get('data-shown')}")
    return d


mis = check_filter("mis", lambda v: "label" in v and v["label"] != v["prediction"])
check_filter("true", lambda v: v.get("label") == records[3]["label"])
check_filter("pred", lambda v: v["prediction"] == "rec.autos")
asc_order = sorted(range(len(first_views)), key=lambda i: (confidence(first_views[i]), i))
asc = check_filter("asc", lambda v: True, asc_order)
check([s[0] for s in asc.sections] == [first_views[i]["id"] for i in asc_order],
      "?sort=asc: the cards are reordered by confidence too")

check(len(dom.texts) == len(views), f"{len(dom.texts)} text blocks == {len(views)} views")
for i, (got, r) in enumerate(zip(dom.texts, views)):
    check(got == expected_text(r),
          f"view {i + 1} ({r['model']!r:.20}): visible text equals the document text "
          f"({len(got)} chars)")

if failures:
    print(f"browser_report: {len(failures)} DOM check(s) failed; see {dom_path}", file=sys.stderr)
    sys.exit(1)
PY

# (5) The screenshot.
[[ -s "$png" ]] || fail "screenshot $png is missing or empty; see $out/chromium-screenshot.log"
[[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]] ||
  fail "$png is not a PNG file"
png_bytes=$(wc -c < "$png")
# A blank 1280x2000 page compresses to a few KB; a rendered report is far larger.
((png_bytes > 20000)) || fail "$png is only $png_bytes bytes: the page looks blank"
say "ok: screenshot $png ($png_bytes bytes)"
say "PASS"
