"""The Python API on small models of every architecture: the same lines and numbers as the CLI."""
import json
import os
import re
import threading

import numpy as np
import pytest

import textlrp
from conftest import TEXTS, cli, cli_explain, run


def test_version_is_the_cli_version():
    out = run("--version").stdout.decode().split()  # textlrp 0.1.0 (kernels: v4 (best on this CPU))
    assert out[0] == "textlrp"
    assert textlrp.__version__ == out[1]
    assert re.fullmatch(r"\d+\.\d+\.\d+", textlrp.__version__)


def test_model_properties(models, arch):
    m = textlrp.load(models[arch])
    config = json.load(open(os.path.join(models[arch], "config.json")))
    assert m.architecture == config["architecture"]
    assert m.name == os.path.basename(models[arch])
    assert isinstance(m.labels, list) and all(isinstance(x, str) for x in m.labels)
    assert len(m.labels) >= 2
    assert m.subword == (arch in ("cnn-spm", "bert"))
    assert m.architecture in repr(m)


def test_explain_many_equals_cli_explain(models, arch, tmp_path):
    """explain_many's JSON lines are byte for byte the CLI's (ids of lines 1..n), and every array
    property holds the values of that line."""
    m = textlrp.load(models[arch])
    lines = cli_explain(models[arch], TEXTS, tmp_path)
    got = m.explain_many(TEXTS, threads=2)
    assert len(got) == len(TEXTS) == len(lines)
    for threads in (1, 2, 0):
        textlrp.write_jsonl(got, tmp_path / "py.jsonl", threads=threads)
        assert (tmp_path / "py.jsonl").read_text(encoding="utf-8") == "".join(lines)
    for e, line in zip(got, lines):
        assert e.to_json() == line
        d = json.loads(line)
        assert e.to_dict() == d
        assert e.id == d["id"] and e.text == d["text"]
        assert e.prediction == d["prediction"] and e.target == d["target"]
        assert e.scores == d["scores"] and list(e.scores) == m.labels
        assert e.score == d["score"]
        assert e.bias_relevance == d["bias_relevance"] and e.relevance_sum == d["relevance_sum"]
        assert e.tokens == [t["text"] for t in d["tokens"]]
        assert e.relevance.dtype == np.float64 and e.relevance.shape == (len(d["tokens"]),)
        # The JSON has the shortest decimal that reads back as the model's precision (float32 CNNs).
        np.testing.assert_allclose(e.relevance, [t["relevance"] for t in d["tokens"]], rtol=1e-6, atol=1e-12)
        assert e.spans.dtype == np.int64 and e.spans.shape == (len(d["tokens"]), 2)
        assert e.spans.tolist() == [[t["begin"], t["end"]] for t in d["tokens"]]
        raw = e.text.encode()
        for (b, end), tok in zip(e.spans.tolist(), e.tokens):
            assert raw[b:end].decode() == tok
        assert e.oov.tolist() == [bool(t.get("oov")) for t in d["tokens"]]
        assert e.unseen.tolist() == [bool(t.get("unseen")) for t in d["tokens"]]
        assert e.truncated == bool(d.get("truncated"))
        if "words" in d:
            assert e.words == [w["text"] for w in d["words"]]
            np.testing.assert_allclose(e.word_relevance, [w["relevance"] for w in d["words"]], rtol=1e-6,
                                       atol=1e-12)
            assert e.word_spans.tolist() == [[w["begin"], w["end"]] for w in d["words"]]
        else:
            assert e.words is None and e.word_relevance is None and e.word_spans is None
        special = d.get("special", [])
        assert [s[0] for s in e.special] == [s["text"] for s in special]
        np.testing.assert_allclose([s[1] for s in e.special], [s["relevance"] for s in special], rtol=1e-6)


def test_explain_one_equals_cli_line_one(models, arch, tmp_path):
    m = textlrp.load(models[arch])
    for text in TEXTS[:3]:
        line = cli_explain(models[arch], [text], tmp_path)[0]
        assert m.explain(text).to_json() == line
        assert m.explain(text.encode()).to_json() == line  # UTF-8 bytes


