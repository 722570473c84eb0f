#!/usr/bin/env bash
# textlrp tokenizer train|encode: trains tiny SentencePiece models on a generated corpus, encodes
# lines with byte spans, groups pieces by word, and reports bad input clearly.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${TEXTLRP_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

"$TEXTLRP_SOURCE_DIR/tests/data/nlp/make_spm_corpus.sh" 300 >"$WORK/corpus.txt"
[ "$(wc -l <"$WORK/corpus.txt")" -eq 300 ] || fail "corpus generator"

# --help shows the defaults and exits 0.
"$TEXTLRP" tokenizer train --help >"$WORK/help.txt"
grep -q -- "--vocab-size UINT=8000" "$WORK/help.txt" || fail "train --help lacks the --vocab-size default"
grep -q -- "--model-type.*=unigram" "$WORK/help.txt" || fail "train --help lacks the --model-type default"
grep -q -- "--character-coverage.*=0.9995" "$WORK/help.txt" || fail "train --help lacks the coverage default"
"$TEXTLRP" tokenizer encode --help | grep -q -- "--input TEXT=-" || fail "encode --help lacks the --input default"
ok "--help on train and encode shows defaults"

# Train: unigram (default) and bpe, 60 pieces, a few seconds at most.
"$TEXTLRP" tokenizer train --corpus "text:$WORK/corpus.txt" --vocab-size 60 --character-coverage 1.0 \
  --out "$WORK/uni.model" 2>"$WORK/train.log"
[ -s "$WORK/uni.model" ] || fail "train wrote no model"
grep -q "60 pieces" "$WORK/train.log" || fail "train log: $(cat "$WORK/train.log")"
grep -q "300 lines" "$WORK/train.log" || fail "train log should count the lines: $(cat "$WORK/train.log")"
"$TEXTLRP" tokenizer train --corpus "text:$WORK/corpus.txt" --vocab-size 60 --model-type bpe \
  --character-coverage 1.0 --normalization identity --threads 1 -q --out "$WORK/bpe.model" 2>"$WORK/q.log"
[ -s "$WORK/bpe.model" ] || fail "bpe: no model"
[ ! -s "$WORK/q.log" ] || fail "--quiet still logs: $(cat "$WORK/q.log")"
[ -z "$(find "$WORK" -name '*.tmp-*')" ] || fail "temporary files left behind"
ok "train writes unigram and bpe models"

# A multi-line JSONL corpus: every line of every document is a sentence.
printf '{"text":"first line of one\\nsecond line\\n\\nthird"}\n{"text":"another document"}\n' >"$WORK/docs.jsonl"
for i in $(seq 1 100); do printf '{"text":"the cat %s reads\\nthe dog paints %s"}\n' "$i" "$i"; done >>"$WORK/docs.jsonl"
"$TEXTLRP" tokenizer train --corpus "jsonl:$WORK/docs.jsonl" --vocab-size 40 --character-coverage 1.0 \
  --out "$WORK/j.model" 2>"$WORK/j.log"
grep -q "204 lines of 102 documents" "$WORK/j.log" || fail "lines of JSONL documents: $(cat "$WORK/j.log")"
ok "documents are split into lines, blank lines skipped"

# Encode: one JSONL line per input line, spans in bytes of the original line.
printf 'Hello world\n  the  caf\xc3\xa9 cat  \n\n' |
  "$TEXTLRP" tokenizer encode --model "$WORK/uni.model" >"$WORK/enc.jsonl"
[ "$(wc -l <"$WORK/enc.jsonl")" -eq 3 ] || fail "encode wrote $(wc -l <"$WORK/enc.jsonl") lines, expected 3"
head -1 "$WORK/enc.jsonl" | grep -q '^{"line":1,"text":"Hello world","tokens":\[{"text":"▁' || fail "encode line shape: $(head -1 "$WORK/enc.jsonl")"
head -1 "$WORK/enc.jsonl" | grep -q '"id":[0-9]*,"begin":0,"end":' || fail "first piece span: $(head -1 "$WORK/enc.jsonl")"
head -1 "$WORK/enc.jsonl" | grep -q '"end":11}\]}$' || fail "last piece should end at byte 11: $(head -1 "$WORK/enc.jsonl")"
sed -n 3p "$WORK/enc.jsonl" | grep -qx '{"line":3,"text":"","tokens":\[\]}' || fail "empty line: $(sed -n 3p "$WORK/enc.jsonl")"
ok "encode writes pieces with ids and byte spans"

printf 'the caf\xc3\xa9 cat \xf0\x9f\x98\x80!\n' |
  "$TEXTLRP" tokenizer encode --model "$WORK/uni.model" --words --output "$WORK/words.jsonl"
grep -q '"words":\[{"text":"the","begin":0,"end":3,"pieces":\[0' "$WORK/words.jsonl" || fail "words: $(cat "$WORK/words.jsonl")"
grep -q '{"text":"café","begin":4,"end":9,"pieces":\[' "$WORK/words.jsonl" || fail "words: accented word"
grep -q '{"text":"!","begin":18,"end":19,"pieces":\[' "$WORK/words.jsonl" || fail "words: punctuation"
ok "encode --words groups pieces by ICU word"

# Errors: usage errors exit 2, data errors exit 1, each a short message naming the problem.
expect_exit 2 "vocab-size|Vocabulary size" "$TEXTLRP" tokenizer train --corpus "text:$WORK/corpus.txt" \
  --vocab-size 100000 --out "$WORK/big.model"
[ ! -e "$WORK/big.model" ] || fail "a failed training left a model file"
expect_exit 2 "model-type" "$TEXTLRP" tokenizer train --corpus "text:$WORK/corpus.txt" --model-type word \
  --out "$WORK/x.model"
expect_exit 2 "--out" "$TEXTLRP" tokenizer train --corpus "text:$WORK/corpus.txt"
: >"$WORK/empty.txt"
expect_exit 1 "no text" "$TEXTLRP" tokenizer train --corpus "text:$WORK/empty.txt" --vocab-size 60 --out "$WORK/x.model"
expect_exit 1 "missing.model" "$TEXTLRP" tokenizer encode --model "$WORK/missing.model" </dev/null
expect_exit 1 "corpus.txt: not a valid SentencePiece model" "$TEXTLRP" tokenizer encode --model "$WORK/corpus.txt" </dev/null
printf 'ok\nbad \xff\n' >"$WORK/bad.txt"
expect_exit 1 "bad.txt:2: invalid UTF-8 at byte 4" "$TEXTLRP" tokenizer encode --model "$WORK/uni.model" --input "$WORK/bad.txt"
expect_exit 2 "" "$TEXTLRP" tokenizer
