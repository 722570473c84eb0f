"""textlrp.train and the analyses (docvec, pca, epi, deletion, topwords) against the textlrp CLI on a
small corpus: the same model files, the same numbers (the CLI's TSV/JSON rounded), the same error
messages; word vectors from NumPy (train's embeddings=(words, array), from_torch's embeddings=) equal
to the same vectors from a file; every bad input a textlrp exception or TypeError."""

import json
import os
import subprocess

import numpy as np
import pytest

import scale_helpers as h
import textlrp
from conftest import cli, run

CORPUS = [("spam", "free prize now"), ("ham", "lunch meeting tomorrow"), ("spam", "win a free prize"),
          ("ham", "see you at the meeting"), ("spam", "win now free entry"), ("ham", "lunch tomorrow then"),
          ("spam", "claim your prize now"), ("ham", "see you tomorrow"), ("spam", "free lunch win"),
          ("ham", "meeting about the prize"), ("spam", "now win win"), ("ham", "the meeting is at lunch")]
TEXTS = [t for _, t in CORPUS]
LABELS = [l for l, _ in CORPUS]
# The CNN of the tests, as CLI flags and as textlrp.train's keyword arguments.
CNN_FLAGS = ["--arch", "cnn", "--dim", "6", "--filters", "3", "--kernel-sizes", "1,2", "--epochs", "3", "--batch",
             "4", "--lr", "0.05", "--dev-fraction", "0.25", "--threads", "1"]
CNN_KW = dict(arch="cnn", dim=6, filters=3, kernel_sizes=[1, 2], epochs=3, batch=4, lr=0.05, dev_fraction=0.25,
              threads=1)
# Word vectors (exact in a text file): some vocabulary words, "Prize" only after case folding.
WORDS = ["free", "Prize", "meeting", "lunch", "zzz"]
VECTORS = np.array([[0.125 * (i + 1) - 0.25 * j for j in range(3)] for i in range(len(WORDS))])


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("ta")
    tsv = d / "c.tsv"
    tsv.write_text("".join("{}\t{}\n".format(l, t) for l, t in CORPUS))
    run("train", *CNN_FLAGS, "--corpus", "tsv:" + str(tsv), "--out", str(d / "cnn"), "-q")
    return {"dir": d, "tsv": str(tsv), "cnn": str(d / "cnn")}


