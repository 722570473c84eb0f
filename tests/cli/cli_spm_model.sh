#!/usr/bin/env bash
# Subword models end to end: a tiny SentencePiece model (textlrp tokenizer train), then a tiny CNN
# and an SVM trained with --tokenizer spm:FILE, explained with relevance per piece ("tokens") and per
# ICU word ("words"). python3 checks the byte spans and that every word's relevance is the sum of
# its pieces; `textlrp validate` checks the same; the model directory is self-contained (moved
# elsewhere, with the original .model file gone, it loads and explains the same).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${TEXTLRP_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
command -v python3 >/dev/null || fail "python3 is needed for this test"

make_toy_corpus "$WORK/corpus"
"$TEXTLRP_SOURCE_DIR/tests/data/nlp/make_spm_corpus.sh" 300 >"$WORK/spm-corpus.txt"
# The toy e-mails' words, so that the pieces fit them; CJK and emoji stay unknown (<unk>).
find "$WORK/corpus" -type f -exec cat {} + | iconv -f utf-8 -t utf-8 -c >>"$WORK/spm-corpus.txt" || true
"$TEXTLRP" tokenizer train --corpus "text:$WORK/spm-corpus.txt" --vocab-size 80 --character-coverage 0.999 \
  --threads 1 -q --out "$WORK/spm.model"
[ -s "$WORK/spm.model" ] || fail "tokenizer train wrote no model"
ok "trained an 80-piece SentencePiece model"

mkdir -p "$WORK/models"
"$TEXTLRP" train --arch cnn --tokenizer "spm:$WORK/spm.model" --corpus "folder:$WORK/corpus" --dim 8 \
  --kernel-sizes 2,3 --filters 4 --epochs 2 --patience 2 --dev-fraction 0.25 --threads 1 \
  --out "$WORK/models/cnn" 2>"$WORK/train.log" || { cat "$WORK/train.log" >&2; fail "cnn training failed"; }
grep -q "the 80 pieces of" "$WORK/train.log" || fail "train log should name the piece vocabulary: $(cat "$WORK/train.log")"
[ -s "$WORK/models/cnn/tokenizer.model" ] || fail "the model directory lacks tokenizer.model"
[ ! -e "$WORK/models/cnn/vocab.txt" ] || fail "a subword model should have no vocab.txt"
cmp -s "$WORK/spm.model" "$WORK/models/cnn/tokenizer.model" || fail "tokenizer.model is not a copy of the model"
python3 - "$WORK/models/cnn/config.json" <<'PY' || fail "config.json tokenizer section"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["tokenizer"] == {"kind": "spm", "model": "tokenizer.model"}, c["tokenizer"]
assert c["hyper"]["n_vocab"] == 80, c["hyper"]
assert c["tests"], "no self-tests"
PY
ok "cnn --tokenizer spm: the directory has tokenizer.model, config kind spm, 80-row embedding"

"$TEXTLRP" train --arch svm --tokenizer "spm:$WORK/spm.model" --corpus "folder:$WORK/corpus" -q \
  --out "$WORK/models/svm"
[ -s "$WORK/models/svm/tokenizer.model" ] || fail "svm: no tokenizer.model"
ok "svm --tokenizer spm trains too"

cat >"$WORK/input.jsonl" <<'JSONL'
{"id":"spam","text":"WIN money now!!! Click here, cheap pills"}
{"id":"mixed","text":"Lunch at noon? The café near the office. 日本 😀 meeting"}
{"id":"spaces","text":"   the    meeting   is  moved  "}
{"id":"empty","text":""}
{"id":"pre","tokens":["free","prize","Monday"]}
JSONL

# check_explanations FILE: spans, words = sums of pieces (the rule of nlp/word_groups.h), oov marks.
check_explanations() {
  python3 - "$1" <<'PY'
import json, sys
n_docs = n_words = 0
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    r = json.loads(line)
    text = r["text"].encode("utf-8")
    toks, words = r["tokens"], r["words"]
    prev = 0
    for t in toks:
        b, e = t["begin"], t["end"]
        assert 0 <= b <= e <= len(text) and b >= prev, (n, t)
        assert text[b:e].decode("utf-8") == t["text"], (n, t)
        prev = e
    prev = 0
    for w in words:
        b, e = w["begin"], w["end"]
        assert prev <= b < e <= len(text), (n, w)
        assert text[b:e].decode("utf-8") == w["text"], (n, w)
        prev = e
    # Which word each piece belongs to: most overlap (ties: earlier); an empty piece the word
    # containing it; a piece in no word the next word, or the last one.
    sums = [0.0] * len(words)
    for t in toks:
        b, e = t["begin"], t["end"]
        owner = None
        if b == e:
            owner = next((k for k, w in enumerate(words) if w["begin"] <= b < w["end"]), None)
        else:
            best = 0
            for k, w in enumerate(words):
                ov = min(e, w["end"]) - max(b, w["begin"])
                if ov > best:
                    best, owner = ov, k
        if owner is None:
            owner = next((k for k, w in enumerate(words) if w["begin"] >= (e if b < e else b)), len(words) - 1)
        sums[owner] += t["relevance"]
    scale = 1 + sum(abs(t["relevance"]) for t in toks)
    for w, s in zip(words, sums):
        assert abs(w["relevance"] - s) <= 1e-5 * scale, (n, w, s)
    total_t = sum(t["relevance"] for t in toks)
    total_w = sum(w["relevance"] for w in words)
    assert abs(total_t - total_w) <= 1e-5 * scale, (n, total_t, total_w)
    if r["id"] == "mixed":
        oov = [t["text"] for t in toks if t.get("oov")]
        assert any("日" in t or "😀" in t for t in oov), (n, oov)
        texts = [w["text"] for w in words]
        assert "😀" in texts and any(w.startswith("日") for w in texts) and texts[-1] == "meeting", texts
    if r["id"] == "empty":
        assert toks == [] and words == [], r
    if r["id"] == "pre":
        assert r["text"] == "free prize Monday" and [w["text"] for w in words] == ["free", "prize", "Monday"], r
    n_docs += 1
    n_words += len(words)
assert n_docs > 0
print(f"{n_docs} documents, {n_words} words checked")
PY
}

