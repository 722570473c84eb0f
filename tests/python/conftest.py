"""Fixtures of the Python package's tests: small models of every architecture, trained (or imported)
with the textlrp CLI once per session, and a helper that runs `textlrp explain` on the same texts.

Run by ctest ("python: ..." tests, registered when the build has -DTEXTLRP_PYTHON=ON), which sets
PYTHONPATH to <build>/python, TEXTLRP to the CLI, TEXTLRP_SOURCE_DIR and TEXTLRP_SHARED_DATA. By hand:
  PYTHONPATH=build/python TEXTLRP=build/bin/textlrp TEXTLRP_SOURCE_DIR=. /usr/bin/python3 -m pytest tests/python
"""
import json
import os
import subprocess

import pytest

SOURCE_DIR = os.environ.get("TEXTLRP_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SHARED = os.environ.get("TEXTLRP_SHARED_DATA", os.path.join(SOURCE_DIR, "..", "shared", "data"))

# Texts every architecture is checked on: plain words, unknown words, punctuation, non-ASCII, a
# word repeated, one word, blank.
TEXTS = [
    "WIN money now!!! Click here for a free prize, cheap pills",
    "Hi team, the meeting about the project schedule is moved to monday. Thanks, Anna",
    "Lunch at noon? The caf\u00e9 near the office \u65e5\u672c \U0001f600 free free free",
    "zzzunknown qqqword",
    "free",
    "   ",
]


def cli():
    t = os.environ.get("TEXTLRP")
    if not t:
        pytest.fail("set TEXTLRP to the textlrp binary (ctest does)")
    return t


def run(*args, **kw):
    r = subprocess.run([cli(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if r.returncode != 0:
        raise AssertionError("textlrp {} failed ({}):\n{}".format(" ".join(args), r.returncode, r.stderr.decode()))
    return r


def make_toy_corpus(d):
    """tests/cli/lib.sh make_toy_corpus: a small two-class folder corpus."""
    os.makedirs(os.path.join(d, "ham"))
    os.makedirs(os.path.join(d, "spam"))
    for i in range(1, 13):
        with open(os.path.join(d, "ham", str(i)), "w") as f:
            f.write("Hi team, the meeting about the project schedule is moved to monday {}. Thanks, Anna\n".format(i))
        with open(os.path.join(d, "spam", str(i)), "w") as f:
            f.write("WIN money now!!! Click here for a free prize {}, cheap pills, viagra offer\n".format(i))
    with open(os.path.join(d, "ham", "13"), "wb") as f:
        f.write("Lunch at noon? The caf\u00e9 near the office. Caf\u00e9 au lait for me \u65e5\u672c \U0001f600\n"
                .encode())
    with open(os.path.join(d, "spam", "13"), "wb") as f:
        f.write(b"Cheap caf\xe9 offer, free money\n")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("corpus") / "c")
    make_toy_corpus(d)
    return d


@pytest.fixture(scope="session")
def models(tmp_path_factory, corpus):
    """name -> model directory: svm, cnn, cnn-spm (SentencePiece pieces), bilstm, and bert (from
    ../shared/data/tiny-bert, when it exists)."""
    out = tmp_path_factory.mktemp("models")
    m = {}
    run("train", "--arch", "svm", "--corpus", "folder:" + corpus, "--out", str(out / "svm"), "-q")
    m["svm"] = str(out / "svm")
    cnn = ["--arch", "cnn", "--corpus", "folder:" + corpus, "--dim", "8", "--filters", "6", "--kernel-sizes", "2,3",
           "--epochs", "4", "--patience", "4", "--lr", "0.01", "--max-tokens", "12", "--seed", "3", "--threads", "1"]
    run("train", *cnn, "--out", str(out / "cnn"), "-q")
    m["cnn"] = str(out / "cnn")
    spm = os.path.join(SOURCE_DIR, "tests", "data", "nlp", "tiny_bpe.model")
    run("train", *cnn, "--tokenizer", "spm:" + spm, "--out", str(out / "cnn-spm"), "-q")
    m["cnn-spm"] = str(out / "cnn-spm")
    run("train", "--arch", "bilstm", "--corpus", "folder:" + corpus, "--dim", "6", "--hidden", "4", "--epochs", "2",
        "--seed", "3", "--threads", "1", "--out", str(out / "bilstm"), "-q")
    m["bilstm"] = str(out / "bilstm")
    bert = os.path.join(SHARED, "tiny-bert")
    if os.path.isfile(os.path.join(bert, "config.json")):
        run("import", "huggingface", "--from", bert, "--out", str(out / "bert"), "-q")
        m["bert"] = str(out / "bert")
    return m


ARCHS = ["svm", "cnn", "cnn-spm", "bilstm", "bert"]


@pytest.fixture(params=ARCHS)
def arch(request, models):
    if request.param not in models:
        pytest.skip("{} needs ../shared/data/tiny-bert".format(request.param))
    return request.param


def cli_explain(model_dir, texts, tmp_path, *flags):
    """`textlrp explain` of `texts` (JSONL --input, one per line, so ids are "<line>-<hash>"): the lines."""
    inp = tmp_path / "in.jsonl"
    with open(inp, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"tokens": t} if isinstance(t, list) else {"text": t}) + "\n")
    out = tmp_path / "out.jsonl"
    run("explain", "--model", model_dir, "--input", str(inp), "-o", str(out), "--threads", "1", "-q", *flags)
    with open(out, encoding="utf-8") as f:
        return f.read().splitlines(keepends=True)
