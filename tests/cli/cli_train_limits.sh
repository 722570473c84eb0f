#!/usr/bin/env bash
# textlrp train with absurd sizes (--dim, --filters, --kernel-sizes, --hidden, --epochs) or sizes whose
# product is too many parameters: a usage error (exit 2) naming the flag, the limit and the value,
# before the corpus is read, instead of std::bad_alloc or the machine's OOM killer; nothing written.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_toy_corpus "$WORK/corpus"
C="folder:$WORK/corpus"
expect_exit 2 '^textlrp: usage error: --dim: 1000000000000 is out of range \(at most [0-9]+\)$' \
  "$TEXTLRP" train --arch cnn --dim 1000000000000 --corpus "$C" --out "$WORK/m" -q
expect_exit 2 '^textlrp: usage error: --dim: 0 is not 1 or more$' \
  "$TEXTLRP" train --arch bilstm --dim 0 --corpus "$C" --out "$WORK/m" -q
expect_exit 2 '^textlrp: usage error: --filters: 1000000000 is out of range \(at most [0-9]+\)$' \
  "$TEXTLRP" train --arch cnn --filters 1000000000 --corpus "$C" --out "$WORK/m" -q
expect_exit 2 '^textlrp: usage error: --kernel-sizes: 1000 is out of range \(at most 64\)$' \
  "$TEXTLRP" train --arch cnn --kernel-sizes 2,1000 --corpus "$C" --out "$WORK/m" -q
expect_exit 2 '^textlrp: usage error: --hidden: 1000000000000 is out of range \(at most [0-9]+\)$' \
  "$TEXTLRP" train --arch bilstm --hidden 1000000000000 --corpus "$C" --out "$WORK/m" -q
expect_exit 2 '^textlrp: usage error: --epochs: 2000000000 is out of range \(at most [0-9]+\)$' \
  "$TEXTLRP" train --arch bilstm --epochs 2000000000 --corpus "$C" --out "$WORK/m" -q
expect_exit 2 '^textlrp: usage error: --batch: 0 is not 1 or more$' \
  "$TEXTLRP" train --arch cnn --batch 0 --corpus "$C" --out "$WORK/m" -q
expect_exit 2 '^textlrp: usage error: --threads: 5000 is out of range \(at most 1024\)$' \
  "$TEXTLRP" train --arch cnn --threads 5000 --corpus "$C" --out "$WORK/m" -q
expect_exit 2 '^textlrp: usage error: --threads: 300 is out of range for --arch bilstm \(at most 256\)$' \
  "$TEXTLRP" train --arch bilstm --threads 300 --corpus "$C" --out "$WORK/m" -q
# Before the corpus is read: a corpus that does not exist is not reached.
expect_exit 2 '^textlrp: usage error: --dim: 1000000000000 is out of range' \
  "$TEXTLRP" train --arch cnn --dim 1000000000000 --corpus "folder:$WORK/missing" --out "$WORK/m" -q
# The svm does not use them.
"$TEXTLRP" train --arch svm --dim 1000000000000 --corpus "$C" --threads 1 --out "$WORK/svm" -q ||
  fail "train --arch svm should ignore --dim"
ok "train --arch svm ignores the neural sizes"
# Within their limits, but the product is too large for memory: the part, its factors and the limit.
expect_exit 2 '^textlrp: usage error: the LSTM gates: 8 x --hidden 10000 x \(10000 dimensions \+ 10000 \+ 1\) = 1600080000 parameters: more than the limit of 1000000000; lower --hidden$' \
  "$TEXTLRP" train --arch bilstm --hidden 10000 --dim 10000 --corpus "$C" --out "$WORK/m" -q
expect_exit 2 '^textlrp: usage error: the convolutions: --filters 10000 x 128 \(the sum of --kernel-sizes\) x 10000 dimensions = 12800000000 parameters: more than the limit of 1000000000' \
  "$TEXTLRP" train --arch cnn --filters 10000 --kernel-sizes 64,64 --dim 10000 --corpus "$C" --out "$WORK/m" -q
[ -e "$WORK/m" ] && fail "a failed train left $WORK/m"
ok "no model directory after the failed runs"
