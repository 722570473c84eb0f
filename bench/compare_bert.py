#!/usr/bin/python3
"""bench/compare_bert.py — one BERT-base-shaped classifier in PyTorch and in textlrp, timed in one run.

Builds a BertForSequenceClassification-shaped model (12 layers, hidden 768, 12 heads, feed-forward
3072, vocabulary 30522, 512 positions, 2 classes; seeded random weights: N(0, 0.02) as Hugging Face
initialises BERT, LayerNorm gamma 1 + N(0, 0.02), beta N(0, 0.02)) in PyTorch (Debian python3-torch,
functional eager code as Hugging Face's BertModel with eager attention), writes it as a Hugging Face
directory (config.json, model.safetensors, vocab.txt, tokenizer_config.json) in a temporary directory
and imports it with `textlrp import huggingface`, so both run exactly the same weights. Input: 128 pieces,
[CLS] + the 126 ids (7919·t + 13) mod V of `textlrp bench --time-tokens 126` + [SEP]. Checks that the
logits agree (exit status 1 otherwise) and prints, on one thread:

  PyTorch forward            logits under torch.no_grad()
  PyTorch forward+backward   logits, then the backward pass of the target logit to the input
                             embeddings with every weight frozen (what LXT's efficient AttnLRP costs)
  textlrp forward / AttnLRP / CP-LRP   `textlrp bench --time-tokens 126 --rule attnlrp|cp-lrp`

each as the fastest call over --rounds rounds of >= 0.2 s (wall) and the least CPU time of a call
(the thread's CPU time for textlrp, the process's for PyTorch: one thread), and the ratios. Peak memory:
the peak resident set size (VmHWM of /proc/self/status) of each side's process while explaining, the
high-water mark reset ("5" into /proc/self/clear_refs) after loading the model and timing the forward
pass, so it is the weights plus what the explanations use (textlrp: `bench`'s peak_rss_lrp_MiB; PyTorch:
this script's own process around the forward+backward calls).

PyTorch's speed depends on the BLAS libblas.so.3 resolves to (Debian's torch is built with the generic
BLAS interface): the script prints which one is loaded. Debian's reference libblas3 is very slow; to
time PyTorch on OpenBLAS without changing the system, unpack Debian's libopenblas0-pthread and point
the loader at it:
  apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas
  LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread /usr/bin/python3 bench/compare_bert.py
--onednn also times PyTorch's forward with the linear layers converted to oneDNN (torch.utils.mkldnn,
inference only: oneDNN modules have no backward).

  /usr/bin/python3 bench/compare_bert.py [--textlrp build/bin/textlrp] [--rounds 3] [--onednn]
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

# One thread everywhere (before torch and its BLAS are loaded).
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from compare_pytorch import write_safetensors  # noqa: E402

V, H, L, NH, FF, P, C = 30522, 768, 12, 12, 3072, 512, 2
N_WORDS = 126  # + [CLS] + [SEP] = 128 pieces
CLS, SEP = 101, 102
EPS = 1e-12


def make_weights(seed=0):
    g = torch.Generator().manual_seed(seed)

    def normal(*shape, mean=0.0):
        return torch.randn(*shape, generator=g) * 0.02 + mean

    w = {}
    e = "bert.embeddings."
    w[e + "word_embeddings.weight"] = normal(V, H)
    w[e + "position_embeddings.weight"] = normal(P, H)
    w[e + "token_type_embeddings.weight"] = normal(2, H)

    def ln(p):
        w[p + ".weight"] = normal(H, mean=1.0)
        w[p + ".bias"] = normal(H)

    def lin(p, out, inp):
        w[p + ".weight"] = normal(out, inp)
        w[p + ".bias"] = normal(out)

    ln(e + "LayerNorm")
    for i in range(L):
        p = f"bert.encoder.layer.{i}."
        for n in ("query", "key", "value"):
            lin(p + "attention.self." + n, H, H)
        lin(p + "attention.output.dense", H, H)
        ln(p + "attention.output.LayerNorm")
        lin(p + "intermediate.dense", FF, H)
        lin(p + "output.dense", H, FF)
        ln(p + "output.LayerNorm")
    lin("bert.pooler.dense", H, H)
    lin("classifier", C, H)
    return w


class Bert:
    """BertForSequenceClassification's eval forward pass, functional, on one unpadded sequence."""

    def __init__(self, w):
        self.w = w
        self.linears = {}  # name -> module (plain F.linear unless replaced by oneDNN modules)

    def embed(self, ids):
        e = "bert.embeddings."
        T = ids.shape[0]
        return (self.w[e + "word_embeddings.weight"][ids] + self.w[e + "position_embeddings.weight"][:T]
                + self.w[e + "token_type_embeddings.weight"][0])

    def lin(self, name, x):
        m = self.linears.get(name)
        if m is not None:
            return m(x)
        return F.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])

    def ln(self, name, x):
        return F.layer_norm(x, (H,), self.w[name + ".weight"], self.w[name + ".bias"], EPS)

    def head(self, e):
        T, d = e.shape[0], H // NH
        h = self.ln("bert.embeddings.LayerNorm", e)
        for i in range(L):
            p = f"bert.encoder.layer.{i}."
            split = lambda x: x.view(T, NH, d).transpose(0, 1)  # noqa: E731
            q = split(self.lin(p + "attention.self.query", h))
            k = split(self.lin(p + "attention.self.key", h))
            v = split(self.lin(p + "attention.self.value", h))
            a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d), dim=-1)
            ctx = (a @ v).transpose(0, 1).reshape(T, H)
            att = self.ln(p + "attention.output.LayerNorm", self.lin(p + "attention.output.dense", ctx) + h)
            m = F.gelu(self.lin(p + "intermediate.dense", att))
            h = self.ln(p + "output.LayerNorm", self.lin(p + "output.dense", m) + att)
        pooled = torch.tanh(self.lin("bert.pooler.dense", h[0]))
        return self.lin("classifier", pooled)


