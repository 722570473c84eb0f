#!/usr/bin/python3
"""examples/dask_explain.py — explains a corpus with Dask, one JSONL partition per shard.

    /usr/bin/python3 examples/dask_explain.py --model models/m --input corpus.jsonl --out out/
    /usr/bin/python3 examples/dask_explain.py --model models/m --input corpus.txt --out out/ \\
        --scheduler tcp://scheduler:8786

The input is any file ``textlrp explain --input`` reads: text (one document a line), tsv
(label<TAB>text), jsonl ({"text", "id"?, "label"?, "tokens"?} a line) or csv, by extension or
``--input-format``; or a corpus spec as ``textlrp explain --corpus`` takes it (``--corpus
folder:20news-bydate/test``, ``sst:...``). Without ``--scheduler`` the script starts a Dask ``LocalCluster`` with two worker
processes (``--workers``), one thread each; with it, the tasks run on that cluster (the model
directory and the input must be paths every worker can read, the output folder one every worker can
write).

The corpus is cut into N shards (``--partitions``, default two per worker): shard k holds documents
k, k+N, k+2N, ... of the input. Task k writes OUT/part-0000k.jsonl, byte for byte the output of

    textlrp explain --model MODEL --input INPUT --shard k/N -o OUT/part-0000k.jsonl

(same ids: a document without one gets ``<line>-<FNV-1a of its text>`` from the library's reader;
same order, same numbers), so the partitions together hold every line of the unsharded run once.
The task function is :func:`textlrp.scale.explain_shard`: each worker process loads the model once
(:func:`textlrp.scale.cached_model`) and keeps it for every later task. Dask is only the scheduler
here: the explaining runs in the library with the GIL released. The same function serves Spark's
``mapPartitions`` (README, "Scaling out").

Prints one JSON line per partition (shard, documents, output, worker pid, models loaded by that
worker) and a summary on stderr; exits 1 when a task fails (the library's message), 2 on a usage error.
"""

import argparse
import json
import os
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description="Explain a corpus with Dask: one JSONL partition per shard.")
    p.add_argument("--model", required=True, help="model directory (written by textlrp train or import)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", help="corpus file: text, tsv, jsonl or csv (as textlrp explain --input)")
    src.add_argument("--corpus", help="corpus spec, e.g. folder:20news-bydate/test (as textlrp explain --corpus)")
    p.add_argument("--input-format", default="auto", choices=["auto", "text", "tsv", "jsonl", "csv"],
                   help="format of --input (default: by extension, as textlrp explain)")
    p.add_argument("--out", required=True, help="output folder for part-00001.jsonl ... (created)")
    p.add_argument("--partitions", type=int, default=0, help="number of shards (default: 2 per worker)")
    p.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default: 2)")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (default: start a LocalCluster)")
    p.add_argument("--threads", type=int, default=1, help="library threads per task (default: 1)")
    p.add_argument("--method", default="lrp", help="lrp, sa, gi, ig, occlusion, random (as textlrp explain)")
    p.add_argument("--rule", default=None, help="LRP rule (as textlrp explain --rule)")
    p.add_argument("--target", default=None, help="predicted (default), true or a label name")
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error("--workers must be at least 1")
    if args.partitions < 0:
        p.error("--partitions must be at least 1 (0: two per worker)")
    if args.threads < 0:
        p.error("--threads must be 0 (every core) or more")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Before starting workers: a missing textlrp or Dask is a clear message, not a worker traceback.
    import textlrp
    from textlrp.scale import explain_shard, part_name
    from dask.distributed import Client, LocalCluster

    for path, what in ((args.model, "model directory"), (args.input, "input")):
        if path is not None and not os.path.exists(path):
            print("dask_explain: error: {}: {} does not exist".format(path, what), file=sys.stderr)
            return 1
    start = time.monotonic()
    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        # Worker processes, one thread each: the library releases the GIL, but one process per core
        # keeps each worker's model and caches its own.
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    try:
        n_workers = max(1, len(client.scheduler_info()["workers"]))
        n = args.partitions or 2 * n_workers
        os.makedirs(args.out, exist_ok=True)
        model = os.path.abspath(args.model)
        source = os.path.abspath(args.input) if args.input else None
        futures = [
            client.submit(explain_shard, model, source, os.path.abspath(os.path.join(args.out, part_name(k, n))), k, n,
                          corpus=args.corpus, input_format=args.input_format, threads=args.threads,
                          method=args.method, rule=args.rule, target=args.target, pure=False,
                          key="textlrp-shard-{}-of-{}".format(k, n))
            for k in range(1, n + 1)
        ]
        try:
            results = client.gather(futures)
        except textlrp.UsageError as e:
            print("dask_explain: usage error: {}".format(e), file=sys.stderr)
            return 2
        except textlrp.Error as e:
            print("dask_explain: error: {}".format(e), file=sys.stderr)
            return 1
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    documents = 0
    for r in sorted(results, key=lambda r: r["shard"]):
        documents += r["documents"]
        for w in r["warnings"]:
            print("dask_explain: shard {}: {}".format(r["shard"], w), file=sys.stderr)
        print(json.dumps({k: r[k] for k in ("shard", "documents", "output", "pid", "loads")}))
    print("dask_explain: {} documents in {} partitions on {} workers in {:.2f} s -> {}".format(
        documents, n, n_workers, time.monotonic() - start, args.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
