#!/usr/bin/env bash
# The version is written once, in project(VERSION) of the top-level CMakeLists.txt; `textlrp --version`
# prints it through the generated textlrp/version.h. Changing the project version changes the output.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="${TEXTLRP_SOURCE_DIR:?}"

expected="$(sed -nE 's/^project\(textlrp VERSION ([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' "$ROOT/CMakeLists.txt")"
[[ "$expected" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "no project(textlrp VERSION X.Y.Z) in $ROOT/CMakeLists.txt"
got="$("$TEXTLRP" --version)"
[[ "$got" == "textlrp $expected (kernels: "*")" ]] ||
  fail "textlrp --version printed '$got', expected 'textlrp $expected (kernels: LEVEL ...)'"
ok "textlrp --version prints the project version ($expected) and the kernel level"

# No other file writes a version literal for the tool.
if grep -rnE '"textlrp [0-9]+\.[0-9]+' "$ROOT/apps" "$ROOT/core" "$ROOT/nlp" "$ROOT/lrp" --include='*.cpp' --include='*.h'; then
  fail "a hard-coded version string (above) instead of TEXTLRP_VERSION"
fi
ok "no hard-coded version string in the sources"
