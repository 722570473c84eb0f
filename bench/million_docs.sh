#!/usr/bin/env bash
# bench/million_docs.sh — streaming at scale: explains (and predicts) a corpus of one million short
# documents and reports peak resident memory (RSS) and documents/s, both measured in the same run.
#
# The corpus is made by repeating the lines of 20 Newsgroups test messages (5..40 words each) as
# JSONL {"id","text"} documents; it lives in a temporary folder and is deleted afterwards.
#
# Usage: bench/million_docs.sh [--docs N] [--model DIR] [--threads T] [--source DIR] [--binary PATH]
#   --docs     number of documents (default 1000000)
#   --model    model directory to explain with (default: a BoW/SVM trained on --source's sibling
#              train/ folder, cached in build/bench-models/)
#   --source   folder corpus the sentences come from (default ../shared/data/20news-bydate/test)
#   --threads  worker threads (default: all cores)
#   --binary   the textlrp binary (default build/bin/textlrp)
# Prints one JSON object on stdout; progress on stderr.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
docs=1000000
model=""
threads="$(nproc)"
source_dir="$root/../shared/data/20news-bydate/test"
binary="$root/build/bin/textlrp"
while [ $# -gt 0 ]; do
  case "$1" in
    --docs) docs="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --source) source_dir="$2"; shift 2 ;;
    --binary) binary="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "million_docs.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "million_docs.sh: $binary not found; build first (./scripts/test or cmake --build build)" >&2; exit 1; }
[ -d "$source_dir" ] || { echo "million_docs.sh: source corpus $source_dir not found (give --source DIR)" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/textlrp-million.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

if [ -z "$model" ]; then
  model="$root/build/bench-models/20news-svm"
  if [ ! -f "$model/config.json" ]; then
    echo "million_docs.sh: training a BoW/SVM on $(dirname "$source_dir")/train for the benchmark" >&2
    "$binary" train --arch svm --corpus "folder:$(dirname "$source_dir")/train" --strip headers,footers,quotes \
      --out "$model" --quiet
  fi
fi

echo "million_docs.sh: writing $docs documents from the lines of $source_dir" >&2
python3 - "$source_dir" "$docs" "$tmp/docs.jsonl" <<'EOF'
import json, os, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = []
for d, _, files in sorted(os.walk(src)):
    for f in sorted(files):
        with open(os.path.join(d, f), encoding="latin-1") as fh:
            for line in fh:
                w = line.split()
                if 5 <= len(w) <= 40 and ":" not in w[0] and not line.startswith(">"):
                    lines.append(" ".join(w))
if not lines:
    sys.exit("no usable lines in " + src)
with open(out, "w", encoding="utf-8") as fh:
    for i in range(n):
        fh.write(json.dumps({"id": str(i + 1), "text": lines[i % len(lines)]}, ensure_ascii=False) + "\n")
print(f"million_docs.sh: {len(lines)} distinct lines, {os.path.getsize(out) / 2**20:.0f} MiB of JSONL", file=sys.stderr)
EOF

# run NAME CMD...: runs CMD with stdout counted and discarded; prints "seconds peak_rss_kib output_bytes".
run() {
  python3 - "$@" <<'EOF'
import resource, subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE)
n = 0
while True:
    b = p.stdout.read(1 << 20)
    if not b:
        break
    n += len(b)
rc = p.wait()
dt = time.monotonic() - t0
if rc != 0:
    sys.exit(f"{sys.argv[1]} failed with exit code {rc}")
print(f"{dt:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} {n}")
EOF
}

echo "million_docs.sh: predict ($threads threads)" >&2
read -r p_s p_rss p_bytes < <(run predict "$binary" predict --model "$model" --input "$tmp/docs.jsonl" --threads "$threads" --quiet)
echo "million_docs.sh: explain ($threads threads)" >&2
read -r e_s e_rss e_bytes < <(run explain "$binary" explain --model "$model" --input "$tmp/docs.jsonl" --threads "$threads" --quiet)

python3 - <<EOF
import json
docs, ps, es = $docs, $p_s, $e_s
print(json.dumps({
    "documents": docs, "model": "$model", "threads": $threads,
    "predict": {"seconds": ps, "docs_per_s": round(docs / ps), "peak_rss_mib": round($p_rss / 1024, 1),
                "output_mib": round($p_bytes / 2**20, 1)},
    "explain": {"seconds": es, "docs_per_s": round(docs / es), "peak_rss_mib": round($e_rss / 1024, 1),
                "output_mib": round($e_bytes / 2**20, 1)},
    "explain_over_predict_time": round(es / ps, 3),
}, indent=2))
EOF
