#!/usr/bin/env bash
# The explanatory power index of degenerate vector sets: documents of one class, no labels, a docvec
# TSV without a model name, more folds than documents, a value that is not finite. Each is a short
# message naming the vectors (weighting, model, file) with what was found and what is needed, never
# "the  vectors of model ''"; `analyze` on a corpus of one class writes its report with a note
# instead of failing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_toy_corpus "$WORK/corpus"
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --threads 1 --out "$WORK/svm" --quiet
printf '3 3\nfree 0.1 0.2 0.3\nmoney 0.4 -0.5 0.6\nmeeting -0.7 0.8 0.9\n' >"$WORK/w.vec"
mkdir -p "$WORK/one/spam"
cp "$WORK/corpus/spam/"* "$WORK/one/spam/"
"$TEXTLRP" docvec --model "$WORK/svm" --embeddings "$WORK/w.vec" --corpus "folder:$WORK/one" \
  --weighting uniform,lrp --out "$WORK/one.tsv" -q
need="the explanatory power index needs labelled documents of at least two classes"

expect_exit 1 "^textlrp: error: epi: the uniform vectors of model 'svm' in .*one.tsv: all 13 labelled documents are of class 'spam'; $need\$" \
  "$TEXTLRP" epi --vectors "$WORK/one.tsv"
grep -q "model ''" "$WORK/stderr" && fail "an empty model name in: $(cat "$WORK/stderr")"
# docvec --epi: the vectors computed in place (no file named).
expect_exit 1 "^textlrp: error: epi: the uniform vectors of model 'svm': all 13 labelled documents are of class 'spam'; $need\$" \
  "$TEXTLRP" docvec --model "$WORK/svm" --embeddings "$WORK/w.vec" --corpus "folder:$WORK/one" \
  --weighting uniform --out "$WORK/one2.tsv" --epi -q
# A TSV whose model column is empty (written by hand or another tool).
awk -F'\t' 'BEGIN { OFS = "\t" } NR > 1 { $4 = "" } { print }' "$WORK/one.tsv" >"$WORK/anon.tsv"
expect_exit 1 "^textlrp: error: epi: the uniform vectors in .*anon.tsv: all 13 labelled documents are of class 'spam'; $need\$" \
  "$TEXTLRP" epi --vectors "$WORK/anon.tsv"

# Two classes, but fewer labelled documents than --folds: a usage error saying which --folds works.
"$TEXTLRP" docvec --model "$WORK/svm" --embeddings "$WORK/w.vec" --corpus "folder:$WORK/corpus" \
  --weighting lrp --max-docs 6 --out "$WORK/six.tsv" -q
expect_exit 2 "epi: the lrp vectors of model 'svm' in .*six.tsv: 6 labelled documents for --folds 10: the cross-validation needs at least one document per fold \(--folds 6 or fewer\)" \
  "$TEXTLRP" epi --vectors "$WORK/six.tsv"
"$TEXTLRP" epi --vectors "$WORK/six.tsv" --folds 3 -q >"$WORK/epi.json" || fail "epi --folds 3 on 6 documents"
grep -q '"documents": 6' "$WORK/epi.json" || fail "epi --folds 3: $(cat "$WORK/epi.json")"
ok "epi with --folds at most the documents works"
# A value that is not finite: the document and the column.
awk -F'\t' 'BEGIN { OFS = "\t" } NR == 3 { $7 = "nan" } { print }' "$WORK/six.tsv" >"$WORK/nan.tsv"
id="$(awk -F'\t' 'NR == 3 { print $1 }' "$WORK/six.tsv")"
expect_exit 1 "epi: the lrp vectors of model 'svm' in .*nan.tsv: document '$id' \(row 2\), column 2: expected a finite number, found nan" \
  "$TEXTLRP" epi --vectors "$WORK/nan.tsv" --folds 3

# analyze on a corpus of one class: the report, with a note instead of the EPI.
"$TEXTLRP" analyze --model "$WORK/svm" --corpus "folder:$WORK/one" --embeddings "$WORK/w.vec" --deletion-docs 0 \
  --out "$WORK/one.html" -q || fail "analyze on a corpus of one class should write its report"
grep -q "No EPI of the lrp vectors: all 13 documents are of class &#39;spam&#39;; it needs two classes." "$WORK/one.html" ||
  fail "analyze on one class: no note on the missing EPI"
ok "analyze on a corpus of one class writes the report with a note instead of the EPI"
