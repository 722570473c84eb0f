"""examples/dask_explain.py on a small corpus: a LocalCluster of two worker processes writes one JSONL
partition per shard, each byte for byte `textlrp explain --shard k/N` on the same corpus (so the
partitions hold every line of the unsharded CLI run once); each worker loads the model once (and keeps
it across jobs on a running cluster, --scheduler); text and JSONL input; errors exit 1 with the library's message. Model.explain_corpus and
textlrp.scale.explain_shards (the Spark mapPartitions function) without Dask too."""

import json
import os
import subprocess
import sys

import pytest

import scale_helpers as h

pytest.importorskip("dask.distributed", reason="python3-distributed (Debian) is not installed")

EXAMPLE = os.path.join(h.SOURCE_DIR, "examples", "dask_explain.py")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dask")
    model = h.make_cnn_model(tmp)
    corpus = h.write_text_corpus(str(tmp / "corpus.txt"), 40)
    return tmp, model, corpus


@pytest.fixture(scope="module")
def scheduler():
    """A running cluster of two worker processes, for the --scheduler runs (one start-up for all)."""
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster:
        yield cluster.scheduler_address


def run_example(*args):
    return subprocess.run([sys.executable, EXAMPLE] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=300)


def check_partitions(out_dir, model, corpus, n, *cli_args):
    parts = sorted(os.listdir(out_dir))
    assert parts == ["part-{:05d}.jsonl".format(k) for k in range(1, n + 1)]
    all_lines = []
    for k in range(1, n + 1):
        with open(os.path.join(out_dir, parts[k - 1]), "rb") as f:
            got = f.read()
        assert got == h.cli_explain(model, corpus, "--shard", "{}/{}".format(k, n), *cli_args), "partition {}".format(k)
        all_lines += got.splitlines()
    whole = h.cli_explain(model, corpus, *cli_args).splitlines()
    assert sorted(all_lines) == sorted(whole)
    assert len(whole) == len(set(json.loads(l)["id"] for l in whole))
    return whole


def test_local_cluster_partitions_equal_the_cli(setup):
    tmp, model, corpus = setup
    out = str(tmp / "out-text")
    r = run_example("--model", model, "--input", corpus, "--out", out, "--partitions", "3")
    assert r.returncode == 0, r.stderr
    whole = check_partitions(out, model, corpus, 3)
    assert len(whole) == 40
    # The generated ids: line number (blank lines counted) and the FNV-1a hash of the text.
    first = json.loads(whole[0])
    import textlrp
    assert first["id"] == textlrp.document_id(1, first["text"])
    # One JSON line per partition; two worker processes, each of which loaded the model once.
    results = [json.loads(l) for l in r.stdout.splitlines()]
    assert [x["shard"] for x in results] == [1, 2, 3]
    assert sum(x["documents"] for x in results) == 40
    pids = {x["pid"] for x in results}
    assert 1 <= len(pids) <= 2
    assert all(x["loads"] == 1 for x in results)
    assert "40 documents in 3 partitions on 2 workers" in r.stderr


def test_jsonl_input_with_labels_and_target_true(setup, scheduler):
    tmp, model, _ = setup
    corpus = str(tmp / "corpus.jsonl")
    with open(corpus, "w", encoding="utf-8") as f:
        for i, line in enumerate(h.corpus_lines(12)):
            doc = {"text": line, "label": "spam" if i % 2 else "ham"}
            if i % 3 == 0:
                doc["id"] = "doc{}".format(i)
            f.write(json.dumps(doc) + "\n")
    out = str(tmp / "out-jsonl")
    r = run_example("--model", model, "--input", corpus, "--out", out, "--partitions", "2", "--scheduler", scheduler,
                    "--target", "true", "--method", "gi")
    assert r.returncode == 0, r.stderr
    check_partitions(out, model, corpus, 2, "--target", "true", "--method", "gi")
    # A running cluster keeps its workers' models: a second job on it loads nothing again.
    r = run_example("--model", model, "--input", corpus, "--out", out + "2", "--scheduler", scheduler)
    assert r.returncode == 0, r.stderr
    assert all(json.loads(l)["loads"] == 1 for l in r.stdout.splitlines())


def test_errors_exit_1_with_the_library_message(setup, scheduler):
    tmp, model, _ = setup
    bad = str(tmp / "bad.jsonl")
    with open(bad, "w", encoding="utf-8") as f:
        f.write('{"text": "free money"}\n{"text": 3}\n')
    r = run_example("--model", model, "--input", bad, "--out", str(tmp / "out-bad"), "--partitions", "1",
                    "--scheduler", scheduler)
    assert r.returncode == 1
    assert "bad.jsonl:2" in r.stderr
    r = run_example("--model", str(tmp / "nope"), "--input", bad, "--out", str(tmp / "out-bad"))
    assert r.returncode == 1 and "does not exist" in r.stderr
    r = run_example("--model", model, "--input", bad, "--out", str(tmp / "out-bad"), "--workers", "0")
    assert r.returncode == 2


def test_explain_corpus_and_the_spark_function_without_dask(setup):
    import textlrp
    from textlrp import scale

    tmp, model, corpus = setup
    m = textlrp.load(model)
    out = str(tmp / "whole.jsonl")
    result = m.explain_corpus(input=corpus, output=out, threads=2)
    assert result["documents"] == 40
    with open(out, "rb") as f:
        assert f.read() == h.cli_explain(model, corpus)
    # mapPartitions-style: a worker gets an iterator of shard numbers.
    parts = str(tmp / "spark")
    os.makedirs(parts)
    results = list(scale.explain_shards(iter([1, 2]), model, corpus, parts, 2))
    assert [r["documents"] for r in results] == [20, 20]
    check_partitions(parts, model, corpus, 2)
    with pytest.raises(textlrp.UsageError):
        m.explain_corpus(input=corpus, output=out, shard="3/2")
    with pytest.raises(textlrp.IoError):
        m.explain_corpus(input=str(tmp / "missing.txt"), output=out)
