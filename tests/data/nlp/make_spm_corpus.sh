#!/usr/bin/env bash
# Prints N (default 300) lines of deterministic English-like text with a few accented words,
# enough for SentencePiece to train a tiny model. Used by make_spm_fixtures.sh and
# tests/cli/cli_tokenizer.sh.
set -euo pipefail
n="${1:-300}"
awk -v n="$n" 'BEGIN {
  split("the a every this that our my their no some", det, " ");
  split("cat dog teacher student river mountain café window garden engineer", noun, " ");
  split("watches reads finds follows paints describes remembers ignores visits admires", verb, " ");
  split("quickly slowly happily quietly naïvely carefully rarely often", adv, " ");
  split("small large green old new bright tired curious", adj, " ");
  for (i = 0; i < n; i++) {
    s = det[i % 10 + 1] " " adj[(i * 3) % 8 + 1] " " noun[(i * 7) % 10 + 1] " " adv[(i * 5) % 8 + 1] " " \
        verb[(i * 11) % 10 + 1] " " det[(i * 13) % 10 + 1] " " noun[(i * 17 + 3) % 10 + 1];
    if (i % 4 == 0) s = s ", and then " verb[(i * 19) % 10 + 1] " it again";
    printf "%s%s\n", toupper(substr(s, 1, 1)) substr(s, 2), (i % 3 == 0 ? "!" : ".");
  }
}'
