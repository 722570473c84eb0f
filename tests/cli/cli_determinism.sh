#!/usr/bin/env bash
# Training is deterministic: the same corpus, seed and one thread give byte-identical model
# directories (config.json, model.safetensors, vocab.txt), for every architecture this build
# trains. A different seed gives a different CNN (so the check can fail).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_toy_corpus "$WORK/corpus"

same_dirs() {
  local a="$1" b="$2" f
  [ "$(cd "$a" && ls | LC_ALL=C sort)" = "$(cd "$b" && ls | LC_ALL=C sort)" ] || return 1
  for f in "$a"/*; do cmp -s "$f" "$b/$(basename "$f")" || return 1; done
}

train() {  # train ARCH OUT SEED [extra options]
  local arch="$1" out="$2" seed="$3"
  shift 3
  "$TEXTLRP" train --arch "$arch" --corpus "folder:$WORK/corpus" --threads 1 --seed "$seed" --out "$out" --quiet "$@"
}

train svm "$WORK/svm1" 7
train svm "$WORK/svm2" 7
same_dirs "$WORK/svm1" "$WORK/svm2" || fail "two svm trainings with seed 7 and one thread differ"
ok "svm: same seed, one thread => identical model directory"

cnn_opts=(--dim 16 --kernel-sizes 2 3 --filters 8 --epochs 3 --patience 3)
train cnn "$WORK/cnn1" 7 "${cnn_opts[@]}"
train cnn "$WORK/cnn2" 7 "${cnn_opts[@]}"
same_dirs "$WORK/cnn1" "$WORK/cnn2" || fail "two cnn trainings with seed 7 and one thread differ"
ok "cnn: same seed, one thread => identical model directory"

train cnn "$WORK/cnn3" 8 "${cnn_opts[@]}"
if cmp -s "$WORK/cnn1/model.safetensors" "$WORK/cnn3/model.safetensors"; then
  fail "cnn trainings with seeds 7 and 8 gave the same weights: the seed has no effect"
fi
ok "cnn: a different seed gives different weights"

bilstm_opts=(--dim 8 --hidden 6 --epochs 2 --patience 2)
train bilstm "$WORK/bilstm1" 7 "${bilstm_opts[@]}"
train bilstm "$WORK/bilstm2" 7 "${bilstm_opts[@]}"
same_dirs "$WORK/bilstm1" "$WORK/bilstm2" || fail "two bilstm trainings with seed 7 and one thread differ"
ok "bilstm: same seed, one thread => identical model directory"
