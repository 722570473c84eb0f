#!/usr/bin/env bash
# The per-ISA kernels (*.isa.cpp, cmake/textlrp_isa.cmake) must not leak AVX code into generic code:
# an inline or template function compiled with -march=x86-64-v3/v4 is a COMDAT symbol, and the
# linker may keep that copy for every caller, so the binary would die with SIGILL on a CPU without
# AVX2. Disassemble textlrp and require that no function outside the per-level namespaces
# (textlrp::isa_<level>, Eigen renamed to textlrp_eigen_<level>) uses a ymm or zmm register, and that
# the v3 and v4 kernels are there (ymm in isa_v3, zmm in isa_v4), so the check has something to see.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ -n "${TEXTLRP_KEEP_WORK:-}" ] && trap "echo kept $WORK" EXIT
command -v objdump >/dev/null || fail "objdump (binutils) is needed"
case "$("$TEXTLRP" --version)" in
  *"kernels: native"*) echo "skip: a -DTEXTLRP_NATIVE=ON build has no per-level kernels"; exit 0 ;;
esac
[ "$(uname -m)" = x86_64 ] || { echo "skip: not x86-64"; exit 0; }

objdump -d --no-show-raw-insn -C "$TEXTLRP" >"$WORK/dis.txt" || fail "objdump -d failed"
# Per function: its name and the first instruction in it that a baseline x86-64 CPU lacks: any
# ymm/zmm register, any VEX/EVEX-encoded instruction (mnemonics v*: AVX even on xmm registers, as
# -march=x86-64-v3 compiles scalar code), the BMI1/2 instructions. (tzcnt is left out: it is the
# "rep bsf" baseline code uses, running as bsf on older CPUs.)
awk '
  /^[0-9a-f]+ <.*>:$/ { fn = substr($0, index($0, "<") + 1); sub(/>:$/, "", fn); next }
  /^ *[0-9a-f]+:\t/ {
    line = $0; sub(/^ *[0-9a-f]+:\t/, "", line)
    split(line, w, /[ \t]+/); m = w[1]
    if (fn in bad) next
    if (line ~ /%[yz]mm/ || (m ~ /^v/ && m != "verr" && m != "verw") ||
        m ~ /^(andn|bextr|blsi|blsmsk|blsr|bzhi|mulx|pdep|pext|rorx|sarx|shlx|shrx)$/) {
      bad[fn] = line
    }
  }
  END { for (f in bad) print f "\t" bad[f] }' "$WORK/dis.txt" >"$WORK/wide.txt"
level_ns='textlrp::isa_(generic|v2|v3|v4)::|textlrp_eigen_(generic|v2|v3|v4)::'
# GCC function multiversioning (__attribute__((target_clones(...)))) is safe too: each clone is its
# own local symbol ("f [clone .arch_x86_64_v3]") reached only through an ifunc resolver that checks
# the CPU (but it follows the CPU, not TEXTLRP_ISA).
level_ns="$level_ns"'|\[clone \.arch_x86_64_v[234][^]]*\]$'
cut -f1 "$WORK/wide.txt" | grep -Ev "$level_ns" >"$WORK/leaks.txt" || true
if [ -s "$WORK/leaks.txt" ]; then
  grep -F -f "$WORK/leaks.txt" "$WORK/wide.txt" | head -20 >&2
  fail "$(wc -l <"$WORK/leaks.txt") function(s) outside the per-ISA namespaces use AVX/AVX-512/BMI instructions (above)"
fi
ok "no function outside textlrp::isa_<level> / textlrp_eigen_<level> uses AVX, AVX-512 or BMI instructions"

# The baseline levels stay baseline.
if grep -E "^(textlrp::isa_(generic|v2)::|[^\t]*textlrp_eigen_(generic|v2)::)" "$WORK/wide.txt" | head -5 | grep . >&2; then
  fail "generic or v2 kernels use AVX/BMI instructions (above)"
fi
ok "the generic and v2 kernels use no AVX, AVX-512 or BMI instruction"

# And the wide kernels are there (so the check has something to find): zmm in v4's Eigen GEMM.
grep -q "textlrp::isa_v3::" "$WORK/wide.txt" || fail "no v3 kernel uses AVX: not compiled for x86-64-v3?"
grep -qE "textlrp_eigen_v4::.*%zmm" "$WORK/wide.txt" || fail "no v4 Eigen kernel uses zmm: not compiled for AVX-512?"
ok "the v3 kernels use AVX and the v4 kernels zmm"
