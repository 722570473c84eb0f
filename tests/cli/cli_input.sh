#!/usr/bin/env bash
# Input side of the CLI (issue 12): bench on stdin, csv corpora, --input by extension, the plain-text
# hint on stdin, --encoding, byte-order marks, "text" + "tokens" that disagree, missing labels.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_toy_corpus "$WORK/corpus"
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --threads 1 --out "$WORK/svm" --quiet
for i in $(seq 1 7); do
  printf '{"id":"d%d","text":"free money meeting %s monday prize"}\n' "$i" "$i"
done >"$WORK/docs.jsonl"

# Defect 3: bench --input - read stdin in its first pass only and reported 0 documents/s for explain.
"$TEXTLRP" bench --model "$WORK/svm" --input - --repeat 2 <"$WORK/docs.jsonl" >"$WORK/bench.json" 2>"$WORK/bench.err"
grep -q '"documents": 7' "$WORK/bench.json" || fail "bench on stdin: expected 7 documents: $(cat "$WORK/bench.json")"
grep -q '"input_in_memory": true' "$WORK/bench.json" || fail "bench on stdin should say the input is replayed from memory"
grep -q 'round 2: predict .* for 7 documents' "$WORK/bench.err" || fail "bench round 2 on stdin: $(cat "$WORK/bench.err")"
grep -Eq '"docs_per_s": (0[,.]|0$|inf|null)' "$WORK/bench.json" && fail "bench on stdin: a zero or infinite rate: $(cat "$WORK/bench.json")"
ok "bench --input - reads stdin once and replays it in every round"
"$TEXTLRP" bench --model "$WORK/svm" --input "$WORK/docs.jsonl" --repeat 1 -q >"$WORK/bench2.json"
grep -q '"input_in_memory": false' "$WORK/bench2.json" || fail "bench on a file reads the file in each pass"
ok "bench --input FILE still reads the file in each pass"

# csv: AG News layout (no header, quoted fields with commas, doubled quotes and a line break).
{
  printf '"1","Team meeting","Hi team, the meeting about the project schedule is moved to monday. Thanks"\r\n'
  printf '"2","WIN money now","Click here for a free prize, cheap pills, ""viagra"" offer"\r\n'
  printf '"1","Lunch","The cafe near the office,\r\nat noon"\r\n'
  printf '"2","Free prize","free money, click here now"\r\n'
} >"$WORK/ag.csv"
"$TEXTLRP" train --arch svm --corpus "csv:$WORK/ag.csv" --threads 1 --out "$WORK/svm-csv" --quiet
"$TEXTLRP" predict --model "$WORK/svm-csv" --corpus "csv:$WORK/ag.csv" --quiet >"$WORK/ag.pred"
[ "$(wc -l <"$WORK/ag.pred")" -eq 4 ] || fail "csv: expected 4 records, got $(wc -l <"$WORK/ag.pred")"
grep -Eq '"id":"3-[0-9a-f]{8}","label":"1"' "$WORK/ag.pred" || fail "csv: the record on line 3 has id 3-<hash> and label 1: $(cat "$WORK/ag.pred")"
grep -Eq '"id":"5-[0-9a-f]{8}","label":"2"' "$WORK/ag.pred" || fail "csv: the multi-line record moves the next id to line 5"
ok "csv: AG News layout trains and predicts (ids = start lines)"
# Yelp layout with a header, text column by name; DBpedia with label,title,content.
printf 'label,text\n1,"the meeting, monday"\n2,"free money, prize"\n' >"$WORK/yelp.csv"
"$TEXTLRP" predict --model "$WORK/svm-csv" --corpus "csv:$WORK/yelp.csv" --csv-text-columns text --quiet >"$WORK/yelp.pred"
[ "$(wc -l <"$WORK/yelp.pred")" -eq 2 ] || fail "csv: the Yelp header must not be a document"
printf 'label,title,content\n1,Meeting,"monday schedule"\n' >"$WORK/db.csv"
"$TEXTLRP" explain --model "$WORK/svm-csv" --corpus "csv:$WORK/db.csv" --csv-join period --quiet >"$WORK/db.jsonl"
grep -q '"text":"Meeting. monday schedule"' "$WORK/db.jsonl" || fail "csv: --csv-join period: $(cat "$WORK/db.jsonl")"
ok "csv: Yelp and DBpedia layouts with headers, columns by name, --csv-join"
expect_exit 2 "--csv-label-column 'stars': no such column; the header of .* has: label, text" \
  "$TEXTLRP" predict --model "$WORK/svm-csv" --corpus "csv:$WORK/yelp.csv" --csv-label-column stars