METHODS = {  # method -> extra CLI flags / API options, per architecture where they differ
    "svm": [("lrp", {}), ("sa", {}), ("gi", {}), ("ig", {"steps": 8}), ("occlusion", {}), ("random", {"seed": 5})],
    "cnn": [("lrp", {}), ("sa", {}), ("ig", {"steps": 8}), ("occlusion", {})],
    "cnn-spm": [("lrp", {}), ("gi", {})],
    "bilstm": [("lrp", {"lstm_rule": "half", "bias_factor": 1.0}), ("lrp", {"precision": "float32"}), ("gi", {})],
    "bert": [("lrp", {}), ("gi", {}), ("sa", {})],
}


def test_methods_and_options_equal_cli(models, arch, tmp_path):
    m = textlrp.load(models[arch])
    for method, opts in METHODS[arch]:
        flags = ["--method", method]
        for k, v in opts.items():
            flags += ["--" + k.replace("_", "-"), str(v)]
        lines = cli_explain(models[arch], TEXTS[:2], tmp_path, *flags)
        got = m.explain_many(TEXTS[:2], threads=1, method=method, **opts)
        assert [e.to_json() for e in got] == lines, (method, opts)
        assert m.explain(TEXTS[0], method=method, **opts).to_json() == lines[0]


def test_rule_and_target_equal_cli(models, tmp_path):
    m = textlrp.load(models["cnn"])
    other = m.labels[1 - m.labels.index(m.explain(TEXTS[0]).prediction)]
    line = cli_explain(models["cnn"], [TEXTS[0]], tmp_path, "--rule", "epsilon(0.5)", "--target", other)[0]
    assert m.explain(TEXTS[0], rule="epsilon(0.5)", target=other).to_json() == line
    assert m.explain(TEXTS[0], rule="epsilon(0.5)", target=m.labels.index(other)).to_json() == line
    e = m.explain(TEXTS[0], target=other, label="ham", id="doc-7")
    assert (e.target, e.label, e.id) == (other, "ham", "doc-7")
    assert m.explain(TEXTS[0], target="true", label="spam").target == "spam"


def test_pre_tokenized_equals_cli(models, arch, tmp_path):
    m = textlrp.load(models[arch])
    docs = [["free", "money", "now"], ["the", "meeting", "zzzunknown"]]
    lines = cli_explain(models[arch], docs, tmp_path)
    assert [e.to_json() for e in m.explain_many(docs, threads=2)] == lines
    e = m.explain(docs[1])
    assert e.to_json() == cli_explain(models[arch], [docs[1]], tmp_path)[0]
    assert e.text == "the meeting zzzunknown"
    if not m.subword:
        assert e.tokens == docs[1] and e.spans is None  # pre-tokenized: no spans
        assert e.oov.tolist()[2]


def test_predict(models, arch, tmp_path):
    m = textlrp.load(models[arch])
    p = m.predict(TEXTS[0])
    e = m.explain(TEXTS[0])
    assert p.label == e.prediction and m.labels[p.index] == p.label
    assert p.scores == e.scores
    ps = m.predict(TEXTS, threads=2)
    assert [q.label for q in ps] == [m.predict(t).label for t in TEXTS]
    assert [q.scores for q in ps] == [e.scores for e in m.explain_many(TEXTS)]


def test_explain_many_order_and_threads(models):
    m = textlrp.load(models["bilstm"])
    texts = ["free money {} {}".format(i, "meeting " * (i % 7)) for i in range(60)]
    one = [e.to_json() for e in m.explain_many(texts, threads=1)]
    for threads in (2, 3, 0, 1000):
        assert [e.to_json() for e in m.explain_many(texts, threads=threads)] == one
    assert [json.loads(x)["id"].split("-")[0] for x in one] == [str(i + 1) for i in range(60)]
    assert m.explain_many([], threads=4) == []


def test_explain_many_from_python_threads(models):
    """explain_many releases the GIL: Python threads calling it at once get the sequential results."""
    m = textlrp.load(models["svm"])
    want = [e.to_json() for e in m.explain_many(TEXTS, threads=1)]
    got = {}

    def work(k):
        got[k] = [e.to_json() for e in m.explain_many(TEXTS, threads=2)]
    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(got[k] == want for k in range(4))