def cli_error(*args):
    """The CLI's message for a failing command, without "textlrp: error: " / "textlrp: usage error: "."""
    r = subprocess.run([cli(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode in (1, 2), r
    line = r.stderr.decode().strip().splitlines()[-1]
    for prefix in ("textlrp: usage error: ", "textlrp: error: "):
        if line.startswith(prefix):
            return r.returncode, line[len(prefix):]
    raise AssertionError(line)


def same_files(a, b, names=("config.json", "model.safetensors", "vocab.txt")):
    for n in names:
        with open(os.path.join(a, n), "rb") as f, open(os.path.join(b, n), "rb") as g:
            assert f.read() == g.read(), n


# ---- train --------------------------------------------------------------------------------------


def test_train_corpus_spec_writes_the_cli_model(data, tmp_path):
    run("train", "--arch", "svm", "--corpus", "tsv:" + data["tsv"], "--threads", "1", "--out", str(tmp_path / "cli"),
        "-q")
    m = textlrp.train("tsv:" + data["tsv"], arch="svm", out=tmp_path / "py", threads=1, quiet=True)
    same_files(tmp_path / "cli", tmp_path / "py")
    assert m.architecture == "bow_svm" and m.labels == ["ham", "spam"]
    assert m.path == str(tmp_path / "py")
    assert m.training["architecture"] == "bow_svm" and json.loads(m.training["training"])["n_documents"] == 12
    # The CNN of a corpus spec too, byte for byte with one thread.
    textlrp.train("tsv:" + data["tsv"], out=str(tmp_path / "cnn"), quiet=True, **CNN_KW)
    same_files(data["cnn"], tmp_path / "cnn")


def test_train_documents_in_memory_progress_and_temporary_directory(data, tmp_path):
    events = []
    m = textlrp.train((TEXTS, LABELS), progress=events.append, quiet=True, **CNN_KW)
    # The same weights as the CLI's model of the same documents in a file.
    with open(os.path.join(m.path, "model.safetensors"), "rb") as f, \
            open(os.path.join(data["cnn"], "model.safetensors"), "rb") as g:
        assert f.read() == g.read()
    kinds = [e["event"] for e in events]
    assert kinds.count("epoch") >= 1 and kinds.count("batch") >= kinds.count("epoch")
    assert events[0]["event"] == "log" and events[0]["message"].startswith("read 12 documents with 2 labels")
    epoch = next(e for e in events if e["event"] == "epoch")
    assert epoch["epoch"] == 1 and 0 <= epoch["dev_accuracy"] <= 1 and epoch["n_train"] == 9
    cli_model = textlrp.load(data["cnn"])
    for t in TEXTS[:3]:
        assert m.predict(t).scores == cli_model.predict(t).scores
    # out=None: a temporary directory, removed with the model.
    path = m.path
    assert os.path.isdir(path)
    del m
    import gc
    gc.collect()
    assert not os.path.exists(path)
    # (text, label) pairs, integer labels named by labels= (--labels), dev documents in memory.
    pairs = [(t, 0 if l == "ham" else 1) for l, t in CORPUS]
    m = textlrp.train(pairs[4:], labels="ham,spam", dev=pairs[:4], quiet=True)
    assert m.labels == ["ham", "spam"]
    assert json.loads(m.training["training"])["n_dev"] == 4
    # Pre-tokenized documents.
    m = textlrp.train(([t.split() for t in TEXTS], LABELS), quiet=True)
    assert m.predict("free prize").label == "spam"


def test_train_logs_to_logging(data, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="textlrp"):
        textlrp.train((TEXTS, LABELS))
    assert any(r.getMessage().startswith("read 12 documents") for r in caplog.records)


def test_embeddings_from_numpy_train_what_the_file_trains(data, tmp_path):
    vec = tmp_path / "v.vec"
    vec.write_text("{} 3\n".format(len(WORDS)) + "".join(
        w + " " + " ".join("{:.6f}".format(x) for x in row) + "\n" for w, row in zip(WORDS, VECTORS)))
    for arch in ("cnn", "bilstm"):
        flags = [f if f != "cnn" else arch for f in CNN_FLAGS] + ["--hidden", "3"]
        run("train", *flags, "--corpus", "tsv:" + data["tsv"], "--embeddings", str(vec), "--out",
            str(tmp_path / (arch + "-cli")), "-q")
        kw = dict(CNN_KW, arch=arch, hidden=3, quiet=True)
        for dtype in (np.float64, np.float32):
            m = textlrp.train((TEXTS, LABELS), embeddings=(WORDS, VECTORS.astype(dtype)), **kw)
            with open(os.path.join(m.path, "model.safetensors"), "rb") as f, \
                    open(tmp_path / (arch + "-cli") / "model.safetensors", "rb") as g:
                assert f.read() == g.read(), (arch, dtype)
            e = json.loads(m.training["training"])["embeddings"]
            assert e["file"] == "<array 5 x 3>" and e["dim"] == 3
        # A path is --embeddings FILE.
        m = textlrp.train((TEXTS, LABELS), embeddings=str(vec), **kw)
        with open(os.path.join(m.path, "model.safetensors"), "rb") as f, \
                open(tmp_path / (arch + "-cli") / "model.safetensors", "rb") as g:
            assert f.read() == g.read()


def test_train_errors_are_the_clis(data, tmp_path):
    out = tmp_path / "never"
    with pytest.raises(textlrp.UsageError, match="The following argument was not expected: --foo"):
        textlrp.train((TEXTS, LABELS), out=out, foo=1)
    code, message = cli_error("train", "--arch", "gpt", "--corpus", "tsv:" + data["tsv"], "--out", str(out), "-q")
    assert code == 2
    with pytest.raises(textlrp.UsageError) as e:
        textlrp.train((TEXTS, LABELS), arch="gpt", out=out)
    assert str(e.value) == message
    code, message = cli_error("train", "--corpus", "tsv:" + str(tmp_path / "missing.tsv"), "--out", str(out), "-q")
    assert code == 1
    with pytest.raises(textlrp.IoError) as e:
        textlrp.train("tsv:" + str(tmp_path / "missing.tsv"), out=out)
    assert str(e.value) == message
    assert isinstance(e.value, OSError)
    code, message = cli_error("train", "--C", "0", "--corpus", "tsv:" + data["tsv"], "--out", str(out), "-q")
    with pytest.raises(textlrp.UsageError) as e:
        textlrp.train("tsv:" + data["tsv"], C=0, out=out)
    assert str(e.value) == message
    with pytest.raises(textlrp.FormatError, match="fewer than two labels"):
        textlrp.train((TEXTS, ["spam"] * len(TEXTS)), out=out)
    with pytest.raises(textlrp.UsageError, match="12 texts but 3 labels"):
        textlrp.train((TEXTS, LABELS[:3]), out=out)
    with pytest.raises(textlrp.UsageError, match="--epochs: 0 is not 1 or more"):
        textlrp.train((TEXTS, LABELS), arch="cnn", epochs=0, out=out)
    with pytest.raises(TypeError):
        textlrp.train((TEXTS, LABELS), arch="cnn", epochs="3", out=out)
    # Absurd sizes: the library's usage error naming the flag, the limit and the value (dim=10**12 was
    # a MemoryError), the CLI's message; sizes within their limits whose product is too large too.
    for arch, key, value in (("cnn", "dim", 10 ** 12), ("bilstm", "dim", 10 ** 12), ("cnn", "filters", 10 ** 12),
                             ("bilstm", "hidden", 10 ** 12), ("cnn", "kernel_sizes", [2, 10 ** 9]),
                             ("cnn", "epochs", 10 ** 9)):
        flag = "--" + key.replace("_", "-")
        cli_value = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        code, message = cli_error("train", "--arch", arch, flag, cli_value, "--corpus", "tsv:" + data["tsv"], "--out",
                                  str(out), "-q")
        with pytest.raises(textlrp.UsageError) as e:
            textlrp.train((TEXTS, LABELS), arch=arch, out=out, quiet=True, **{key: value})
        limit = message.rsplit("(at most ", 1)[-1].rstrip(")")
        assert 0 < int(limit) < 10 ** 9, message
        assert code == 2 and str(e.value) == message == "{}: {} is out of range (at most {})".format(
            flag, 10 ** 9 if key == "kernel_sizes" else value, limit), message
    with pytest.raises(textlrp.UsageError, match=r"the LSTM gates: 8 x --hidden 10000 x \(10000 dimensions \+ 10000 "
                                                 r"\+ 1\) = 1600080000 parameters: more than the limit of 1000000000"):
        textlrp.train((TEXTS, LABELS), arch="bilstm", dim=10000, hidden=10000, out=out, quiet=True)
    with pytest.raises(textlrp.UsageError, match=r"--seed: 2\*\*64 is out of range|--seed: 18446744073709551616 is out"):
        textlrp.train((TEXTS, LABELS), seed=2 ** 64, out=out)
    # An empty label is no label (the CLI: "expected a label before the tab").
    with pytest.raises(textlrp.FormatError, match="document '2' has no label"):
        textlrp.train((TEXTS, [LABELS[0], ""] + LABELS[2:]), out=out)
    with pytest.raises(TypeError):
        textlrp.train(None)
    with pytest.raises(TypeError):
        textlrp.train([1, 2, 3])
    # Word vectors: shape, count, values, words.
    kw = dict(CNN_KW, out=out)
    with pytest.raises(textlrp.UsageError, match=r"expected an \(N, D\) array"):
        textlrp.train((TEXTS, LABELS), embeddings=(WORDS, VECTORS[0]), **kw)
    with pytest.raises(textlrp.UsageError, match="5 words but 4 vector rows"):
        textlrp.train((TEXTS, LABELS), embeddings=(WORDS, VECTORS[:4]), **kw)
    bad = VECTORS.copy()
    bad[1, 2] = np.nan
    with pytest.raises(textlrp.UsageError, match=r"row 1 \('Prize'\), column 2: expected a finite number, found nan"):
        textlrp.train((TEXTS, LABELS), embeddings=(WORDS, bad), **kw)
    with pytest.raises(textlrp.UsageError, match="word 4 'free' repeats word 0"):
        textlrp.train((TEXTS, LABELS), embeddings=(WORDS[:4] + ["free"], VECTORS), **kw)
    with pytest.raises(TypeError):
        textlrp.train((TEXTS, LABELS), embeddings=(WORDS, np.array([["a"] * 3] * 5)), **kw)
    with pytest.raises(TypeError):
        textlrp.train((TEXTS, LABELS), embeddings=VECTORS, **kw)
    assert not out.exists()


@pytest.mark.parametrize("stop", [RuntimeError, KeyboardInterrupt])
def test_an_exception_in_progress_stops_the_training(tmp_path, stop):
    seen = []

    def progress(e):
        seen.append(e)
        if e["event"] == "batch":
            raise stop("stop here")

    out = tmp_path / "m"
    with pytest.raises(stop, match="stop here"):
        textlrp.train((TEXTS, LABELS), out=out, progress=progress, quiet=True, **CNN_KW)
    assert seen[-1]["event"] == "batch" and seen[-1]["epoch"] == 1
    assert not out.exists()
    # The interpreter and the library are fine afterwards.
    assert textlrp.train((TEXTS, LABELS), out=out, quiet=True, **CNN_KW).labels == ["ham", "spam"]


def test_ctrl_c_interrupts_the_training(tmp_path):
    import _thread
    import threading
    import time

    # SIGINT's flag set while the library trains (GIL released): KeyboardInterrupt at the next batch.
    timer = threading.Timer(0.2, _thread.interrupt_main)
    out = tmp_path / "m"
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            textlrp.train((TEXTS * 20, LABELS * 20), out=out, quiet=True, **dict(CNN_KW, epochs=100000, patience=100000))
    finally:
        timer.cancel()
    assert time.monotonic() - start < 30
    assert not out.exists()


# ---- analyses -----------------------------------------------------------------------------------


def read_tsv(path):
    """A docvec/pca TSV: weighting -> (ids, labels, predictions, matrix)."""
    out = {}
    with open(path) as f:
        next(f)
        for line in f:
            c = line.rstrip("\n").split("\t")
            ids, labels, preds, rows = out.setdefault(c[4], ([], [], [], []))
            ids.append(c[0])
            labels.append(c[1])
            preds.append(c[2])
            rows.append([float(x) for x in c[5:]])
    return {w: (i, l, p, np.array(r)) for w, (i, l, p, r) in out.items()}


def test_docvec_with_word_vectors_from_numpy(data, tmp_path):
    # The BoW/SVM has no embedding matrix: docvec takes word vectors, as a file or from NumPy.
    run("train", "--corpus", "tsv:" + data["tsv"], "--out", str(tmp_path / "svm"), "-q")
    rng = np.random.default_rng(1)
    words = sorted({w for t in TEXTS for w in t.split()})
    vectors = rng.standard_normal((len(words), 4)).astype(np.float32)
    vec = tmp_path / "v.vec"
    vec.write_text("{} 4\n".format(len(words)) + "".join(
        w + " " + " ".join("{:.9g}".format(x) for x in row) + "\n" for w, row in zip(words, vectors)))
    tsv = str(tmp_path / "dv.tsv")
    run("docvec", "--model", str(tmp_path / "svm"), "--corpus", "tsv:" + data["tsv"], "--embeddings", str(vec),
        "--weighting", "lrp", "--weighting", "uniform", "-o", tsv, "-q")
    cli = read_tsv(tsv)
    m = textlrp.load(tmp_path / "svm")
    for arrays in ((words, vectors), (words, vectors.astype(np.float64))):
        got = textlrp.docvec(m, TEXTS, weighting=["lrp", "uniform"], embeddings=arrays)
        for w in ("lrp", "uniform"):
            np.testing.assert_allclose(got[w], cli[w][3], rtol=2e-6, atol=1e-7, err_msg=w)
    np.testing.assert_array_equal(textlrp.docvec(m, TEXTS, embeddings=str(vec)), got["lrp"])


def test_docvec_word_vectors_from_numpy_equal_the_file_exactly_without_a_temporary_file(data, tmp_path,
                                                                                         monkeypatch):
    # A model that keeps case ("Prize" and "prize" are two words). The vectors: exact matches, matches
    # by case folding, and "CLAIM", whose folding no vocabulary word has ("Claim" only): a file's rows
    # are kept for the vocabulary as the reader keeps them, and so are the array's.
    texts = [t.replace("claim", "Claim").replace("free prize", "Free Prize") for t in TEXTS]
    svm = textlrp.train((texts, LABELS), out=tmp_path / "svm", lowercase=False, quiet=True)
    words = ["free", "PRIZE", "meeting", "LUNCH", "CLAIM", "Tomorrow", "zzz"]
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((len(words), 5)).astype(np.float32)
    vec = tmp_path / "v.vec"
    vec.write_text("{} 5\n".format(len(words)) + "".join(
        w + " " + " ".join("{:.9g}".format(x) for x in row) + "\n" for w, row in zip(words, vectors)))
    weightings = ["lrp", "uniform", "tfidf", "occlusion"]
    want = textlrp.docvec(svm, texts, weighting=weightings, embeddings=str(vec))
    assert any(np.any(x != 0) for x in want.values())

    def no_temporary_file(*args, **kwargs):
        raise AssertionError("docvec wrote a temporary file")

    import tempfile
    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, no_temporary_file)
    # float32 (read in place), float64 and a non-contiguous float32 array (converted once).
    for array in (vectors, vectors.astype(np.float64), np.asfortranarray(vectors), vectors.tolist()):
        got = textlrp.docvec(svm, texts, weighting=weightings, embeddings=(words, array))
        assert list(got) == weightings
        for w in weightings:
            np.testing.assert_array_equal(got[w], want[w], err_msg=w)


def test_docvec_pca_epi_equal_the_cli(data, tmp_path):
    m = textlrp.load(data["cnn"])
    tsv = str(tmp_path / "dv.tsv")
    run("docvec", "--model", data["cnn"], "--corpus", "tsv:" + data["tsv"], "--weighting", "lrp", "--weighting",
        "uniform", "--weighting", "tfidf", "--weighting", "sa", "-o", tsv, "-q")
    cli = read_tsv(tsv)
    got = textlrp.docvec(m, TEXTS, weighting=["lrp", "uniform", "tfidf", "sa"], labels=LABELS, threads=2)
    assert list(got) == ["lrp", "uniform", "tfidf", "sa"]
    for w, X in got.items():
        assert X.shape == (12, 6) and X.dtype == np.float64
        np.testing.assert_allclose(X, cli[w][3], rtol=2e-6, atol=1e-9, err_msg=w)
    X = textlrp.docvec(m, TEXTS)  # one weighting: the array
    np.testing.assert_array_equal(X, got["lrp"])
    full = textlrp.docvec(m, TEXTS, labels=LABELS, weighting=["lrp"], full=True)["lrp"]
    assert full["predictions"] == cli["lrp"][2] and full["labels"] == LABELS
    # Pre-tokenized documents give the vectors of their text.
    np.testing.assert_allclose(textlrp.docvec(m, [t.split() for t in TEXTS]), X, rtol=1e-12)

    # pca and epi of the CLI's vectors (the TSV's numbers) equal `textlrp pca` / `textlrp epi`.
    pca_json = json.loads(run("pca", "--vectors", tsv, "-k", "2", "-q", "-o", str(tmp_path / "p.tsv")).stdout)
    projections = read_tsv(tmp_path / "p.tsv")
    epi_json = json.loads(run("epi", "--vectors", tsv, "--k-max", "4", "--folds", "3", "-q").stdout)
    for w in ("lrp", "uniform", "tfidf", "sa"):
        p = textlrp.pca(cli[w][3], k=2)
        s = next(s for s in pca_json["sets"] if s["weighting"] == w)
        np.testing.assert_allclose(p["variance"], s["variance"], rtol=1e-12)
        np.testing.assert_allclose(p["explained_variance_ratio"], s["explained_variance_ratio"], rtol=1e-12)
        np.testing.assert_allclose(p["projection"], projections[w][3], rtol=2e-6, atol=1e-7)
        assert p["components"].shape == (2, 6) and p["mean"].shape == (6,)
        e = textlrp.epi(cli[w][3], LABELS, k=4, folds=3)
        r = next(r for r in epi_json["rows"] if r["weighting"] == w)
        assert e["best_k"] == r["best_k"] and e["documents"] == r["documents"] == 12
        assert round(e["epi"], 6) == r["epi"]
        np.testing.assert_allclose(e["accuracy"], r["accuracy"], atol=5e-7)


def test_deletion_and_topwords_equal_the_cli(data):
    m = textlrp.load(data["cnn"])
    j = json.loads(run("deletion", "--model", data["cnn"], "--corpus", "tsv:" + data["tsv"], "--methods",
                       "lrp,sa,occlusion,random", "--max-delete", "3", "--random-seeds", "2", "-q").stdout)
    d = textlrp.deletion(m, TEXTS, LABELS, methods=["lrp", "sa", "occlusion", "random"], max_delete=3, random_seeds=2)
    assert d["documents"] == j["documents"] and d["correct"] == j["correct"] and d["deletion"] == j["deletion"]
    assert list(d["methods"]) == list(j["methods"])
    for name, c in j["methods"].items():
        got = d["methods"][name]
        np.testing.assert_allclose(got["accuracy"], c["accuracy"], atol=5e-7)
        assert round(got["aopc"], 6) == c["aopc"]
        np.testing.assert_allclose(got["misclassified"]["accuracy"], c["misclassified"]["accuracy"], atol=5e-7)
        assert round(got["misclassified"]["aopc"], 6) == c["misclassified"]["aopc"]
    # "lrp,sa" as on the command line.
    assert list(textlrp.deletion(m, TEXTS, LABELS, methods="lrp,sa", max_delete=2)["methods"]) == ["lrp", "sa"]

    for flags, kw in (([], {}), (["--negative", "--rank", "mean", "-n", "3"], dict(negative=True, rank="mean",
                                                                                   per_class=3))):
        j = json.loads(run("topwords", "--model", data["cnn"], "--corpus", "tsv:" + data["tsv"], "-q", *flags).stdout)
        t = textlrp.topwords(m, TEXTS, LABELS, **kw)
        assert t["documents"] == j["documents"] == 12
        assert list(t["classes"]) == list(j["classes"])
        for label, c in j["classes"].items():
            got = t["classes"][label]
            assert got["documents"] == c["documents"]
            for part in ("top", "bottom"):
                assert (part in got) == (part in c)
                if part not in c:
                    continue
                assert [w["word"] for w in got[part]] == [w["word"] for w in c[part]]
                for a, b in zip(got[part], c[part]):
                    assert round(a["sum"], 6) == b["sum"] and round(a["mean"], 6) == b["mean"]
                    assert (a["occurrences"], a["documents"]) == (b["occurrences"], b["documents"])
    # From explanations (each explained for its true label) too.
    ex = [m.explain(t, target="true", label=l) for t, l in zip(TEXTS, LABELS)]
    assert textlrp.topwords(None, ex) == textlrp.topwords(m, TEXTS, LABELS)


def test_analysis_errors_are_the_clis(data, tmp_path):
    m = textlrp.load(data["cnn"])
    code, message = cli_error("docvec", "--model", data["cnn"], "--corpus", "tsv:" + data["tsv"], "--weighting",
                              "bogus", "-q", "-o", str(tmp_path / "x.tsv"))
    with pytest.raises(textlrp.UsageError) as e:
        textlrp.docvec(m, TEXTS, weighting="bogus")
    assert code == 2 and str(e.value) == message
    svm = textlrp.train((TEXTS, LABELS), quiet=True)
    run("train", "--corpus", "tsv:" + data["tsv"], "--out", str(tmp_path / "svm"), "-q")
    code, message = cli_error("docvec", "--model", str(tmp_path / "svm"), "--corpus", "tsv:" + data["tsv"], "-q",
                              "-o", str(tmp_path / "x.tsv"))
    with pytest.raises(textlrp.UsageError) as e:
        textlrp.docvec(svm, TEXTS)
    assert str(e.value) == message.replace("'svm'", "'model'")
    with pytest.raises(textlrp.IoError):
        textlrp.docvec(svm, TEXTS, embeddings=tmp_path / "missing.vec")
    # In-memory vectors are checked by the library (no file in between: a word may hold a space).
    with pytest.raises(textlrp.UsageError, match=r"embeddings <array 2 x 3>: word 1 'a b' repeats word 0"):
        textlrp.docvec(svm, TEXTS, embeddings=(["a b", "a b"], VECTORS[:2]))
    with pytest.raises(textlrp.UsageError, match=r"word 1 is empty"):
        textlrp.docvec(svm, TEXTS, embeddings=(["a", ""], VECTORS[:2]))
    bad = VECTORS[:2].copy()
    bad[1, 2] = np.nan
    with pytest.raises(textlrp.UsageError, match=r"row 1 \('c'\), column 2: expected a finite number, found nan"):
        textlrp.docvec(svm, TEXTS, embeddings=(["a b", "c"], bad))
    with pytest.raises(textlrp.UsageError, match="--embeddings FILE and in-memory word vectors"):
        textlrp._textlrp.document_vectors(svm._m, TEXTS, [None] * 12, [None] * 12, [], ["lrp"], "x.vec", ["a"],
                                          np.ones((1, 2), np.float32), "m", "", 32, 1)
    with pytest.raises(TypeError):
        textlrp.docvec(m, "one text, not a list")
    with pytest.raises(TypeError):
        textlrp.docvec(m, [1, 2])
    with pytest.raises(textlrp.UsageError, match="12 texts but 1 labels"):
        textlrp.docvec(m, TEXTS, labels=["spam"])
    # deletion: every document needs a label of the model.
    with pytest.raises(TypeError, match="labels= is needed"):
        textlrp.deletion(m, TEXTS, None)
    with pytest.raises(textlrp.FormatError):
        textlrp.deletion(m, TEXTS[:2], ["spam", "eggs"])
    with pytest.raises(textlrp.UsageError):
        textlrp.deletion(m, TEXTS, LABELS, methods=["bogus"])
    # pca / epi: shapes, values, classes.
    X = textlrp.docvec(m, TEXTS)
    with pytest.raises(textlrp.UsageError, match=r"pca: components must be in 1\.\.6"):
        textlrp.pca(X, k=7)
    with pytest.raises(textlrp.UsageError, match="--components: 0 is not 1 or more"):
        textlrp.pca(X, k=0)
    with pytest.raises(textlrp.UsageError, match="--components: 10000000000000000000000 is out of range"):
        textlrp.pca(X, k=10 ** 22)
    with pytest.raises(textlrp.UsageError, match="pca: needs at least two rows"):
        textlrp.pca(X[:1])
    with pytest.raises(textlrp.UsageError, match="expected a 2-D array"):
        textlrp.pca(X[0])
    bad = X.copy()
    bad[2, 3] = np.inf
    with pytest.raises(textlrp.UsageError, match="row 3, column 4: expected a finite number"):
        textlrp.pca(bad)
    with pytest.raises(TypeError):
        textlrp.pca([["a", "b"], ["c", "d"]])
    # Degenerate labels: what was found and what is needed (was "the  vectors of model ''").
    need = "; the explanatory power index needs labelled documents of at least two classes"
    with pytest.raises(textlrp.FormatError) as e:
        textlrp.epi(X, ["spam"] * 12)
    assert str(e.value) == "epi: all 12 labelled documents are of class 'spam'" + need
    with pytest.raises(textlrp.FormatError) as e:
        textlrp.epi(X, ["ham"] * 10 + [None, None])
    assert str(e.value) == "epi: all 10 labelled documents are of class 'ham' (2 more without a label)" + need
    with pytest.raises(textlrp.FormatError) as e:
        textlrp.epi(X, [None] * 12)
    assert str(e.value) == "epi: none of the 12 documents has a label" + need
    with pytest.raises(textlrp.UsageError) as e:
        textlrp.epi(X[:6], LABELS[:6], folds=10)
    assert str(e.value) == ("epi: 6 labelled documents for --folds 10: the cross-validation needs at least one "
                            "document per fold (--folds 6 or fewer)")
    # The CLI says the same of the same vectors, naming the weighting, the model and the file.
    one = tmp_path / "one.tsv"
    one.write_text("id\tlabel\tprediction\tmodel\tweighting" + "".join("\tv{}".format(j + 1) for j in range(6))
                   + "\n" + "".join("{}\tspam\tspam\tcnn\tlrp\t{}\n".format(i + 1, "\t".join(repr(v) for v in row))
                                    for i, row in enumerate(X)))
    code, message = cli_error("epi", "--vectors", str(one))
    assert code == 1 and message == "epi: the lrp vectors of model 'cnn' in {}: all 12 labelled documents are of " \
        "class 'spam'{}".format(one, need)
    with pytest.raises(textlrp.UsageError, match="epi: 12 rows but 2 labels"):
        textlrp.epi(X, ["spam", "ham"])
    with pytest.raises(textlrp.UsageError):
        textlrp.epi(X, LABELS, distance="manhattan")
    with pytest.raises(textlrp.UsageError):
        textlrp.topwords(m, TEXTS, LABELS, rank="median")
    with pytest.raises(TypeError):
        textlrp.topwords(m, TEXTS, LABELS, per_class="3")


# ---- from_torch(embeddings=) ----------------------------------------------------------------------


def test_from_torch_embeddings_from_numpy(tmp_path):
    sd = h.cnn_state_dict()
    full = textlrp.from_torch(sd, arch="cnn", vocab=h.VOCAB, labels=["ham", "spam"], name="cnn")
    rest = {k: v for k, v in sd.items() if k != "embedding.weight"}
    emb = np.asarray(sd["embedding.weight"], dtype=np.float64)
    for m in (textlrp.from_torch(rest, arch="cnn", vocab=h.VOCAB, labels=["ham", "spam"], name="cnn", embeddings=emb),
              textlrp.from_torch(rest, arch="cnn", embeddings=(h.VOCAB, emb), labels=["ham", "spam"], name="cnn")):
        for text in ("WIN free money now", "meeting at noon", ""):
            assert m.explain(text).to_dict() == full.explain(text).to_dict()
    with pytest.raises(textlrp.UsageError, match="has embedding.weight too"):
        textlrp.from_torch(sd, arch="cnn", vocab=h.VOCAB, embeddings=emb)
    with pytest.raises(textlrp.UsageError, match=r"expected a \[V x E\] array"):
        textlrp.from_torch(rest, arch="cnn", vocab=h.VOCAB, embeddings=emb[0])
    with pytest.raises(textlrp.UsageError, match="are not the vocab= tokens"):
        textlrp.from_torch(rest, arch="cnn", vocab=h.VOCAB, embeddings=(h.VOCAB[::-1], emb))
    with pytest.raises(textlrp.FormatError):  # rows != vocabulary size: the importer's shape check
        textlrp.from_torch(rest, arch="cnn", vocab=h.VOCAB, embeddings=emb[:-1])
    with pytest.raises(TypeError):
        textlrp.from_torch(rest, arch="cnn", vocab=None)
