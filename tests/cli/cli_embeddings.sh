#!/usr/bin/env bash
# textlrp embeddings train: fastText vectors on a toy corpus; bad options are usage errors.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
make_toy_corpus "$WORK/corpus"
"$TEXTLRP" embeddings train --corpus "folder:$WORK/corpus" --dim 8 --epoch 2 --min-count 1 --threads 1 \
  --out "$WORK/v.vec" -q
read -r n dim <"$WORK/v.vec"
[ "$dim" -eq 8 ] || fail "header dim $dim, expected 8"
[ "$n" -gt 20 ] || fail "only $n words"
[ "$(wc -l <"$WORK/v.vec")" -eq $((n + 1)) ] || fail "row count differs from the header"
grep -q '^meeting ' "$WORK/v.vec" || fail "word 'meeting' missing"
grep -q '^café ' "$WORK/v.vec" || fail "case-folded 'café' missing"
ls "$WORK" | grep -q 'corpus-' && fail "temporary corpus file left behind"
ok "vectors trained with the classifiers' tokenization"
expect_exit 2 "dim" "$TEXTLRP" embeddings train --corpus "folder:$WORK/corpus" --dim 0 --out "$WORK/w.vec"
expect_exit 2 "skipgram or cbow" "$TEXTLRP" embeddings train --corpus "folder:$WORK/corpus" --model glove --out "$WORK/w.vec"
[ ! -e "$WORK/w.vec" ] || fail "a failed run left an output"
echo "$n_checks passed, 0 failed"
