#!/usr/bin/env bash
# textlrp bench --model-shape (a synthetic model) and --time-tokens (a model directory on one
# synthetic document): forward and LRP times (wall and CPU), their ratio, the peak memory of the
# explanations, the scores and the kernel level as JSON, and the arithmetic floor (the MACs of the
# shape by their formulas, the measured peak, floor = MACs / peak, time / floor);
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

# The arithmetic floor: MAC counts of the shape by the formulas (derived here independently of the
# C++: matrix products only), a measured peak, floor = MACs / peak, ratio = time / floor.
check_floor() {  # check_floor FILE (the output of bench --model-shape: the shape's keys are in it)
  python3 - "$1" <<'PY' || fail "bench floor keys: $(cat "$1")"
import json, sys
j = json.load(open(sys.argv[1]))
g = lambda k: j["model_shape_" + k]
if j["architecture"] == "bilstm":
    T, E, H, C = g("tokens"), g("embd"), g("hidden"), g("classes")
    # per direction: input projection T·E·4H (unless copied from a projected-embedding table),
    # recurrence from step 1 on (T−1)·H·4H; output layer 2·H·C
    per_call = lambda key: {"table": False, "per call": True}[j[key]]
    project = 2 * T * E * 4 * H
    forward = 2 * (T - 1) * H * 4 * H + 2 * H * C + (project if per_call("forward_input_projection") else 0)
    # signal-take-all: only the H rows of g carry relevance, through W_hh (T−1 steps) and W_ih (T steps)
    relevance = 2 * ((T - 1) * H * H + T * H * E)
    # (lrp_macs = forward + relevance below: the same projection in both here)
    assert j["forward_input_projection"] == j["lrp_input_projection"], j
    assert j["forward_precision"] == "float64", j
    # executed: the panels pad the output widths, never below the formula
    assert j["forward_macs_executed"] >= forward and j["lrp_macs_executed"] >= forward + relevance, j
    assert j["lrp_macs_executed"] - j["forward_macs_executed"] >= relevance, j
else:
    T, E, F, K, C = g("tokens"), g("embd"), g("filters"), g("widths"), g("classes")
    forward = (T - K + 1) * F * K * E + F * C
    relevance = F * C + F * K * E  # the output layer's ε-rule, one window per filter
    assert j["forward_precision"] == "float32" and j["lrp_precision"] == "float32", j
    assert "forward_macs_executed" not in j, j
assert j["lrp_precision"] == j.get("precision", j["forward_precision"]), j
assert j["forward_macs"] == forward, (j["forward_macs"], forward)
assert j["lrp_macs"] == forward + relevance, (j["lrp_macs"], forward + relevance)
p64, p32 = j["peak_macs_per_s_float64"], j["peak_macs_per_s_float32"]
# at least one scalar multiply-add per ns and no more than 10^4 per ns on any CPU of this decade
assert 1e8 < p64 < 1e13 and 1e8 < p32 < 1e13, j
peak = lambda prec: p32 if prec == "float32" else p64
rel = lambda a, b: abs(a - b) <= 1e-9 * abs(b)
assert rel(j["forward_floor_us"], 1e6 * forward / peak(j["forward_precision"])), j
assert rel(j["lrp_floor_us"], 1e6 * (forward + relevance) / peak(j["lrp_precision"])), j
assert j["forward_floor_us"] > 0 and j["lrp_floor_us"] > 0, j
assert rel(j["forward_over_floor"], j["forward_ms"] * 1e3 / j["forward_floor_us"]), j
assert rel(j["lrp_over_floor"], j["lrp_ms"] * 1e3 / j["lrp_floor_us"]), j
PY
}

"$TEXTLRP" bench --model-shape "cnn:tokens=30,embd=16,filters=12,widths=3,classes=4" --repeat 1 -q >"$WORK/cnn.json"
check_json "$WORK/cnn.json" cnn 4
check_floor "$WORK/cnn.json"
ok "bench --model-shape cnn: times, ratio, 4 scores, kernel level, MACs and floor"
"$TEXTLRP" bench --model-shape "bilstm:tokens=6,embd=8,hidden=5" --repeat 1 -q >"$WORK/bilstm.json"
check_json "$WORK/bilstm.json" bilstm 5
check_floor "$WORK/bilstm.json"
ok "bench --model-shape bilstm (default classes 5): MACs by the formula, floor, ratio"
"$TEXTLRP" bench --model-shape "bilstm:tokens=7,embd=9,hidden=17,classes=3" --precision float32 --repeat 1 -q \
  >"$WORK/bilstm32.json"
