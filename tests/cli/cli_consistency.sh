#!/usr/bin/env bash
# One consistent CLI (issue 12): a model applies its own --strip wherever it reads documents (an
# explicit different --strip wins with a warning); train --labels names integer labels; validate on
# empty input is a data error; docvec --shard outputs concatenated (or given as several files) are
# read by pca and epi; -o/--output and --max-docs work in every command that has an output / reads
# a corpus.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A folder corpus with e-mail headers whose Subject lines carry the other class's words: a model
# trained with --strip headers scores differently when the headers are left in.
mk() {
  local d="$1" i
  mkdir -p "$d/ham" "$d/spam"
  for i in $(seq 1 10); do
    printf 'From: anna@example.org\nSubject: free money prize offer %s\n\nHi team, the meeting about the project schedule is moved to monday %s. Thanks\n' "$i" "$i" >"$d/ham/$i"
    printf 'From: promo@example.com\nSubject: meeting schedule project monday %s\n\nWIN money now, click here for a free prize %s, cheap offer\n' "$i" "$i" >"$d/spam/$i"
  done
}
mk "$WORK/corpus"
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --strip headers --threads 1 -o "$WORK/svm" -q
grep -q '"headers"' "$WORK/svm/config.json" || fail "train --strip headers: not saved in config.json"
ok "train -o DIR writes the model; --strip is saved in it"

# Defect 7: the model's --strip applies without the flag.
for cmd in predict evaluate explain; do
  "$TEXTLRP" "$cmd" --model "$WORK/svm" --corpus "folder:$WORK/corpus" -q >"$WORK/$cmd.auto"
  "$TEXTLRP" "$cmd" --model "$WORK/svm" --corpus "folder:$WORK/corpus" --strip headers -q >"$WORK/$cmd.flag"
  cmp -s "$WORK/$cmd.auto" "$WORK/$cmd.flag" || fail "$cmd: output without --strip differs from --strip headers"
  "$TEXTLRP" "$cmd" --model "$WORK/svm" --corpus "folder:$WORK/corpus" --strip none >"$WORK/$cmd.none" 2>"$WORK/$cmd.err"
  cmp -s "$WORK/$cmd.auto" "$WORK/$cmd.none" && fail "$cmd: --strip none should read the headers (and score differently)"
  grep -q "differs from the --strip headers" "$WORK/$cmd.err" || fail "$cmd --strip none: no warning on stderr"
  ok "$cmd: the model's --strip applies by itself; an explicit different --strip wins with a warning"
done
grep -q '"accuracy": 1.0' "$WORK/evaluate.auto" || fail "evaluate with the model's --strip: expected accuracy 1.0"
"$TEXTLRP" topwords --model "$WORK/svm" --corpus "folder:$WORK/corpus" --threads 1 -q >"$WORK/tw.auto"
"$TEXTLRP" topwords --model "$WORK/svm" --corpus "folder:$WORK/corpus" --strip headers --threads 1 -q >"$WORK/tw.flag"
cmp -s "$WORK/tw.auto" "$WORK/tw.flag" || fail "topwords: output without --strip differs from --strip headers"
ok "topwords: the model's --strip applies by itself"

# --max-docs and the output aliases.
"$TEXTLRP" explain --model "$WORK/svm" --corpus "folder:$WORK/corpus" --max-docs 4 --output "$WORK/four.jsonl" -q
[ "$(wc -l <"$WORK/four.jsonl")" -eq 4 ] || fail "explain --max-docs 4: expected 4 records"
grep -q '"id":"spam/' "$WORK/four.jsonl" || fail "explain --max-docs 4: documents should be spread over the classes"
"$TEXTLRP" predict --model "$WORK/svm" --corpus "folder:$WORK/corpus" --max-docs 3 --out "$WORK/three.jsonl" -q
[ "$(wc -l <"$WORK/three.jsonl")" -eq 3 ] || fail "predict --max-docs 3 --out: expected 3 records"
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --max-docs 8 --dev-fraction 0 --output "$WORK/svm8" -q
grep -q '"n_documents": 8' "$WORK/svm8/config.json" || fail "train --max-docs 8: expected 8 training documents"
ok "--max-docs in explain, predict and train; -o, --output and --out name the same option"

# train --labels: integer labels get names, saved in the model and applied when it reads a corpus.
for i in $(seq 1 8); do
  printf '0\tawful terrible boring film %s\n1\tan ordinary film %s\n2\tsuperb wonderful moving film %s\n' "$i" "$i" "$i"
done >"$WORK/three.tsv"
"$TEXTLRP" train --arch svm --corpus "tsv:$WORK/three.tsv" --labels "very bad, so so ,very good" --threads 1 \
  -o "$WORK/named" -q
