#!/usr/bin/env bash
# textlrp report on a toy corpus: documents sharing an id are not merged (issue 12, defect 2),
# truncation is reported with the model's limit and the unread tokens marked (defect 4), empty input
# is an error, -o/--output/--out, and --max-documents with --select.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_toy_corpus "$WORK/corpus"
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --out "$WORK/svm" --seed 3 -q 2>/dev/null

# (1) Two explain runs without ids, concatenated: generated ids differ, nothing is merged.
printf 'free money now\nthe meeting is on monday\n' >"$WORK/a.txt"
printf 'cheap pills offer\nlunch at noon\n' >"$WORK/b.txt"
"$TEXTLRP" explain --model "$WORK/svm" --input "$WORK/a.txt" --input-format text -q >"$WORK/a.jsonl"
"$TEXTLRP" explain --model "$WORK/svm" --input "$WORK/b.txt" --input-format text -q >"$WORK/b.jsonl"
grep -Eq '"id":"1-[0-9a-f]{8}"' "$WORK/a.jsonl" || fail "generated id is not <line>-<hash>: $(head -c 80 "$WORK/a.jsonl")"
ids=$(cat "$WORK/a.jsonl" "$WORK/b.jsonl" | grep -o '"id":"[^"]*"' | sort -u | wc -l)
[ "$ids" -eq 4 ] || fail "4 documents of two inputs should have 4 distinct ids, got $ids"
cat "$WORK/a.jsonl" "$WORK/b.jsonl" >"$WORK/ab.jsonl"
"$TEXTLRP" report --explanations "$WORK/ab.jsonl" -o "$WORK/ab.html" 2>"$WORK/ab.log"
[ "$(grep -o '<section class="doc"' "$WORK/ab.html" | wc -l)" -eq 4 ] || fail "concatenated runs should give 4 cards"
ok "generated ids do not collide across inputs"

# The same explicit id for different texts: separate cards and a warning; same id and text from two
# models: one card, side by side.
printf '{"id":"7","text":"free money now"}\n' | "$TEXTLRP" explain --model "$WORK/svm" --input - -q >"$WORK/c1.jsonl"
printf '{"id":"7","text":"the meeting is on monday"}\n' | "$TEXTLRP" explain --model "$WORK/svm" --input - -q >"$WORK/c2.jsonl"
cat "$WORK/c1.jsonl" "$WORK/c2.jsonl" "$WORK/c1.jsonl" >"$WORK/c.jsonl"
"$TEXTLRP" report --explanations "$WORK/c.jsonl" --output "$WORK/c.html" 2>"$WORK/c.log"
grep -q "id '7' is used by different documents" "$WORK/c.log" || fail "no collision warning: $(cat "$WORK/c.log")"
[ "$(grep -o '<section class="doc"' "$WORK/c.html" | wc -l)" -eq 2 ] || fail "id collision: expected 2 cards"
[ "$(grep -o '<div class="views multi">' "$WORK/c.html" | wc -l)" -eq 1 ] || fail "same id and text: one card with 2 views"
ok "same id, different text: separate cards with a warning (--output)"

# (2) Truncation: a CNN reading at most 5 tokens.
"$TEXTLRP" train --arch cnn --corpus "folder:$WORK/corpus" --out "$WORK/cnn" --max-tokens 5 --dim 8 --filters 4 \
  --epochs 1 --seed 1 -q 2>/dev/null
printf '{"id":"long","text":"one two three four five six seven eight"}\n' |
  "$TEXTLRP" explain --model "$WORK/cnn" --input - -q >"$WORK/t.jsonl"
grep -q '"truncated":true,"max_tokens":5,' "$WORK/t.jsonl" || fail "no max_tokens: $(head -c 300 "$WORK/t.jsonl")"
grep -q '"text":"six","begin":24,"end":27,"relevance":0,[^}]*"unseen":true}' "$WORK/t.jsonl" || fail "token 6 not unseen"
if grep -q '"text":"five"[^}]*"unseen"' "$WORK/t.jsonl"; then fail "token 5 was read but is marked unseen"; fi
"$TEXTLRP" report --explanations "$WORK/t.jsonl" --out "$WORK/t.html" -q
grep -q 'the model reads at most 5 tokens; it read 5 of the 8 tokens' "$WORK/t.html" || fail "truncation note"
grep -q '<span class=unseen title="not read by the model (it reads at most 5 tokens)">six seven eight</span>' \
  "$WORK/t.html" || fail "unseen tokens not marked in the HTML"
ok "truncation: the model's limit and the unseen tokens in JSON and HTML"

# (3) Empty input is a data error; -o is required.
: >"$WORK/empty.jsonl"
expect_exit 1 "empty.jsonl: no explanations" "$TEXTLRP" report --explanations "$WORK/empty.jsonl" -o "$WORK/e.html"
[ ! -e "$WORK/e.html" ] || fail "an empty report was written"
: >"$WORK/empty.txt"
expect_exit 1 "no documents to report" "$TEXTLRP" report --model "$WORK/svm" --input "$WORK/empty.txt" \
  --input-format text -o "$WORK/e.html"
expect_exit 2 "output" "$TEXTLRP" report --explanations "$WORK/a.jsonl"
expect_exit 2 "--select 'random'" "$TEXTLRP" report --explanations "$WORK/a.jsonl" -o "$WORK/e.html" --select random

# (4) --max-documents: spread over the classes by default (the folder lists ham first).
"$TEXTLRP" report --model "$WORK/svm" --corpus "folder:$WORK/corpus" --max-documents 4 -o "$WORK/s.html" -q
[ "$(grep -o 'data-id="ham/' "$WORK/s.html" | wc -l)" -eq 2 ] || fail "stratified: expected 2 ham documents"
[ "$(grep -o 'data-id="spam/' "$WORK/s.html" | wc -l)" -eq 2 ] || fail "stratified: expected 2 spam documents"
grep -q 'Shown: 4 of 26 documents, spread over the classes' "$WORK/s.html" || fail "selection note"
"$TEXTLRP" report --model "$WORK/svm" --corpus "folder:$WORK/corpus" --max-docs 4 --select first -o "$WORK/f.html" -q
[ "$(grep -o 'data-id="ham/' "$WORK/f.html" | wc -l)" -eq 4 ] || fail "--select first: expected the first 4 (ham)"
grep -q '<b class="accuracy">accuracy' "$WORK/s.html" || fail "no accuracy in the summary"
ok "--max-documents (and its alias --max-docs) with --select stratified (default) and first"
