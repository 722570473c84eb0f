#!/usr/bin/env bash
# Transformers through every analysis, on a tiny random BERT the test writes itself in the Hugging
# Face layout (tests/cli/make_tiny_bert.py, NumPy only) and imports: [UNK] pieces marked oov, words
# (merged ## pieces) in topwords, deletion (words removed from the sequence), docvec (the model's own
# piece embeddings), report and analyze, side by side with a BoW/SVM and a CNN; truncation marks
# the pieces a transformer never read as unseen.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import numpy' 2>/dev/null || { echo "skip: /usr/bin/python3 with numpy is needed to write the test model"; exit 0; }
MAKE="$TEXTLRP_SOURCE_DIR/tests/cli/make_tiny_bert.py"

make_toy_corpus "$WORK/c"
words=hi,team,the,meeting,about,project,is,moved,to,monday,thanks,win,money,now,click,here,for,a,free,prize
"$PY" "$MAKE" "$WORK/hf" --labels ham,spam --words "$words" --seed 4
"$TEXTLRP" import huggingface --from "$WORK/hf" --out "$WORK/bert" -q
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/c" --out "$WORK/svm" -q
"$TEXTLRP" train --arch cnn --corpus "folder:$WORK/c" --dim 8 --filters 6 --kernel-sizes 2,3 --epochs 3 --threads 1 \
  --seed 3 --out "$WORK/cnn" --quiet

# [UNK] pieces are oov like unknown words of the other models; words merge the ## pieces.
printf '{"id":"u","text":"Win 123 now, caf\xc3\xa9 \xe2\x98\x83!"}\n' | "$TEXTLRP" explain --model "$WORK/bert" --input - -q \
  >"$WORK/u.jsonl"
"$PY" - "$WORK/u.jsonl" <<'PY' || fail "oov / words: $(cat "$WORK/u.jsonl")"
import json, sys
o = json.loads(open(sys.argv[1]).read())
text = o["text"].encode()
oov = [t["text"] for t in o["tokens"] if t.get("oov")]
assert oov == ["123", "\u2603"], oov                      # digits and the snowman are not in the vocabulary
assert [w["text"] for w in o["words"]] == ["Win", "123", "now", ",", "caf\u00e9", "\u2603", "!"], o["words"]
cafe = [t for t in o["tokens"] if 13 <= t["begin"] < 18]
assert [t["text"] for t in cafe] == ["c", "a", "f", "\u00e9"], cafe  # not in the vocabulary: c ##a ##f ##e
assert abs(o["words"][4]["relevance"] - sum(t["relevance"] for t in cafe)) < 1e-6
PY
ok "explain: [UNK] pieces carry \"oov\":true, words merge their ## pieces"

# topwords: the words of the documents (merged pieces), never a piece or an [UNK] word; the rule named.
"$TEXTLRP" topwords --model "$WORK/bert" --corpus "folder:$WORK/c" --per-class 50 -q >"$WORK/top.json"
"$PY" - "$WORK/top.json" <<'PY' || fail "topwords: $(head -c 600 "$WORK/top.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["rule"] == "attnlrp", j["rule"]
words = {e["word"] for c in j["classes"].values() for e in c["top"]}
assert not any(w.startswith("##") for w in words), words
assert {"schedule", "anna", "pills", "viagra", "meeting"} <= words, words   # not in the vocabulary: pieces merged
assert not any(ch.isdigit() for w in words for ch in w), words              # [UNK] words left out
PY
"$TEXTLRP" topwords --model "$WORK/bert" --corpus "folder:$WORK/c" --rule cp-lrp -q >"$WORK/top-cp.json"
grep -q '"rule": "cp-lrp"' "$WORK/top-cp.json" || fail "topwords --rule cp-lrp"
ok "topwords ranks words (merged pieces), without [UNK] words; rule attnlrp / cp-lrp"

# deletion: words leave the sequence. Check the first deletion against predict on the text without
# the most relevant word (a one-document corpus, correctly classified or not).
"$TEXTLRP" deletion --model "$WORK/bert" --corpus "folder:$WORK/c" --max-delete 3 --methods lrp,gi,random,occlusion \
  -q >"$WORK/del.json"
"$PY" - "$WORK/del.json" <<'PY' || fail "deletion: $(head -c 800 "$WORK/del.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["architecture"] == "bert" and j["rule"] == "attnlrp", (j["architecture"], j["rule"])
assert "removal of words" in j["deletion"], j["deletion"]
names = list(j["methods"])
assert names == ["lrp", "gi", "occlusion", "random"], names
assert all(len(m["accuracy"]) == 4 for m in j["methods"].values())
assert j["documents"] == 26, j["documents"]
PY
printf '{"id":"d","text":"Hi team, the meeting about the project schedule is moved","label":"ham"}\n' >"$WORK/one.jsonl"
"$TEXTLRP" explain --model "$WORK/bert" --input "$WORK/one.jsonl" --target true -q >"$WORK/one-expl.jsonl"
"$TEXTLRP" deletion --model "$WORK/bert" --input "$WORK/one.jsonl" --max-delete 1 --methods lrp -q >"$WORK/one-del.json"
"$PY" - "$WORK/one-expl.jsonl" "$WORK/one-del.json" "$WORK/cut.jsonl" <<'PY'
import json, sys
e = json.loads(open(sys.argv[1]).read())
d = json.load(open(sys.argv[2]))
right = e["prediction"] == e["label"]
pick = (max if right else min)(e["words"], key=lambda w: w["relevance"])
t = e["text"].encode()
cut = (t[:pick["begin"]] + t[pick["end"]:]).decode()
json.dump({"id": "d", "text": cut, "label": "ham", "right": right}, open(sys.argv[3], "w"))
PY
"$TEXTLRP" predict --model "$WORK/bert" --input "$WORK/cut.jsonl" -q >"$WORK/cut-pred.jsonl"
"$PY" - "$WORK/one-del.json" "$WORK/cut-pred.jsonl" <<'PY' || fail "deletion of the top word differs from predict without it"
import json, sys
d = json.load(open(sys.argv[1]))
p = json.loads(open(sys.argv[2]).read())
m = d["methods"]["lrp"]
part = m if d["correct"] == 1 else m["misclassified"]
want = p["scores"]["ham"]
got = part["score"][1]
assert abs(got - want) <= 1e-4 * max(1, abs(want)), (got, want, d)
PY
ok "deletion removes words (lrp, gi, occlusion, random); the first deletion equals predict without the top word"