check_json "$WORK/bilstm32.json" bilstm 3
check_floor "$WORK/bilstm32.json"
grep -q '"lrp_precision": "float32"' "$WORK/bilstm32.json" || fail "float32 floor: $(cat "$WORK/bilstm32.json")"
ok "bench --model-shape bilstm --precision float32: the LRP floor in float32"
# The synthetic vocabulary's projected-embedding tables fit the default limit: the projections are
# table rows, not counted; with the tables off they are products again, and counted.
grep -q '"lrp_input_projection": "table"' "$WORK/bilstm.json" || fail "default: no table: $(cat "$WORK/bilstm.json")"
TEXTLRP_BILSTM_TABLE=0 "$TEXTLRP" bench --model-shape "bilstm:tokens=6,embd=8,hidden=5" --repeat 1 -q \
  >"$WORK/bilstm-notable.json"
check_floor "$WORK/bilstm-notable.json"
grep -q '"lrp_input_projection": "per call"' "$WORK/bilstm-notable.json" ||
  fail "TEXTLRP_BILSTM_TABLE=0: $(cat "$WORK/bilstm-notable.json")"
ok "bench --model-shape bilstm: the input projection counted only when it is not a table copy"
TEXTLRP_ISA=v2 "$TEXTLRP" bench --model-shape "cnn:tokens=30,embd=16,filters=12,widths=3,classes=4" --repeat 1 -q \
  >"$WORK/cnn-v2.json"
# A -DTEXTLRP_NATIVE=ON build (the sanitizer pass of scripts/test) has one level, "native", and
# ignores TEXTLRP_ISA with a warning: there the forced level is the native one.
if grep -q '"isa": "native' "$WORK/cnn.json"; then
  grep -q '"isa": "native' "$WORK/cnn-v2.json" || fail "native build: TEXTLRP_ISA=v2 changed the level: $(cat "$WORK/cnn-v2.json")"
else
  grep -q '"isa": "v2' "$WORK/cnn-v2.json" || fail "bench does not report TEXTLRP_ISA=v2: $(cat "$WORK/cnn-v2.json")"
fi
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
# A loaded model is not asked which class it is (tests/cli/seams.sh): no floor for --time-tokens.
if grep -q '_floor_us\|_macs' "$WORK/m.json"; then fail "a floor for a loaded model: $(cat "$WORK/m.json")"; fi
ok "bench --model DIR --time-tokens N (no floor: the shape is the synthetic model's)"
"$TEXTLRP" bench --model-shape "cnn:tokens=30,embd=16,filters=12,widths=3,classes=4" --rule conv=zplus --repeat 1 -q \
  >"$WORK/cnn-zplus.json"
check_json "$WORK/cnn-zplus.json" cnn 4
if grep -q '_floor_us\|_macs' "$WORK/cnn-zplus.json"; then
  fail "a floor for a conv rule it does not count: $(cat "$WORK/cnn-zplus.json")"
fi
ok "bench: no cnn floor for a conv rule other than epsilon/zero (its relevance is not counted)"

expect_exit 2 "architecture must be cnn or bilstm" "$TEXTLRP" bench --model-shape "svm:tokens=3"
expect_exit 2 "'depth=2' is not KEY=N with KEY one of" "$TEXTLRP" bench --model-shape "cnn:depth=2"
expect_exit 2 "'3x' is not an integer" "$TEXTLRP" bench --model-shape "cnn:tokens=3x"
expect_exit 2 "tokens must be in \[1, 100000\], got 0" "$TEXTLRP" bench --model-shape "cnn:tokens=0"
expect_exit 2 "takes neither --model nor --time-tokens" "$TEXTLRP" bench --model-shape cnn --model "$WORK/m"
expect_exit 2 "--time-tokens needs --model" "$TEXTLRP" bench --time-tokens 5
expect_exit 2 "give --model" "$TEXTLRP" bench
