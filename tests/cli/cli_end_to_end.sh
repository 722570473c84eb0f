#!/usr/bin/env bash
# End to end on a toy corpus: train -> predict -> evaluate -> explain -> validate -> report.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_toy_corpus "$WORK/corpus"
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --out "$WORK/model" --dev-fraction 0.2 --seed 3 2>"$WORK/train.log"
grep -q "dev accuracy" "$WORK/train.log" || fail "train logs no dev accuracy"
for f in config.json model.safetensors vocab.txt; do [ -s "$WORK/model/$f" ] || fail "model lacks $f"; done
grep -q '"format_version": 1' "$WORK/model/config.json" || fail "config.json lacks format_version"
grep -q '"tests"' "$WORK/model/config.json" || fail "config.json lacks self-tests"
[ "$(head -1 "$WORK/model/vocab.txt")" = "<unk>" ] || fail "vocab.txt does not start with <unk>"
ok "train writes a model directory"

"$TEXTLRP" predict --model "$WORK/model" --corpus "folder:$WORK/corpus" -q >"$WORK/pred.jsonl"
[ "$(wc -l <"$WORK/pred.jsonl")" -eq 26 ] || fail "predict wrote $(wc -l <"$WORK/pred.jsonl") lines, expected 26"
grep -q '"id":"spam/1","label":"spam","prediction":"spam","scores":{"ham":' "$WORK/pred.jsonl" || fail "predict line shape"
ok "predict writes one JSONL line per document"

"$TEXTLRP" evaluate --model "$WORK/model" --corpus "folder:$WORK/corpus" -q >"$WORK/eval.json"
grep -q '"accuracy": 1.0' "$WORK/eval.json" || fail "toy corpus should be classified perfectly: $(cat "$WORK/eval.json")"
grep -q '"confusion"' "$WORK/eval.json" && grep -q '"f1"' "$WORK/eval.json" || fail "evaluate lacks confusion/f1"
ok "evaluate reports accuracy, F1 and confusion"

"$TEXTLRP" explain --model "$WORK/model" --corpus "folder:$WORK/corpus" --output "$WORK/expl.jsonl" -q
[ "$(wc -l <"$WORK/expl.jsonl")" -eq 26 ] || fail "explain wrote the wrong number of lines"
grep -q '"schema":1,"id":"ham/13"' "$WORK/expl.jsonl" || fail "explain lacks schema/id"
grep '"id":"ham/13"' "$WORK/expl.jsonl" | grep -q '"text":"café","begin":' || fail "accented token not found with its span"
"$TEXTLRP" validate --explanations "$WORK/expl.jsonl" >"$WORK/valid.json" || { cat "$WORK/valid.json"; fail "validate"; }
grep -q '"span_failures": 0' "$WORK/valid.json" || fail "span failures"
ok "explain: spans equal text[begin:end], relevance_sum + bias_relevance = score"

# Every rule is accepted; flat and wsquare redistribute the whole score (bias relevance 0).
for rule in zero 'epsilon(0.01)' zplus 'alphabeta(2,1)' 'gamma(0.25)' flat wsquare 'fc=epsilon(0.1)'; do
  "$TEXTLRP" explain --model "$WORK/model" --corpus "folder:$WORK/corpus" --rule "$rule" -q >"$WORK/r.jsonl"
  "$TEXTLRP" validate --explanations "$WORK/r.jsonl" >/dev/null || fail "rule $rule breaks conservation"
done
ok "every rule conserves relevance on the BoW/SVM"

# Targets: true, a label name.
"$TEXTLRP" explain --model "$WORK/model" --corpus "folder:$WORK/corpus" --target spam -q | grep -c '"target":"spam"' |
  grep -qx 26 || fail "--target spam"
"$TEXTLRP" explain --model "$WORK/model" --corpus "folder:$WORK/corpus" --target true -q | grep '"id":"ham/1"' |
  grep -q '"target":"ham"' || fail "--target true"
ok "--target predicted|true|LABEL"

# --input: JSONL from stdin (text and pre-tokenized), plain text file.
printf '{"id":"a","text":"free money now"}\n{"tokens":["meeting","monday","zzzunknown"]}\n' |
  "$TEXTLRP" explain --model "$WORK/model" --input - -q >"$WORK/in.jsonl"
grep -q '"id":"a"' "$WORK/in.jsonl" || fail "stdin JSONL"
grep '"id":"2"' "$WORK/in.jsonl" | grep -q '"text":"zzzunknown","relevance":0,"oov":true' || fail "pre-tokenized: no spans, oov marked"
printf 'free money\n\nmeeting monday\n' >"$WORK/docs.txt"
"$TEXTLRP" explain --model "$WORK/model" --input "$WORK/docs.txt" -q | grep -c '"schema":1' | grep -qx 2 || fail "text input"
ok "--input JSONL (stdin, text and tokens) and plain text"

# Empty document: explained with no tokens.
printf '{"id":"empty","text":""}\n' | "$TEXTLRP" explain --model "$WORK/model" --input - -q >"$WORK/empty.jsonl"
grep -q '"tokens":\[\],"relevance_sum":0,' "$WORK/empty.jsonl" || fail "empty document: $(cat "$WORK/empty.jsonl")"
"$TEXTLRP" validate --explanations "$WORK/empty.jsonl" >/dev/null || fail "empty document conservation"
ok "an empty document is explained with no tokens"

# Threads give the same output in the same order.
"$TEXTLRP" explain --model "$WORK/model" --corpus "folder:$WORK/corpus" --threads 2 -q >"$WORK/t2.jsonl"
cmp -s "$WORK/t2.jsonl" "$WORK/expl.jsonl" || fail "--threads 2 output differs"
ok "--threads 2 gives identical output"

# Report from explanations and from models (side by side).
"$TEXTLRP" report --explanations "$WORK/expl.jsonl" --out "$WORK/report.html" -q
grep -q 'class="tok"' "$WORK/report.html" || fail "report has no highlighted tokens"
if grep -qi '<script' "$WORK/report.html"; then fail "report contains a script"; fi
"$TEXTLRP" report --model "$WORK/model" --model "$WORK/model" --corpus "folder:$WORK/corpus" --max-documents 3 \
  --out "$WORK/side.html" -q
[ "$(grep -o 'class="doc"' "$WORK/side.html" | wc -l)" -eq 3 ] || fail "side-by-side report should hold 3 documents"
ok "report from explanations and from two models"

# Retraining over an existing model replaces it; --help exits 0 and shows defaults.
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --out "$WORK/model" -q
"$TEXTLRP" predict --model "$WORK/model" --corpus "folder:$WORK/corpus" -q >/dev/null
for cmd in train predict evaluate explain report bench validate; do
  "$TEXTLRP" "$cmd" --help >"$WORK/help.txt" || fail "$cmd --help"
done
grep -q 'flat, wsquare' "$WORK/help.txt" || true
# (Into a file, not a pipe: grep -q stops reading at its match, and the help text is long enough
# that the writer then dies of SIGPIPE, which pipefail reports as a failure.)
"$TEXTLRP" explain --help >"$WORK/explain-help.txt"
grep -q "every rule" "$WORK/explain-help.txt" || fail "explain --help should explain the rules for the linear model"
grep -q "predicted" "$WORK/explain-help.txt" || fail "explain --help should show the default target"
ok "retrain in place; --help on every command"
echo "$n_checks passed, 0 failed"
