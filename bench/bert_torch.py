#!/usr/bin/env python3
"""PyTorch side of bench/bert_bench.cpp: a BERT-base-shaped classifier (12 layers, hidden 768, 12 heads,
feed-forward 3072, eager attention as Hugging Face's BertSelfAttention) on one 128-piece input, one
thread, float32, eval mode. Prints the median over repetitions of
  forward            logits only (torch.no_grad)
  forward+backward   logits, then the backward pass of one logit to the input embeddings with every
                     weight frozen (requires_grad only on the embeddings): what LXT's efficient AttnLRP
                     mode costs.
Needs only Debian's python3-torch. Run: python3 bench/bert_torch.py [--reps 20]
(bench/compare_bert.py times PyTorch and textlrp in one run on the same weights.)
"""
import argparse
import math
import statistics
import time

import torch

H, L, NH, F, T = 768, 12, 12, 3072, 128


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (torch.nn.Linear(H, H) for _ in range(4))
        self.ln1, self.ln2 = torch.nn.LayerNorm(H, eps=1e-12), torch.nn.LayerNorm(H, eps=1e-12)
        self.ff1, self.ff2 = torch.nn.Linear(H, F), torch.nn.Linear(F, H)

    def forward(self, h):
        d = H // NH
        split = lambda x: x.view(T, NH, d).transpose(0, 1)  # noqa: E731
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d), dim=-1)
        c = (a @ v).transpose(0, 1).reshape(T, H)
        a1 = self.ln1(self.o(c) + h)
        return self.ln2(self.ff2(torch.nn.functional.gelu(self.ff1(a1))) + a1)


class Bert(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.word = torch.nn.Embedding(30522, H)
        self.pos = torch.nn.Embedding(512, H)
        self.tok_type = torch.nn.Embedding(2, H)
        self.ln = torch.nn.LayerNorm(H, eps=1e-12)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(L))
        self.pool = torch.nn.Linear(H, H)
        self.cls = torch.nn.Linear(H, 2)

    def embed(self, ids):
        return self.word(ids) + self.pos.weight[:T] + self.tok_type.weight[0]

    def head(self, e):
        h = self.ln(e)
        for layer in self.layers:
            h = layer(h)
        return self.cls(torch.tanh(self.pool(h[0])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = Bert().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    ids = torch.randint(1000, 29000, (T,))

    def forward():
        with torch.no_grad():
            return model.head(model.embed(ids))

    def forward_backward():
        e = model.embed(ids).detach().requires_grad_(True)
        logits = model.head(e)
        logits[0].backward()
        return e.grad

    for name, fn in (("forward", forward), ("forward+backward", forward_backward)):
        fn()  # warm-up
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        print(f"{name}: median {statistics.median(times) * 1e3:.1f} ms over {args.reps} runs (torch {torch.__version__}, 1 thread)")


if __name__ == "__main__":
    main()