grep -q '"very bad"' "$WORK/named/config.json" || fail "train --labels: names not saved"
"$TEXTLRP" evaluate --model "$WORK/named" --corpus "tsv:$WORK/three.tsv" -q >"$WORK/named.eval"
grep -q '"accuracy": 1.0' "$WORK/named.eval" || fail "evaluate of a --labels model on its integer-labelled corpus"
printf '{"text":"superb wonderful"}\n' | "$TEXTLRP" predict --model "$WORK/named" --input - -q >"$WORK/named.pred"
grep -q '"prediction":"very good"' "$WORK/named.pred" || fail "predict of a --labels model: expected the name"
"$TEXTLRP" explain --model "$WORK/named" --corpus "tsv:$WORK/three.tsv" --target true --max-docs 3 -q >"$WORK/named.expl"
grep -q '"label":"so so"' "$WORK/named.expl" || fail "explain: the corpus label should be shown by its name"
ok "train --labels names the integer labels; evaluate, predict and explain use the names"
expect_exit 2 "gives 2 names, but the corpus has 3 labels" \
  "$TEXTLRP" train --arch svm --corpus "tsv:$WORK/three.tsv" --labels "bad,good" -o "$WORK/x" -q
expect_exit 2 "appears twice" "$TEXTLRP" train --arch svm --corpus "tsv:$WORK/three.tsv" --labels "a,b,a" -o "$WORK/x" -q
expect_exit 2 "corpus has label 'ham'" \
  "$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --labels "a,b" -o "$WORK/x" -q
[ ! -e "$WORK/x" ] || fail "a failed train left a model directory"

# validate: empty input is a data error with a message.
: >"$WORK/empty.jsonl"
expect_exit 1 "no explanations" "$TEXTLRP" validate --explanations "$WORK/empty.jsonl"
expect_exit 1 "no explanations" "$TEXTLRP" validate --explanations - </dev/null

# docvec shards: concatenated (headers and all) or given as several --vectors, pca reads them.
printf '6 3\nmoney 1 0 0\nfree 0.5 0.5 0\nmeeting 0 1 0\nproject 0 0.5 0.5\nmonday 0 0 1\nprize 1 0 1\n' >"$WORK/v.vec"
"$TEXTLRP" docvec --model "$WORK/svm" --corpus "folder:$WORK/corpus" --embeddings "$WORK/v.vec" \
  --weighting uniform,lrp -o "$WORK/dv.all" -q
for s in 1 2 3; do
  "$TEXTLRP" docvec --model "$WORK/svm" --corpus "folder:$WORK/corpus" --embeddings "$WORK/v.vec" \
    --weighting uniform,lrp --shard "$s/3" -o "$WORK/dv.$s" -q
done
cat "$WORK/dv.1" "$WORK/dv.2" "$WORK/dv.3" >"$WORK/dv.cat"
"$TEXTLRP" pca --vectors "$WORK/dv.all" -q >"$WORK/pca.all"
"$TEXTLRP" pca --vectors "$WORK/dv.cat" -q >"$WORK/pca.cat"
"$TEXTLRP" pca --vectors "$WORK/dv.1" --vectors "$WORK/dv.2" --vectors "$WORK/dv.3" -o "$WORK/proj.tsv" -q >"$WORK/pca.parts"
python3 - "$WORK/pca.all" "$WORK/pca.cat" "$WORK/pca.parts" <<'PY'
import json, sys
runs = [json.load(open(p)) for p in sys.argv[1:]]
for r in runs[1:]:
    assert len(r["sets"]) == len(runs[0]["sets"]) == 2, r
    for a, b in zip(runs[0]["sets"], r["sets"]):
        assert a["documents"] == b["documents"] == 20, (a, b)
        for x, y in zip(a["explained_variance_ratio"], b["explained_variance_ratio"]):
            assert abs(x - y) <= 1e-9, (x, y)
PY
[ "$(wc -l <"$WORK/proj.tsv")" -eq 41 ] || fail "pca -o over three shard files: expected a header and 40 rows"
ok "pca: the three docvec shards, concatenated or as three --vectors, give the unsharded PCA"
"$TEXTLRP" epi --vectors "$WORK/dv.cat" --folds 2 --k-max 3 -q >"$WORK/epi.json"
grep -q '"documents": 20' "$WORK/epi.json" || fail "epi on concatenated shards: expected 20 documents per row"
ok "epi reads concatenated docvec shards"
{ cat "$WORK/dv.1"; printf 'id\tlabel\tprediction\tmodel\tweighting\tv1\n'; } >"$WORK/dv.bad"
expect_exit 1 "dv.bad:[0-9]+: a docvec header with 1 vector columns" "$TEXTLRP" pca --vectors "$WORK/dv.bad" -q

# A BiLSTM has an embedding matrix of its own: docvec (and analyze) use it without --embeddings.
"$TEXTLRP" train --arch bilstm --corpus "folder:$WORK/corpus" --dim 4 --hidden 3 --epochs 1 --threads 1 -o "$WORK/lstm" -q
"$TEXTLRP" docvec --model "$WORK/lstm" --corpus "folder:$WORK/corpus" --weighting uniform,lrp -o "$WORK/lstm.tsv" -q
[ "$(head -1 "$WORK/lstm.tsv" | tr '\t' '\n' | grep -c '^v')" -eq 4 ] || fail "docvec of a BiLSTM: expected its 4-d embeddings"
ok "docvec uses a BiLSTM's own embedding matrix"
