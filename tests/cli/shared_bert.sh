#!/usr/bin/env bash
# Import the tiny random BERT of ../shared/data/tiny-bert (Hugging Face layout), load it (self-tests
# run) and explain the 40 texts of its reference.json: pieces, spans and ids exact, logits within
# 1e-4, attnlrp, cp-lrp, gi and sa (the square of the reference's norm) within 1e-4·max(1, max|ref|).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
D="$TEXTLRP_SHARED_DATA/tiny-bert"
[ -f "$D/model.safetensors" ] || { echo "skip: $D not found"; exit 0; }
command -v python3 >/dev/null || fail "python3 is needed to compare with reference.json"

"$TEXTLRP" import huggingface --from "$D" --out "$WORK/bert" -q
for f in config.json model.safetensors vocab.txt; do [ -s "$WORK/bert/$f" ] || fail "model lacks $f"; done
grep -q '"architecture": "bert"' "$WORK/bert/config.json" || fail "architecture"
grep -q '"kind": "wordpiece"' "$WORK/bert/config.json" || fail "tokenizer kind"
ok "import huggingface writes a model directory with self-tests"

python3 - "$D/reference.json" "$WORK" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1]))
with open(sys.argv[2] + "/docs.jsonl", "w") as f:
    for d in ref["documents"]:
        f.write(json.dumps({"id": str(d["index"]), "text": d["text"]}) + "\n")
PY

check() {  # check METHOD RULE REFKEY
  local method="$1" rule="$2" key="$3"
  "$TEXTLRP" explain --model "$WORK/bert" --input "$WORK/docs.jsonl" --method "$method" ${rule:+--rule "$rule"} -q \
    >"$WORK/out.jsonl"
  python3 - "$D/reference.json" "$WORK/out.jsonl" "$key" "$D/vocab.txt" <<'PY' || fail "$method $rule differs from the reference"
import json, sys
ref = json.load(open(sys.argv[1]))["documents"]
out = [json.loads(l) for l in open(sys.argv[2])]
key = sys.argv[3]
labels = ["negative", "neutral", "positive"]
assert len(out) == len(ref), (len(out), len(ref))
worst = 0.0
for r, o in zip(ref, out):
    text = r["text"].encode("utf-8")
    assert o["truncated"] if r["truncated"] else "truncated" not in o, o.get("truncated")
    pieces = [(t["begin"], t["end"]) for t in o["tokens"]]
    assert len(pieces) == r["n_pieces_before_truncation"], (r["index"], len(pieces))
    want = [tuple(x) for x in r["offsets"][1:-1]]
    kept = len(want)  # a truncated text lists every piece; the cut ones get 0
    assert pieces[:kept] == want, (r["index"], pieces, want)
    assert all(t["relevance"] == 0 for t in o["tokens"][kept:]), r["index"]
    for t in o["tokens"]:
        assert t["text"] == text[t["begin"]:t["end"]].decode("utf-8"), t
    assert [s["text"] for s in o["special"]] == ["[CLS]", "[SEP]"], o["special"]
    theirs = r["relevance"][key]
    if key == "sensitivity":
        theirs = [v * v for v in theirs]
    ours = [o["special"][0]["relevance"]] + [t["relevance"] for t in o["tokens"][:kept]] + [o["special"][1]["relevance"]]
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    scale = max([1.0] + [abs(v) for v in theirs])
    worst = max(worst, max(abs(a - b) for a, b in zip(ours, theirs)) / scale)
    assert o["target"] == labels[r["target"]], (o["target"], r["target"])
    for c, l in enumerate(labels):
        assert abs(o["scores"][l] - r["logits"][c]) <= 1e-4, (o["scores"], r["logits"])
    # Words: "##" pieces merged; their relevance adds up to the pieces'.
    assert abs(sum(w["relevance"] for w in o["words"]) - sum(t["relevance"] for t in o["tokens"])) <= 1e-5 * scale, r["index"]
    if key != "sensitivity":
        total = sum(ours) + o["bias_relevance"]
        assert abs(total - o["score"]) <= 1e-4 * max(1.0, abs(o["score"])), (total, o["score"])
print(f"{key}: max error {worst:.2e}")
sys.exit(0 if worst <= 1e-4 else 1)
PY
}
check lrp '' attnlrp
check lrp attnlrp attnlrp
check lrp cp-lrp cplrp
check gi '' gradient_x_input
check sa '' sensitivity
ok "explain matches the reference (pieces, spans, logits, attnlrp, cp-lrp, gi, sa) on all 40 texts"

# Words and special tokens in the output; predict works.
printf '{"id":"w","text":"Effective but too-tepid biopic"}\n' |
  "$TEXTLRP" explain --model "$WORK/bert" --input - -q >"$WORK/w.jsonl"
