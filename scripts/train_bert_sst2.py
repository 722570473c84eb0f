#!/usr/bin/python3
"""Trains a small BERT classifier from scratch on binary SST (SST-2: neutral dropped) and writes it in
the Hugging Face layout that `textlrp import huggingface` reads:
  OUT/config.json            BertForSequenceClassification, hidden_act "gelu" (exact erf), id2label
                             0 negative / 1 positive
  OUT/model.safetensors      float32, Hugging Face tensor names (written here with NumPy: there is no
                             safetensors package on Debian)
  OUT/vocab.txt              a WordPiece vocabulary built from the training sentences (below)
  OUT/tokenizer_config.json  do_lower_case true, model_max_length
Needs only Debian's python3-torch (no transformers, no tokenizers). Deterministic for a given --seed
and --threads (up to floating-point summation order).

Data: ../shared/data/sst/trees/{train,dev,test}.txt (PTB trees). A sentence is its leaves joined by
single spaces, exactly as textlrp's `sst-binary:` corpus reads it (so -LRB- stays -LRB-); labels 0, 1 ->
negative, 3, 4 -> positive, 2 dropped. With --phrases every labelled non-neutral phrase (subtree) of the
training trees is a training example too (the GLUE SST-2 training set is such phrases); dev and test
are whole sentences only.

Tokenizer: BertTokenizer's basic tokenizer (clean, CJK spacing, lower-case, accents stripped, punctuation
split) + greedy longest-match-first WordPiece, as nlp/wordpiece_tokenizer.h. The vocabulary: [PAD]
[UNK] [CLS] [SEP] [MASK], every character seen and its "##" continuation, every training word seen at
least --min-count times, and the most frequent word prefixes (3+ characters) and "##" suffixes (2-8
characters) of the rarer words, up to --vocab-size entries.

Training: AdamW (weight decay 0.01, not on biases and LayerNorm), linear warm-up over 10 % of the steps
then linear decay, dropout 0.1, batches of similar length; the model with the best dev accuracy is
written. --minutes caps the training time (the epoch in progress finishes its evaluation).

usage: train_bert_sst2.py --sst DIR --out DIR [--layers 4 --hidden 256 --heads 4 --intermediate 1024]
                          [--epochs N] [--phrases] [--threads N] [--minutes M] [--seed S]
"""
import argparse
import collections
import json
import math
import os
import random
import struct
import sys
import time
import unicodedata

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


# ------------------------------------------------------------------------------------------------
# SST trees

def parse_tree(line):
    """Returns (label, leaves, phrases) of one PTB tree; phrases = [(label, leaves)] of every subtree."""
    pos = 0
    phrases = []

    def node():
        nonlocal pos
        assert line[pos] == "(", (pos, line[pos:pos + 20])
        pos += 1
        j = line.index(" ", pos)
        label = int(line[pos:j])
        pos = j + 1
        leaves = []
        if line[pos] == "(":
            while line[pos] == "(":
                leaves += node()
                if line[pos] == " ":
                    pos += 1
        else:
            j = line.index(")", pos)
            leaves = [line[pos:j]]
            pos = j
        assert line[pos] == ")"
        pos += 1
        phrases.append((label, leaves))
        return leaves

    leaves = node()
    return phrases[-1][0], leaves, phrases


def binary(label):
    return None if label == 2 else (0 if label < 2 else 1)


def read_sst(path, with_phrases=False):
    examples = []
    seen = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            label, leaves, phrases = parse_tree(line)
            items = phrases if with_phrases else [(label, leaves)]
            for lab, lv in items:
                y = binary(lab)
                text = " ".join(lv)
                if y is None or (with_phrases and text in seen):
                    continue
                seen.add(text)
                examples.append((text, y))
    return examples


# ------------------------------------------------------------------------------------------------
# BertTokenizer semantics (lower_case = True)

def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokenize(text):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD:
            continue
        if ch in "\t\n\r" or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif unicodedata.category(ch).startswith("C"):
            continue
        elif is_cjk(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    words = []
    for w in unicodedata.normalize("NFC", "".join(out)).split():
        w = unicodedata.normalize("NFD", w.lower())
        w = "".join(c for c in w if unicodedata.category(c) != "Mn")
        cur = ""
        for c in w:
            if is_punct(c):
                if cur:
                    words.append(cur)
                words.append(c)
                cur = ""
            else:
                cur += c
        if cur:
            words.append(cur)
    return words


class WordPiece:
    def __init__(self, vocab):
        self.vocab = vocab
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.unk = self.ids["[UNK]"]

    def word(self, w):
        if len(w) > 100:
            return [self.unk]
        pieces, start = [], 0
        while start < len(w):
            end = len(w)
            found = None
            while start < end:
                sub = w[start:end] if start == 0 else "##" + w[start:end]
                if sub in self.ids:
                    found = self.ids[sub]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            pieces.append(found)
            start = end
        return pieces

    def encode(self, text, max_length):
        ids = [p for w in basic_tokenize(text) for p in self.word(w)]
        return [self.ids["[CLS]"]] + ids[:max_length - 2] + [self.ids["[SEP]"]]


def build_vocab(texts, size, min_count):
    counts = collections.Counter(w for t in texts for w in basic_tokenize(t))
    chars = sorted({c for w in counts for c in w})
    vocab = list(SPECIAL) + chars + ["##" + c for c in chars]
    have = set(vocab)
    for w, c in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
        if c >= min_count and w not in have and len(vocab) < size:
            vocab.append(w)
            have.add(w)
    # Prefixes and suffixes of the rarer words, by how many rare-word occurrences they cover.
    parts = collections.Counter()
    for w, c in counts.items():
        if w in have or len(w) < 4:
            continue
        for k in range(3, len(w)):
            parts[w[:k]] += c
        for k in range(2, min(8, len(w) - 1) + 1):
            parts["##" + w[-k:]] += c
    for p, c in sorted(parts.items(), key=lambda x: (-x[1], x[0])):
        if len(vocab) >= size or c < 3:
            break
        if p not in have:
            vocab.append(p)
            have.add(p)
    return vocab


# ------------------------------------------------------------------------------------------------
# The model, with Hugging Face's parameter names (BertForSequenceClassification)

class SelfAttn(nn.Module):
    def __init__(s, H):
        super().__init__()
        s.query, s.key, s.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)


