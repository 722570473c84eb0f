#!/usr/bin/env bash
# BiLSTM importers and options on bad input: each case exits 1 (data) or 2 (usage) with a short
# message naming the problem (every tensor problem in one message), never crashes, and never
# leaves a model directory behind. The fixtures are a tiny bidirectional LSTM (V = 6, E = 3,
# H = 2, C = 2) written by python3 (tests/cli/tiny_bilstm.py) as a PyTorch safetensors state dict and as Arras-style .npy files.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v python3 >/dev/null || { echo "skip: python3 is needed to write the fixtures"; exit 0; }

printf 'good\nbad\nfilm\nnot\n.\nfunny\n' >"$WORK/vocab.txt"
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$TEXTLRP_SOURCE_DIR/tests/cli" python3 - "$WORK" <<'PY'
import os, struct, sys
import tiny_bilstm as tb
from tiny_bilstm import vals
work = sys.argv[1]
V, E, H, C = 6, 3, 2, 2
tensors = tb.tensors(V, E, H, C)
def safetensors(path, tensors, dtypes={}):
    tb.write_safetensors(path, tensors, "F32", dtypes)
safetensors(work + "/good.safetensors", tensors)
bad = dict(tensors)
del bad["lstm.bias_hh_l0"]                                   # missing
bad["lstm.weight_hh_l0_reverse"] = ([4 * H, 3], vals(4 * H * 3, 5))  # wrong shape
bad["lstm.weight_ih_l1"] = ([4 * H, 2 * H], vals(4 * H * 2 * H, 6))  # unexpected (a second layer)
safetensors(work + "/bad.safetensors", bad, {"fc.bias": "I32"})       # wrong dtype
def npy(path, shape, v, descr="<f8", fortran=False, cut=0):
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (descr, fortran, "".join("%d, " % s for s in shape))
    d += " " * (63 - (10 + len(d)) % 64) + "\n"
    body = struct.pack("<%dd" % len(v), *v) if descr == "<f8" else struct.pack("<%dq" % len(v), *[int(x) for x in v])
    blob = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode() + body
    open(path, "wb").write(blob[:len(blob) - cut] if cut else blob)
os.makedirs(work + "/arras", exist_ok=True)
for side, seed in [("Left", 50), ("Right", 60)]:
    npy(work + "/arras/Wxh_%s.npy" % side, [4 * H, E], vals(4 * H * E, seed))
    npy(work + "/arras/Whh_%s.npy" % side, [4 * H, H], vals(4 * H * H, seed + 1))
    npy(work + "/arras/bxh_%s.npy" % side, [4 * H], vals(4 * H, seed + 2))
    npy(work + "/arras/bhh_%s.npy" % side, [4 * H], vals(4 * H, seed + 3))
    npy(work + "/arras/Why_%s.npy" % side, [C, H], vals(C * H, seed + 4))
npy(work + "/emb.npy", [V, E], vals(V * E, 70))
npy(work + "/emb_truncated.npy", [V, E], vals(V * E, 70), cut=8)
npy(work + "/emb_int.npy", [V, E], vals(V * E, 70), descr="<i8")
npy(work + "/emb_fortran.npy", [V, E], vals(V * E, 70), fortran=True)
npy(work + "/emb_wide.npy", [V, E + 1], vals(V * (E + 1), 70))
open(work + "/emb_nan.npy", "wb").write(open(work + "/emb.npy", "rb").read()[:-8] + struct.pack("<d", float("nan")))
PY
cp "$WORK/vocab.txt" "$WORK/arras/vocab.txt"

# The good fixtures import, load (self-tests) and explain; unknown words are zero vectors marked oov.
"$TEXTLRP" import pytorch --arch bilstm --weights "$WORK/good.safetensors" --vocab "$WORK/vocab.txt" \
  --labels neg,pos --out "$WORK/torch" -q
"$TEXTLRP" import arras-bilstm --from "$WORK/arras" --embeddings "$WORK/emb.npy" --out "$WORK/np" -q
printf '{"id":"1","tokens":["not","funny","zzz","."]}\n{"id":"2","text":"Not a good film."}\n' >"$WORK/in.jsonl"
for m in torch np; do
  "$TEXTLRP" explain --model "$WORK/$m" --input "$WORK/in.jsonl" --bias-factor 1 -q >"$WORK/$m.jsonl"
  grep -q '{"text":"zzz","relevance":[-0-9.e]*,"oov":true}' "$WORK/$m.jsonl" || fail "$m: oov token: $(cat "$WORK/$m.jsonl")"
  "$TEXTLRP" validate --explanations "$WORK/$m.jsonl" >/dev/null || fail "$m: validate"
done
ok "tiny PyTorch and Arras BiLSTMs import and explain"

# PyTorch importer: every tensor problem in one message; wrong label count; wrong vocabulary size.
expect_exit 1 "missing tensor 'lstm.bias_hh_l0' \[8\].*has shape \[8 x 3\], expected \[8 x 2\].*dtype I32.*unexpected tensor 'lstm.weight_ih_l1'" \
  "$TEXTLRP" import pytorch --arch bilstm --weights "$WORK/bad.safetensors" --vocab "$WORK/vocab.txt" --out "$WORK/bad"
