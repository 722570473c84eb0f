#!/usr/bin/env bash
# tests/cli/browser_analysis.sh — trains two tiny models (a CNN and a BoW/SVM) on a generated
# three-class toy corpus, writes the analysis report with `textlrp analyze` and checks it in a real
# browser (headless Chromium): every section (examples, top words, PCA, word deletion, EPI) and
# every plot is present and non-empty (scatter SVGs have one circle per document, deletion SVGs one
# path per method, both have axes, axis labels and a legend), no script or external resource
# survives parsing, no legend text is clipped (measured with getBBox() in the browser, on a copy of
# the page with a measuring script), and a screenshot can be taken.
#
# Run by ctest with TEXTLRP, TEXTLRP_SOURCE_DIR and TEXTLRP_TEST_OUT. By hand:
#   TEXTLRP=build/bin/textlrp TEXTLRP_SOURCE_DIR=. TEXTLRP_TEST_OUT=/tmp/brtest \
#     bash tests/cli/browser_analysis.sh
# Outputs in $TEXTLRP_TEST_OUT/browser-analysis/: analysis.html, analysis.dom.html (Chromium's
# parsed DOM), analysis.png (1280x3000 screenshot) and the logs.
#
# Needs chromium (or CHROMIUM=/path) and python3. Without a browser the test prints SKIP and passes,
# unless TEXTLRP_REQUIRE_BROWSER=1.
set -euo pipefail

: "${TEXTLRP:?set TEXTLRP to the textlrp binary}"
: "${TEXTLRP_SOURCE_DIR:?set TEXTLRP_SOURCE_DIR to the source tree}"
: "${TEXTLRP_TEST_OUT:?set TEXTLRP_TEST_OUT to a writable folder}"

say() { echo "browser_analysis: $*"; }
fail() {
  echo "browser_analysis: FAIL: $*" >&2
  exit 1
}

out="$TEXTLRP_TEST_OUT/browser-analysis"
report="$out/analysis.html"
dom="$out/analysis.dom.html"
png="$out/analysis.png"
mkdir -p "$out"
rm -rf "$report" "$dom" "$png" "$out/corpus" "$out/cnn" "$out/svm"

[[ -x "$TEXTLRP" ]] || fail "TEXTLRP=$TEXTLRP is not an executable"
command -v python3 > /dev/null || fail "python3 is needed to make the corpus and parse the DOM"

source "$(dirname "${BASH_SOURCE[0]}")/browser.bash"
find_browser

# (1) A deterministic three-class toy corpus (20 documents a class) and 8-d word vectors for it.
python3 - "$out" << 'PY'
import os, random, sys
out = sys.argv[1]
rng = random.Random(7)
topics = {
    "sport": "goal match team player score league coach season win referee".split(),
    "space": "orbit rocket launch moon nasa shuttle planet satellite mission astronaut".split(),
    "food": "recipe cook bake flour sugar oven dinner taste spice kitchen".split(),
}
common = "the a of and to in is it that with for on this was we".split()
words = sorted(set(common + [w for ws in topics.values() for w in ws]))
for label, ws in topics.items():
    os.makedirs(f"{out}/corpus/{label}", exist_ok=True)
    for i in range(20):
        n = rng.randint(12, 30)
        toks = [rng.choice(ws) if rng.random() < 0.45 else rng.choice(common) for _ in range(n)]
        if i % 5 == 0:  # a few mixed documents, so that not every document is easy
            other = rng.choice([t for t in topics if t != label])
            toks += [rng.choice(topics[other]) for _ in range(4)]
        with open(f"{out}/corpus/{label}/{i:02d}.txt", "w", encoding="utf-8") as f:
            f.write(" ".join(toks).capitalize() + ".\n")
with open(f"{out}/toy.vec", "w", encoding="utf-8") as f:
    f.write(f"{len(words)} 8\n")
    for w in words:
        f.write(w + " " + " ".join(f"{rng.uniform(-1, 1):.4f}" for _ in range(8)) + "\n")
PY
say "ok: toy corpus and word vectors in $out"

# (2) Two tiny models, trained in seconds.
"$TEXTLRP" train --arch cnn --corpus "folder:$out/corpus" --dim 8 --filters 6 --kernel-sizes 2,3 --epochs 20 \
  --patience 20 --lr 0.01 --max-tokens 100 --seed 3 --out "$out/cnn" --quiet > /dev/null || fail "training the CNN failed"
"$TEXTLRP" train --arch svm --corpus "folder:$out/corpus" --out "$out/svm" --quiet > /dev/null ||
  fail "training the SVM failed"
say "ok: trained $out/cnn and $out/svm"

