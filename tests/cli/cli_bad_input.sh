#!/usr/bin/env bash
# Bad input: each case exits 1 (data) or 2 (usage) with a short message naming the problem, never
# crashes, and never leaves a partial output file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_toy_corpus "$WORK/corpus"
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --out "$WORK/model" -q

# Corpora.
expect_exit 1 "$WORK/missing" "$TEXTLRP" train --corpus "folder:$WORK/missing" --out "$WORK/m1"
mkdir -p "$WORK/empty"
expect_exit 1 "no label folders" "$TEXTLRP" train --corpus "folder:$WORK/empty" --out "$WORK/m2"
mkdir -p "$WORK/nodocs/a" "$WORK/nodocs/b"
echo "one document" >"$WORK/nodocs/a/1"
expect_exit 1 "nodocs/b" "$TEXTLRP" train --corpus "folder:$WORK/nodocs" --out "$WORK/m3"
[ ! -e "$WORK/m1" ] && [ ! -e "$WORK/m2" ] && [ ! -e "$WORK/m3" ] || fail "a failed train left a model directory"
ok "failed training leaves no model directory"

# JSONL input.
printf '{"text":"fine"}\n{"text": broken\n' >"$WORK/bad1.jsonl"
expect_exit 1 "bad1.jsonl:2" "$TEXTLRP" explain --model "$WORK/model" --input "$WORK/bad1.jsonl" --output "$WORK/o1.jsonl"
printf '{"text":"fine"}\n[1,2]\n' >"$WORK/bad2.jsonl"
expect_exit 1 "bad2.jsonl:2.*object" "$TEXTLRP" explain --model "$WORK/model" --input "$WORK/bad2.jsonl"
printf '{"id":"x"}\n' >"$WORK/bad3.jsonl"
expect_exit 1 "bad3.jsonl:1.*text" "$TEXTLRP" explain --model "$WORK/model" --input "$WORK/bad3.jsonl"
printf '{"text":"ok"}\n{"text":"caf\xe9"}\n' >"$WORK/bad4.jsonl"
expect_exit 1 "bad4.jsonl:2.*UTF-8" "$TEXTLRP" explain --model "$WORK/model" --input "$WORK/bad4.jsonl" --output "$WORK/o4.jsonl"
[ ! -e "$WORK/o1.jsonl" ] && [ ! -e "$WORK/o4.jsonl" ] || fail "a failed explain left an output file"
ls "$WORK" | grep -q '\.tmp-' && fail "a temporary file was left behind"
ok "failed explain leaves no output file"
# The previous output survives a failing run.
"$TEXTLRP" explain --model "$WORK/model" --corpus "folder:$WORK/corpus" --output "$WORK/keep.jsonl" -q
cp "$WORK/keep.jsonl" "$WORK/keep.orig"
expect_exit 1 "bad4.jsonl:2" "$TEXTLRP" explain --model "$WORK/model" --input "$WORK/bad4.jsonl" --output "$WORK/keep.jsonl"
cmp -s "$WORK/keep.jsonl" "$WORK/keep.orig" || fail "the previous output was damaged"
ok "a failing run keeps the previous output intact"

# Model directories.
cp -r "$WORK/model" "$WORK/nost" && rm "$WORK/nost/model.safetensors"
expect_exit 1 "nost/model.safetensors" "$TEXTLRP" explain --model "$WORK/nost" --corpus "folder:$WORK/corpus"
cp -r "$WORK/model" "$WORK/trunc"
head -c 100 "$WORK/model/model.safetensors" >"$WORK/trunc/model.safetensors"
expect_exit 1 "trunc/model.safetensors" "$TEXTLRP" explain --model "$WORK/trunc" --corpus "folder:$WORK/corpus"
cp -r "$WORK/model" "$WORK/ver"
sed -i 's/"format_version": 1/"format_version": 7/' "$WORK/ver/config.json"
expect_exit 1 "ver/config.json.*format_version 7" "$TEXTLRP" explain --model "$WORK/ver" --corpus "folder:$WORK/corpus"
cp -r "$WORK/model" "$WORK/novocab" && rm "$WORK/novocab/vocab.txt"
expect_exit 1 "novocab/vocab.txt" "$TEXTLRP" predict --model "$WORK/novocab" --corpus "folder:$WORK/corpus"
cp -r "$WORK/model" "$WORK/badjson" && printf '{"format": "textlrp-model",' >"$WORK/badjson/config.json"
expect_exit 1 "badjson/config.json.*JSON" "$TEXTLRP" predict --model "$WORK/badjson" --corpus "folder:$WORK/corpus"
expect_exit 1 "does not exist" "$TEXTLRP" predict --model "$WORK/nomodel" --corpus "folder:$WORK/corpus"
# A model whose weights were swapped fails its self-test.
make_toy_corpus "$WORK/corpus2"
for f in "$WORK"/corpus2/ham/*; do mv "$f" "$WORK/corpus2/ham/x$(basename "$f")"; done
mv "$WORK/corpus2/ham" "$WORK/corpus2/tmp" && mv "$WORK/corpus2/spam" "$WORK/corpus2/ham" && mv "$WORK/corpus2/tmp" "$WORK/corpus2/spam"
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus2" --out "$WORK/swapped" -q
cp -r "$WORK/model" "$WORK/mixed" && cp "$WORK/swapped/model.safetensors" "$WORK/mixed/model.safetensors"
if cmp -s "$WORK/model/vocab.txt" "$WORK/swapped/vocab.txt"; then
  expect_exit 1 "self-test" "$TEXTLRP" predict --model "$WORK/mixed" --corpus "folder:$WORK/corpus"
fi

# Usage errors exit 2.
expect_exit 2 "unknown rule 'magic'.*wsquare" "$TEXTLRP" explain --model "$WORK/model" --corpus "folder:$WORK/corpus" --rule magic
expect_exit 2 "unknown layer role 'conv'" "$TEXTLRP" explain --model "$WORK/model" --corpus "folder:$WORK/corpus" --rule conv=zplus
expect_exit 2 "target" "$TEXTLRP" explain --model "$WORK/model" --corpus "folder:$WORK/corpus" --target nosuchlabel
expect_exit 2 "method" "$TEXTLRP" explain --model "$WORK/model" --corpus "folder:$WORK/corpus" --method magic
expect_exit 2 "--corpus" "$TEXTLRP" explain --model "$WORK/model"
expect_exit 2 "required" "$TEXTLRP" explain --corpus "folder:$WORK/corpus"
expect_exit 2 "" "$TEXTLRP" nosuchcommand
expect_exit 2 "format" "$TEXTLRP" explain --model "$WORK/model" --corpus "nosuchformat:$WORK/corpus"
printf '{"text":"no label"}\n' >"$WORK/nolabel.jsonl"
# A missing label is a data error (exit 1), not a usage error (issue 12).
expect_exit 1 "no label" "$TEXTLRP" explain --model "$WORK/model" --input "$WORK/nolabel.jsonl" --target true
echo "$n_checks passed, 0 failed"