python3 - "$WORK/w.jsonl" <<'PY' || fail "words: $(cat "$WORK/w.jsonl")"
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert [w["text"] for w in o["words"]] == ["Effective", "but", "too", "-", "tepid", "biopic"], o["words"]
assert (o["words"][4]["begin"], o["words"][4]["end"]) == (18, 23)
assert o["rule"] == "attnlrp", o["rule"]
PY
printf '{"id":"e","text":""}\n' | "$TEXTLRP" explain --model "$WORK/bert" --input - -q >"$WORK/e.jsonl"
grep -q '"tokens":\[\]' "$WORK/e.jsonl" || fail "empty text: $(cat "$WORK/e.jsonl")"
grep -q '"special":\[{"text":"\[CLS\]"' "$WORK/e.jsonl" || fail "empty text special: $(cat "$WORK/e.jsonl")"
"$TEXTLRP" predict --model "$WORK/bert" --input "$WORK/docs.jsonl" -q >"$WORK/pred.jsonl"
[ "$(grep -c '"prediction"' "$WORK/pred.jsonl")" -eq 40 ] || fail "predict"
for m in lrp sa gi ig occlusion random; do
  "$TEXTLRP" explain --model "$WORK/bert" --input "$WORK/docs.jsonl" --method $m -q >"$WORK/r.jsonl"
  "$TEXTLRP" validate --explanations "$WORK/r.jsonl" >/dev/null || fail "validate $m: $("$TEXTLRP" validate --explanations "$WORK/r.jsonl")"
done
ok "words merge ## pieces, empty text, predict; validate (spans, words, score = tokens + special + bias) for lrp sa gi ig occlusion random"

# Errors: a usage error for a rule the transformer does not know; importer refusals.
expect_exit 2 "attnlrp.*cp-lrp" "$TEXTLRP" explain --model "$WORK/bert" --input "$WORK/docs.jsonl" --rule zplus -q
# Occlusion drops the piece: the relevance of "good" in "good movie" is s(good movie) − s(movie) for
# the explained class (both pieces are whole words of the vocabulary), scored by predict.
printf '{"id":"a","text":"good movie"}\n' >"$WORK/occ.jsonl"
printf '{"id":"b","text":"movie"}\n' >>"$WORK/occ.jsonl"
head -1 "$WORK/occ.jsonl" >"$WORK/occ1.jsonl"
"$TEXTLRP" explain --model "$WORK/bert" --input "$WORK/occ1.jsonl" --method occlusion -q >"$WORK/occ_e.jsonl"
"$TEXTLRP" predict --model "$WORK/bert" --input "$WORK/occ.jsonl" -q >"$WORK/occ_p.jsonl"
python3 - "$WORK/occ_e.jsonl" "$WORK/occ_p.jsonl" <<'PY' || fail "bert occlusion is not s(text) - s(text without the piece)"
import json, sys
e = json.loads(open(sys.argv[1]).readline())
p = [json.loads(l) for l in open(sys.argv[2])]
assert [t["text"] for t in e["tokens"]] == ["good", "movie"], e["tokens"]
c = e["target"]
want = p[0]["scores"][c] - p[1]["scores"][c]
assert abs(e["tokens"][0]["relevance"] - want) <= 1e-5 * max(1, abs(want)), (e["tokens"][0], want)
assert [s["relevance"] for s in e["special"]] == [0, 0], e["special"]
PY
ok "bert occlusion drops the piece ([CLS] and [SEP] get 0)"
mkdir -p "$WORK/pt"
cp "$D/config.json" "$D/vocab.txt" "$WORK/pt/"
printf 'pickle' >"$WORK/pt/pytorch_model.bin"
expect_exit 1 "pytorch_model.bin.*safetensors" "$TEXTLRP" import huggingface --from "$WORK/pt" --out "$WORK/bad"
[ ! -e "$WORK/bad" ] || fail "a failed import must not leave a directory"
mkdir -p "$WORK/gelu"
cp "$D/model.safetensors" "$D/vocab.txt" "$WORK/gelu/"
sed 's/"hidden_act": "gelu"/"hidden_act": "gelu_new"/' "$D/config.json" >"$WORK/gelu/config.json"
expect_exit 1 "config.json: key 'hidden_act' is \"gelu_new\"" "$TEXTLRP" import huggingface --from "$WORK/gelu" --out "$WORK/bad"
sed 's/"num_hidden_layers": 2/"num_hidden_layers": 3/' "$D/config.json" >"$WORK/gelu/config.json"
expect_exit 1 "model.safetensors.*missing tensor 'bert.encoder.layer.2.attention.self.query.weight'" \
  "$TEXTLRP" import huggingface --from "$WORK/gelu" --out "$WORK/bad"
ok "importer and explain errors"

# --rule reaches the transformer in every command, not only explain (Classifier::set_rule).
"$TEXTLRP" topwords --model "$WORK/bert" --input "$WORK/docs.jsonl" --rule cp-lrp -q >"$WORK/top.json" ||
  fail "topwords --rule cp-lrp on a transformer"
grep -q '"model"' "$WORK/top.json" || fail "topwords wrote no result: $(head -c 200 "$WORK/top.json")"
expect_exit 2 "a transformer takes attnlrp" "$TEXTLRP" topwords --model "$WORK/bert" --input "$WORK/docs.jsonl" --rule epsilon
echo "$n_checks passed, 0 failed"
