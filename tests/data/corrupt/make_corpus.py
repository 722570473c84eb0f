#!/usr/bin/env python3
"""Writes the corruption corpus: malformed inputs for every reader, and cases.tsv.

Run from anywhere: python3 tests/data/corrupt/make_corpus.py. The files are committed; this script
documents how each was made and rebuilds them bit for bit. tests/cli/cli_corrupt.sh feeds each
file to the command named in cases.tsv and requires exit 1 and a one-line message on stderr that
names the file and matches the expected pattern (usually the position and the problem).

cases.tsv columns: file, kind, expected (an extended regular expression, grep -E).
kind says how the file is read:
  safetensors      textlrp import pytorch --arch cnn --weights FILE --vocab vocab-ok.txt
  model-weights    FILE as model.safetensors of a trained toy CNN model directory, then predict
  model-config     FILE as config.json of the toy CNN model directory
  model-vocab      FILE as vocab.txt of the toy CNN model directory
  vectors          textlrp embeddings inspect FILE
  jsonl            textlrp predict --input FILE (JSONL documents)
  sst              textlrp predict --corpus sst:FILE
  tsv              textlrp predict --corpus tsv:FILE
  spm              textlrp tokenizer encode --model FILE
  explanations     textlrp validate --explanations FILE
  npy              textlrp import arras-bilstm --embeddings FILE (weights from arras-mini/)
"""
import json
import math
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
cases = []


def write(name, data, kind, expected):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    cases.append((name, kind, expected))


# ---------------------------------------------------------------- safetensors (PyTorch CNN import)
# A valid tiny CNN in PyTorch layout: V=4 words, E=3, F=2 filters of width 2, C=2 classes.
def f32(values):
    return struct.pack("<%df" % len(values), *values)


def tensors_ok():
    return [
        ("embedding.weight", "F32", [4, 3], f32([0.1 * i for i in range(12)])),
        ("conv.weight", "F32", [2, 3, 2], f32([0.05 * i - 0.2 for i in range(12)])),
        ("conv.bias", "F32", [2], f32([0.01, -0.02])),
        ("fc.weight", "F32", [2, 2], f32([1.0, -1.0, -0.5, 0.5])),
        ("fc.bias", "F32", [2], f32([0.0, 0.1])),
    ]


def safetensors(tensors, header_extra=None, raw_header=None):
    header, data, off = {}, b"", 0
    for name, dtype, shape, blob in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(blob)]}
        data += blob
        off += len(blob)
    if header_extra:
        header.update(header_extra)
    h = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


