#!/usr/bin/env bash
# e2e.tune: mlgen tune and mlgen build --tuning. Checks that a tuning file's
# choices reach the schedule (the rewrite log mlgen inspect prints: the tile
# size, the cache groups), that an entry for one kernel leaves the others
# alone, that `mlgen tune` writes a file build accepts, with its choices
# among the candidates and no temporary left behind, and the refusals of
# malformed files (located errors, exit 1). Never a speed: the numbers of a
# tuned build are checked against the interpreter by ops.tile.* (opcheck).
#   tune.sh MLGEN
set -uo pipefail
mlgen=$1
command -v python3 >/dev/null && command -v cc >/dev/null || { echo "missing python3 or cc"; exit 77; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# two convs with 7 x 9 outputs: rows below a vector and 63 outputs, so neither takes lane tiles (the
# candidates of mlgen tune and the entries of a tuning file are packed tiles)
python3 - "$w" <<'PY'
import sys, random
random.seed(5)
w = sys.argv[1]
def arr(n): return "[" + ", ".join("%.3f" % random.uniform(-0.5, 0.5) for _ in range(n)) + "]"
open(w + "/m.yaml", "w").write(f"""mlgen: 1
name: m
inputs: {{x: {{dtype: f32, shape: [1, 5, 7, 9]}}}}
outputs: [z]
initializers:
  w1: {{dtype: f32, shape: [40, 5, 3, 3], data: {arr(40 * 5 * 9)}}}
  w2: {{dtype: f32, shape: [48, 40, 1, 1], data: {arr(48 * 40)}}}
nodes:
  - {{op: Conv, in: [x, w1], out: [y], pads: [1, 1, 1, 1]}}
  - {{op: Conv, in: [y, w2], out: [z]}}
""")
PY
tj() { echo "{\"mlgen_tuning\": 1, \"kernels\": [$1]}" >"$w/$2"; }
"$mlgen" inspect "$w/m.yaml" >"$w/base.txt" 2>&1 || { cat "$w/base.txt"; fail "inspect"; }
[ "$(grep -c 'by 6 x 16' "$w/base.txt")" = 2 ] || { cat "$w/base.txt"; fail "the heuristics' 6 x 16 tiles on both convs"; }
k0=$(sed -n 's/^  \(k0_[A-Za-z0-9_]*\) .*/\1/p' "$w/base.txt")
k1=$(sed -n 's/^  \(k1_[A-Za-z0-9_]*\) .*/\1/p' "$w/base.txt")
[ -n "$k0" ] && [ -n "$k1" ] || fail "kernel names from inspect: '$k0' '$k1'"
# "*": every kernel; 5 x 8 tiles, cache groups of one panel (40 channels: 5 panels of 8)
tj '{"kernel": "*", "tile": [5, 8], "group": 1}' all.json
"$mlgen" inspect "$w/m.yaml" --tuning "$w/all.json" >"$w/all.txt" 2>&1 || { cat "$w/all.txt"; fail "inspect --tuning all.json"; }
[ "$(grep -c 'by 5 x 8' "$w/all.txt")" = 2 ] || { cat "$w/all.txt"; fail "5 x 8 tiles on both convs"; }
[ "$(grep -c 'column panels in groups of 1 ' "$w/all.txt")" = 2 ] || { cat "$w/all.txt"; fail "groups of 1 panel on both"; }
grep -q "(tuning file)" "$w/all.txt" || fail "inspect does not say the choice came from the tuning file"
# an entry of its own for k1 only (and "*" ignored for it)
tj "{\"kernel\": \"$k1\", \"tile\": [3, 32], \"group\": 0}" one.json
"$mlgen" inspect "$w/m.yaml" --tuning "$w/one.json" >"$w/one.txt" 2>&1 || { cat "$w/one.txt"; fail "inspect --tuning one.json"; }
[ "$(grep -c 'by 6 x 16' "$w/one.txt")" = 1 ] && [ "$(grep -c 'by 3 x 32' "$w/one.txt")" = 1 ] ||
  { cat "$w/one.txt"; fail "k1 alone 3 x 32"; }
sed -n "/^  $k1 /,/^  k2_/p" "$w/one.txt" | grep -q "by 3 x 32" || fail "3 x 32 is not on $k1"
# the same choices, the same code: two builds byte for byte
"$mlgen" build "$w/m.yaml" --tuning "$w/all.json" -o "$w/b1" >/dev/null 2>&1 &&
  "$mlgen" build "$w/m.yaml" --tuning "$w/all.json" -o "$w/b2" >/dev/null 2>&1 || fail "build --tuning"
cmp -s "$w/b1/m.c" "$w/b2/m.c" || fail "two builds with one tuning file differ"
cmp -s "$w/b1/m_weights.c" "$w/b2/m_weights.c" || fail "two builds with one tuning file differ (weights)"
# mlgen tune: a file build accepts, choices among the candidates, nothing left behind
"$mlgen" tune "$w/m.yaml" -o "$w/t.json" --runs 3 --rounds 1 --warmup 1 >"$w/tune.out" 2>"$w/tune.err" ||
  { cat "$w/tune.err"; fail "mlgen tune"; }
cat "$w/tune.out"
python3 - "$w/t.json" "$k0" "$k1" <<'PY' || exit 1
import json, sys
t = json.load(open(sys.argv[1]))
cands = {(6, 16), (4, 16), (8, 16), (12, 16), (4, 32), (6, 32)}
assert t["mlgen_tuning"] == 1, t
names = [k["kernel"] for k in t["kernels"]]
assert names == sys.argv[2:4], names
for k in t["kernels"]:
    assert tuple(k["tile"]) in cands and k["group"] in (-1, 0), k
    assert k["us"] > 0 and k["heuristic_us"] > 0 and k["us"] <= k["heuristic_us"], k
PY
ls "$w" | grep -q "t.json.tmp" && fail "a temporary of mlgen tune is left"
"$mlgen" build "$w/m.yaml" --tuning "$w/t.json" -o "$w/bt" >/dev/null 2>&1 || fail "build with mlgen tune's file"
# refusals: a located error, exit 1, no output folder
expect() { # expect PHRASE FILE-CONTENT
  printf '%s' "$2" >"$w/bad.json"
  rm -rf "$w/out"
  "$mlgen" build "$w/m.yaml" --tuning "$w/bad.json" -o "$w/out" >"$w/o" 2>"$w/e"; local rc=$?
  [ $rc = 1 ] || { cat "$w/e"; fail "tuning '$2' exited $rc, expected 1"; }
  grep -qF -- "$1" "$w/e" || { cat "$w/e"; fail "tuning '$2': stderr does not say '$1'"; }
  grep -qF "bad.json" "$w/e" || { cat "$w/e"; fail "tuning '$2': the error does not name the file"; }
  [ ! -e "$w/out" ] || fail "tuning '$2': output written"
}
expect "bad.json:2:" $'{"mlgen_tuning": 1,\n "kernels": [}'
expect "not an mlgen tuning file" '{"kernels": []}'
expect "not an mlgen tuning file" '{"mlgen_tuning": 2, "kernels": []}'
expect "\"tile\" must be" '{"mlgen_tuning": 1, "kernels": [{"kernel": "*", "tile": [0, 16]}]}'
expect "\"tile\" must be" '{"mlgen_tuning": 1, "kernels": [{"kernel": "*", "tile": [64, 64]}]}'
expect "\"tile\" must be" '{"mlgen_tuning": 1, "kernels": [{"kernel": "*", "tile": [6.5, 16]}]}'
expect "\"kernel\" must be" '{"mlgen_tuning": 1, "kernels": [{"kernel": "k0;*/", "tile": [6, 16]}]}'
expect "\"group\" must be" '{"mlgen_tuning": 1, "kernels": [{"kernel": "*", "tile": [6, 16], "group": -2}]}'
"$mlgen" build "$w/m.yaml" --tuning "$w/missing.json" -o "$w/out" >"$w/o" 2>"$w/e"; rc=$?
[ $rc = 1 ] && grep -q "missing.json" "$w/e" || { cat "$w/e"; fail "a missing tuning file: exit $rc"; }
"$mlgen" tune "$w/m.yaml" --runs 0 >"$w/o" 2>"$w/e"; rc=$?
[ $rc = 2 ] && grep -q "takes a whole number" "$w/e" || { cat "$w/e"; fail "tune --runs 0: exit $rc"; }
echo "e2e.tune: ok"
