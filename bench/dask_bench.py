#!/usr/bin/python3
"""bench/dask_bench.py — the Dask example's speed-up: the same corpus explained by a LocalCluster of
1 worker process and of 2 (one thread each, the model loaded once per worker), the same number of
partitions (shards) both times; and a check that the partitions are byte-identical between the runs.

Usage (the package built with -DTEXTLRP_PYTHON=ON; textlrp on PYTHONPATH):
    PYTHONPATH=build/python /usr/bin/python3 bench/dask_bench.py --model DIR --input FILE
        [--partitions 8] [--method lrp] [--repeat 1]
Default model: the bidirectional LSTM of Arras et al. (../shared/data/arras-bilstm, imported with
build/bin/textlrp into build/bench-models/arras-bilstm), default input: the 2210 SST test sentences of
../shared/data/arras-bilstm/sst_test_sentences.txt repeated --repeat times (one document a line).

Times are from submitting the tasks to having every partition written (cluster start-up excluded,
model loading per worker included). Prints one JSON object.
"""

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")


def default_model(binary):
    out = os.path.join(ROOT, "build", "bench-models", "arras-bilstm")
    if not os.path.exists(os.path.join(out, "config.json")):
        src = os.path.join(SHARED, "arras-bilstm")
        subprocess.run([binary, "import", "arras-bilstm", "--from", src, "--embeddings",
                        os.path.join(src, "embeddings_SYNTHETIC_splitmix64.npy"), "--out", out, "-q"], check=True)
    return out


def run(n_workers, model, corpus, out_dir, n, method):
    from dask.distributed import Client, LocalCluster
    from textlrp.scale import explain_shard, part_name

    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        start = time.perf_counter()
        futures = [client.submit(explain_shard, model, corpus, os.path.join(out_dir, part_name(k, n)), k, n,
                                 method=method, pure=False) for k in range(1, n + 1)]
        results = client.gather(futures)
        seconds = time.perf_counter() - start
    return seconds, sum(r["documents"] for r in results), len({r["pid"] for r in results})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model")
    p.add_argument("--input")
    p.add_argument("--partitions", type=int, default=8)
    p.add_argument("--method", default="lrp")
    p.add_argument("--repeat", type=int, default=1, help="default input: repeat the SST sentences this often")
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "bin", "textlrp"))
    args = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="textlrp-dask-bench.")
    model = os.path.abspath(args.model or default_model(args.binary))
    corpus = args.input
    if corpus is None:
        with open(os.path.join(SHARED, "arras-bilstm", "sst_test_sentences.txt"), encoding="utf-8") as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write("".join(l + "\n" for l in lines * args.repeat))
    corpus = os.path.abspath(corpus)
    out = {}
    for w in (1, 2):
        d = os.path.join(tmp, "w{}".format(w))
        os.makedirs(d)
        seconds, docs, pids = run(w, model, corpus, d, args.partitions, args.method)
        out["workers_{}".format(w)] = {"seconds": round(seconds, 3), "documents": docs, "processes": pids,
                                       "docs_per_s": round(docs / seconds, 1)}
        print("dask_bench: {} worker(s): {} documents in {:.2f} s".format(w, docs, seconds), file=sys.stderr)
    names = sorted(os.listdir(os.path.join(tmp, "w1")))
    same = all(filecmp.cmp(os.path.join(tmp, "w1", n), os.path.join(tmp, "w2", n), shallow=False) for n in names)
    out.update({"model": model, "input": args.input or "sst_test_sentences.txt x{}".format(args.repeat),
                "partitions": args.partitions, "method": args.method, "identical_partitions": same,
                "speedup_2_over_1": round(out["workers_1"]["seconds"] / out["workers_2"]["seconds"], 2)})
    print(json.dumps(out))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