def test_relevance_is_a_view_that_keeps_the_explanation_alive(models):
    m = textlrp.load(models["svm"])
    r = m.explain(TEXTS[0]).relevance  # the Explanation itself is not referenced any more
    assert not r.flags.owndata and not r.flags.writeable
    assert isinstance(r.base, textlrp.Explanation)
    want = m.explain(TEXTS[0]).relevance.tolist()
    import gc
    gc.collect()
    assert r.tolist() == want
    with pytest.raises(ValueError):
        r[0] = 1.0
    e = m.explain("   ")
    assert e.relevance.shape == (0,) and e.spans.shape == (0, 2) and e.tokens == []


def test_report_and_html(models, tmp_path):
    svm, cnn = textlrp.load(models["svm"]), textlrp.load(models["cnn"])
    es = svm.explain_many(TEXTS[:3]) + cnn.explain_many(TEXTS[:3])
    path = tmp_path / "report.html"
    assert textlrp.report(es, path) == path
    html = path.read_text(encoding="utf-8")
    assert html == textlrp.render_report(es)
    # The same page as `textlrp report` on the same JSONL.
    jl = tmp_path / "e.jsonl"
    jl.write_text("".join(e.to_json() for e in es), encoding="utf-8")
    run("report", "--explanations", str(jl), "--out", str(tmp_path / "cli.html"), "-q")
    assert (tmp_path / "cli.html").read_text(encoding="utf-8") == html
    assert html.count('<section class="doc"') == 3
    frag = es[0]._repr_html_()
    assert frag.startswith('<div class="textlrp">') and "<script" not in frag and "<html" not in frag.lower()
    assert frag.count('<section class="doc"') == 1 and "WIN" in frag
    # The CSS is scoped to the fragment: no rule for body, :root or bare * survives.
    style = frag.split("<style>")[1].split("</style>")[0]
    for rule in style.split("}"):
        sel = rule.split("{")[0].strip()
        if sel and not sel.startswith("@"):
            assert all(s.strip().startswith(".textlrp") for s in sel.split(",")), sel
    assert textlrp.render_html(es).count('<section class="doc"') == 3


