#!/usr/bin/env bash
# Acceptance on the real 20 Newsgroups (bydate) split: BoW/SVM test accuracy >= 85.0 %, and
# explain on all 7532 test documents: spans exact, relevance_sum + bias_relevance = score.
# ctest-labels: heavy
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
D="$TEXTLRP_SHARED_DATA/20news-bydate"
OUT="$TEXTLRP_TEST_OUT/20news"
mkdir -p "$OUT"

"$TEXTLRP" train --arch svm --corpus "folder:$D/train" --out "$OUT/svm" -q
"$TEXTLRP" evaluate --model "$OUT/svm" --corpus "folder:$D/test" -q >"$OUT/evaluation.json"
acc="$(grep -m1 '"accuracy"' "$OUT/evaluation.json" | tr -dc '0-9.')"
echo "20news test accuracy: $acc"
awk -v a="$acc" 'BEGIN { exit !(a >= 0.85) }' || fail "accuracy $acc < 0.85"
ok "BoW/SVM test accuracy $acc >= 0.850"

"$TEXTLRP" explain --model "$OUT/svm" --corpus "folder:$D/test" --output "$OUT/explanations.jsonl" -q
"$TEXTLRP" validate --explanations "$OUT/explanations.jsonl" >"$OUT/validate.json" || { cat "$OUT/validate.json"; fail "validate"; }
grep -q '"documents": 7532' "$OUT/validate.json" || fail "expected 7532 documents"
cat "$OUT/validate.json"
ok "7532 explanations: exact spans, conservation within 1e-4"
rm -f "$OUT/explanations.jsonl"
echo "$n_checks passed, 0 failed"
