#!/usr/bin/env bash
# Dependencies point down: core <- {nlp, corpora, lrp}; nlp <- embeddings; {nlp, lrp, embeddings, corpora} <- train;
# {nlp, lrp, corpora, embeddings} <- analysis; {nlp, corpora, lrp} <- explain <- report; the library <- api;
# everything <- apps. apps/ is the command-line tool only: nothing outside apps/ (and its tests, tests/apps/)
# includes apps/ or CLI11, and no library target links the tool's textlrp_app_common. The one exception: lrp/model_dir.{h,cpp} (the model directory
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
  [explain]="core nlp corpora lrp explain"
  [report]="core explain report"
  [api]="core nlp corpora lrp embeddings analysis explain report train textlrp"
)
bad=0
for module in "${!allowed[@]}"; do
  while IFS= read -r line; do
    file="${line%%:*}"
    inc="$(sed -E 's/.*#include "([^/"]+)\/.*/\1/' <<<"${line#*:}")"
    ok="${allowed[$module]}"
    case "$file" in lrp/model_dir.h | lrp/model_dir.cpp) ok="$ok nlp" ;; esac
    # TRANSITIONAL (api/CMakeLists.txt): the API's analyses call apps/common/analysis.h until they move to analysis/.
    case "$file" in api/src/analysis.cpp) ok="$ok apps" ;; esac
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
# standard library, core/error.h, train/options.h and embeddings/memory_vectors.h (standard types only) and each other (DESIGN.md
# section 0; pimpl in api/src/api.cpp).
if grep -rnE '#include ["<](apps/|CLI/|nlohmann/|Eigen/|fmt/|lrp/|nlp/|corpora/)' "$ROOT/api/include"; then
  echo "layering violation: a public API header (api/include) includes apps/, CLI11 or an implementation header (lines above)"
  bad=1
fi
# apps/ is the tool: no file outside apps/ and tests/ includes from apps/ (no exception).
if grep -rnE '^#include ["<]apps/' "$ROOT" --include='*.h' --include='*.cpp' --include='*.cc' \
    --exclude-dir=build --exclude-dir='build-*' --exclude-dir=.git | sed "s|$ROOT/||" | grep -vE '^(apps|tests)/'; then
  echo "layering violation: a file outside apps/ includes the command-line tool's code (lines above)"
  bad=1
fi
# ... and no library target links it: textlrp_app_common appears only in apps/ and tests/.

if grep -rn 'textlrp_app_common' "$ROOT" --include='CMakeLists.txt' --include='*.cmake' \
    --exclude-dir=build --exclude-dir='build-*' --exclude-dir=.git | sed "s|$ROOT/||" \
    | grep -vE '^(apps/|tests/)'; then
  echo "layering violation: a library target links the command-line tool's textlrp_app_common (lines above)"
  bad=1
fi
# The library's headers and sources never include CLI11 (the tool's apps/*.cpp and apps/common/cli.cpp do).
if grep -rlE '#include <CLI/' "$ROOT" --include='*.h' --include='*.cpp' --exclude-dir=build --exclude-dir='build-*' \
    --exclude-dir=.git | sed "s|$ROOT/||" | grep -vE '^(apps|tests)/'; then
  echo "layering violation: CLI11 included outside apps/ (files above)"
  bad=1
fi
if [ "$bad" -ne 0 ]; then exit 1; fi
echo "1 passed, 0 failed"