def test_bad_inputs(models, tmp_path):
    m = textlrp.load(models["svm"])
    # Bad paths: IoError (an OSError) with the CLI's message.
    with pytest.raises(textlrp.IoError) as ei:
        textlrp.load(tmp_path / "nope")
    assert isinstance(ei.value, OSError) and isinstance(ei.value, textlrp.DataError)
    r = __import__("subprocess").run([cli(), "explain", "--model", str(tmp_path / "nope"), "--input", "-"],
                                     input=b"", stderr=-1, stdout=-1)
    assert r.returncode == 1 and r.stderr.decode().strip() == "textlrp: error: " + str(ei.value)
    with pytest.raises(textlrp.Error):
        textlrp.load("")
    with pytest.raises(TypeError):
        textlrp.load(None)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    with pytest.raises(textlrp.DataError):
        textlrp.load(bad)
    # Usage errors: UsageError (a ValueError), the CLI's message.
    for kwargs in ({"method": "magic"}, {"rule": "nonsense(("}, {"target": "no-such-label"},
                   {"lstm_rule": "half"}, {"steps": 0, "method": "ig"}, {"frobnicate": 1}):
        with pytest.raises(textlrp.UsageError) as ei:
            m.explain("free money", **kwargs)
        assert isinstance(ei.value, ValueError) and str(ei.value)
    with pytest.raises(textlrp.UsageError) as ei:
        m.explain("free money", method="magic")
    r = __import__("subprocess").run([cli(), "explain", "--model", models["svm"], "--input", "-", "--method", "magic"],
                                     input=b'{"text":"free money"}\n', stderr=-1, stdout=-1)
    assert r.returncode == 2 and r.stderr.decode().strip() == "textlrp: usage error: " + str(ei.value)
    # Huge, negative, wrong-typed targets and options.
    for target in (10 ** 30, -1, 2, len(m.labels)):
        with pytest.raises(textlrp.UsageError):
            m.explain("free", target=target)
    for bad_target in (1.5, [], True):
        with pytest.raises(TypeError):
            m.explain("free", target=bad_target)
    with pytest.raises(textlrp.DataError):  # target "true" without a label
        m.explain("free", target="true")
    with pytest.raises(textlrp.DataError):
        m.explain("free", target="true", label="not-a-label")
    with pytest.raises(TypeError):
        m.explain("free", seed=None)
    with pytest.raises(textlrp.UsageError):
        m.explain("free", method="ig", steps=10 ** 30)
    # Wrong types, None, invalid UTF-8, empty and NUL-containing text.
    for bad in (None, 5, 3.0, {"text": "x"}, ["ok", 5], object()):
        with pytest.raises(TypeError):
            m.explain(bad)
    with pytest.raises(TypeError):
        m.explain_many(None)
    with pytest.raises(TypeError):
        m.explain_many("a string is not a list")
    with pytest.raises(TypeError):
        m.explain_many(["ok", None])
    with pytest.raises(TypeError):
        m.predict(None)
    for bad_bytes in (b"caf\xe9", b"\xff\xfe", b"ok \xc3"):
        with pytest.raises(textlrp.Error) as ei:
            m.explain(bad_bytes)
        assert "UTF-8" in str(ei.value) or "utf-8" in str(ei.value).lower()
        with pytest.raises(textlrp.Error):
            m.predict(bad_bytes)
        with pytest.raises(textlrp.Error):
            m.explain_many([b"fine", bad_bytes])
    with pytest.raises(TypeError):  # a lone surrogate cannot be UTF-8
        m.explain("bad \udc80")
    assert m.explain("").tokens == []
    assert m.explain([]).tokens == []
    m.explain("nul \x00 byte")
    with pytest.raises(TypeError):
        m.explain_many(TEXTS, threads="2")
    with pytest.raises(textlrp.UsageError):
        m.explain_many(TEXTS, threads=-1)
    with pytest.raises(TypeError):
        textlrp.report([m], tmp_path / "r.html")
    with pytest.raises(textlrp.UsageError):
        textlrp.report([m.explain("free")], tmp_path / "r.html", color_scale="rainbow")
    with pytest.raises(textlrp.IoError):
        textlrp.report([m.explain("free")], tmp_path / "no-such-dir" / "r.html")
    with pytest.raises(textlrp.IoError):
        textlrp.write_jsonl([m.explain("free")], tmp_path / "no-such-dir" / "r.jsonl")
    with pytest.raises(TypeError):
        textlrp.write_jsonl([m.explain("free"), None], tmp_path / "r.jsonl")
    assert not (tmp_path / "r.jsonl").exists()
    assert not (tmp_path / "r.html").exists()
    # Errors carry the class hierarchy the docs promise.
    assert issubclass(textlrp.FormatError, ValueError) and issubclass(textlrp.FormatError, textlrp.DataError)
    assert issubclass(textlrp.UsageError, textlrp.Error) and not issubclass(textlrp.UsageError, textlrp.DataError)


def test_from_json_and_pickle(models, arch):
    """An Explanation pickles as its JSON line and a Model as its directory (for Dask, Spark,
    multiprocessing); from_json reads the CLI's lines back."""
    import pickle
    m = textlrp.load(models[arch])
    for e in m.explain_many(TEXTS[:3]):
        line = e.to_json()
        back = textlrp.from_json(line)
        assert back.to_json() == line
        assert textlrp.from_json(line.encode()).to_json() == line
        assert textlrp.from_json(e.to_dict()).to_json() == line
        p = pickle.loads(pickle.dumps(e))
        assert isinstance(p, textlrp.Explanation) and p.to_json() == line and p.tokens == e.tokens
        np.testing.assert_allclose(p.relevance, e.relevance, rtol=1e-6, atol=1e-12)
    m2 = pickle.loads(pickle.dumps(m))
    assert m2.path == m.path and m2.labels == m.labels
    assert m2.explain(TEXTS[0]).to_json() == m.explain(TEXTS[0]).to_json()


def test_from_json_bad_lines():
    for bad, what in (("{not json", "where-1"), ('{"schema":1}', "where-2"), (b'{"schema":1,"id":"\xff"}', "where-3"),
                      ("", "where-4"), ("[1,2]", "where-5")):
        with pytest.raises(textlrp.FormatError) as ei:
            textlrp.from_json(bad, what)
        assert what in str(ei.value)
    for bad in (None, 5, ["x"]):
        with pytest.raises(TypeError):
            textlrp.from_json(bad)
