#!/usr/bin/env bash
# tests/isa/run_at_level.sh [--not-best] LEVEL CMD...: runs CMD with TEXTLRP_ISA=LEVEL (core/cpu_isa.h),
# or exits 77 (ctest: skipped) when this CPU does not support LEVEL, so that a test registered for v4
# never silently runs at a lower level. With --not-best it also skips when LEVEL is the CPU's best
# level (for a test whose plain registration already runs there). $TEXTLRP is the textlrp binary (it
# reports the level in use).
set -euo pipefail
not_best=0
if [ "$1" = --not-best ]; then
  not_best=1
  shift
fi
level="$1"
shift
: "${TEXTLRP:?set TEXTLRP to the textlrp binary}"
version="$(TEXTLRP_ISA="$level" "$TEXTLRP" --version 2>/dev/null)"
case "$version" in
  *"kernels: $level "*) ;;
  *) echo "skip: this CPU does not run kernel level $level ($version)"; exit 77 ;;
esac
if [ "$not_best" = 1 ] && [[ "$("$TEXTLRP" --version)" == *"kernels: $level "* ]]; then
  echo "skip: $level is this CPU's best level, where the test's plain registration runs"
  exit 77
fi
export TEXTLRP_ISA="$level"
exec "$@"
