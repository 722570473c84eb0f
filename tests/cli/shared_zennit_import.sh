#!/usr/bin/env bash
# Import the Zennit reference CNN (../shared/data/zennit-cnn) from PyTorch safetensors, load it
# (self-tests run), and explain pre-tokenized JSONL input with every rule setting and baseline:
# relevance per token must match reference.json (Zennit) within 1e-4·max(1, max|ref|).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
D="$TEXTLRP_SHARED_DATA/zennit-cnn"
[ -f "$D/cnn.safetensors" ] || { echo "skip: $D not found"; exit 0; }
command -v python3 >/dev/null || fail "python3 is needed to compare with reference.json"

"$TEXTLRP" import pytorch --arch cnn --weights "$D/cnn.safetensors" --vocab "$D/vocab.txt" \
  --labels alpha,beta,gamma,delta --out "$WORK/cnn" -q
for f in config.json model.safetensors vocab.txt; do [ -s "$WORK/cnn/$f" ] || fail "model lacks $f"; done
grep -q '"architecture": "cnn"' "$WORK/cnn/config.json" || fail "architecture"
grep -q '"kernel_sizes"' "$WORK/cnn/config.json" || fail "hyper lacks kernel_sizes"
grep -q '"tests"' "$WORK/cnn/config.json" || fail "no self-tests"
ok "import pytorch writes a model directory with self-tests"

# The reference documents as pre-tokenized JSONL (ids of vocab.txt are the tokens w00..w39).
python3 - "$D/reference.json" "$WORK" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1]))
with open(sys.argv[2] + "/docs.jsonl", "w") as f:
    for i, d in enumerate(ref["documents"]):
        f.write(json.dumps({"id": str(i), "tokens": d["tokens"]}) + "\n")
PY
[ "$(wc -l <"$WORK/docs.jsonl")" -eq 40 ] || fail "40 documents expected"

check() {  # check METHOD RULE REFKEY
  local method="$1" rule="$2" key="$3"
  "$TEXTLRP" explain --model "$WORK/cnn" --input "$WORK/docs.jsonl" --method "$method" ${rule:+--rule "$rule"} -q \
    >"$WORK/out.jsonl"
  python3 - "$D/reference.json" "$WORK/out.jsonl" "$key" <<'PY' || fail "$method $rule differs from Zennit"
import json, sys
ref = json.load(open(sys.argv[1]))["documents"]
out = [json.loads(l) for l in open(sys.argv[2])]
key = sys.argv[3]
assert len(out) == len(ref), (len(out), len(ref))
worst = 0.0
labels = ["alpha", "beta", "gamma", "delta"]
for r, o in zip(ref, out):
    theirs = r["relevance"][key] if key in r["relevance"] else r[key]
    ours = [t["relevance"] for t in o["tokens"]]
    assert len(ours) == len(theirs)
    scale = max([1.0] + [abs(v) for v in theirs])
    worst = max(worst, max(abs(a - b) for a, b in zip(ours, theirs)) / scale)
    assert o["target"] == labels[r["target"]], (o["target"], r["target"])
    for c, l in enumerate(labels):
        assert abs(o["scores"][l] - r["scores"][c]) <= 1e-5, (o["scores"], r["scores"])
print(f"{key}: max error {worst:.2e}")
sys.exit(0 if worst <= 1e-4 else 1)
PY
}
check lrp 'epsilon(1e-6)' 'epsilon(1e-6)'
check lrp 'epsilon(0.25)' 'epsilon(0.25)'
check lrp 'conv=zplus,fc=epsilon(1e-6)' 'conv=zplus,fc=epsilon(1e-6)'
check lrp 'conv=alphabeta(2,1),fc=epsilon(1e-6)' 'conv=alphabeta(2,1),fc=epsilon(1e-6)'
check lrp 'gamma(0.25)' 'gamma(0.25)'
check sa '' sensitivity
check gi '' gradient_x_input
ok "explain matches Zennit for 5 rule settings, sa and gi on all 40 documents"