class AttnOut(nn.Module):
    def __init__(s, H, eps):
        super().__init__()
        s.dense, s.LayerNorm = nn.Linear(H, H), nn.LayerNorm(H, eps=eps)


class Attention(nn.Module):
    def __init__(s, H, eps):
        super().__init__()
        s.self, s.output = SelfAttn(H), AttnOut(H, eps)


class Dense(nn.Module):
    def __init__(s, n_in, n_out):
        super().__init__()
        s.dense = nn.Linear(n_in, n_out)


class Output(nn.Module):
    def __init__(s, n_in, H, eps):
        super().__init__()
        s.dense, s.LayerNorm = nn.Linear(n_in, H), nn.LayerNorm(H, eps=eps)


class Layer(nn.Module):
    def __init__(s, H, FF, eps):
        super().__init__()
        s.attention, s.intermediate, s.output = Attention(H, eps), Dense(H, FF), Output(FF, H, eps)


class Embeddings(nn.Module):
    def __init__(s, V, H, P, eps):
        super().__init__()
        s.word_embeddings = nn.Embedding(V, H, padding_idx=0)
        s.position_embeddings = nn.Embedding(P, H)
        s.token_type_embeddings = nn.Embedding(2, H)
        s.LayerNorm = nn.LayerNorm(H, eps=eps)


class Encoder(nn.Module):
    def __init__(s, H, FF, L, eps):
        super().__init__()
        s.layer = nn.ModuleList(Layer(H, FF, eps) for _ in range(L))


class Bert(nn.Module):
    def __init__(s, V, H, FF, L, P, eps):
        super().__init__()
        s.embeddings, s.encoder, s.pooler = Embeddings(V, H, P, eps), Encoder(H, FF, L, eps), Dense(H, H)


class Classifier(nn.Module):
    def __init__(s, V, H, FF, L, NH, P, n_classes, dropout=0.1, eps=1e-12):
        super().__init__()
        s.heads, s.p = NH, dropout
        s.bert = Bert(V, H, FF, L, P, eps)
        s.classifier = nn.Linear(H, n_classes)
        for m in s.modules():  # BERT's initialisation
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)
        with torch.no_grad():
            s.bert.embeddings.word_embeddings.weight[0].zero_()

    def forward(s, ids, mask):  # ids, mask [B, T]
        B, T = ids.shape
        e = s.bert.embeddings
        drop = lambda x: F.dropout(x, s.p, s.training)  # noqa: E731
        h = e.word_embeddings(ids) + e.position_embeddings.weight[:T] + e.token_type_embeddings.weight[0]
        h = drop(e.LayerNorm(h))
        bias = (1.0 - mask[:, None, None, :].float()) * -1e4
        for layer in s.bert.encoder.layer:
            a = layer.attention
            H = h.shape[-1]
            d = H // s.heads
            split = lambda x: x.view(B, T, s.heads, d).transpose(1, 2)  # noqa: E731
            q, k, v = split(a.self.query(h)), split(a.self.key(h)), split(a.self.value(h))
            att = drop(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + bias, dim=-1))
            c = (att @ v).transpose(1, 2).reshape(B, T, H)
            h = a.output.LayerNorm(drop(a.output.dense(c)) + h)
            f = layer.output.dense(F.gelu(layer.intermediate.dense(h)))
            h = layer.output.LayerNorm(drop(f) + h)
        pooled = torch.tanh(s.bert.pooler.dense(h[:, 0]))
        return s.classifier(drop(pooled))


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def batches(data, size, shuffle, rng):
    """Batches of similar length: sort by length inside chunks of 50 batches, then shuffle the batches."""
    order = list(range(len(data)))
    if shuffle:
        rng.shuffle(order)
    out = []
    chunk = size * 50
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda i: len(data[i][0]))
        out += [part[i:i + size] for i in range(0, len(part), size)]
    if shuffle:
        rng.shuffle(out)
    return out


