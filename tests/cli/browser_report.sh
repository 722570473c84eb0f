#!/usr/bin/env bash
# tests/cli/browser_report.sh — renders a hostile explanations file with `textlrp report` and
# checks the page in a real browser (headless Chromium): no injected script/img/element survives
# parsing, the title was not changed by script, every token is a <span class="tok">, the
# browser-visible text of each view equals the document text, and a screenshot can be taken.
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

# The raw HTML too: data is escaped, so these can only appear if an escape is missing.
if grep -qi '<script' "$report"; then fail "raw report contains '<script'"; fi
if grep -qi '<img' "$report"; then fail "raw report contains '<img'"; fi
if grep -qiE 'https?://' "$report"; then fail "raw report contains an http(s) URL"; fi
say "ok: raw HTML has no <script, <img or http(s):// URL"

# (3) Chromium: dump the parsed DOM and take a screenshot. A fresh profile per run, no network.
render_page "$report" "$dom" "$png" 1280,2000 60 "$out"

# (4) Check the dumped DOM against the fixture.
python3 - "$fixture" "$dom" << 'PY'
import json
import sys
from html.parser import HTMLParser

fixture, dom_path = sys.argv[1], sys.argv[2]
failures = []


def check(ok, what):
    print(("browser_report: ok: " if ok else "browser_report: FAIL: ") + what)
    if not ok:
        failures.append(what)


records = [json.loads(line) for line in open(fixture, encoding="utf-8") if line.strip()]
# Expected layout: records grouped by id in order of first appearance (group_by_id).
groups = {}
for r in records:
    groups.setdefault(r["id"], []).append(r)
views = [r for g in groups.values() for r in g]


def expected_tokens(r):
    """(surface, relevance) per token: text[begin:end] (byte offsets) or the pre-tokenized text."""
    data = r["text"].encode("utf-8")
    out = []
    for t in r["tokens"]:
        if "begin" in t:
            out.append((data[t["begin"]:t["end"]].decode("utf-8"), t["relevance"]))
        else:
            out.append((t["text"], t["relevance"]))
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
        self.toks = []  # [text, attrs]
        self.in_tok = False
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
        if tag == "span" and a.get("class") == "tok":
            self.in_tok = True
            self.toks.append(["", a])

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag == "span":
            self.in_tok = False
        if tag == "div":
            self.in_text = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.in_text:
            self.texts[-1] += data
        if self.in_tok:
            self.toks[-1][0] += data


dom = Dom()
dom.feed(open(dom_path, encoding="utf-8").read())
dom.close()

for tag in ["script", "img", "iframe", "object", "embed", "link", "base", "form", "svg", "math"]:
    check(dom.tags.get(tag, 0) == 0, f"no <{tag}> element ({dom.tags.get(tag, 0)} found)")
n_style = dom.tags.get("style", 0)
check(n_style == 1, f"exactly one <style> element ({n_style} found)")
check("injected" not in dom.ids, "no element with id=injected")
check(not dom.handlers, f"no on* event-handler attributes ({', '.join(dom.handlers) or 'none'})")
check(dom.title is not None and dom.title.strip() != "" and "PWNED" not in dom.title,
      f"title is not PWNED (title: {dom.title!r})")

check([s[0] for s in dom.sections] == list(groups),
      f"{len(groups)} <section class=\"doc\"> with the fixture ids as data-id, in order")
check([s[1] for s in dom.sections] == [len(g) for g in groups.values()],
      f"views per document {[s[1] for s in dom.sections]} == {[len(g) for g in groups.values()]} "
      "(same id side by side)")

n_expected = sum(len(r["tokens"]) for r in records)
check(len(dom.toks) == n_expected,
      f"{len(dom.toks)} class=\"tok\" spans == {n_expected} tokens in the fixture")
want = [tok for r in views for tok in expected_tokens(r)]
got_text = [t[0] for t in dom.toks]
check(got_text == [w for w, _ in want],
      "token spans show the fixture tokens (text[begin:end]) in order")


def close(a, b):
    return abs(a - b) <= 1e-5 * max(abs(a), abs(b)) + 1e-12


bad_r = [i for i, ((_, r), (_, a)) in enumerate(zip(want, dom.toks))
         if "data-r" not in a or not close(float(a["data-r"]), r)]
check(not bad_r,
      f"data-r matches the fixture relevance for every token (mismatches at {bad_r[:5]})")
check(all("title" in a for _, a in dom.toks), "every token has a title= tooltip")
RED, BLUE = "220,38,38", "37,99,235"  # the heatmap colours of apps/common/report.cpp
bad_colour = [i for i, ((_, r), (_, a)) in enumerate(zip(want, dom.toks))
              if "style" in a
              and ((RED in a["style"]) != (r > 0) or (BLUE in a["style"]) != (r < 0))]
n_coloured = sum(1 for _, a in dom.toks if "style" in a)
check(n_coloured > 0 and not bad_colour,
      f"{n_coloured} coloured tokens: red for positive, blue for negative "
      f"(wrong at {bad_colour[:5]})")
for word in ["café", "naïve", "日本語", "😀", "Ελληνικά", "bold", "script", "PWNED", "<script>"]:
    check(word in got_text, f"'{word}' is shown inside a <span class=\"tok\">")

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