good = safetensors(tensors_ok())
hlen = struct.unpack("<Q", good[:8])[0]
write("safetensors/empty.safetensors", b"", "safetensors", "empty|8 bytes|header length")
write("safetensors/trunc-in-length.safetensors", good[:5], "safetensors", "byte|header length|8 bytes")
write("safetensors/trunc-in-header.safetensors", good[: 8 + hlen // 2], "safetensors", "header|byte")
write("safetensors/trunc-at-data-start.safetensors", good[: 8 + hlen], "safetensors", "data|byte|offset")
write("safetensors/trunc-in-data.safetensors", good[:-7], "safetensors", "data|byte|offset")
write("safetensors/lying-header-length.safetensors", struct.pack("<Q", 10**6) + good[8:], "safetensors",
      "header length|byte|exceeds|larger")
write("safetensors/huge-header-length.safetensors", struct.pack("<Q", 2**63 + 5) + good[8:], "safetensors",
      "header length|byte|exceeds|larger")
write("safetensors/zero-header-length.safetensors", struct.pack("<Q", 0) + good[8:], "safetensors",
      "header|JSON|empty")
write("safetensors/header-not-json.safetensors", safetensors([], raw_header=b"{not json at all}"), "safetensors",
      "JSON|byte")
write("safetensors/header-array.safetensors", safetensors([], raw_header=b"[1, 2, 3]"), "safetensors",
      "object")
dup = good[8: 8 + hlen].decode()
first = dup.index('"conv.bias"')
dup_header = dup[:-1] + ', "conv.bias": ' + dup[first + len('"conv.bias": '): dup.index("}", first) + 1] + "}"
write("safetensors/duplicate-name.safetensors",
      struct.pack("<Q", len(dup_header)) + dup_header.encode() + good[8 + hlen:], "safetensors",
      "duplicate|conv.bias")
t = tensors_ok()
t[1] = ("conv.weight", "F12", [2, 3, 2], t[1][3])
write("safetensors/unknown-dtype.safetensors", safetensors(t), "safetensors", "dtype|F12")
t = tensors_ok()
t[0] = ("embedding.weight", "F32", [4, 4], t[0][3])  # 16 floats claimed, 12 stored
write("safetensors/shape-size-mismatch.safetensors", safetensors(t), "safetensors", "embedding.weight")
t = tensors_ok()
t[2] = ("conv.bias", "F32", [-2], t[2][3])
write("safetensors/negative-shape.safetensors", safetensors(t), "safetensors", "conv.bias|shape")
raw = json.loads(good[8: 8 + hlen])
raw["fc.bias"]["data_offsets"] = [raw["fc.bias"]["data_offsets"][0], 10**6]
body = json.dumps(raw).encode()
write("safetensors/offset-beyond-data.safetensors", struct.pack("<Q", len(body)) + body + good[8 + hlen:],
      "safetensors", "fc.bias")
raw = json.loads(good[8: 8 + hlen])
raw["conv.bias"]["data_offsets"] = [raw["conv.weight"]["data_offsets"][0], raw["conv.weight"]["data_offsets"][0] + 8]
body = json.dumps(raw).encode()
write("safetensors/overlapping-offsets.safetensors", struct.pack("<Q", len(body)) + body + good[8 + hlen:],
      "safetensors", "overlap|conv")
t = tensors_ok()
t[3] = ("fc.weight", "F32", [2, 2], f32([1.0, float("nan"), -0.5, 0.5]))
write("safetensors/nan-weight.safetensors", safetensors(t), "safetensors", "fc.weight.*(NaN|finite)|(NaN|finite).*fc.weight")
t = tensors_ok()
t[0] = ("embedding.weight", "I32", [4, 3], struct.pack("<12i", *range(12)))
write("safetensors/wrong-dtype.safetensors", safetensors(t), "safetensors", "embedding.weight.*I32|I32.*embedding.weight")
write("safetensors/missing-tensor.safetensors", safetensors(tensors_ok()[:-1]), "safetensors", "missing.*fc.bias")
t = tensors_ok()
t[1] = ("conv.weight", "F32", [2, 6], t[1][3])
write("safetensors/wrong-rank.safetensors", safetensors(t), "safetensors", "conv.weight")
write("safetensors/unexpected-tensor.safetensors",
      safetensors(tensors_ok() + [("decoder.weight", "F32", [1], f32([1.0]))]), "safetensors",
      "unexpected.*decoder.weight")
with open(os.path.join(HERE, "cnn-ok.safetensors"), "wb") as f:  # the valid file the others break
    f.write(good)
with open(os.path.join(HERE, "vocab-ok.txt"), "w") as f:
    f.write("<unk>\ngood\nbad\nmovie\n")

# The same kind of damage inside a model directory (the toy CNN's own weights are made by the test).
write("model/weights-empty.safetensors", b"", "model-weights", "model.safetensors")
write("model/weights-garbage.safetensors", b"\x00\x01garbage" * 10, "model-weights", "model.safetensors")
write("model/config-not-json.json", '{"format": "textlrp-model", "architecture": ', "model-config",
      "config.json.*(JSON|byte|line)")
write("model/config-array.json", "[1, 2]", "model-config", "config.json")
write("model/config-bad-version.json", json.dumps({"format": "textlrp-model", "format_version": 99}), "model-config",
      "config.json.*format_version")
write("model/vocab-duplicate.txt", "<unk>\ngood\nbad\ngood\n", "model-vocab", "vocab.txt.*(line 4|:4).*duplicate|vocab.txt:4")
write("model/vocab-invalid-utf8.txt", b"<unk>\ngood\nb\xffd\n", "model-vocab", "vocab.txt.*(line 3|:3)|vocab.txt:3")
write("model/vocab-empty-line.txt", "<unk>\ngood\n\nbad\n", "model-vocab", "vocab.txt.*(line 3|:3)|vocab.txt:3")

# ---------------------------------------------------------------- word vectors
write("vectors/empty.vec", b"", "vectors", "empty")
write("vectors/lying-count.vec", "5 3\ngood 0.1 0.2 0.3\nbad 0.4 0.5 0.6\n", "vectors", "5 words|claims")
write("vectors/short-row.vec", "3 3\ngood 0.1 0.2 0.3\nbad 0.4 0.5\nmovie 0.7 0.8 0.9\n", "vectors",
      "(line 3|:3)")
write("vectors/not-a-number.vec", "2 3\ngood 0.1 0.2 0.3\nbad 0.4 zero 0.6\n", "vectors", "(line 3|:3).*zero|zero.*(line 3|:3)")
write("vectors/nan.vec", "2 3\ngood 0.1 nan 0.3\nbad 0.4 0.5 0.6\n", "vectors", "(line 2|:2)")
write("vectors/duplicate-word.vec", "3 3\ngood 0.1 0.2 0.3\nbad 0.4 0.5 0.6\ngood 0.7 0.8 0.9\n", "vectors",
      "duplicate.*good|good.*duplicate")
write("vectors/huge-dim.vec", "2 999999999999\ngood 0.1 0.2 0.3\n", "vectors", "999999999999|dim")
# (A word that is not valid UTF-8 is no corruption: it is decoded as Latin-1 with a warning; see
# tests/cli/cli_input.sh. A control byte in a word is an error in every mode.)
write("vectors/control-byte-word.vec", b"2 3\ng\x01od 0.1 0.2 0.3\nbad 0.4 0.5 0.6\n", "vectors",
      "(line 2|:2).*control byte 0x01")
binary = b"2 3\n" + b"good " + f32([0.1, 0.2, 0.3]) + b"\n" + b"bad " + f32([0.4, 0.5, 0.6]) + b"\n"
write("vectors/binary-truncated-row.bin", binary[:-6], "vectors", "byte")
write("vectors/binary-huge-count.bin", b"1099511627776 3\n" + binary[4:], "vectors", "1099511627776|claims")
write("vectors/glove-ragged.txt", "good 0.1 0.2 0.3\nbad 0.4 0.5\n", "vectors", "(line 2|:2)")
write("vectors/glove-inf.txt", "good 0.1 0.2 0.3\nbad 0.4 inf 0.6\n", "vectors", "(line 2|:2)")

# ---------------------------------------------------------------- corpora and JSONL input
write("input/broken-json.jsonl", '{"text": "fine"}\n{"text": "also fine"}\n{"text": "broken\n', "jsonl",
      "(:3|line 3)")
write("input/tokens-not-strings.jsonl", '{"tokens": ["good", 3]}\n', "jsonl", "(:1|line 1).*tokens")
write("input/invalid-utf8.jsonl", b'{"text": "fine"}\n{"text": "caf\xe9"}\n', "jsonl", "(:2|line 2).*UTF-8")
write("input/array-line.jsonl", '{"text": "fine"}\n[1, 2, 3]\n', "jsonl", "(:2|line 2).*object")
write("input/sst-unbalanced.txt", "(3 (2 good) (3 movie))\n(4 (2 great) (4 film)\n", "sst", "(:2|line 2)")
write("input/sst-bad-label.txt", "(3 (2 good) (3 movie))\n(3 (7 great) (4 film))\n", "sst", ":2:5: expected a sentiment label 0..4")
write("input/sst-not-a-tree.txt", "just some words without brackets\n", "sst", "(:1|line 1)")
write("input/tsv-no-tab.tsv", "pos\tgood movie\nthis line has no tab\n", "tsv", "(:2|line 2)")
write("input/tsv-invalid-utf8.tsv", b"pos\tgood movie\nneg\tb\xe4d film\n", "tsv", "(:2|line 2).*UTF-8")

# ---------------------------------------------------------------- sentencepiece models
write("spm/garbage.model", b"\x0a\xff\xff\xff\xff\x0fnot a model" * 3, "spm", "model")
write("spm/empty.model", b"", "spm", "model|empty")

# ---------------------------------------------------------------- explanations JSONL
expl = {"schema": 1, "id": "1", "model": "m", "method": "lrp", "rule": "epsilon(1e-06)", "target": "pos",
        "prediction": "pos", "label": None, "scores": {"pos": 1.0, "neg": -1.0}, "score": 1.0, "text": "good movie",
        "tokens": [{"text": "good", "begin": 0, "end": 4, "relevance": 0.7},
                   {"text": "movie", "begin": 5, "end": 11, "relevance": 0.3}],
        "relevance_sum": 1.0, "bias_relevance": 0.0, "truncated": False}
write("explanations/span-beyond-text.jsonl", json.dumps(expl) + "\n", "explanations", "(:1|line 1).*(span|end|11)")
write("explanations/not-json.jsonl", "{\"schema\": 1,\n", "explanations", "(:1|line 1)")
write("explanations/number-overflow.jsonl", "{\"schema\": 1, \"score\": 1e999}\n", "explanations", "(:1|line 1).*(JSON|number)")

with open(os.path.join(HERE, "cases.tsv"), "w") as f:
    f.write("# file\tkind\texpected (grep -E); written by make_corpus.py\n")
    for name, kind, expected in cases:
        f.write(f"{name}\t{kind}\t{expected}\n")
print(f"{len(cases)} cases")
