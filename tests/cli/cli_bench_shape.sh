#!/usr/bin/env bash
# textlrp bench --model-shape (a synthetic model) and --time-tokens (a model directory on one
# synthetic document): forward and LRP times (wall and CPU), their ratio, the peak memory of the
# explanations, the scores and the kernel level as JSON;
# bad shapes and option mixes are usage errors.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

check_json() {  # check_json FILE ARCH N_CLASSES
  python3 - "$@" <<'PY' || fail "bench JSON: $(cat "$1")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["architecture"] == sys.argv[2], j
assert j["forward_ms"] > 0 and j["lrp_ms"] > 0, j
assert abs(j["lrp_over_forward"] - j["lrp_ms"] / j["forward_ms"]) < 1e-9, j
assert len(j["scores"]) == int(sys.argv[3]), j
assert j["isa"].split(" ")[0] in ("generic", "v2", "v3", "v4", "native"), j
# CPU time of the fastest call (never more than a whole round), peak memory of the explanations.
assert 0 < j["forward_cpu_ms"] < 1e5 and 0 < j["lrp_cpu_ms"] < 1e5, j
assert isinstance(j["peak_rss_reset"], bool), j
assert j["rss_before_lrp_MiB"] > 0 and j["peak_rss_lrp_MiB"] > 0, j
if j["peak_rss_reset"]:  # the high-water mark restarts at the resident size of the reset
    assert j["peak_rss_lrp_MiB"] >= 0.9 * j["rss_before_lrp_MiB"], j
PY
}

"$TEXTLRP" bench --model-shape "cnn:tokens=30,embd=16,filters=12,widths=3,classes=4" --repeat 1 -q >"$WORK/cnn.json"
check_json "$WORK/cnn.json" cnn 4
ok "bench --model-shape cnn: times, ratio, 4 scores, kernel level"
"$TEXTLRP" bench --model-shape "bilstm:tokens=6,embd=8,hidden=5" --repeat 1 -q >"$WORK/bilstm.json"
check_json "$WORK/bilstm.json" bilstm 5
ok "bench --model-shape bilstm (default classes 5)"
TEXTLRP_ISA=v2 "$TEXTLRP" bench --model-shape "cnn:tokens=30,embd=16,filters=12,widths=3,classes=4" --repeat 1 -q \
  >"$WORK/cnn-v2.json"
grep -q '"isa": "v2' "$WORK/cnn-v2.json" || fail "bench does not report TEXTLRP_ISA=v2: $(cat "$WORK/cnn-v2.json")"
python3 - "$WORK/cnn.json" "$WORK/cnn-v2.json" <<'PY' || fail "the synthetic model differs between runs or levels"
import json, sys
a, b = (json.load(open(p))["scores"] for p in sys.argv[1:])
assert all(abs(x - y) <= 1e-5 * max(1.0, abs(x)) for x, y in zip(a, b)), (a, b)
PY
ok "bench reports the forced level; the same seeded model gives the same scores at v2"

make_toy_corpus "$WORK/corpus"
"$TEXTLRP" train --arch cnn --corpus "folder:$WORK/corpus" --dim 8 --kernel-sizes 2 --filters 4 --epochs 1 \
  --out "$WORK/m" --quiet
"$TEXTLRP" bench --model "$WORK/m" --time-tokens 9 --repeat 1 -q >"$WORK/m.json"
check_json "$WORK/m.json" cnn 2
ok "bench --model DIR --time-tokens N"

expect_exit 2 "architecture must be cnn or bilstm" "$TEXTLRP" bench --model-shape "svm:tokens=3"
expect_exit 2 "'depth=2' is not KEY=N with KEY one of" "$TEXTLRP" bench --model-shape "cnn:depth=2"
expect_exit 2 "'3x' is not an integer" "$TEXTLRP" bench --model-shape "cnn:tokens=3x"
expect_exit 2 "tokens must be in \[1, 100000\], got 0" "$TEXTLRP" bench --model-shape "cnn:tokens=0"
expect_exit 2 "takes neither --model nor --time-tokens" "$TEXTLRP" bench --model-shape cnn --model "$WORK/m"
expect_exit 2 "--time-tokens needs --model" "$TEXTLRP" bench --time-tokens 5
expect_exit 2 "give --model" "$TEXTLRP" bench
