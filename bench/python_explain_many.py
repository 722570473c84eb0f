#!/usr/bin/python3
"""bench/python_explain_many.py — the Python package's overhead: Model.explain_many over 2,000
20 Newsgroups documents against `textlrp explain` doing the same work, in the same run.

The documents are 2,000 test posts spread evenly over ../shared/data/20news-bydate/test (every
floor(i*n/N)-th file in sorted order, decoded as UTF-8, else Latin-1, as the folder corpus does),
written as JSONL {"text"} (no ids, so both sides name them "<line>-<hash>"). Both sides load the
model, explain every document on the same number of threads and write the schema-1 JSONL:
  cli:    textlrp explain --model M --input docs.jsonl -o cli.jsonl --threads T -q  (one process)
  python: textlrp.load(M); es = explain_many(texts, threads=T); textlrp.write_jsonl(es, FILE, threads=T)
and the two outputs must be identical bytes. Each side runs --repeat times, alternating; the
fastest run of each is reported (the machine is shared and noisy), with the ratio python / cli.

Usage: PYTHONPATH=build/python bench/python_explain_many.py [--model DIR] [--docs N] [--threads T]
       [--repeat R] [--binary PATH] [--source DIR]
  --model   default: a BoW/SVM trained on the source's sibling train/ folder with
            --strip headers,footers,quotes, cached in build/bench-models/20news-svm (shared with
            bench/million_docs.sh)
Prints one JSON object on stdout.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def documents(src, n):
    files = []
    for d, _, names in sorted(os.walk(src)):
        files += [os.path.join(d, f) for f in sorted(names)]
    files.sort()
    if len(files) < n:
        sys.exit("{}: {} files, fewer than {}".format(src, len(files), n))
    texts = []
    for i in range(n):
        with open(files[i * len(files) // n], "rb") as f:
            raw = f.read()
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(raw.decode("latin-1"))
    return texts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model")
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "bin", "textlrp"))
    ap.add_argument("--source", default=os.path.join(ROOT, "..", "shared", "data", "20news-bydate", "test"))
    a = ap.parse_args()

    import textlrp  # PYTHONPATH=build/python, or installed

    model = a.model
    if not model:
        model = os.path.join(ROOT, "build", "bench-models", "20news-svm")
        if not os.path.isfile(os.path.join(model, "config.json")):
            print("python_explain_many.py: training a BoW/SVM for the benchmark", file=sys.stderr)
            subprocess.run([a.binary, "train", "--arch", "svm", "--corpus",
                            "folder:" + os.path.join(os.path.dirname(a.source), "train"),
                            "--strip", "headers,footers,quotes", "--out", model, "--quiet"], check=True)
    texts = documents(a.source, a.docs)
    with tempfile.TemporaryDirectory(prefix="textlrp-pybench.") as tmp:
        docs = os.path.join(tmp, "docs.jsonl")
        with open(docs, "w", encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
        # The CLI applies the model's saved --strip to a corpus but not to --input texts; so does
        # explain_many. Both read the same texts.
        cli_out, py_out = os.path.join(tmp, "cli.jsonl"), os.path.join(tmp, "py.jsonl")
        cli_times, py_times = [], []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            subprocess.run([a.binary, "explain", "--model", model, "--input", docs, "-o", cli_out, "--threads",
                            str(a.threads), "-q"], check=True)
            cli_times.append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            m = textlrp.load(model)
            es = m.explain_many(texts, threads=a.threads)
            textlrp.write_jsonl(es, py_out, threads=a.threads)
            py_times.append(time.perf_counter() - t0)
            del es, m
        with open(cli_out, "rb") as f1, open(py_out, "rb") as f2:
            same = f1.read() == f2.read()
        if not same:
            sys.exit("python_explain_many.py: the Python output differs from the CLI's")
        # explain_many alone (model loaded, no JSON written), for the record.
        m = textlrp.load(model)
        t0 = time.perf_counter()
        m.explain_many(texts, threads=a.threads)
        many_only = time.perf_counter() - t0
    print(json.dumps({
        "model": os.path.basename(model), "docs": a.docs, "threads": a.threads, "repeat": a.repeat,
        "cli_s": round(min(cli_times), 3), "python_s": round(min(py_times), 3),
        "ratio_python_over_cli": round(min(py_times) / min(cli_times), 3),
        "explain_many_only_s": round(many_only, 3), "identical_output": same,
        "cli_runs_s": [round(t, 3) for t in cli_times], "python_runs_s": [round(t, 3) for t in py_times],
    }))


if __name__ == "__main__":
    main()