# docvec: the transformer's own piece embeddings (hidden size 16).
"$TEXTLRP" docvec --model "$WORK/bert" --corpus "folder:$WORK/c" --weighting uniform,tfidf,lrp -o "$WORK/v.tsv" -q
[ "$(head -1 "$WORK/v.tsv" | tr '\t' '\n' | grep -c '^v')" -eq 16 ] || fail "docvec dimension: $(head -1 "$WORK/v.tsv")"
[ "$(grep -c $'\tlrp\t' "$WORK/v.tsv")" -eq 26 ] || fail "docvec rows"
ok "docvec uses the transformer's piece embeddings"

# report: the transformer side by side with the BoW/SVM and the CNN; its view shows words and [CLS]/[SEP].
"$TEXTLRP" report --model "$WORK/bert" --model "$WORK/svm" --model "$WORK/cnn" --corpus "folder:$WORK/c" \
  --max-documents 0 --out "$WORK/r.html" -q
"$PY" - "$WORK/r.html" <<'PY' || fail "report"
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
arts = re.findall(r'<article class="view" data-model="([^"]*)".*?</article>', html, re.S)
assert arts.count("bert") == 26 and arts.count("svm") == 26 and arts.count("cnn") == 26, arts[:6]
bert = [a for a in re.findall(r'<article class="view" data-model="bert".*?</article>', html, re.S)]
text = re.search(r'<div class="text">(.*?)</div>', bert[0], re.S).group(1)
# One highlight per word at most: "schedule" (s ##c ##h ...) is never split into coloured pieces.
assert "schedule" in re.sub(r"<[^>]+>", "", text)
assert not re.search(r"<i[^>]*>s</i>", text), text
assert re.search(r"\[CLS\] -?[0-9.e+-]+, \[SEP\] -?[0-9.e+-]+", bert[0]), bert[0][:2000]
assert "special" in bert[0]
# A number is [UNK]: marked out of vocabulary ("o") in the transformer's view.
assert any(re.search(r'<i class="?[pn0-9 ]*o"?>[0-9]+</i>', a) for a in bert), "no oov mark"
PY
ok "report: transformer, BoW/SVM and CNN side by side; words, [CLS]/[SEP] relevance, [UNK] marked"

# analyze: a transformer compared with a BoW/SVM and with a CNN.
for other in svm cnn; do
  "$TEXTLRP" analyze --model "$WORK/bert" --model "$WORK/$other" --corpus "folder:$WORK/c" --max-delete 3 \
    --methods lrp,gi,random --folds 3 -o "$WORK/a-$other.html" -q || fail "analyze bert + $other"
  grep -q 'data-model="bert"' "$WORK/a-$other.html" || fail "analyze bert + $other: no transformer view"
  grep -q 'data-model="'"$other"'"' "$WORK/a-$other.html" || fail "analyze bert + $other: no $other view"
  grep -q 'removal of words' "$WORK/a-$other.html" || fail "analyze bert + $other: no deletion for the transformer"
  grep -q 'attnlrp' "$WORK/a-$other.html" || fail "analyze bert + $other: rule not named"
done
ok "analyze compares the transformer with a BoW/SVM and with a CNN"

# Truncation: a model reading 8 pieces at most ([CLS] + 6 + [SEP]) marks the rest unseen.
"$PY" "$MAKE" "$WORK/hf8" --labels ham,spam --words "$words" --seed 4 --max-length 8
"$TEXTLRP" import huggingface --from "$WORK/hf8" --out "$WORK/bert8" -q
printf '{"id":"t","text":"win money now hi team the meeting about the project"}\n' >"$WORK/long.jsonl"
"$TEXTLRP" explain --model "$WORK/bert8" --input "$WORK/long.jsonl" -q >"$WORK/t.jsonl"
"$PY" - "$WORK/t.jsonl" <<'PY' || fail "truncation: $(cat "$WORK/t.jsonl")"
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["truncated"] is True and o["max_tokens"] == 6, (o.get("truncated"), o.get("max_tokens"))
assert [bool(t.get("unseen")) for t in o["tokens"]] == [False] * 6 + [True] * 4, o["tokens"]
assert all(t["relevance"] == 0 for t in o["tokens"][6:])
PY
"$TEXTLRP" topwords --model "$WORK/bert8" --input "$WORK/long.jsonl" --format text -q >"$WORK/t8.txt"
grep -q "meeting" "$WORK/t8.txt" && fail "topwords counts a word the truncating transformer never read"
"$TEXTLRP" report --explanations "$WORK/t.jsonl" --out "$WORK/t.html" -q
grep -q '<span class=unseen' "$WORK/t.html" || fail "report: no unseen text for a truncated transformer"
ok "truncation: pieces past max_length - 2 are unseen (explain, topwords, report)"
echo "$n_checks passed, 0 failed"
