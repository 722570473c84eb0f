#!/usr/bin/env bash
# The per-ISA kernels (*.isa.cpp, cmake/textlrp_isa.cmake) must not leak AVX code into generic code:
# an inline or template function compiled with -march=x86-64-v3/v4 is a COMDAT symbol, and the
# linker may keep that copy for every caller, so the binary would die with SIGILL on a CPU without
# AVX2. Disassemble textlrp and require that no function outside the per-level namespaces
# (textlrp::isa_<level>, Eigen renamed to textlrp_eigen_<level>) uses a ymm or zmm register, and that
# the v3 and v4 kernels are there (ymm in isa_v3, zmm in isa_v4), so the check has something to see.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v objdump >/dev/null || fail "objdump (binutils) is needed"
case "$("$TEXTLRP" --version)" in
  *"kernels: native"*) echo "skip: a -DTEXTLRP_NATIVE=ON build has no per-level kernels"; exit 0 ;;
esac
[ "$(uname -m)" = x86_64 ] || { echo "skip: not x86-64"; exit 0; }

objdump -d --no-show-raw-insn -C "$TEXTLRP" >"$WORK/dis.txt" || fail "objdump -d failed"
# Per function: its name, whether it uses ymm, zmm.
awk '
  /^[0-9a-f]+ <.*>:$/ { fn = substr($0, index($0, "<") + 1); sub(/>:$/, "", fn); next }
  /%ymm/ { ymm[fn] = 1 }
  /%zmm/ { zmm[fn] = 1 }
  END {
    for (f in ymm) print "ymm\t" f
    for (f in zmm) print "zmm\t" f
  }' "$WORK/dis.txt" >"$WORK/wide.txt"
level_ns='textlrp::isa_(generic|v2|v3|v4)::|textlrp_eigen_(generic|v2|v3|v4)::'
# GCC function multiversioning (__attribute__((target_clones(...)))) is safe too: each clone is its
# own local symbol ("f [clone .arch_x86_64_v3]") reached only through an ifunc resolver that checks
# the CPU (but it follows the CPU, not TEXTLRP_ISA).
level_ns="$level_ns"'|\[clone \.arch_x86_64_v[234][^]]*\]$'
grep -Ev "$level_ns" "$WORK/wide.txt" >"$WORK/leaks.txt" || true
if [ -s "$WORK/leaks.txt" ]; then
  head -20 "$WORK/leaks.txt" >&2
  fail "$(wc -l <"$WORK/leaks.txt") function(s) outside the per-ISA namespaces use ymm/zmm registers (above)"
fi
ok "no function outside textlrp::isa_<level> / textlrp_eigen_<level> uses ymm or zmm"

# The baseline levels stay baseline.
if grep -E "textlrp::isa_(generic|v2)::|textlrp_eigen_(generic|v2)::" "$WORK/wide.txt" | head -5 | grep . >&2; then
  fail "generic or v2 kernels use ymm/zmm registers (above)"
fi
ok "the generic and v2 kernels use no ymm/zmm register"

grep -qE "^ymm.*(textlrp::isa_v3::|textlrp_eigen_v3::)" "$WORK/wide.txt" || fail "no v3 kernel uses ymm: not compiled for AVX2?"
grep -qE "^zmm.*(textlrp::isa_v4::|textlrp_eigen_v4::)" "$WORK/wide.txt" || fail "no v4 kernel uses zmm: not compiled for AVX-512?"
ok "the v3 kernels use ymm and the v4 kernels zmm"