expect_exit 2 "3 labels given" \
  "$TEXTLRP" import pytorch --arch bilstm --weights "$WORK/good.safetensors" --vocab "$WORK/vocab.txt" --labels a,b,c --out "$WORK/bad"
head -4 "$WORK/vocab.txt" >"$WORK/short_vocab.txt"
expect_exit 1 "4 tokens, but the embedding matrix" \
  "$TEXTLRP" import pytorch --arch bilstm --weights "$WORK/good.safetensors" --vocab "$WORK/short_vocab.txt" --out "$WORK/bad"
expect_exit 1 "missing tensor 'convs.0.weight'|missing tensor 'conv.weight'" \
  "$TEXTLRP" import pytorch --arch cnn --weights "$WORK/good.safetensors" --vocab "$WORK/vocab.txt" --out "$WORK/bad"
[ ! -e "$WORK/bad" ] || fail "a failed import must not leave a directory"
ok "PyTorch importer errors"

# Arras importer: corrupt, mistyped, misshapen, non-finite and missing .npy files.
expect_exit 1 "emb_truncated.npy: byte 128: shape \(6, 3\) of <f8 needs 144 data bytes, the file has 136" \
  "$TEXTLRP" import arras-bilstm --from "$WORK/arras" --embeddings "$WORK/emb_truncated.npy" --out "$WORK/bad"
expect_exit 1 "emb_int.npy: byte 10: unsupported dtype '<i8'" \
  "$TEXTLRP" import arras-bilstm --from "$WORK/arras" --embeddings "$WORK/emb_int.npy" --out "$WORK/bad"
expect_exit 1 "fortran_order True" \
  "$TEXTLRP" import arras-bilstm --from "$WORK/arras" --embeddings "$WORK/emb_fortran.npy" --out "$WORK/bad"
expect_exit 1 "emb_wide.npy has shape \[6 x 4\], expected \[6 x 3\]" \
  "$TEXTLRP" import arras-bilstm --from "$WORK/arras" --embeddings "$WORK/emb_wide.npy" --out "$WORK/bad"
expect_exit 1 "emb_nan.npy: byte 264: element 17 is nan" \
  "$TEXTLRP" import arras-bilstm --from "$WORK/arras" --embeddings "$WORK/emb_nan.npy" --out "$WORK/bad"
head -c 20 "$WORK/arras/Why_Right.npy" >"$WORK/why" && mv "$WORK/arras/Why_Right.npy" "$WORK/why_good" && mv "$WORK/why" "$WORK/arras/Why_Right.npy"
rm "$WORK/arras/bhh_Left.npy"
expect_exit 1 "missing file .*bhh_Left.npy.*Why_Right.npy: byte 8: header length" \
  "$TEXTLRP" import arras-bilstm --from "$WORK/arras" --embeddings "$WORK/emb.npy" --out "$WORK/bad"
expect_exit 1 "nosuchdir/vocab.txt" \
  "$TEXTLRP" import arras-bilstm --from "$WORK/nosuchdir" --embeddings "$WORK/emb.npy" --out "$WORK/bad"
[ ! -e "$WORK/bad" ] || fail "a failed import must not leave a directory"
ok "Arras importer errors"

# Options the model cannot use are usage errors, never silently ignored.
expect_exit 2 "supports zero and epsilon" "$TEXTLRP" explain --model "$WORK/torch" --input "$WORK/in.jsonl" --rule 'lstm=zplus'
expect_exit 2 "unknown layer role 'conv'" "$TEXTLRP" explain --model "$WORK/torch" --input "$WORK/in.jsonl" --rule 'conv=zero'
expect_exit 2 "method lrp only" "$TEXTLRP" explain --model "$WORK/torch" --input "$WORK/in.jsonl" --method gi --lstm-rule half
expect_exit 2 "lstm-rule" "$TEXTLRP" explain --model "$WORK/torch" --input "$WORK/in.jsonl" --lstm-rule all
expect_exit 2 "bias-factor" "$TEXTLRP" explain --model "$WORK/torch" --input "$WORK/in.jsonl" --bias-factor x
make_toy_corpus "$WORK/corpus"
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --out "$WORK/svm" -q
expect_exit 2 "recurrent models \(bilstm\) only" "$TEXTLRP" explain --model "$WORK/svm" --corpus "folder:$WORK/corpus" --bias-factor 1
expect_exit 2 "recurrent models \(bilstm\) only" "$TEXTLRP" explain --model "$WORK/svm" --corpus "folder:$WORK/corpus" --lstm-rule half
expect_exit 2 "precision apply to recurrent models" "$TEXTLRP" explain --model "$WORK/svm" --corpus "folder:$WORK/corpus" --precision float32
ok "option errors"
echo "$n_checks passed, 0 failed"
