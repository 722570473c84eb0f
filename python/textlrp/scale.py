"""Corpus-scale runs on an engine that runs Python on many workers (Dask, Spark, multiprocessing).

The unit of work is a *shard*: shard ``k`` of ``n`` holds documents k, k+n, k+2n, ... of the input
(1-based, blank lines of the line formats not counted), exactly as ``textlrp explain --shard k/n``
reads it. :func:`explain_shard` writes one shard's JSONL file, byte for byte the output of::

    textlrp explain --model MODEL --input INPUT --shard k/n -o OUTPUT

(same ids, same order, same numbers), so the ``n`` partitions together hold every line of the
unsharded run exactly once. Every worker reads the input itself (a path all workers see) and keeps
the model it loaded for the rest of its life (:func:`cached_model`): one load per worker process,
however many shards it runs.

Dask (examples/dask_explain.py)::

    futures = [client.submit(explain_shard, "models/m", "corpus.jsonl", f"out/part-{k:05d}.jsonl", k, n)
               for k in range(1, n + 1)]

Spark, the same function in ``mapPartitions`` over the shard numbers::

    sc.parallelize(range(1, n + 1), n).mapPartitions(
        lambda ks: explain_shards(ks, "models/m", "corpus.jsonl", "out", n)).collect()
"""

import os as _os
import threading as _threading

__all__ = ["cached_model", "explain_shard", "explain_shards", "part_name", "load_count"]

_lock = _threading.Lock()
_models = {}
_loads = 0


def cached_model(path, verify=True):
    """The model at ``path``, loaded once per process (thread-safe) and kept: what a worker calls
    before each task, so that a worker loads a model once however many tasks it runs."""
    global _loads
    import textlrp

    key = (_os.path.realpath(_os.fsdecode(path)), bool(verify))
    with _lock:
        model = _models.get(key)
        if model is None:
            model = textlrp.load(path, verify=verify)
            _models[key] = model
            _loads += 1
        return model


def load_count():
    """How many models this process has loaded through :func:`cached_model` (for tests and logs)."""
    return _loads


def part_name(k, n):
    """The file name of shard ``k`` of ``n``: part-00001.jsonl, ... (sorted names = shard order)."""
    return "part-{:05d}.jsonl".format(k)


def explain_shard(model, input, output, shard, n_shards, input_format="auto", threads=1, method="lrp",
                  rule=None, target=None, corpus=None, **options):
    """Explains shard ``shard`` of ``n_shards`` of ``input`` into the JSONL file ``output``
    (written atomically): the output of ``textlrp explain --model MODEL --input INPUT --input-format
    FORMAT --shard SHARD/N_SHARDS --method ... -o OUTPUT``. ``model`` is a model directory (loaded
    once per process) or a :class:`textlrp.Model`. ``corpus``: a corpus spec (``--corpus``, e.g.
    "folder:20news-bydate/test") instead of ``input`` (then None). Returns a dict: shard, documents, warnings,
    output, pid (the worker process) and loads (models this process has loaded so far)."""
    m = cached_model(model) if isinstance(model, (str, bytes, _os.PathLike)) else model
    result = m.explain_corpus(input=input, corpus=corpus, output=output, input_format=input_format,
                              shard="{}/{}".format(int(shard), int(n_shards)), threads=threads, method=method,
                              rule=rule, target=target, **options)
    return {"shard": int(shard), "documents": result["documents"], "warnings": result["warnings"],
            "output": _os.fsdecode(output), "pid": _os.getpid(), "loads": _loads}


def explain_shards(shards, model, input, out_dir, n_shards, **kwargs):
    """:func:`explain_shard` for each shard number in ``shards`` into ``out_dir``/part-0000K.jsonl:
    a generator of the result dicts, for Spark's ``mapPartitions`` (and any engine that hands a
    worker an iterator of work items)."""
    for k in shards:
        yield explain_shard(model, input, _os.path.join(_os.fsdecode(out_dir), part_name(k, n_shards)), k, n_shards,
                            **kwargs)