for method in lrp gi sa ig occlusion random; do
  "$TEXTLRP" explain --model "$WORK/models/cnn" --input "$WORK/input.jsonl" --method "$method" -q \
    >"$WORK/cnn-$method.jsonl"
  check_explanations "$WORK/cnn-$method.jsonl" >/dev/null || fail "cnn $method: explanation check failed"
  "$TEXTLRP" validate --explanations "$WORK/cnn-$method.jsonl" --no-conservation >"$WORK/v.json" ||
    fail "validate cnn $method: $(cat "$WORK/v.json")"
  grep -q '"word_failures": 0' "$WORK/v.json" || fail "validate cnn $method: $(cat "$WORK/v.json")"
done
grep -q '"documents_with_words": 5' "$WORK/v.json" || fail "validate should count the documents with words: $(cat "$WORK/v.json")"
ok "cnn: every method writes pieces with byte spans and words that sum their pieces"

"$TEXTLRP" explain --model "$WORK/models/svm" --input "$WORK/input.jsonl" -q >"$WORK/svm.jsonl"
check_explanations "$WORK/svm.jsonl" >/dev/null || fail "svm explanation check failed"
"$TEXTLRP" validate --explanations "$WORK/svm.jsonl" >"$WORK/v.json" || fail "validate svm: $(cat "$WORK/v.json")"
"$TEXTLRP" explain --model "$WORK/models/svm" --corpus "folder:$WORK/corpus" --method occlusion -q >"$WORK/svm-occ.jsonl"
check_explanations "$WORK/svm-occ.jsonl" >/dev/null || fail "svm occlusion check failed"
ok "svm: LRP conserves the score and words sum their pieces"

# validate catches a word whose relevance is not the sum of its pieces.
python3 - "$WORK/cnn-lrp.jsonl" >"$WORK/broken.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["words"]:
        r["words"][0]["relevance"] += 1.0
    print(json.dumps(r, ensure_ascii=False))
PY
got=0
"$TEXTLRP" validate --explanations "$WORK/broken.jsonl" --no-conservation >"$WORK/v.json" || got=$?
[ "$got" -eq 1 ] || fail "validate of a broken word sum should exit 1, got $got"
grep -q "its [0-9]* pieces sum to" "$WORK/v.json" || fail "validate should explain the word failure: $(cat "$WORK/v.json")"
ok "validate fails a word whose relevance is not the sum of its pieces"

# Self-contained: move the directory away and delete the original SentencePiece file.
mkdir -p "$WORK/elsewhere"
mv "$WORK/models/cnn" "$WORK/elsewhere/cnn"
rm "$WORK/spm.model"
"$TEXTLRP" explain --model "$WORK/elsewhere/cnn" --input "$WORK/input.jsonl" -q >"$WORK/moved.jsonl"
cmp -s "$WORK/cnn-lrp.jsonl" "$WORK/moved.jsonl" || fail "the moved model explains differently"
ok "the moved model directory loads without the original .model file and explains the same"

# Usage and data errors.
expect_exit 2 "--tokenizer bert: expected icu-word or spm:FILE.model" "$TEXTLRP" train --tokenizer bert \
  --corpus "folder:$WORK/corpus" --out "$WORK/x"
expect_exit 1 "missing.model" "$TEXTLRP" train --tokenizer "spm:$WORK/missing.model" --corpus "folder:$WORK/corpus" \
  --out "$WORK/x"
expect_exit 2 "options of the icu-word tokenizer" "$TEXTLRP" train --tokenizer "spm:$WORK/elsewhere/cnn/tokenizer.model" \
  --min-count 2 --corpus "folder:$WORK/corpus" --out "$WORK/x"
[ ! -e "$WORK/x" ] || fail "a failed training left a model directory"
