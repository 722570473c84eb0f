#!/usr/bin/env bash
# ctest-labels: heavy
# An explain-only build (-DTEXTLRP_WITH_TRAINING=OFF): configures the source tree into its own build
# directory (build-explain-only/ beside the main build, so ccache — when the main build uses it —
# finds the same relative paths and recompiles only the files the option changes; the directory is
# kept, so a rerun is incremental), builds only the textlrp target and checks that
#   - configuring did not look for liblinear, libfasttext or SentencePiece's trainer;
#   - neither the link command nor the binary (ldd, nm) holds liblinear, libfasttext or the trainer;
#   - `textlrp train`, `embeddings train` and `tokenizer train` exit 2 with the explain-only message;
#   - `textlrp explain` there, on models trained by the normal build, writes the same explanations.
# Heavy: a first run compiles most of the tree (minutes without ccache); the sanitizer pass skips it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="${TEXTLRP_SOURCE_DIR:?}"
B="${TEXTLRP_EXPLAIN_ONLY_BUILD:-$ROOT/build-explain-only}"

args=(-S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release -DTEXTLRP_WITH_TRAINING=OFF -DTEXTLRP_BUILD_TESTS=OFF
      -DTEXTLRP_PCH="${TEXTLRP_PCH:-OFF}" -DCMAKE_POSITION_INDEPENDENT_CODE="${TEXTLRP_PIC:-OFF}")
[ -n "${TEXTLRP_CXX_COMPILER:-}" ] && args+=(-DCMAKE_CXX_COMPILER="$TEXTLRP_CXX_COMPILER")
if [ -n "${TEXTLRP_CXX_LAUNCHER:-}" ]; then
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$TEXTLRP_CXX_LAUNCHER")
elif command -v ccache >/dev/null; then
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake "${args[@]}" >"$WORK/configure.log" 2>&1 || { cat "$WORK/configure.log" >&2; fail "configuring the explain-only build"; }
ok "configured $B with -DTEXTLRP_WITH_TRAINING=OFF"
if grep -E '^(LIBLINEAR_[A-Z_]+|SENTENCEPIECE_TRAIN_LIBRARY|fasttext_[A-Z_]+):' "$B/CMakeCache.txt"; then
  fail "the explain-only configuration looked for a solver (cache entries above)"
fi
ok "configuring looked for neither liblinear, libfasttext nor SentencePiece's trainer"

cmake --build "$B" --target textlrp -j "${TEXTLRP_BUILD_JOBS:-$(nproc)}" >"$WORK/build.log" 2>&1 ||
  { tail -40 "$WORK/build.log" >&2; fail "building the explain-only textlrp"; }
T="$B/bin/textlrp"
[ -x "$T" ] || fail "no $T after the build"
ok "built the explain-only textlrp"

link="$B/apps/CMakeFiles/textlrp.dir/link.txt"
[ -f "$link" ] || fail "no link command at $link"
grep -q 'textlrp_core' "$link" || fail "$link does not look like textlrp's link command"
if grep -Eo '[^ ]*(linear|fasttext|sentencepiece_train|textlrp_train)[^ ]*' "$link"; then
  fail "the explain-only link command names a solver library (above)"
fi
ok "the link command names neither liblinear, libfasttext, sentencepiece_train nor textlrp_train"
ldd "$T" >"$WORK/ldd.txt"
grep -q 'libsentencepiece\.so' "$WORK/ldd.txt" || fail "ldd lists no libsentencepiece: is this the right binary?"
if grep -E 'liblinear|libfasttext|libsentencepiece_train' "$WORK/ldd.txt"; then
  fail "the explain-only textlrp loads a solver library (ldd above)"
fi
ok "ldd: no liblinear, libfasttext or libsentencepiece_train"
nm -C "$T" >"$WORK/nm.txt"
grep -q 'textlrp::lrp::' "$WORK/nm.txt" || fail "nm finds no textlrp::lrp symbol: is this the right binary?"
if grep -E 'fasttext::|textlrp::lrp::train_|train_sentencepiece|train_vectors| U (train|predict_values)$' \
    "$WORK/nm.txt" | head -5 | grep .; then
  fail "the explain-only textlrp holds training code (nm above)"
fi
ok "nm: no trainer, fastText or liblinear symbol"

"$T" --version | grep -qx "$("$TEXTLRP" --version)" || fail "the two builds report different versions"
msg='this textlrp was built without training \(TEXTLRP_WITH_TRAINING=OFF\)'
make_toy_corpus "$WORK/corpus"
expect_exit 2 "textlrp train: $msg" "$T" train --arch svm --corpus "folder:$WORK/corpus" --out "$WORK/m"
expect_exit 2 "$msg" "$T" train
expect_exit 2 "textlrp embeddings train: $msg" "$T" embeddings train --corpus "folder:$WORK/corpus" --out "$WORK/v.vec"
expect_exit 2 "textlrp tokenizer train: $msg" "$T" tokenizer train --corpus "folder:$WORK/corpus" --vocab-size 40 --out "$WORK/t.model"
[ ! -e "$WORK/m" ] && [ ! -e "$WORK/v.vec" ] && [ ! -e "$WORK/t.model" ] || fail "a disabled trainer wrote a file"
ok "no output written by the disabled trainers"

# Models trained by the normal build explain the same in both builds.
"$TEXTLRP" train --arch svm --corpus "folder:$WORK/corpus" --threads 1 --seed 3 --out "$WORK/svm" --quiet
"$TEXTLRP" train --arch cnn --corpus "folder:$WORK/corpus" --threads 1 --seed 3 --out "$WORK/cnn" --quiet \
  --dim 8 --kernel-sizes 2 --filters 4 --epochs 2 --patience 2
for m in svm cnn; do
  "$TEXTLRP" explain --model "$WORK/$m" --corpus "folder:$WORK/corpus" -q >"$WORK/$m.full.jsonl"
  "$T" explain --model "$WORK/$m" --corpus "folder:$WORK/corpus" -q >"$WORK/$m.only.jsonl"
  [ "$(wc -l <"$WORK/$m.only.jsonl")" -eq 26 ] || fail "$m: the explain-only build wrote $(wc -l <"$WORK/$m.only.jsonl") lines, not 26"
  cmp -s "$WORK/$m.full.jsonl" "$WORK/$m.only.jsonl" || fail "$m: explanations differ between the two builds"
  ok "$m: the explain-only textlrp explains a model of the normal build, identically"
done
echo "$n_checks passed, 0 failed"
