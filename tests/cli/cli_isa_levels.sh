#!/usr/bin/env bash
# Runtime ISA dispatch (core/cpu_isa.h): TEXTLRP_ISA=v2 (what a CPU without AVX2 runs) and the best
# level of this CPU give the same scores and relevances, up to float rounding, for a CNN and a
# BiLSTM under several rules; --version names the level; a bad TEXTLRP_ISA is a usage error.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
case "$("$TEXTLRP" --version)" in
  *"kernels: native"*) echo "skip: a -DTEXTLRP_NATIVE=ON build has one level"; exit 0 ;;
esac

best="$("$TEXTLRP" --version | sed -nE 's/.*\(kernels: ([a-z0-9]+) .*/\1/p')"
[[ "$best" =~ ^(generic|v2|v3|v4)$ ]] || fail "textlrp --version names no kernel level: $("$TEXTLRP" --version)"
ok "textlrp --version names the level in use ($best)"
TEXTLRP_ISA=generic "$TEXTLRP" --version | grep -q "kernels: generic (TEXTLRP_ISA=generic; best on this CPU: $best)" ||
  fail "TEXTLRP_ISA=generic is not reported by --version: $(TEXTLRP_ISA=generic "$TEXTLRP" --version)"
ok "TEXTLRP_ISA=generic is used and reported"
TEXTLRP_ISA=v2 expect_exit 2 "TEXTLRP_ISA='avx9' is not a level; expected generic, v2, v3 or v4" \
  env TEXTLRP_ISA=avx9 "$TEXTLRP" --version

make_toy_corpus "$WORK/corpus"
train() {  # train ARCH OUT [options]
  local arch="$1" out="$2"
  shift 2
  "$TEXTLRP" train --arch "$arch" --corpus "folder:$WORK/corpus" --threads 1 --seed 3 --out "$out" --quiet "$@"
}
train cnn "$WORK/cnn" --dim 48 --kernel-sizes 2 3 --filters 40 --epochs 2 --patience 2
train bilstm "$WORK/bilstm" --dim 16 --hidden 12 --epochs 2 --patience 2

compare() {  # compare A.jsonl B.jsonl WHAT
  python3 - "$1" "$2" <<'PY' || fail "$3: TEXTLRP_ISA=v2 and $best differ"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) and len(a) > 0, (len(a), len(b))
def nums(o, out):
    if isinstance(o, bool) or o is None or isinstance(o, str):
        return
    if isinstance(o, (int, float)):
        out.append(float(o))
    elif isinstance(o, list):
        for v in o: nums(v, out)
    elif isinstance(o, dict):
        for k in sorted(o): nums(o[k], out)
n = 0
for x, y in zip(a, b):
    u, v = [], []
    nums(x, u); nums(y, v)
    assert len(u) == len(v), "different structure"
    scale = max([1.0] + [abs(t) for t in u])
    for s, t in zip(u, v):
        assert abs(s - t) <= 1e-4 * scale, (s, t, scale)
    n += len(u)
assert n > 0
PY
}

for m in cnn bilstm; do
  rules=("" "epsilon(0.01)" zplus "alphabeta(2,1)" flat)
  [ "$m" = bilstm ] && rules=("" "epsilon(0.01)" zero)  # what the BiLSTM takes
  for rule in "${rules[@]}"; do
    for level in v2 "$best"; do
      TEXTLRP_ISA="$level" "$TEXTLRP" explain --model "$WORK/$m" --corpus "folder:$WORK/corpus" ${rule:+--rule "$rule"} \
        -q >"$WORK/$m-$level.jsonl" 2>"$WORK/err.txt" || { cat "$WORK/err.txt" >&2; fail "$m $rule at $level"; }
    done
    compare "$WORK/$m-v2.jsonl" "$WORK/$m-$best.jsonl" "$m explain ${rule:-default rule}"
    ok "$m: explain ${rule:-default rule}: TEXTLRP_ISA=v2 equals $best within 1e-4"
  done
  for level in v2 "$best"; do
    TEXTLRP_ISA="$level" "$TEXTLRP" predict --model "$WORK/$m" --corpus "folder:$WORK/corpus" -q >"$WORK/p-$level.jsonl"
  done
  compare "$WORK/p-v2.jsonl" "$WORK/p-$best.jsonl" "$m predict"
  ok "$m: predict: TEXTLRP_ISA=v2 equals $best within 1e-4"
done
