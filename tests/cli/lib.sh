# tests/cli/lib.sh — helpers for the CLI tests (sourced). ctest sets TEXTLRP, TEXTLRP_SOURCE_DIR,
# TEXTLRP_SHARED_DATA and TEXTLRP_TEST_OUT.
set -euo pipefail
: "${TEXTLRP:?set TEXTLRP to the textlrp binary}"
: "${TEXTLRP_TEST_OUT:=/tmp/textlrp-test-out}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/textlrp-cli.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
n_checks=0

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
ok() { n_checks=$((n_checks + 1)); printf 'ok %d - %s\n' "$n_checks" "$*"; }

# expect_exit CODE PATTERN CMD...: runs CMD, requires exit CODE and PATTERN (grep -E) in its stderr.
expect_exit() {
  local code="$1" pattern="$2"
  shift 2
  local got=0
  "$@" >"$WORK/stdout" 2>"$WORK/stderr" || got=$?
  if [ "$got" -ne "$code" ]; then
    cat "$WORK/stderr" >&2
    fail "expected exit $code, got $got: $*"
  fi
  if ! grep -Eq -- "$pattern" "$WORK/stderr"; then
    cat "$WORK/stderr" >&2
    fail "stderr does not match /$pattern/: $*"
  fi
  if [ "$code" -ne 0 ] && [ "$(wc -l <"$WORK/stderr")" -gt 3 ]; then
    cat "$WORK/stderr" >&2
    fail "an error should be a short message, got $(wc -l <"$WORK/stderr") lines: $*"
  fi
  ok "exit $code /$pattern/: ${*:2}"
}

# make_toy_corpus DIR: a small two-class folder corpus.
make_toy_corpus() {
  local d="$1" i
  mkdir -p "$d/ham" "$d/spam"
  for i in $(seq 1 12); do
    printf 'Hi team, the meeting about the project schedule is moved to monday %s. Thanks, Anna\n' "$i" >"$d/ham/$i"
    printf 'WIN money now!!! Click here for a free prize %s, cheap pills, viagra offer\n' "$i" >"$d/spam/$i"
  done
  printf 'Lunch at noon? The caf\xc3\xa9 near the office. Caf\xc3\xa9 au lait for me \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\n' >"$d/ham/13"
  printf 'Cheap caf\xe9 offer, free money\n' >"$d/spam/13"  # Latin-1
}
