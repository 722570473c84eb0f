"""Helpers of the Dask, notebook and from_torch tests: a small CNN model directory made by the CLI
(`textlrp import pytorch` of seeded NumPy weights written as safetensors: no torch needed), a small
corpus, and the CLI's explain output to compare with."""

import json
import os
import struct
import subprocess

import numpy as np

TEXTLRP = os.environ.get("TEXTLRP", "textlrp")
SOURCE_DIR = os.environ.get("TEXTLRP_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

VOCAB = ["<unk>", "free", "win", "money", "prize", "now", "meeting", "lunch", "project", "monday", "thanks",
         "call", "today", "offer", "team", "the", "a", "at", "for", "noon"]


def write_safetensors(path, tensors):
    """A safetensors file of float32 tensors (name -> ndarray), in name order, as the Python writer does."""
    header = {}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def cnn_state_dict(seed=3, n_vocab=len(VOCAB), n_embd=6, widths=(1, 2), n_filters=4, n_classes=2):
    """Seeded weights in the PyTorch CNN layout `textlrp import pytorch --arch cnn` reads."""
    rng = np.random.default_rng(seed)
    sd = {"embedding.weight": rng.normal(0, 1, (n_vocab, n_embd))}
    for i, k in enumerate(widths):
        sd["convs.{}.weight".format(i)] = rng.normal(0, 0.5, (n_filters, n_embd, k))
        sd["convs.{}.bias".format(i)] = rng.normal(0, 0.1, (n_filters,))
    sd["fc.weight"] = rng.normal(0, 0.5, (n_classes, n_filters * len(widths)))
    sd["fc.bias"] = rng.normal(0, 0.1, (n_classes,))
    return {k: v.astype(np.float32) for k, v in sd.items()}


def write_vocab(path, vocab=VOCAB):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in vocab))


def import_pytorch(tmp, arch, state_dict, out_name, labels=("ham", "spam"), extra=()):
    """`textlrp import pytorch` of `state_dict` (written to TMP/weights-OUT.safetensors) into TMP/OUT_NAME."""
    tmp = str(tmp)
    weights = os.path.join(tmp, "weights-{}.safetensors".format(out_name))
    vocab = os.path.join(tmp, "vocab-{}.txt".format(out_name))
    write_safetensors(weights, state_dict)
    write_vocab(vocab)
    out = os.path.join(tmp, out_name)
    cmd = [TEXTLRP, "import", "pytorch", "--arch", arch, "--weights", weights, "--vocab", vocab, "--out", out, "-q"]
    if labels:
        cmd += ["--labels", ",".join(labels)]
    subprocess.run(cmd + list(extra), check=True)
    return out


def make_cnn_model(tmp):
    return import_pytorch(tmp, "cnn", cnn_state_dict(), "cnn")


def corpus_lines(n=40):
    """n documents (some out of vocabulary, some empty-looking) with blank lines between some of them."""
    words = VOCAB[1:] + ["zebra", "Caf\u00e9", "\u65e5\u672c", "WIN!!!"]
    rng = np.random.default_rng(7)
    lines = []
    for i in range(n):
        k = int(rng.integers(1, 12))
        lines.append(" ".join(words[int(j)] for j in rng.integers(0, len(words), k)))
        if i % 9 == 4:
            lines.append("")  # a blank line: skipped by the readers, its number kept
    return lines


def write_text_corpus(path, n=40):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in corpus_lines(n)))
    return path


def cli_explain(model, input_path, *extra):
    """`textlrp explain --model MODEL --input INPUT EXTRA...` stdout (bytes)."""
    return subprocess.run([TEXTLRP, "explain", "--model", model, "--input", input_path, "-q", "--threads", "1"]
                          + list(extra), check=True, stdout=subprocess.PIPE).stdout
