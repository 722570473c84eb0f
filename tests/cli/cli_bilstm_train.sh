#!/usr/bin/env bash
# textlrp train --arch bilstm on a toy SST-format treebank: five-class with phrases and binary
# (sst-binary:), then evaluate, explain and validate; bad BiLSTM options are usage errors.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# make_toy_sst FILE N SEED: N PTB trees "the NOUN is ADJ ." with the sentiment of ADJ (0..4, each
# adjective has one), optionally negated with "not" (label 4 - l), labelled on every node as SST does.
make_toy_sst() {
  local file="$1" n="$2" seed="$3" i
  local nouns=(movie film plot cast story) pos=(great wonderful moving funny) neg=(awful dull boring bad)
  RANDOM="$seed"
  : >"$file"
  for ((i = 0; i < n; i++)); do
    local noun="${nouns[RANDOM % 5]}" kind=$((RANDOM % 3)) k=$((RANDOM % 4)) adj l
    case "$kind" in
      0) adj="${pos[k]}"; l=$((k < 2 ? 4 : 3)) ;;  # great, wonderful: 4; moving, funny: 3
      1) adj="${neg[k]}"; l=$((k < 2 ? 0 : 1)) ;;  # awful, dull: 0; boring, bad: 1
      2) adj=long; l=2 ;;
    esac
    if [ "$kind" -ne 2 ] && [ $((RANDOM % 4)) -eq 0 ]; then  # negation flips the sentiment
      local f=$((4 - l))
      printf '(%d (2 (2 the) (2 %s)) (%d (%d (2 is) (%d (2 not) (%d %s))) (2 .)))\n' "$f" "$noun" "$f" "$f" "$f" "$l" "$adj" >>"$file"
    else
      printf '(%d (2 (2 the) (2 %s)) (%d (%d (2 is) (%d %s)) (2 .)))\n' "$l" "$noun" "$l" "$l" "$l" "$adj" >>"$file"
    fi
  done
}
make_toy_sst "$WORK/train.txt" 150 1
make_toy_sst "$WORK/dev.txt" 40 2
make_toy_sst "$WORK/test.txt" 40 3

# Five-class, with every phrase as an extra training example.
"$TEXTLRP" train --arch bilstm --corpus "sst:$WORK/train.txt" --dev-corpus "sst:$WORK/dev.txt" --sst-phrases \
  --dim 12 --hidden 8 --epochs 30 --patience 30 --batch 8 --lr 0.02 --dropout 0 --threads 2 \
  --out "$WORK/m5" 2>"$WORK/train5.log" || { cat "$WORK/train5.log"; fail "train --arch bilstm"; }
grep -q "distinct training sentences and phrases" "$WORK/train5.log" || fail "no phrase count in the log"
grep -q "epoch 1: train loss" "$WORK/train5.log" || fail "no epoch line in the log"
grep -q '"architecture": "bilstm"' "$WORK/m5/config.json" || fail "config.json: architecture"
grep -q '"sst_phrases": true' "$WORK/m5/config.json" || fail "config.json: sst_phrases"
grep -qx '\.' "$WORK/m5/vocab.txt" || fail "the SST token '.' is not in the vocabulary (pre-tokenized leaves expected)"
ok "train --arch bilstm --sst-phrases writes a model"

"$TEXTLRP" evaluate --model "$WORK/m5" --corpus "sst:$WORK/test.txt" -q >"$WORK/eval5.json"
acc=$(sed -n 's/.*"accuracy": \([0-9.]*\).*/\1/p' "$WORK/eval5.json" | head -1)
awk -v a="$acc" 'BEGIN { exit !(a >= 0.8) }' || fail "five-class toy test accuracy $acc < 0.8: $(cat "$WORK/eval5.json")"
ok "evaluate: five-class toy test accuracy $acc"

"$TEXTLRP" explain --model "$WORK/m5" --corpus "sst:$WORK/test.txt" --output "$WORK/expl.jsonl" -q
[ "$(wc -l <"$WORK/expl.jsonl")" -eq 40 ] || fail "explain wrote $(wc -l <"$WORK/expl.jsonl") lines, expected 40"
head -1 "$WORK/expl.jsonl" | grep -q '"tokens":\[{"text":"the","relevance":' || fail "explain: token records $(head -1 "$WORK/expl.jsonl")"
grep -q '"oov":true' "$WORK/expl.jsonl" && fail "an SST token of the toy test set is out of vocabulary"
"$TEXTLRP" validate --explanations "$WORK/expl.jsonl" >"$WORK/valid.json" || { cat "$WORK/valid.json"; fail "validate"; }
ok "explain + validate on the BiLSTM"