def write_hf_dir(d, w):
    os.makedirs(d)
    config = {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": V,
              "hidden_size": H, "num_hidden_layers": L, "num_attention_heads": NH, "intermediate_size": FF,
              "hidden_act": "gelu", "max_position_embeddings": P, "type_vocab_size": 2, "layer_norm_eps": EPS,
              "position_embedding_type": "absolute", "id2label": {"0": "negative", "1": "positive"}}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    write_safetensors(os.path.join(d, "model.safetensors"), w)
    special = {0: "[PAD]", 100: "[UNK]", CLS: "[CLS]", SEP: "[SEP]", 103: "[MASK]"}
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        for i in range(V):
            f.write(special.get(i, f"[unused{i}]" if i < 104 else f"w{i}") + "\n")
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "model_max_length": P}, f)


def best_time(f, rounds):
    """Fastest wall time and least CPU time of one call of f, over `rounds` rounds of >= 0.2 s."""
    f()
    wall = cpu = float("inf")
    for _ in range(rounds):
        start = t0 = time.perf_counter()
        c0 = time.process_time()
        while t0 - start < 0.2:
            f()
            t1, c1 = time.perf_counter(), time.process_time()
            wall, cpu = min(wall, t1 - t0), min(cpu, c1 - c0)
            t0, c0 = t1, c1
    return wall * 1e3, cpu * 1e3


def status_mib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return -1.0


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def loaded_blas():
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.split()[-1]}
    return ", ".join(sorted(os.path.basename(x) for x in libs)) or "none"


