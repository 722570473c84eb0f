#!/usr/bin/env bash
# Issue 12: an explanation that is not usable is never written silently. A random BiLSTM with large
# weights (PyTorch layout, written here) whose signal-take-all LRP explodes on 400-word inputs (its
# ε-rule on c_t = f⊙c_{t-1} + i⊙g where the two terms cancel; relevances up to 2e11 for scores of
# about 1): explain warns on stderr (the first documents, then a count, even with -q), every record
# carries "warnings", no number is null, and validate fails listing them. half and proportional
# stay bounded on the same model.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v python3 >/dev/null || fail "python3 is needed to write the test model"

python3 - "$WORK" <<'PY'
import json, os, random, struct, sys
out = sys.argv[1]
rng = random.Random(13)  # Mersenne Twister: the same numbers on every Python 3
V, E, H, C = 50, 8, 6, 3
def mat(r, c, s): return [[rng.uniform(-s, s) for _ in range(c)] for _ in range(r)]
tensors = {"embedding.weight": mat(V, E, 1.0)}
for suf in ["", "_reverse"]:
    tensors["lstm.weight_ih_l0" + suf] = mat(4 * H, E, 3.0)
    tensors["lstm.weight_hh_l0" + suf] = mat(4 * H, H, 3.0)
    tensors["lstm.bias_ih_l0" + suf] = [rng.uniform(-1, 1) for _ in range(4 * H)]
    tensors["lstm.bias_hh_l0" + suf] = [rng.uniform(-1, 1) for _ in range(4 * H)]
tensors["fc.weight"] = mat(C, 2 * H, 2.0)
header, blob = {}, b""
for name, t in tensors.items():
    flat = [x for row in t for x in row] if isinstance(t[0], list) else t
    shape = [len(t), len(t[0])] if isinstance(t[0], list) else [len(t)]
    data = struct.pack("<%df" % len(flat), *flat)
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
    blob += data
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(os.path.join(out, "w.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + blob)
with open(os.path.join(out, "vocab.txt"), "w") as f:
    f.write("<unk>\n" + "".join("w%d\n" % i for i in range(1, V)))
with open(os.path.join(out, "docs.jsonl"), "w") as f:
    for d in range(8):
        words = ("w%d" % (1 + (t * 13 + d * 7) % (V - 1)) for t in range(400))
        f.write(json.dumps({"id": "d%d" % d, "text": " ".join(words)}) + "\n")
PY
"$TEXTLRP" import pytorch --arch bilstm --weights "$WORK/w.safetensors" --vocab "$WORK/vocab.txt" --out "$WORK/m" -q

"$TEXTLRP" explain --model "$WORK/m" --input "$WORK/docs.jsonl" >"$WORK/sta.jsonl" 2>"$WORK/sta.err"
grep -q "warning: document 'd0': relevance not conserved" "$WORK/sta.err" || { cat "$WORK/sta.err" >&2; fail "no warning for d0"; }
[ "$(grep -c "warning: document" "$WORK/sta.err")" -eq 5 ] || fail "expected the first 5 documents' warnings"
grep -q "warning: 8 of 8 explanations carry warnings" "$WORK/sta.err" || fail "no warning count"
ok "explain warns on stderr: the first 5 documents, then the count"
"$TEXTLRP" explain --model "$WORK/m" --input "$WORK/docs.jsonl" -q >/dev/null 2>"$WORK/q.err"
[ "$(cat "$WORK/q.err")" = "textlrp: warning: 8 of 8 explanations carry warnings (their \"warnings\" field; \`textlrp validate\` lists them)" ] ||
  { cat "$WORK/q.err" >&2; fail "-q should still print the count, and only it"; }
ok "-q keeps the one-line count"
[ "$(grep -c '"warnings":\["relevance not conserved' "$WORK/sta.jsonl")" -eq 8 ] || fail "records lack \"warnings\""
! grep -q 'null\|nan\|inf' "$WORK/sta.jsonl" || fail "null, nan or inf in the JSON"
ok "every record carries \"warnings\", no null in the JSON"
code=0
"$TEXTLRP" validate --explanations "$WORK/sta.jsonl" >"$WORK/stdout" || code=$?
[ "$code" -eq 1 ] || fail "validate should exit 1 on records with warnings, got $code"
grep -q '"documents_with_warnings": 8' "$WORK/stdout" || fail "validate does not count the records with warnings"
grep -q 'warning: relevance not conserved' "$WORK/stdout" || fail "validate does not list the warnings"
ok "validate fails and lists the warnings"

for rule in half proportional; do
  "$TEXTLRP" explain --model "$WORK/m" --input "$WORK/docs.jsonl" --lstm-rule "$rule" >"$WORK/$rule.jsonl" 2>"$WORK/$rule.err"
  ! grep -q warning "$WORK/$rule.err" || { cat "$WORK/$rule.err" >&2; fail "$rule warned"; }
  "$TEXTLRP" validate --explanations "$WORK/$rule.jsonl" >/dev/null || fail "$rule fails validate"
  ok "$rule: bounded and valid on the same model"
done