# Binary: neutral sentences dropped, labels negative/positive.
"$TEXTLRP" train --arch bilstm --corpus "sst-binary:$WORK/train.txt" --dev-corpus "sst-binary:$WORK/dev.txt" \
  --sst-phrases --dim 12 --hidden 8 --epochs 30 --patience 30 --batch 8 --lr 0.02 --optimizer adam \
  --embedding-dropout 0.1 --dropout 0.1 --no-output-bias --threads 1 --seed 5 --out "$WORK/m2" -q
grep -q '"negative"' "$WORK/m2/config.json" && grep -q '"positive"' "$WORK/m2/config.json" || fail "binary labels"
grep -q '"fc_bias": false' "$WORK/m2/config.json" || fail "--no-output-bias"
"$TEXTLRP" evaluate --model "$WORK/m2" --corpus "sst-binary:$WORK/test.txt" -q >"$WORK/eval2.json"
acc=$(sed -n 's/.*"accuracy": \([0-9.]*\).*/\1/p' "$WORK/eval2.json" | head -1)
awk -v a="$acc" 'BEGIN { exit !(a >= 0.9) }' || fail "binary toy test accuracy $acc < 0.9: $(cat "$WORK/eval2.json")"
ok "sst-binary: toy test accuracy $acc"

# Same seed, one thread: the same model file.
"$TEXTLRP" train --arch bilstm --corpus "sst-binary:$WORK/train.txt" --dev-corpus "sst-binary:$WORK/dev.txt" \
  --sst-phrases --dim 12 --hidden 8 --epochs 30 --patience 30 --batch 8 --lr 0.02 --optimizer adam \
  --embedding-dropout 0.1 --dropout 0.1 --no-output-bias --threads 1 --seed 5 --out "$WORK/m2b" -q
cmp -s "$WORK/m2/model.safetensors" "$WORK/m2b/model.safetensors" || fail "same seed, one thread: models differ"
ok "same seed and one thread give the same model file"

# --max-tokens (issue 12): saved in the model; the model reads that many tokens and says truncated.
"$TEXTLRP" train --arch bilstm --corpus "sst:$WORK/train.txt" --dim 8 --hidden 4 --epochs 1 --max-tokens 3 \
  --threads 1 --out "$WORK/m3" -q
python3 - "$WORK/m3/config.json" <<'PY' || fail "config.json lacks hyper.max_tokens 3"
import json, sys
assert json.load(open(sys.argv[1]))["hyper"]["max_tokens"] == 3
PY
echo '{"text": "the movie is not great ."}' | "$TEXTLRP" explain --model "$WORK/m3" --input - -q >"$WORK/t3.jsonl"
grep -q '"truncated":true' "$WORK/t3.jsonl" || fail "a 5-token document is not truncated at 3"
"$TEXTLRP" validate --explanations "$WORK/t3.jsonl" >/dev/null || fail "the truncated explanation fails validate"
echo '{"text": "great movie"}' | "$TEXTLRP" explain --model "$WORK/m3" --input - -q | grep -vq '"truncated"' ||
  fail "a 2-token document is marked truncated"
ok "train --arch bilstm --max-tokens 3: saved, applied, reported"

expect_exit 2 "optimizer" "$TEXTLRP" train --arch bilstm --corpus "sst:$WORK/train.txt" --optimizer sgd --out "$WORK/x" -q
expect_exit 2 "needs --dev-corpus" "$TEXTLRP" train --arch bilstm --corpus "sst:$WORK/train.txt" --sst-phrases --out "$WORK/x" -q
expect_exit 2 "^textlrp: usage error: --hidden: 0 is not 1 or more$" "$TEXTLRP" train --arch bilstm --corpus "sst:$WORK/train.txt" --hidden 0 --out "$WORK/x" -q
[ ! -e "$WORK/x" ] || fail "a failed run left an output"
"$TEXTLRP" train --help >"$WORK/help.txt" || fail "train --help"
for o in --sst-phrases --dev-corpus --hidden --optimizer --embedding-dropout --clip-norm --no-output-bias --max-tokens; do
  grep -q -- "$o" "$WORK/help.txt" || fail "train --help lacks $o"
done
ok "train --help lists the BiLSTM options"
echo "$n_checks passed, 0 failed"
