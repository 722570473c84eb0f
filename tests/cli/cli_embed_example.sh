#!/usr/bin/env bash
# examples/embed, the public C++ API's example, as a user builds it: textlrp installed into a
# temporary prefix, examples/embed configured OUT OF TREE with only CMAKE_PREFIX_PATH, built and
# run on a small SVM trained here; its five most relevant words and their relevance must be those
# of `textlrp explain` on the same text (its JSONL line, tokens sorted by relevance).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="${TEXTLRP_SOURCE_DIR:?}"
BUILD="${TEXTLRP_BUILD_DIR:-$(dirname "$(dirname "$TEXTLRP")")}"
P="$WORK/prefix"
CXX_BIN="${TEXTLRP_CXX_COMPILER:-c++}"

make_toy_corpus "$WORK/corpus"
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --out "$WORK/model" --seed 3 -q || fail "train"
cmake --install "$BUILD" --prefix "$P" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; fail "cmake --install"; }
for f in include/textlrp/textlrp.h include/textlrp/model.h include/textlrp/explanation.h lib/libtextlrp_api.a; do
  [ -f "$P/$f" ] || fail "not installed: $f"
done
[ ! -e "$P/include/textlrp/apps" ] || fail "the tool's headers (apps/) were installed"
ok "the public API is installed: include/textlrp/textlrp.h and libtextlrp_api.a"

cargs=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$P" -DCMAKE_CXX_COMPILER="$CXX_BIN")
[ -n "${TEXTLRP_CXX_LAUNCHER:-}" ] && cargs+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$TEXTLRP_CXX_LAUNCHER")
cp -r "$ROOT/examples/embed" "$WORK/embed-src"  # out of tree: a copy beside nothing of textlrp's
cmake -S "$WORK/embed-src" -B "$WORK/embed" "${cargs[@]}" >"$WORK/configure.log" 2>&1 ||
  { cat "$WORK/configure.log" >&2; fail "configuring examples/embed against $P"; }
cmake --build "$WORK/embed" >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; fail "building examples/embed"; }
if grep -q "CLI" "$WORK/embed/CMakeFiles/embed.dir/flags.make"; then fail "the example compiles with CLI11 on its path"; fi
ok "examples/embed configures with only CMAKE_PREFIX_PATH and builds against the installed package"

check_text() {
  local text="$1" name="$2"
  "$WORK/embed/embed" "$WORK/model" "$text" >"$WORK/$name.embed" || fail "embed failed on '$text'"
  printf '%s\n' "$text" | "$TEXTLRP" explain --model "$WORK/model" --input - --input-format text -q >"$WORK/$name.jsonl" || fail "textlrp explain"
  python3 - "$WORK/$name.embed" "$WORK/$name.jsonl" <<'PY' || fail "embed output differs from textlrp explain on '$text'"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
rec = json.loads(open(sys.argv[2], encoding="utf-8").readline())
assert lines[0] == "prediction\t" + rec["prediction"], (lines[0], rec["prediction"])
got = [l.split("\t") for l in lines[1:]]
want = sorted(rec.get("words") or rec["tokens"], key=lambda t: -t["relevance"])[:5]
assert len(got) == min(5, len(rec["tokens"])), (got, want)
for (word, value), w in zip(got, want):
    assert word == w["text"], (got, want)
    assert abs(float(value) - w["relevance"]) <= 1e-6 * max(1.0, abs(w["relevance"])), (word, value, w["relevance"])
PY
}
check_text 'WIN a free prize now, the meeting is cancelled, cheap pills for Anna' spam
check_text 'Hi team, lunch at the office on monday?' ham
check_text 'free' short
ok "embed prints the five most relevant words and values of textlrp explain (spam, ham, a one-word text)"

expect_exit 1 'no-such-model.*does not exist' "$WORK/embed/embed" "$WORK/no-such-model" "text"
expect_exit 2 'usage: embed MODEL_DIR TEXT' "$WORK/embed/embed" "$WORK/model"
echo "$n_checks passed, 0 failed"
