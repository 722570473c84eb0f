#!/usr/bin/env bash
# Issue 12: the Arras et al. 2017 bi-LSTM (../shared/data/arras-bilstm, synthetic embeddings) on the
# whole SST test set (2210 sentences) under every gate rule: `validate` passes, no record carries
# warnings, and no word's relevance exceeds 10·max(1, |score|) under half and proportional (before the fix, half gave up to
# 2.9e8 for a score of 0.99 and 311 sentences failed validate; proportional 5.1e7 and 80). Then
# max_tokens: a model whose config says 5 reads 5 tokens ("truncated"), and a 100,000-token
# document is explained within the default limit (5000) in well under the old seconds and GBs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
D="$TEXTLRP_SHARED_DATA/arras-bilstm"
SST="$TEXTLRP_SHARED_DATA/sst/trees/test.txt"
[ -f "$D/Wxh_Left.npy" ] && [ -f "$SST" ] || { echo "skip: $D or $SST not found"; exit 0; }
command -v python3 >/dev/null || fail "python3 is needed to read the explanations"

"$TEXTLRP" import arras-bilstm --from "$D" --embeddings "$D/embeddings_SYNTHETIC_splitmix64.npy" --out "$WORK/arras" -q
for rule in signal-take-all half proportional; do
  "$TEXTLRP" explain --model "$WORK/arras" --corpus "sst:$SST" --lstm-rule "$rule" --threads 2 -q \
    >"$WORK/$rule.jsonl" 2>"$WORK/$rule.err"
  [ ! -s "$WORK/$rule.err" ] || { cat "$WORK/$rule.err" >&2; fail "$rule: explain warned"; }
  "$TEXTLRP" validate --explanations "$WORK/$rule.jsonl" >"$WORK/$rule.json" || {
    head -c 2000 "$WORK/$rule.json" >&2
    fail "$rule: validate fails on the SST test set"
  }
  python3 - "$WORK/$rule.jsonl" "$WORK/$rule.json" "$rule" <<'PY' || fail "$rule: relevances out of bounds"
import json, sys
v = json.load(open(sys.argv[2]))
assert v["documents"] == 2210 and v["conservation_failures"] == 0 and v["documents_with_warnings"] == 0, v
worst = 0.0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert "warnings" not in o, o["id"]
    m = max([abs(t["relevance"]) for t in o["tokens"]] + [0.0])
    worst = max(worst, m / max(1.0, abs(o["score"])))
# signal-take-all is the reference's rule, unchanged: its ε-rule on c_t = f⊙c_{t-1} + i⊙g gives
# up to 33 times the score here (as the original NumPy code does).
assert worst < (100 if sys.argv[3] == "signal-take-all" else 10), (sys.argv[3], worst)
print(f"{sys.argv[3]}: max |relevance| / max(1, |score|) = {worst:.3g}")
PY
  ok "$rule: validate passes on the 2210 SST test sentences, relevances bounded"
done

# max_tokens from the model's config: 5 tokens read, the rest relevance 0, "truncated": true.
python3 - "$WORK/arras/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
assert c["hyper"]["max_tokens"] == 5000, c["hyper"]
c["hyper"]["max_tokens"] = 5
json.dump(c, open(sys.argv[1], "w"))
PY
echo '{"tokens": ["it", "is", "a", "good", "film", "but", "far", "too", "long"]}' >"$WORK/long.jsonl"
"$TEXTLRP" explain --model "$WORK/arras" --input "$WORK/long.jsonl" --no-verify -q >"$WORK/trunc.jsonl"
python3 - "$WORK/trunc.jsonl" <<'PY' || fail "max_tokens 5 does not truncate"
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o.get("truncated") is True, o
r = [t["relevance"] for t in o["tokens"]]
assert len(r) == 9 and all(x == 0 for x in r[5:]) and any(x != 0 for x in r[:5]), r
PY
ok "a model with max_tokens 5 reads 5 tokens and says truncated"

# A 100,000-token document with the default limit: truncated, quick.
python3 -c "import json; print(json.dumps({'text': ' '.join(['good', 'bad', 'film'] * 33334)}))" >"$WORK/huge.jsonl"
"$TEXTLRP" import arras-bilstm --from "$D" --embeddings "$D/embeddings_SYNTHETIC_splitmix64.npy" --out "$WORK/arras2" -q
start=$(date +%s%N)
"$TEXTLRP" explain --model "$WORK/arras2" --input "$WORK/huge.jsonl" --lstm-rule half -q >"$WORK/huge.out"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q '"truncated":true' "$WORK/huge.out" || fail "the 100,000-token document is not truncated"
"$TEXTLRP" validate --explanations "$WORK/huge.out" >/dev/null || fail "the truncated document fails validate"
[ "$ms" -lt 5000 ] || fail "a 100,000-token document took $ms ms"
ok "a 100,000-token document: truncated at 5000 tokens, valid, $ms ms"