printf '1,ok\n2,"unterminated\n' >"$WORK/bad.csv"
expect_exit 1 "bad.csv:2: unterminated quoted field" "$TEXTLRP" predict --model "$WORK/svm-csv" --corpus "csv:$WORK/bad.csv"

# --input by extension: .tsv and .csv are read as such (said on stderr); plain text on stdin gets a hint.
printf 'ham\tthe meeting is on monday\nspam\tfree money prize\n' >"$WORK/x.tsv"
"$TEXTLRP" predict --model "$WORK/svm" --input "$WORK/x.tsv" >"$WORK/x.pred" 2>"$WORK/x.err"
grep -q '"label":"spam"' "$WORK/x.pred" || fail "--input x.tsv should read TSV with labels"
grep -q "reading .*x.tsv as tsv" "$WORK/x.err" || fail "--input x.tsv should say how it is read"
ok "--input x.tsv reads TSV"
expect_exit 1 "<stdin>:1: expected a JSON object.*--input-format text" \
  sh -c "printf 'just some plain text\n' | \"\$0\" predict --model \"\$1\" --input -" "$TEXTLRP" "$WORK/svm"
printf 'just some plain text\n' | "$TEXTLRP" predict --model "$WORK/svm" --input - --input-format text --quiet >"$WORK/t.pred"
[ "$(wc -l <"$WORK/t.pred")" -eq 1 ] || fail "--input - --input-format text reads plain text"
ok "--input - --input-format text reads plain text"

# --encoding: strict by default, latin-1, or replace with a count.
printf 'ham\tcaf\xe9 meeting\nspam\tfree \xff\xfe money\n' >"$WORK/latin.tsv"
expect_exit 1 "latin.tsv:1:8: expected UTF-8, got invalid byte 0xE9.*--encoding" \
  "$TEXTLRP" predict --model "$WORK/svm" --corpus "tsv:$WORK/latin.tsv"
"$TEXTLRP" explain --model "$WORK/svm" --corpus "tsv:$WORK/latin.tsv" --encoding latin-1 --quiet >"$WORK/l1.jsonl"
grep -q '"text":"café meeting"' "$WORK/l1.jsonl" || fail "--encoding latin-1: $(head -c 300 "$WORK/l1.jsonl")"
"$TEXTLRP" predict --model "$WORK/svm" --corpus "tsv:$WORK/latin.tsv" --encoding replace >"$WORK/r.pred" 2>"$WORK/r.err"
grep -q "replaced 3 invalid byte sequences in $WORK/latin.tsv" "$WORK/r.err" || fail "--encoding replace: $(cat "$WORK/r.err")"
ok "--encoding latin-1 decodes, replace counts what it replaced"
expect_exit 2 "encoding" "$TEXTLRP" predict --model "$WORK/svm" --corpus "tsv:$WORK/latin.tsv" --encoding cp1252

# Defect 6: a byte-order mark does not become part of the first label.
printf '\xef\xbb\xbfham\tthe meeting is on monday\nspam\tfree money prize\n' >"$WORK/bom.tsv"
"$TEXTLRP" predict --model "$WORK/svm" --corpus "tsv:$WORK/bom.tsv" --quiet >"$WORK/bom.pred"
grep -Eq '"id":"1-[0-9a-f]{8}","label":"ham"' "$WORK/bom.pred" || fail "BOM: the first label should be ham: $(head -1 "$WORK/bom.pred")"
"$TEXTLRP" train --arch svm --corpus "tsv:$WORK/bom.tsv" --threads 1 --out "$WORK/svm-bom" --quiet
grep -q $'\xef\xbb\xbf' "$WORK/svm-bom/config.json" && fail "BOM: the model's labels hold a U+FEFF"
ok "BOM: skipped before the first TSV label (predict and train)"
printf '\xef\xbb\xbf{"id":"s1","text":"free money"}\n' | "$TEXTLRP" predict --model "$WORK/svm" --input - --quiet >"$WORK/bom-stdin.pred" ||
  fail "BOM on stdin: JSONL after a byte-order mark should parse"
grep -q '"id":"s1"' "$WORK/bom-stdin.pred" || fail "BOM on stdin: $(cat "$WORK/bom-stdin.pred")"
ok "BOM: skipped on stdin"
printf '(3 (2 good) (3 film))\n\xef\xbb\xbf(2 x)\n' >"$WORK/bom-mid.txt"
expect_exit 1 "bom-mid.txt:2:1: expected '\(' at the start of a tree, got '<U\+FEFF>'" \
  "$TEXTLRP" predict --model "$WORK/svm" --corpus "sst:$WORK/bom-mid.txt"

