#!/usr/bin/env bash
# Dependencies point down: core <- {nlp, corpora, lrp}; nlp <- embeddings; {nlp, lrp, embeddings, corpora} <- train;
# {nlp, lrp, corpora, embeddings} <- analysis (never apps/ or CLI11); everything <- apps. The one exception: lrp/model_dir.{h,cpp} (the model directory
# carries its text encoder) may include nlp/; the classifiers, rules and layers of lrp/ may not. Checks every #include "..." line of each module against the modules it may use
# (DESIGN.md §3.1), that ICU and sentencepiece headers appear only in nlp/*.cpp (and SentencePiece's
# trainer in train/sentencepiece_train.cpp), and liblinear/libfasttext only in train/*.cpp.
set -euo pipefail
ROOT="${TEXTLRP_SOURCE_DIR:?}"
declare -A allowed=(
  [core]="core textlrp"  # textlrp/: core's generated version.h and config.h
  [nlp]="core nlp"
  [corpora]="core corpora"
  [lrp]="core lrp"
  [embeddings]="core nlp embeddings"
  [train]="core nlp lrp embeddings corpora train"
  [analysis]="core nlp lrp corpora embeddings analysis"  # corpora: the Example struct; embeddings: docvec --embeddings
)
bad=0
for module in "${!allowed[@]}"; do
  while IFS= read -r line; do
    file="${line%%:*}"
    inc="$(sed -E 's/.*#include "([^/"]+)\/.*/\1/' <<<"${line#*:}")"
    ok="${allowed[$module]}"
    case "$file" in lrp/model_dir.h | lrp/model_dir.cpp) ok="$ok nlp" ;; esac
    if ! grep -qw -- "$inc" <<<"$ok"; then
      echo "layering violation: $file includes from $inc/ (allowed: $ok)"
      bad=1
    fi
  done < <(grep -rHE '^#include "[^/"]+/' "$ROOT/$module" --include='*.h' --include='*.cpp' | sed "s|$ROOT/||" || true)
done
# The libraries never see the command line: no CLI11 outside apps/ (and the tests).
if grep -rlE '#include <CLI/' "$ROOT" --include='*.h' --include='*.cpp' --exclude-dir=build --exclude-dir='build-*' \
    | sed "s|$ROOT/||" | grep -E '^(core|nlp|corpora|lrp|embeddings|train|analysis)/'; then
  echo "layering violation: CLI11 included by a library module (files above)"
  bad=1
fi
if grep -rlE '#include <(unicode/|sentencepiece)' "$ROOT" --include='*.h' --include='*.cpp' \
    --exclude-dir=build --exclude-dir='build-*' | sed "s|$ROOT/||" | grep -vE '^nlp/[^/]+\.cpp$' \
    | grep -vE '^train/sentencepiece_train\.cpp$'; then
  echo "layering violation: ICU or sentencepiece included outside nlp/*.cpp and train/sentencepiece_train.cpp (files above)"
  bad=1
fi
# The solvers belong to the optional training module: an explain-only build never sees them.
if grep -rlE '#include <(linear\.h|fasttext/|sentencepiece_trainer)' "$ROOT" --include='*.h' --include='*.cpp' \
    --exclude-dir=build --exclude-dir='build-*' | sed "s|$ROOT/||" | grep -vE '^train/[^/]+\.cpp$'; then
  echo "layering violation: liblinear, libfasttext or SentencePiece's trainer included outside train/*.cpp (files above)"
  bad=1
fi
# The public API's headers (api/include/textlrp/) stand alone: nothing from apps/, no CLI11; only the
# standard library, core/error.h, train/options.h (standard types only) and each other (DESIGN.md
# section 0; pimpl in api/src/api.cpp).
if grep -rnE '#include ["<](apps/|CLI/|nlohmann/|Eigen/|fmt/|lrp/|nlp/|corpora/)' "$ROOT/api/include"; then
  echo "layering violation: a public API header (api/include) includes apps/, CLI11 or an implementation header (lines above)"
  bad=1
fi
if [ "$bad" -ne 0 ]; then exit 1; fi
echo "1 passed, 0 failed"