# (3) The analysis report: both models side by side, every section computed from the corpus.
"$TEXTLRP" analyze --model "$out/cnn" --model "$out/svm" --corpus "folder:$out/corpus" --embeddings "$out/toy.vec" \
  --max-docs 0 --deletion-docs 30 --max-delete 8 --random-seeds 2 --examples 3 --per-class 5 --threads 2 \
  --title "toy analysis <script>alert(1)</script>" --out "$report" 2> "$out/analyze.log" ||
  { cat "$out/analyze.log" >&2; fail "textlrp analyze exited with an error"; }
[[ -s "$report" ]] || fail "$report is missing or empty"
say "ok: report written ($(wc -c < "$report") bytes)"
if grep -qi '<script' "$report"; then fail "raw report contains '<script'"; fi
if grep -qiE '(src|href)=' "$report"; then fail "raw report contains a src= or href= attribute"; fi
say "ok: raw HTML has no <script and no src=/href="

# (4) Chromium: dump the parsed DOM and take a screenshot. A fresh profile per run, no network.
render_page "$report" "$dom" "$png" 1280,3000 90 "$out"

# (5) Check the DOM.
python3 - "$dom" << 'PY'
import sys
from html.parser import HTMLParser

N_DOCS, N_CLASSES, MODELS = 60, 3, ["cnn", "svm"]
WEIGHTINGS = ["uniform", "tfidf", "lrp"]
failures = []


def check(ok, what):
    print(("browser_analysis: ok: " if ok else "browser_analysis: FAIL: ") + what)
    if not ok:
        failures.append(what)


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], ""

    def iter(self):
        yield self
        for c in self.children:
            yield from c.iter()

    def find_all(self, tag=None, **attrs):
        out = []
        for n in self.iter():
            if tag and n.tag != tag:
                continue
            if all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(n)
        return out

    def all_text(self):
        return self.text + "".join(c.all_text() for c in self.children)


VOID = {"meta", "br", "img", "input", "link", "hr", "area", "base", "col", "embed", "source", "wbr"}


class Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.cur = self.root
        self.tags = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.text += data


dom = Dom()
dom.feed(open(sys.argv[1], encoding="utf-8").read())
dom.close()
root = dom.root

for tag in ["script", "img", "iframe", "object", "embed", "link", "base", "form"]:
    check(dom.tags.get(tag, 0) == 0, f"no <{tag}> element ({dom.tags.get(tag, 0)} found)")
title = root.find_all("title")
check(title and "<script>" in title[0].all_text(), "the hostile title is shown as text")

sections = {s.attrs.get("id"): s for s in root.find_all("section", **{"class": "analysis"})}
for sid in ["examples", "topwords", "pca", "deletion", "epi"]:
    check(sid in sections and len(sections[sid].all_text().strip()) > 40, f"section #{sid} is present and non-empty")

ex = sections.get("examples")
if ex:
    docs = ex.find_all("section", **{"class": "doc"})
    check(len(docs) == 3, f"3 example documents ({len(docs)})")
    check(all(len(d.find_all("article", **{"class": "view"})) == 2 for d in docs),
          "every example shows the two models side by side")
    marks = [i for t in ex.find_all("div", **{"class": "text"}) for i in t.find_all("i")]
    check(len(marks) > 30, f"example tokens are highlighted (<i class=pN|nN>: {len(marks)})")

tw = sections.get("topwords")
if tw:
    tables = tw.find_all("table", **{"class": "tw"})
    check(len(tables) == N_CLASSES * len(MODELS), f"{len(tables)} top-word tables == classes x models")
    check(all(len(t.find_all("tr")) >= 2 for t in tables), "every top-word table lists words")

pca = sections.get("pca")
if pca:
    figs = pca.find_all("figure", data_kind="scatter")
    check(len(figs) == len(MODELS) * len(WEIGHTINGS), f"{len(figs)} scatter plots == models x weightings")
    for f in figs:
        name = f"scatter {f.attrs.get('data-model')}/{f.attrs.get('data-weighting')}"
        svg = f.find_all("svg")
        check(len(svg) == 1, f"{name}: one <svg>")
        if not svg:
            continue
        pts = svg[0].find_all("circle", **{"class": "pt"})
        check(len(pts) == N_DOCS, f"{name}: {len(pts)} points == {N_DOCS} documents")
        colours = {p.attrs.get("fill") for p in pts}
        check(len(colours) == N_CLASSES, f"{name}: points in {len(colours)} class colours")
        check(len(svg[0].find_all("line", **{"class": "axis"})) >= 2, f"{name}: has axes")
        labels = svg[0].find_all("text", **{"class": "xlabel"}) + svg[0].find_all("text", **{"class": "ylabel"})
        check(len(labels) == 2 and all("PC" in l.all_text() for l in labels), f"{name}: axis labels PC1/PC2")
        legend = svg[0].find_all("g", **{"class": "legend-entry"})
        check(len(legend) == N_CLASSES, f"{name}: legend with {len(legend)} classes")