# Defect 5: "text" and "tokens" that disagree are refused, naming the line.
printf '{"text":"free money","tokens":["free","money"]}\n{"text":"the meeting","tokens":["free","prize"]}\n' >"$WORK/tt.jsonl"
expect_exit 1 "tt.jsonl:2: \"tokens\" do not match \"text\": expected token 0 'free' at byte 0" \
  "$TEXTLRP" explain --model "$WORK/svm" --input "$WORK/tt.jsonl"

# A missing label is a data error (exit 1) everywhere.
printf '{"text":"free money"}\n' >"$WORK/nolabel.jsonl"
expect_exit 1 "has no label, but --target true needs one" \
  "$TEXTLRP" explain --model "$WORK/svm" --input "$WORK/nolabel.jsonl" --target true
expect_exit 1 "has no label" "$TEXTLRP" evaluate --model "$WORK/svm" --input "$WORK/nolabel.jsonl"
expect_exit 1 "has no label" "$TEXTLRP" train --arch svm --corpus "jsonl:$WORK/nolabel.jsonl" --out "$WORK/m-nolabel"
printf '{"text":"free money","label":"eggs"}\n' >"$WORK/badlabel.jsonl"
expect_exit 1 "label 'eggs' is not one of the model's labels" \
  "$TEXTLRP" explain --model "$WORK/svm" --input "$WORK/badlabel.jsonl" --target true

# Warnings for documents the model cannot read: one summary line per kind with the count and the first ids.
{
  printf '{"id":"e1","text":""}\n{"id":"e2","text":"   "}\n{"id":"o1","text":"zzzqx qqqzv"}\n'
  printf '{"id":"ok","text":"free money"}\n'
} >"$WORK/empty.jsonl"
for cmd in predict explain; do
  "$TEXTLRP" "$cmd" --model "$WORK/svm" --input "$WORK/empty.jsonl" >"$WORK/empty.out" 2>"$WORK/empty.err"
  [ "$(wc -l <"$WORK/empty.out")" -eq 4 ] || fail "$cmd: every document still gets its record"
  grep -q "warning: 2 documents had no tokens .*(ids e1, e2)" "$WORK/empty.err" || fail "$cmd: empty documents: $(cat "$WORK/empty.err")"
  grep -q "warning: 1 document had only out-of-vocabulary tokens.*(id o1)" "$WORK/empty.err" ||
    fail "$cmd: all-OOV documents: $(cat "$WORK/empty.err")"
  [ "$(grep -c warning "$WORK/empty.err")" -eq 2 ] || fail "$cmd: one warning line per kind"
  "$TEXTLRP" "$cmd" --model "$WORK/svm" --input "$WORK/empty.jsonl" --quiet >/dev/null 2>"$WORK/empty.err"
  [ ! -s "$WORK/empty.err" ] || fail "$cmd --quiet prints no warnings"
  ok "$cmd: one summary warning for empty and for all-out-of-vocabulary documents"
done
expect_exit 1 "has no label; this analysis needs labelled documents" \
  "$TEXTLRP" deletion --model "$WORK/svm" --input "$WORK/nolabel.jsonl" --methods random --output "$WORK/del.json"
[ ! -e "$WORK/del.json" ] || fail "a failed deletion left its output"

# A vectors file with a few words that are not UTF-8 loads: they are decoded as Latin-1, with one
# warning giving the count and the first word with its line.
printf '3 3\ng\xf6od 0.1 0.2 0.3\nbad 0.4 0.5 0.6\ncaf\xe9 0.7 0.8 0.9\n' >"$WORK/latin1.vec"
"$TEXTLRP" embeddings inspect "$WORK/latin1.vec" >"$WORK/vec.out" 2>"$WORK/vec.err" ||
  fail "a vectors file with non-UTF-8 words should load: $(cat "$WORK/vec.err")"
grep -q "2 word(s) not valid UTF-8 decoded as Latin-1 (first 'g\\\\xF6od' on line 2)" "$WORK/vec.err" ||
  fail "non-UTF-8 vector words: expected one warning with the count and the first line: $(cat "$WORK/vec.err")"
ok "a vectors file with non-UTF-8 words loads with one warning (decoded as Latin-1)"
# epi on vectors of documents without labels: a data error too.
printf '2 3\nfree 0.1 0.2 0.3\nmoney 0.4 0.5 0.6\n' >"$WORK/w.vec"
"$TEXTLRP" docvec --model "$WORK/svm" --embeddings "$WORK/w.vec" --input "$WORK/nolabel.jsonl" --out "$WORK/nolabel.tsv" -q
expect_exit 1 "epi: the lrp vectors of model 'svm' in .*nolabel.tsv: none of the [0-9]+ documents has a label; the explanatory power index needs labelled documents of at least two classes" \
  "$TEXTLRP" epi --vectors "$WORK/nolabel.tsv"
