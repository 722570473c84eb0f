#!/usr/bin/env bash
# An interrupted run never damages the previous output: a long `explain --output F` is killed
# while it writes; F must still hold the previous run's bytes. SIGTERM and SIGHUP also remove the
# temporary file (the signal handler unlinks it); SIGKILL cannot be handled, so its temporary file
# may stay behind (named F.tmp-<pid>-<hex>), but F itself is intact. (SIGINT is not sent: a
# background job of a script starts with SIGINT ignored, and textlrp keeps ignored signals ignored.)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_toy_corpus "$WORK/corpus"
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --out "$WORK/model" -q
"$TEXTLRP" explain --model "$WORK/model" --corpus "folder:$WORK/corpus" --output "$WORK/out.jsonl" -q
cp "$WORK/out.jsonl" "$WORK/out.orig"
# Far more documents than the run gets to finish before it is killed.
awk 'BEGIN { for (i = 0; i < 2000000; i++) printf "{\"text\":\"free money now %d, the meeting is on monday\"}\n", i }' \
  >"$WORK/big.jsonl"

for sig in TERM HUP KILL; do
  "$TEXTLRP" explain --model "$WORK/model" --input "$WORK/big.jsonl" --output "$WORK/out.jsonl" --threads 2 -q &
  pid=$!
  # Wait until the run has started writing its temporary file (at most 60 s).
  for _ in $(seq 1 600); do
    tmp="$(ls "$WORK" | grep '^out\.jsonl\.tmp-' || true)"
    if [ -n "$tmp" ] && [ -s "$WORK/$tmp" ]; then break; fi
    sleep 0.1
  done
  [ -n "$tmp" ] || { kill -KILL "$pid" 2>/dev/null || true; fail "SIG$sig: the run never created its temporary file"; }
  kill -"$sig" "$pid" 2>/dev/null || fail "SIG$sig: the run finished before it could be interrupted"
  status=0
  wait "$pid" || status=$?
  [ "$status" -gt 128 ] || fail "SIG$sig: expected death by signal, exit status $status"
  cmp -s "$WORK/out.jsonl" "$WORK/out.orig" || fail "SIG$sig: the previous output was damaged"
  ok "SIG$sig while writing: the previous output is intact (exit status $status)"
  left="$(ls "$WORK" | grep '^out\.jsonl\.tmp-' || true)"
  if [ "$sig" = KILL ]; then
    rm -f "$WORK"/out.jsonl.tmp-*
  else
    [ -z "$left" ] || fail "SIG$sig: the temporary file $left was left behind"
    ok "SIG$sig: the temporary file was removed"
  fi
done