def collate(data, idx):
    T = max(len(data[i][0]) for i in idx)
    ids = torch.zeros(len(idx), T, dtype=torch.long)
    for r, i in enumerate(idx):
        ids[r, :len(data[i][0])] = torch.tensor(data[i][0])
    return ids, (ids != 0).long(), torch.tensor([data[i][1] for i in idx])


def accuracy(model, data):
    model.eval()
    right = 0
    with torch.no_grad():
        for idx in batches(data, 128, False, None):
            ids, mask, y = collate(data, idx)
            right += (model(ids, mask).argmax(-1) == y).sum().item()
    return right / max(1, len(data))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sst", default=os.path.join(os.path.dirname(__file__), "../../shared/data/sst/trees"))
    p.add_argument("--out", required=True)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=1024)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--min-count", type=int, default=2)
    p.add_argument("--phrases", action="store_true", help="train on every non-neutral phrase too")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--minutes", type=float, default=12.0,
                   help="stop training after this many minutes of CPU time (all threads of this process)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    log = lambda m: print(f"[{time.strftime('%H:%M:%S')}] {m}", file=sys.stderr, flush=True)  # noqa: E731

    train_sents = read_sst(os.path.join(a.sst, "train.txt"))
    train = read_sst(os.path.join(a.sst, "train.txt"), a.phrases)
    dev = read_sst(os.path.join(a.sst, "dev.txt"))
    test = read_sst(os.path.join(a.sst, "test.txt"))
    vocab = build_vocab([t for t, _ in train_sents], a.vocab_size, a.min_count)
    wp = WordPiece(vocab)
    enc = lambda d: [(wp.encode(t, a.max_length), y) for t, y in d]  # noqa: E731
    train_e, dev_e, test_e = enc(train), enc(dev), enc(test)
    n_unk = sum(i == wp.unk for s, _ in dev_e for i in s)
    log(f"train {len(train)} examples ({'phrases and sentences' if a.phrases else 'sentences'}), dev {len(dev)}, "
        f"test {len(test)}; vocabulary {len(vocab)} pieces; dev [UNK] pieces {n_unk}")

    model = Classifier(len(vocab), a.hidden, a.intermediate, a.layers, a.heads, a.max_length, 2, a.dropout)
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    no_decay = [p for n, p in model.named_parameters() if p.dim() <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr)
    steps = a.epochs * math.ceil(len(train_e) / a.batch)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    start = time.time()
    cpu = time.process_time
    cpu0 = cpu()
    best, best_state, best_epoch = -1.0, None, 0
    for epoch in range(1, a.epochs + 1):
        model.train()
        total, n, step = 0.0, 0, 0
        for idx in batches(train_e, a.batch, True, rng):
            ids, mask, y = collate(train_e, idx)
            loss = F.cross_entropy(model(ids, mask), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            n += len(idx)
            step += 1
            if step % 200 == 0:
                log(f"epoch {epoch}: {n} examples, loss {total / n:.4f}, {cpu() - cpu0:.0f} s CPU")
            if cpu() - cpu0 > a.minutes * 60:
                break
        acc = accuracy(model, dev_e)
        log(f"epoch {epoch}: loss {total / max(1, n):.4f}, dev accuracy {acc:.4f} ({cpu() - cpu0:.0f} s CPU, "
            f"{time.time() - start:.0f} s wall)")
        if acc > best:
            best, best_epoch = acc, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if cpu() - cpu0 > a.minutes * 60:
            log(f"stopping: --minutes {a.minutes} of CPU time reached")
            break
    model.load_state_dict(best_state)
    test_acc = accuracy(model, test_e)
    log(f"best dev accuracy {best:.4f} (epoch {best_epoch}); test accuracy (PyTorch, this script's tokenizer) "
        f"{test_acc:.4f}")

    os.makedirs(a.out, exist_ok=True)
    write_safetensors(os.path.join(a.out, "model.safetensors"),
                      {k: v.numpy() for k, v in model.state_dict().items()})
    config = {
        "architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": len(vocab),
        "hidden_size": a.hidden, "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
        "intermediate_size": a.intermediate, "hidden_act": "gelu", "hidden_dropout_prob": a.dropout,
        "attention_probs_dropout_prob": a.dropout, "max_position_embeddings": a.max_length, "type_vocab_size": 2,
        "layer_norm_eps": 1e-12, "pad_token_id": 0, "id2label": {"0": "negative", "1": "positive"},
        "label2id": {"negative": 0, "positive": 1}, "torch_dtype": "float32",
        "training": {"script": "scripts/train_bert_sst2.py", "args": vars(a), "epochs_run": epoch,
                     "best_epoch": best_epoch, "dev_accuracy": best, "test_accuracy_torch": test_acc,
                     "cpu_seconds": round(cpu() - cpu0),
                     "wall_seconds": round(time.time() - start)},
    }
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(a.out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    with open(os.path.join(a.out, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "tokenizer_class": "BertTokenizer", "model_max_length": a.max_length,
                   "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                   "mask_token": "[MASK]"}, f, indent=2)
    log(f"wrote {a.out}")


if __name__ == "__main__":
    main()