# Every method writes the same schema; validate checks relevance_sum + bias_relevance = score.
for m in lrp sa gi ig occlusion random; do
  "$TEXTLRP" explain --model "$WORK/cnn" --input "$WORK/docs.jsonl" --method "$m" -q >"$WORK/m.jsonl"
  [ "$(grep -c '"schema":1' "$WORK/m.jsonl")" -eq 40 ] || fail "method $m"
  grep -q "\"method\":\"$m\"" "$WORK/m.jsonl" || fail "method $m not recorded"
  "$TEXTLRP" validate --explanations "$WORK/m.jsonl" >/dev/null || fail "validate $m"
done
ok "lrp sa gi ig occlusion random all write schema 1"

# Text input through the ICU tokenizer: unknown words get 0, spans point into the text.
printf '{"id":"t","text":"W25 w27 unknownword w35 w23"}\n' |
  "$TEXTLRP" explain --model "$WORK/cnn" --input - -q >"$WORK/t.jsonl"
grep -q '"text":"unknownword","begin":8,"end":19,"relevance":0' "$WORK/t.jsonl" || fail "unknown word: $(cat "$WORK/t.jsonl")"
ok "text input: case-folded lookup, unknown words get 0"

# --max-tokens: longer documents are truncated and the record says so.
"$TEXTLRP" import pytorch --weights "$D/cnn.safetensors" --vocab "$D/vocab.txt" --max-tokens 4 --out "$WORK/cnn4" -q
printf '{"id":"long","tokens":["w01","w02","w03","w04","w05","w06"]}\n{"id":"short","tokens":["w01"]}\n' |
  "$TEXTLRP" explain --model "$WORK/cnn4" --input - -q >"$WORK/trunc.jsonl"
grep '"id":"long"' "$WORK/trunc.jsonl" | grep -q '"text":"w06","relevance":0' || fail "truncated token relevance"
grep '"id":"long"' "$WORK/trunc.jsonl" | grep -q '"truncated":true' || fail "truncation not reported"
grep '"id":"short"' "$WORK/trunc.jsonl" | grep -vq '"truncated"' || fail "short document marked truncated"
ok "--max-tokens truncates and the output says so; a 1-token document is padded"

# Importer errors: one message with every problem; wrong label count is a usage error.
python3 - "$D/cnn.safetensors" "$WORK/bad.safetensors" <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
h["fc.bias"]["dtype"] = "I32"      # same size as F32
h["extra"] = h.pop("conv.bias")     # conv.bias missing, 'extra' unexpected
hb = json.dumps(h).encode()
open(sys.argv[2], "wb").write(struct.pack("<Q", len(hb)) + hb + b[8 + n:])
PY
expect_exit 1 "missing tensor 'conv.bias' \[10\].*dtype I32.*unexpected tensor 'extra'" \
  "$TEXTLRP" import pytorch --arch cnn --weights "$WORK/bad.safetensors" --vocab "$D/vocab.txt" --out "$WORK/bad"
[ ! -e "$WORK/bad" ] || fail "a failed import must not leave a directory"
expect_exit 2 "3 labels given" \
  "$TEXTLRP" import pytorch --weights "$D/cnn.safetensors" --vocab "$D/vocab.txt" --labels a,b,c --out "$WORK/bad"
expect_exit 2 "arch" "$TEXTLRP" import pytorch --arch lstm --weights "$D/cnn.safetensors" --vocab "$D/vocab.txt" --out "$WORK/bad"
head -5 "$D/vocab.txt" >"$WORK/short_vocab.txt"
expect_exit 1 "5 tokens, but embedding.weight" \
  "$TEXTLRP" import pytorch --weights "$D/cnn.safetensors" --vocab "$WORK/short_vocab.txt" --out "$WORK/bad"
ok "importer errors"
echo "$n_checks passed, 0 failed"
