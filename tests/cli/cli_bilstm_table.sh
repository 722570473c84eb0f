#!/usr/bin/env bash
# The BiLSTM's projected-embedding tables (lrp/models/bilstm_classifier.h): explanations and
# deletion curves are byte for byte the same with the tables (the default) and without them
# (TEXTLRP_BILSTM_TABLE=0, or a limit smaller than the table); another value of the variable is a
# usage error naming it. The model is a tiny PyTorch-layout BiLSTM (V = 7, E = 3, H = 2, C = 2).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v python3 >/dev/null || { echo "skip: python3 is needed to write the fixture"; exit 0; }

printf 'good\nbad\nfilm\nnot\n.\nfunny\nvery\n' >"$WORK/vocab.txt"
python3 - "$WORK" <<'PY'
import json, struct, sys
work = sys.argv[1]
V, E, H, C = 7, 3, 2, 2
def vals(n, seed):  # deterministic numbers in [-1, 1)
    out, x = [], seed
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
        out.append(((x >> 11) / 2**53) * 2 - 1)
    return out
tensors = {"embedding.weight": ([V, E], vals(V * E, 1)), "fc.weight": ([C, 2 * H], vals(C * 2 * H, 2)),
           "fc.bias": ([C], vals(C, 3))}
for i, sfx in enumerate(["", "_reverse"]):
    tensors["lstm.weight_ih_l0" + sfx] = ([4 * H, E], vals(4 * H * E, 10 + i))
    tensors["lstm.weight_hh_l0" + sfx] = ([4 * H, H], vals(4 * H * H, 20 + i))
    tensors["lstm.bias_ih_l0" + sfx] = ([4 * H], vals(4 * H, 30 + i))
    tensors["lstm.bias_hh_l0" + sfx] = ([4 * H], vals(4 * H, 40 + i))
header, data = {}, b""
for name, (shape, v) in sorted(tensors.items()):
    blob = struct.pack("<%dd" % len(v), *v)
    header[name] = {"dtype": "F64", "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
    data += blob
h = json.dumps(header).encode()
open(work + "/m.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + data)
PY
"$TEXTLRP" import pytorch --arch bilstm --weights "$WORK/m.safetensors" --vocab "$WORK/vocab.txt" \
  --labels neg,pos --out "$WORK/m" -q
{
  printf '{"id":"1","tokens":["not","funny","zzz","."]}\n{"id":"2","text":"Not a very good film."}\n'
  printf '{"id":"3","tokens":[]}\n{"id":"4","tokens":["bad","bad","film","good","not","very","."]}\n'
} >"$WORK/in.jsonl"

run_all() {  # run_all TAG: explanations (lrp float64 and float32, occlusion) into $WORK/TAG.*
  "$TEXTLRP" explain --model "$WORK/m" --input "$WORK/in.jsonl" --bias-factor 1 -q >"$WORK/$1.lrp"
  "$TEXTLRP" explain --model "$WORK/m" --input "$WORK/in.jsonl" --precision float32 -q >"$WORK/$1.lrp32"
  "$TEXTLRP" explain --model "$WORK/m" --input "$WORK/in.jsonl" --method occlusion -q >"$WORK/$1.occ"
}
run_all on
TEXTLRP_BILSTM_TABLE=0 run_all off
TEXTLRP_BILSTM_TABLE=off run_all off2
for f in lrp lrp32 occ; do
  [ -s "$WORK/on.$f" ] || fail "no output: $f"
  cmp -s "$WORK/on.$f" "$WORK/off.$f" || fail "$f differs without the table: $(diff "$WORK/on.$f" "$WORK/off.$f")"
  cmp -s "$WORK/on.$f" "$WORK/off2.$f" || fail "$f differs with TEXTLRP_BILSTM_TABLE=off"
done
ok "explanations (lrp, float32, occlusion) byte for byte the same with and without the tables"

expect_exit 2 "TEXTLRP_BILSTM_TABLE='12MiB' is not a size" \
  env TEXTLRP_BILSTM_TABLE=12MiB "$TEXTLRP" explain --model "$WORK/m" --input "$WORK/in.jsonl" -q
expect_exit 2 "TEXTLRP_BILSTM_TABLE='-1' is not a size" \
  env TEXTLRP_BILSTM_TABLE=-1 "$TEXTLRP" explain --model "$WORK/m" --input "$WORK/in.jsonl" -q
