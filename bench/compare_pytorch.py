#!/usr/bin/python3
"""bench/compare_pytorch.py — the same CNN and BiLSTM in PyTorch and in textlrp, in one run.

Builds each model in PyTorch (Debian python3-torch) with seeded random weights, writes the weights
as a PyTorch state dict in safetensors and imports it with `textlrp import pytorch` (so textlrp runs
exactly the same weights), checks that textlrp's scores on the same document agree with PyTorch's,
and prints the forward time of both (one thread, the fastest call of several rounds) and their ratio, plus textlrp's
time for one LRP explanation and its ratio to textlrp's forward. Exit status 1 when the scores
disagree.

  /usr/bin/python3 bench/compare_pytorch.py [--textlrp build/bin/textlrp] [--rounds 5]

Shapes (issue 14): CNN 300 tokens, 300-d embeddings, 800 filters of width 2, 20 classes;
BiLSTM 20 tokens, 60-d embeddings, 60 hidden units per direction, 5 classes (the Arras SST model's
shape). The document is token ids (7919·t + 13) mod V, the one `textlrp bench --time-tokens` uses.

The transformer (a BERT-base-shaped BertForSequenceClassification, imported with `textlrp import
huggingface`) has its own script, bench/compare_bert.py, which also times PyTorch's forward + backward.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


class Cnn(torch.nn.Module):
    def __init__(self, v, e, f, k, c):
        super().__init__()
        self.embedding = torch.nn.Embedding(v, e)
        self.conv = torch.nn.Conv1d(e, f, k)
        self.fc = torch.nn.Linear(f, c)

    def forward(self, ids):  # ids [1 x T]
        x = self.embedding(ids).transpose(1, 2)  # [1 x E x T]
        z = torch.relu(self.conv(x))  # [1 x F x T']
        return self.fc(z.max(dim=2).values)  # [1 x C]


class BiLstm(torch.nn.Module):
    def __init__(self, v, e, h, c):
        super().__init__()
        self.embedding = torch.nn.Embedding(v, e)
        self.lstm = torch.nn.LSTM(e, h, bidirectional=True, batch_first=True)
        self.fc = torch.nn.Linear(2 * h, c)

    def forward(self, ids):
        _, (h_n, _) = self.lstm(self.embedding(ids))  # h_n [2 x 1 x H]: final forward, final backward
        return self.fc(torch.cat([h_n[0], h_n[1]], dim=1))


def best_time(f, rounds):
    """The fastest call of f in `rounds` rounds of >= 0.2 s (as textlrp bench --time-tokens)."""
    f()
    best = float("inf")
    for _ in range(rounds):
        start = t0 = time.perf_counter()
        while t0 - start < 0.2:
            f()
            t1 = time.perf_counter()
            best = min(best, t1 - t0)
            t0 = t1
    return best


def run(name, arch, model, v, n_tokens, textlrp, rounds, work):
    d = os.path.join(work, name)
    os.makedirs(d)
    weights = os.path.join(d, "weights.safetensors")
    write_safetensors(weights, model.state_dict())
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("".join(f"w{i}\n" for i in range(v)))
    n_classes = model.fc.out_features
    labels = ",".join(f"c{i}" for i in range(n_classes))
    out = os.path.join(d, "model")
    subprocess.run([textlrp, "import", "pytorch", "--arch", arch, "--weights", weights, "--vocab",
                    os.path.join(d, "vocab.txt"), "--labels", labels, "--out", out, "-q"], check=True)
    ids = torch.tensor([[(7919 * t + 13) % v for t in range(n_tokens)]])
    with torch.no_grad():
        ref = model(ids)[0].numpy()
        t_torch = best_time(lambda: model(ids), rounds)
    res = json.loads(subprocess.run([textlrp, "bench", "--model", out, "--time-tokens", str(n_tokens), "--repeat",
                                     str(rounds), "-q"], check=True, capture_output=True, text=True).stdout)
    got = np.array(res["scores"], dtype=np.float64)
    diff = float(np.max(np.abs(got - ref)))
    agree = diff <= 1e-4 * max(1.0, float(np.max(np.abs(ref))))
    return {"model": name, "torch_forward_ms": t_torch * 1e3, "textlrp_forward_ms": res["forward_ms"],
            "textlrp_over_torch": res["forward_ms"] / (t_torch * 1e3), "textlrp_lrp_ms": res["lrp_ms"],
            "lrp_over_forward": res["lrp_over_forward"], "max_score_diff": diff, "agree": agree,
            "isa": res["isa"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--textlrp", default=os.path.join(ROOT, "build", "bin", "textlrp"))
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        cnn = Cnn(1000, 300, 800, 2, 20).eval()
        rows.append(run("cnn 300 tok, E=300, F=800, K=2, C=20", "cnn", cnn, 1000, 300, a.textlrp, a.rounds, work))
        bilstm = BiLstm(1000, 60, 60, 5).eval()
        rows.append(run("bilstm 20 tok, E=60, H=60, C=5", "bilstm", bilstm, 1000, 20, a.textlrp, a.rounds, work))
    print(f"torch {torch.__version__}, 1 thread; textlrp kernels: {rows[0]['isa']}")
    print(f"{'model':40} {'torch fwd ms':>12} {'textlrp fwd ms':>14} {'ratio':>6} {'textlrp LRP ms':>14} "
          f"{'LRP/fwd':>7} {'max |Δscore|':>12}")
    for r in rows:
        print(f"{r['model']:40} {r['torch_forward_ms']:12.3f} {r['textlrp_forward_ms']:14.3f} "
              f"{r['textlrp_over_torch']:6.2f} {r['textlrp_lrp_ms']:14.3f} {r['lrp_over_forward']:7.2f} "
              f"{r['max_score_diff']:12.2e}")
    bad = [r["model"] for r in rows if not r["agree"]]
    if bad:
        print("scores disagree: " + ", ".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
