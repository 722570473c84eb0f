#!/usr/bin/env bash
# The BiLSTM's projected-embedding tables (lrp/models/bilstm_classifier.h): explanations and
# deletion curves are byte for byte the same with the tables (the default) and without them
# (TEXTLRP_BILSTM_TABLE=0, or a limit smaller than the table); another value of the variable is a
# usage error naming it. The model is a tiny PyTorch-layout BiLSTM (V = 7, E = 3, H = 2, C = 2),
# written by tests/cli/tiny_bilstm.py.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v python3 >/dev/null || { echo "skip: python3 is needed to write the fixture"; exit 0; }

printf 'good\nbad\nfilm\nnot\n.\nfunny\nvery\n' >"$WORK/vocab.txt"
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$TEXTLRP_SOURCE_DIR/tests/cli" python3 - "$WORK" <<'PY'
import sys
import tiny_bilstm as tb
tb.write_safetensors(sys.argv[1] + "/m.safetensors", tb.tensors(7, 3, 2, 2), "F64")
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