dele = sections.get("deletion")
if dele:
    figs = dele.find_all("figure", data_kind="deletion")
    models = {f.attrs.get("data-model") for f in figs}
    check(models == set(MODELS), f"deletion plots for both models ({sorted(models)})")
    for f in figs:
        name = f"deletion {f.attrs.get('data-model')}/{f.attrs.get('data-documents')}"
        svg = f.find_all("svg")
        check(len(svg) == 1, f"{name}: one <svg>")
        if not svg:
            continue
        curves = svg[0].find_all("path", **{"class": "curve"})
        methods = [c.attrs.get("data-method") for c in curves]
        # The CNN has every method; the BoW/SVM at least lrp, occlusion (computed by the analysis when the
        # model has none) and random (sa/gi/ig when its build implements them).
        everything = {"lrp", "sa", "gi", "ig", "occlusion", "random"}
        ok = set(methods) == everything if "cnn" in name else {"lrp", "occlusion", "random"} <= set(methods) <= everything
        check(ok and len(methods) == len(set(methods)), f"{name}: one curve per method {sorted(methods)}")
        check(all(len(c.attrs.get("d", "")) > 20 for c in curves), f"{name}: curves have points")
        legend = svg[0].find_all("g", **{"class": "legend-entry"})
        check(len(legend) == len(curves) and all("AOPC" in l.all_text() for l in legend),
              f"{name}: legend with AOPC per method")
        check(any("deleted tokens" in t.all_text() for t in svg[0].find_all("text", **{"class": "xlabel"})),
              f"{name}: x axis label")

epi = sections.get("epi")
if epi:
    rows = [r for r in epi.find_all("tr") if r.find_all("td")]
    check(len(rows) == len(MODELS) * len(WEIGHTINGS), f"{len(rows)} EPI rows == models x weightings")
    check(all("%" in r.all_text() for r in rows), "every EPI row shows an accuracy")

if failures:
    print(f"browser_analysis: {len(failures)} DOM check(s) failed; see {sys.argv[1]}", file=sys.stderr)
    sys.exit(1)
PY

# (6) Legends are not clipped: a copy of the page without its CSP, plus a script that measures every
# legend text with getBBox() in the real browser (with the page's CSS) and records the ones that
# stick out of their <svg>.
measure="$out/analysis.measure.html"
python3 - "$report" "$measure" << 'PY'
import re
import sys
html = open(sys.argv[1], encoding="utf-8").read()
html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
script = """<script>
var bad = [], n = 0;
document.querySelectorAll("svg.chart").forEach(function (svg) {
  var w = parseFloat(svg.getAttribute("width")), h = parseFloat(svg.getAttribute("height"));
  svg.querySelectorAll("g.legend text").forEach(function (t) {
    var b = t.getBBox(); n++;
    if (b.x < 0 || b.y < 0 || b.x + b.width > w + 0.5 || b.y + b.height > h + 0.5)
      bad.push(t.textContent + " [" + Math.round(b.x + b.width) + " > " + w + "]");
  });
});
document.body.setAttribute("data-legend-texts", String(n));
document.body.setAttribute("data-clipped", bad.join(" | "));
</script>"""
open(sys.argv[2], "w", encoding="utf-8").write(html.replace("</body>", script + "</body>"))
PY
dump_dom_query "$measure" "" "$out/analysis.measure.dom.html" 90 "$out"
python3 - "$out/analysis.measure.dom.html" << 'PY' || fail "legend text is clipped"
import re
import sys
dom = open(sys.argv[1], encoding="utf-8").read()
n = re.search(r'data-legend-texts="(\d+)"', dom)
clipped = re.search(r'data-clipped="([^"]*)"', dom)
if not n or int(n.group(1)) < 10 or clipped is None:
    sys.exit(f"browser_analysis: FAIL: the measuring script did not run ({n and n.group(1)} legend texts)")
if clipped.group(1):
    sys.exit(f"browser_analysis: FAIL: legend text outside its chart: {clipped.group(1)}")
print(f"browser_analysis: ok: {n.group(1)} legend texts measured in the browser, none clipped")
PY

# (6) The screenshot.
[[ -s "$png" ]] || fail "screenshot $png is missing or empty; see $out/chromium-screenshot.log"
[[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]] || fail "$png is not a PNG file"
png_bytes=$(wc -c < "$png")
((png_bytes > 50000)) || fail "$png is only $png_bytes bytes: the page looks blank"
say "ok: screenshot $png ($png_bytes bytes)"
say "PASS"
