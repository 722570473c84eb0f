#!/usr/bin/env bash
# The one binary runs on CPUs without AVX2: under qemu-user emulating a Core 2 (no SSE4.2: kernel level
# generic) and a Nehalem (SSE4.2, no AVX: level v2) — which die with SIGILL on any AVX instruction —
# textlrp picks the CPU's level, and explaining with a CNN and a BiLSTM gives the outputs of this
# machine's best level up to float rounding. (qemu-user comes with scripts/lib.sh's test packages.)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ "$(uname -m)" = x86_64 ] || { echo "skip: not x86-64"; exit 0; }
case "$("$TEXTLRP" --version)" in
  *"kernels: native"*) echo "skip: a -DTEXTLRP_NATIVE=ON build is for the build machine only"; exit 0 ;;
esac
QEMU="$(command -v qemu-x86_64 || true)"
[ -n "$QEMU" ] || fail "qemu-x86_64 (Debian qemu-user, in scripts/lib.sh's test packages) is needed"
# (ldd's output is read whole first: `ldd | grep -q` under pipefail fails when grep exits before ldd
# has written its last line, and the sanitizer build was then run under qemu.)
libs="$(ldd "$TEXTLRP" 2>/dev/null || true)"
if [[ "$libs" == *libasan* ]]; then
  echo "skip: a sanitizer build does not run under qemu-user"
  exit 0
fi

# The emulator is real: an AVX2 instruction dies under -cpu Nehalem.
printf '#include <immintrin.h>\nint main(void) { volatile float f[8] = {1}; __m256 a = _mm256_loadu_ps((float*)f);\n
_mm256_storeu_ps((float*)f, _mm256_add_ps(a, a)); return (int)f[0] - 2; }\n' >"$WORK/avx.c"
if cc -O1 -mavx2 "$WORK/avx.c" -o "$WORK/avx" 2>/dev/null; then
  code="$(bash -c '"$0" -cpu Nehalem "$1"; echo $?' "$QEMU" "$WORK/avx" 2>/dev/null)"
  [ "$code" -eq 132 ] || fail "an AVX2 program under qemu -cpu Nehalem exited $code, expected SIGILL (132)"
  ok "qemu -cpu Nehalem rejects AVX2 code (SIGILL)"
fi

for cpu in core2duo:generic Nehalem:v2; do
  name="${cpu%%:*}" level="${cpu##*:}"
  got="$("$QEMU" -cpu "$name" "$TEXTLRP" --version 2>/dev/null)"
  [[ "$got" == *"kernels: $level (best on this CPU)"* ]] || fail "under qemu -cpu $name: '$got', expected level $level"
  ok "qemu -cpu $name: textlrp runs and picks level $level"
done

make_toy_corpus "$WORK/corpus"
"$TEXTLRP" train --arch cnn --corpus "folder:$WORK/corpus" --threads 1 --seed 5 --dim 24 --kernel-sizes 2 3 \
  --filters 16 --epochs 2 --patience 2 --out "$WORK/cnn" --quiet
"$TEXTLRP" train --arch bilstm --corpus "folder:$WORK/corpus" --threads 1 --seed 5 --dim 12 --hidden 8 --epochs 2 \
  --patience 2 --out "$WORK/bilstm" --quiet
for m in cnn bilstm; do
  "$TEXTLRP" explain --model "$WORK/$m" --corpus "folder:$WORK/corpus" -q >"$WORK/$m-host.jsonl"
  for name in core2duo Nehalem; do
    "$QEMU" -cpu "$name" "$TEXTLRP" explain --model "$WORK/$m" --corpus "folder:$WORK/corpus" -q \
      >"$WORK/$m-$name.jsonl" 2>"$WORK/err.txt" || { cat "$WORK/err.txt" >&2; fail "$m explain under qemu -cpu $name"; }
    python3 - "$WORK/$m-host.jsonl" "$WORK/$m-$name.jsonl" <<'PY' || fail "$m: qemu -cpu $name differs from the host"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) > 0
for x, y in zip(a, b):
    rx = [t["relevance"] for t in x["tokens"]] + list(x["scores"].values())
    ry = [t["relevance"] for t in y["tokens"]] + list(y["scores"].values())
    assert len(rx) == len(ry) > 0
    scale = max([1.0] + [abs(v) for v in rx])
    assert all(abs(u - v) <= 1e-4 * scale for u, v in zip(rx, ry)), (rx, ry)
    assert x["prediction"] == y["prediction"], (x["prediction"], y["prediction"])
PY
    ok "$m: explain under qemu -cpu $name equals the host's within 1e-4"
  done
done
