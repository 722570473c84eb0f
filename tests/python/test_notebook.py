"""examples/explain.ipynb executed headlessly (`jupyter nbconvert --to html --execute`, Debian's
jupyter-nbconvert and python3-ipykernel) on a small CNN model, and its rendered HTML checked in
headless Chromium as tests/cli/browser_report.sh checks the report: the Explanation cells'
highlighted text (Explanation._repr_html_ and textlrp.render_html) is there, the browser-visible text
of each document equals the document, and every highlighted token carries the colour class derived
from the explanation's relevances (red pN for, blue nN against), with no cell error.

Outputs in $TEXTLRP_TEST_OUT/notebook/: explain.html (nbconvert) and explain.dom.html (Chromium's DOM)."""

import math
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

import scale_helpers as h
import textlrp

NOTEBOOK = os.path.join(h.SOURCE_DIR, "examples", "explain.ipynb")
# The texts the notebook explains (kept in step with examples/explain.ipynb, checked below).
TEXT = "WIN a free prize now, call today! Or lunch at noon with the team?"
MANY = ["free money now", "meeting about the project on monday, thanks"]


def nbconvert():
    exe = shutil.which("jupyter-nbconvert") or "/usr/bin/jupyter-nbconvert"
    if not os.path.exists(exe):
        pytest.skip("jupyter-nbconvert (Debian) is not installed")
    return exe


def chromium():
    for c in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if c and shutil.which(c):
            return shutil.which(c)
    if os.environ.get("TEXTLRP_REQUIRE_BROWSER") == "1":
        pytest.fail("no chromium found (set CHROMIUM=/path)")
    pytest.skip("no chromium found (install Debian's chromium or set CHROMIUM=/path)")


def level(rel, scale):
    """The colour level of apps/common/report.cpp: round(min(1, |R| / scale) * 20), signed; 0 below 2."""
    if rel is None or scale <= 0 or rel == 0:
        return 0
    lv = int(math.floor(min(1.0, abs(rel) / scale) * 20 + 0.5))
    if lv < 2:
        return 0
    return lv if rel > 0 else -lv


def expected_marks(r):
    """(surface, class) of each highlighted token of a record, as tests/cli/browser_report.sh derives them."""
    data = r["text"].encode("utf-8")
    scale = max((abs(t["relevance"]) for t in r["tokens"] if not t.get("unseen")), default=0.0)
    out = []
    for t in r["tokens"]:
        if t.get("unseen"):
            break
        surface = data[t["begin"]:t["end"]].decode("utf-8").lstrip(" \t\r\n")
        lv = level(t["relevance"], scale)
        cls = [("p" if lv > 0 else "n") + str(abs(lv))] if lv else []
        if t.get("oov"):
            cls.append("o")
        if surface and cls:
            out.append((surface, " ".join(cls)))
    return out


class Dom(HTMLParser):
    """The text blocks (<div class="text">) inside textlrp fragments, their <i> tokens, and error outputs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # nesting inside <div class="textlrp">
        self.fragments = 0
        self.texts = []
        self.toks = []
        self.in_text = self.in_tok = False
        self.errors = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "div" and "textlrp" in cls:
            self.fragments += 1
            self.depth = 1
        elif tag == "div" and self.depth:
            self.depth += 1
        if tag == "div" and ("jp-OutputArea-error" in cls or "output_error" in cls):
            self.errors += 1
        if self.depth and tag == "div" and "text" in cls:
            self.in_text = True
            self.texts.append("")
            self.toks.append([])
        if self.in_text and tag == "i":
            self.in_tok = True
            self.toks[-1].append(["", a.get("class")])

    def handle_endtag(self, tag):
        if tag == "i":
            self.in_tok = False
        if tag == "div":
            self.in_text = False
            if self.depth:
                self.depth -= 1

    def handle_data(self, data):
        if self.in_text:
            self.texts[-1] += data
        if self.in_tok:
            self.toks[-1][-1][0] += data


def test_notebook_executes_and_renders_in_chromium(tmp_path):
    exe = nbconvert()
    browser = chromium()
    with open(NOTEBOOK, encoding="utf-8") as f:
        source = f.read()
    for t in [TEXT] + MANY:
        assert t in source, "the notebook no longer explains {!r}: update this test".format(t)
    model = h.make_cnn_model(tmp_path)
    out = Path(os.environ.get("TEXTLRP_TEST_OUT", str(tmp_path))) / "notebook"
    out.mkdir(parents=True, exist_ok=True)
    html = out / "explain.html"
    dom_path = out / "explain.dom.html"
    for p in (html, dom_path):
        if p.exists():
            p.unlink()
    env = dict(os.environ, TEXTLRP_MODEL=model)
    # The kernel is Debian's python3 (its kernelspec); it inherits PYTHONPATH, so it imports this build's textlrp.
    r = subprocess.run([exe, "--to", "html", "--execute", "--ExecutePreprocessor.timeout=120", "--output-dir",
                        str(out), "--output", "explain", NOTEBOOK], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr[-3000:]
    assert html.exists() and html.stat().st_size > 0

    profile = tempfile.mkdtemp()
    try:
        d = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            "--user-data-dir=" + profile, "--dump-dom", html.resolve().as_uri()],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert d.returncode == 0, d.stderr.decode(errors="replace")[-2000:]
    dom_path.write_bytes(d.stdout)
    dom = Dom()
    dom.feed(d.stdout.decode("utf-8"))
    assert dom.errors == 0, "a notebook cell failed"
    assert dom.fragments == 2  # the Explanation cell and the render_html cell

    m = textlrp.load(model)
    records = [m.explain(TEXT).to_dict()] + [e.to_dict() for e in m.explain_many(MANY)]
    assert dom.texts == [r["text"] for r in records]
    for r, toks in zip(records, dom.toks):
        marks = expected_marks(r)
        assert marks, "the explanation of {!r} highlights nothing: the test checks nothing".format(r["text"])
        assert [(t.lstrip(" \t\r\n"), c) for t, c in toks] == marks
    # The conservation line the notebook prints.
    assert "conserved: True" in html.read_text(encoding="utf-8")