def textlrp_bench(textlrp, model, rule, rounds):
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    out = subprocess.run([textlrp, "bench", "--model", model, "--time-tokens", str(N_WORDS), "--repeat", str(rounds),
                          "--rule", rule, "-q"], check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--textlrp", default=os.path.join(ROOT, "build", "bin", "textlrp"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--onednn", action="store_true", help="also time PyTorch's forward with oneDNN linear layers")
    a = ap.parse_args()
    torch.set_num_threads(1)
    w = make_weights()
    for t in w.values():
        t.requires_grad_(False)
    model = Bert(w)
    ids = torch.tensor([CLS] + [(7919 * t + 13) % V for t in range(N_WORDS)] + [SEP])

    with tempfile.TemporaryDirectory() as work:
        hf = os.path.join(work, "hf")
        write_hf_dir(hf, w)
        out = os.path.join(work, "model")
        subprocess.run([a.textlrp, "import", "huggingface", "--from", hf, "--out", out, "-q"], check=True)
        os.remove(os.path.join(hf, "model.safetensors"))
        t_attn = textlrp_bench(a.textlrp, out, "attnlrp", a.rounds)
        t_cp = textlrp_bench(a.textlrp, out, "cp-lrp", a.rounds)

    with torch.no_grad():
        ref = model.head(model.embed(ids)).numpy().astype(np.float64)
    got = np.array(t_attn["scores"], dtype=np.float64)
    diff = float(np.max(np.abs(got - ref)))
    agree = diff <= 1e-4 * max(1.0, float(np.max(np.abs(ref))))
    target = int(np.argmax(ref))

    def forward():
        with torch.no_grad():
            return model.head(model.embed(ids))

    def forward_backward():
        e = model.embed(ids).detach().requires_grad_(True)
        model.head(e)[target].backward()
        return e.grad

    torch_fwd = best_time(forward, a.rounds)
    rss_before = status_mib("VmRSS")
    reset = reset_peak()
    torch_fb = best_time(forward_backward, a.rounds)
    torch_peak = status_mib("VmHWM")
    torch_onednn = None
    if a.onednn:
        import torch.utils.mkldnn as mk
        for name in [n[:-len(".weight")] for n in w if n.endswith(".weight") and w[n].dim() == 2
                     and n.startswith("bert.encoder.")]:
            lin = torch.nn.Linear(w[name + ".weight"].shape[1], w[name + ".weight"].shape[0])
            lin.weight.data, lin.bias.data = w[name + ".weight"], w[name + ".bias"]
            model.linears[name] = mk.to_mkldnn(lin.eval())
        with torch.no_grad():
            d1 = float((model.head(model.embed(ids)) - torch.tensor(ref)).abs().max())
        torch_onednn = best_time(forward, a.rounds) + (d1,)
        model.linears.clear()

    print(f"BERT-base shape: {L} layers, hidden {H}, {NH} heads, FF {FF}, {len(ids)} pieces, one thread")
    print(f"torch {torch.__version__} (BLAS loaded: {loaded_blas()}); textlrp kernels: {t_attn['isa']}")
    print(f"max |logit difference| {diff:.2e} (logits {ref.round(4).tolist()}){'' if agree else '  DISAGREE'}")
    rows = [("PyTorch forward", torch_fwd), ("PyTorch forward+backward (frozen weights)", torch_fb)]
    if torch_onednn:
        rows.append((f"PyTorch forward, oneDNN linear (|dlogit| {torch_onednn[2]:.1e})", torch_onednn[:2]))
    rows += [("textlrp forward", (t_attn["forward_ms"], t_attn["forward_cpu_ms"])),
             ("textlrp AttnLRP explanation", (t_attn["lrp_ms"], t_attn["lrp_cpu_ms"])),
             ("textlrp CP-LRP explanation", (t_cp["lrp_ms"], t_cp["lrp_cpu_ms"]))]
    print(f"{'pass':58} {'wall ms':>9} {'CPU ms':>9}")
    for name, (wall, cpu) in rows:
        print(f"{name:58} {wall:9.1f} {cpu:9.1f}")
    for what, i in (("wall", 0), ("CPU", 1)):
        fwd = (t_attn["forward_ms"], t_attn["forward_cpu_ms"])[i] / torch_fwd[i]
        attn = (t_attn["lrp_ms"], t_attn["lrp_cpu_ms"])[i] / torch_fb[i]
        cp = (t_cp["lrp_ms"], t_cp["lrp_cpu_ms"])[i] / torch_fb[i]
        print(f"ratios ({what}): textlrp forward / PyTorch forward {fwd:.2f} (target <= 1.2); "
              f"AttnLRP / PyTorch forward+backward {attn:.2f} (target <= 1); CP-LRP / PyTorch f+b {cp:.2f}")
        if torch_onednn:
            print(f"  textlrp forward / PyTorch oneDNN forward ({what}) {(t_attn['forward_ms'], t_attn['forward_cpu_ms'])[i] / torch_onednn[i]:.2f}")
    print(f"peak RSS while explaining (VmHWM, reset after loading and the forward timing: "
          f"{'yes' if t_attn['peak_rss_reset'] and reset else 'NO, since start-up'}):")
    print(f"  textlrp AttnLRP {t_attn['peak_rss_lrp_MiB']:.0f} MiB (resident before {t_attn['rss_before_lrp_MiB']:.0f} MiB), "
          f"CP-LRP {t_cp['peak_rss_lrp_MiB']:.0f} MiB (before {t_cp['rss_before_lrp_MiB']:.0f} MiB)")
    print(f"  PyTorch forward+backward {torch_peak:.0f} MiB (resident before {rss_before:.0f} MiB)")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
