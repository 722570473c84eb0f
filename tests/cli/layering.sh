#!/usr/bin/env bash
# Dependencies point down: core <- {nlp, corpora, lrp} <- embeddings (nlp) <- apps. Checks every
# #include "..." line of each module against the modules it may use (DESIGN.md §3.1), and that ICU
# and sentencepiece headers appear only in nlp/*.cpp.
set -euo pipefail
ROOT="${TEXTLRP_SOURCE_DIR:?}"
declare -A allowed=(
  [core]="core"
  [nlp]="core nlp"
  [corpora]="core corpora"
  [lrp]="core lrp"
  [embeddings]="core nlp embeddings"
)
bad=0
for module in "${!allowed[@]}"; do
  while IFS= read -r line; do
    file="${line%%:*}"
    inc="$(sed -E 's/.*#include "([^/"]+)\/.*/\1/' <<<"${line#*:}")"
    if ! grep -qw -- "$inc" <<<"${allowed[$module]}"; then
      echo "layering violation: $file includes from $inc/ (allowed: ${allowed[$module]})"
      bad=1
    fi
  done < <(grep -rHE '^#include "[^/"]+/' "$ROOT/$module" --include='*.h' --include='*.cpp' | sed "s|$ROOT/||" || true)
done
if grep -rlE '#include <(unicode/|sentencepiece)' "$ROOT" --include='*.h' --include='*.cpp' \
    --exclude-dir=build --exclude-dir='build-*' | sed "s|$ROOT/||" | grep -vE '^nlp/[^/]+\.cpp$'; then
  echo "layering violation: ICU or sentencepiece included outside nlp/*.cpp (files above)"
  bad=1
fi
if [ "$bad" -ne 0 ]; then exit 1; fi
echo "1 passed, 0 failed"
