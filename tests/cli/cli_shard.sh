#!/usr/bin/env bash
# --shard I/N splits the input round-robin: the N shards' outputs concatenated hold every record of
# the unsharded run exactly once (same bytes, per id), for explain, predict and docvec, from a file
# and from stdin. Streamed analyses (docvec, deletion, topwords without --max-docs) give the same
# results as the in-memory path.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_toy_corpus "$WORK/corpus"
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --threads 1 --out "$WORK/svm" --quiet
"$TEXTLRP" train --arch cnn --corpus "folder:$WORK/corpus" --threads 1 --dim 8 --kernel-sizes 2 --filters 4 \
  --epochs 2 --out "$WORK/cnn" --quiet
for i in $(seq 1 25); do
  printf '{"id":"d%02d","text":"free money meeting %s monday prize"}\n' "$i" "$i"
done >"$WORK/docs.jsonl"

# sorted_by_id FILE: the JSONL records sorted by their "id" (byte order).
sorted_by_id() { LC_ALL=C sort "$1"; }

for cmd in explain predict; do
  "$TEXTLRP" "$cmd" --model "$WORK/svm" --input "$WORK/docs.jsonl" --quiet >"$WORK/$cmd.all"
  : >"$WORK/$cmd.parts"
  for s in 1 2 3; do
    "$TEXTLRP" "$cmd" --model "$WORK/svm" --input "$WORK/docs.jsonl" --shard "$s/3" --quiet >"$WORK/$cmd.$s"
    cat "$WORK/$cmd.$s" >>"$WORK/$cmd.parts"
  done
  [ "$(wc -l <"$WORK/$cmd.1")" -eq 9 ] || fail "$cmd --shard 1/3 of 25 documents: expected 9 records, got $(wc -l <"$WORK/$cmd.1")"
  grep -q '"id":"d04"' "$WORK/$cmd.1" || fail "$cmd --shard 1/3 should hold documents 1, 4, 7, ..."
  cmp -s <(sorted_by_id "$WORK/$cmd.all") <(sorted_by_id "$WORK/$cmd.parts") ||
    fail "$cmd: the three shards concatenated differ from the unsharded output"
  ok "$cmd: shards 1/3..3/3 concatenated = the unsharded output (per id)"
done

# From stdin.
"$TEXTLRP" explain --model "$WORK/svm" --input - --shard 2/2 --quiet <"$WORK/docs.jsonl" >"$WORK/stdin.2"
"$TEXTLRP" explain --model "$WORK/svm" --input "$WORK/docs.jsonl" --shard 2/2 --quiet >"$WORK/file.2"
cmp -s "$WORK/stdin.2" "$WORK/file.2" || fail "explain --shard 2/2 from stdin differs from the same shard of the file"
ok "explain --shard 2/2 reads stdin the same way as a file"

# docvec: shards of a streamed TF-IDF run use the idf of the whole corpus, so the rows agree.
"$TEXTLRP" docvec --model "$WORK/cnn" --corpus "folder:$WORK/corpus" --weighting uniform,tfidf,lrp --out "$WORK/dv.all" --quiet
{
  "$TEXTLRP" docvec --model "$WORK/cnn" --corpus "folder:$WORK/corpus" --weighting uniform,tfidf,lrp --shard 1/2 --out - --quiet
  "$TEXTLRP" docvec --model "$WORK/cnn" --corpus "folder:$WORK/corpus" --weighting uniform,tfidf,lrp --shard 2/2 --out - --quiet |
    tail -n +2
} >"$WORK/dv.parts"
cmp -s <(LC_ALL=C sort "$WORK/dv.all") <(LC_ALL=C sort "$WORK/dv.parts") ||
  fail "docvec: the two shards concatenated (one header) differ from the unsharded TSV"
ok "docvec: shards concatenated = the unsharded TSV, TF-IDF included"

# Streamed (no --max-docs) and in-memory (--max-docs larger than the corpus) analyses agree.
"$TEXTLRP" deletion --model "$WORK/cnn" --corpus "folder:$WORK/corpus" --methods lrp,random --max-delete 3 \
  --threads 2 --quiet >"$WORK/del.stream"
"$TEXTLRP" deletion --model "$WORK/cnn" --corpus "folder:$WORK/corpus" --methods lrp,random --max-delete 3 \
  --threads 2 --max-docs 1000 --quiet >"$WORK/del.memory"
python3 - "$WORK/del.stream" "$WORK/del.memory" <<'EOF' || fail "deletion: streamed and in-memory results differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for j in (a, b):
    j.pop("seconds", None)
assert a["documents"] == 26, a["documents"]
assert a == b, (a, b)
EOF
ok "deletion: the streamed run equals the in-memory run (26 documents)"
"$TEXTLRP" topwords --model "$WORK/svm" --corpus "folder:$WORK/corpus" --per-class 5 --quiet >"$WORK/tw.stream"
"$TEXTLRP" topwords --model "$WORK/svm" --corpus "folder:$WORK/corpus" --per-class 5 --max-docs 1000 --quiet >"$WORK/tw.memory"
cmp -s "$WORK/tw.stream" "$WORK/tw.memory" || fail "topwords: streamed and in-memory results differ"
ok "topwords: the streamed run equals the in-memory run"

expect_exit 2 "--shard '0/3': expected I/N with 1 <= I <= N" "$TEXTLRP" explain --model "$WORK/svm" --input "$WORK/docs.jsonl" --shard 0/3
expect_exit 2 "--shard '4/3'" "$TEXTLRP" explain --model "$WORK/svm" --input "$WORK/docs.jsonl" --shard 4/3
expect_exit 2 "--shard 'x'" "$TEXTLRP" predict --model "$WORK/svm" --input "$WORK/docs.jsonl" --shard x
