#!/usr/bin/env bash
# Regenerates the tiny SentencePiece fixtures of tests/nlp/sentencepiece_*_test.cpp:
#   tiny_unigram_bytes.model  unigram, 320 pieces, identity normalization, byte fallback
#   tiny_bpe.model            bpe, 120 pieces, identity normalization, no byte fallback
# Identity normalization keeps the files small (the NFKC rules add ~240 KB). Usage:
#   TEXTLRP=build/bin/textlrp tests/data/nlp/make_spm_fixtures.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${TEXTLRP:?set TEXTLRP to the textlrp binary}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$here/make_spm_corpus.sh" 400 >"$work/corpus.txt"
"$TEXTLRP" tokenizer train --corpus "text:$work/corpus.txt" --vocab-size 320 --model-type unigram \
  --character-coverage 1.0 --normalization identity --byte-fallback --threads 1 --seed 1 \
  --out "$here/tiny_unigram_bytes.model"
"$TEXTLRP" tokenizer train --corpus "text:$work/corpus.txt" --vocab-size 120 --model-type bpe \
  --character-coverage 1.0 --normalization identity --threads 1 --seed 1 \
  --out "$here/tiny_bpe.model"
