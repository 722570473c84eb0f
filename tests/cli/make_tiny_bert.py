#!/usr/bin/python3
"""Writes a tiny random BERT classifier in the Hugging Face layout (NumPy only, no torch):
config.json, model.safetensors (F32), vocab.txt, tokenizer_config.json.

usage: make_tiny_bert.py OUT_DIR --labels a,b [--words w1,w2,...] [--seed N] [--max-length N]

The vocabulary is [PAD] [UNK] [CLS] [SEP] [MASK], the given words (lower-cased), the ASCII punctuation,
single letters and "##" continuations of them, so every ASCII word of letters splits into pieces and
anything else (digits, accented letters, CJK, emoji) becomes [UNK]. Used by tests/cli/cli_bert_*.sh to
test transformers end to end without ../shared.
"""
import argparse
import json
import os
import string
import struct

import numpy as np


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--labels", required=True)
    p.add_argument("--words", default="")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=2)
    p.add_argument("--max-length", type=int, default=64)
    a = p.parse_args()

    labels = a.labels.split(",")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    for w in [w.lower() for w in a.words.split(",") if w] + list(string.punctuation) + list(string.ascii_lowercase):
        if w not in vocab:
            vocab.append(w)
    vocab += ["##" + c for c in string.ascii_lowercase]

    rng = np.random.default_rng(a.seed)
    H, L, F, V, P = a.hidden, a.layers, 2 * a.hidden, len(vocab), a.max_length

    def lin(p, n_out, n_in, scale):
        t[p + ".weight"] = rng.normal(0, scale / np.sqrt(n_in), (n_out, n_in))
        t[p + ".bias"] = rng.normal(0, 0.1, n_out)

    def ln(p):
        t[p + ".weight"] = rng.uniform(0.8, 1.2, H)
        t[p + ".bias"] = rng.uniform(-0.1, 0.1, H)

    t = {}
    e = "bert.embeddings."
    t[e + "word_embeddings.weight"] = rng.normal(0, 1, (V, H))
    t[e + "word_embeddings.weight"][0] = 0
    t[e + "position_embeddings.weight"] = rng.normal(0, 0.3, (P, H))
    t[e + "token_type_embeddings.weight"] = rng.normal(0, 0.3, (2, H))
    ln(e + "LayerNorm")
    for l in range(L):
        q = f"bert.encoder.layer.{l}."
        lin(q + "attention.self.query", H, H, 2.0)
        lin(q + "attention.self.key", H, H, 2.0)
        lin(q + "attention.self.value", H, H, 1.0)
        lin(q + "attention.output.dense", H, H, 1.0)
        ln(q + "attention.output.LayerNorm")
        lin(q + "intermediate.dense", F, H, 1.5)
        lin(q + "output.dense", H, F, 1.0)
        ln(q + "output.LayerNorm")
    lin("bert.pooler.dense", H, H, 2.0)
    lin("classifier", len(labels), H, 2.0)

    os.makedirs(a.out, exist_ok=True)
    write_safetensors(os.path.join(a.out, "model.safetensors"), t)
    config = {
        "architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": V,
        "hidden_size": H, "num_hidden_layers": L, "num_attention_heads": a.heads, "intermediate_size": F,
        "hidden_act": "gelu", "max_position_embeddings": P, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
        "id2label": {str(i): n for i, n in enumerate(labels)},
        "label2id": {n: i for i, n in enumerate(labels)},
    }
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(a.out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    with open(os.path.join(a.out, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "tokenizer_class": "BertTokenizer", "model_max_length": P}, f)


if __name__ == "__main__":
    main()
