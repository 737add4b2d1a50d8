#!/usr/bin/env bash
# bringup.carve[.gpu]: `mlgen carve` writes a suite that builds and passes
# with CMake and ctest alone (no mlgen, nothing from mlgen's sources but the
# Metal shim given at configure time), and fails exactly the kernel that is
# broken. TARGETS: c (bringup.carve: digits, the cnn and encoder fixtures)
# or vulkan,webgpu,metal (bringup.carve.gpu under the three env wrappers:
# digits). Exits 77 without cmake.
#   1. every kernel's test passes on every target carved, one test per
#      kernel and target
#   2. the suite names no path of mlgen's build or sources
#   3. MLGEN_TEST_PERTURB=<t>:2:index (test-only): only <t>.k2_logits fails
#   4. a bad -o (a file in the way) leaves no partial folder
# usage: carve.sh TARGETS MLGEN SOURCE_DIR
set -euo pipefail
TS=$1 MLGEN=$2 SRC=$3
command -v cmake >/dev/null && command -v ctest >/dev/null || { echo "no cmake - skipped"; exit 77; }
F=$SRC/tests/bringup/fixtures
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
die() { echo "bringup.carve: $*" >&2; exit 1; }
unset MLGEN_TEST_PERTURB
gen=; command -v ninja >/dev/null && gen="-G Ninja"

suite() { # suite DIR: configure, build, test; ctest's output in DIR.log
  cmake -S "$1" -B "$1/build" $gen >"$1.cfg" 2>&1 || { cat "$1.cfg"; die "configure failed"; }
  cmake --build "$1/build" -j2 >"$1.bld" 2>&1 || { tail -30 "$1.bld"; die "build failed"; }
  set +e
  ctest --test-dir "$1/build" -j2 --output-on-failure >"$1.log" 2>&1
  local rc=$?
  set -e
  return $rc
}

models=("$SRC/examples/digits/digits.yaml $SRC/tests/webgpu/digit0.npy")
[ "$TS" = c ] && models+=("$F/cnn.onnx $F/cnn_x.npy" "$F/encoder.onnx $F/encoder_x.npy")
n=0
for m in "${models[@]}"; do
  set -- $m
  n=$((n + 1))
  D=$W/s$n
  "$MLGEN" carve "$1" --input "$2" --target "$TS" -o "$D" 2>"$D.err" || { cat "$D.err"; die "carve $1 failed"; }
  nk=$(ls -d "$D"/k* | wc -l)
  [ "$nk" -gt 0 ] && [ -f "$D/CMakeLists.txt" ] && [ -f "$D/k0/expected.npy" ] || die "$1: suite incomplete"
  if grep -rlI -e "$SRC" -e "$(dirname "$MLGEN")" "$D" >/dev/null; then die "$1: the suite names mlgen's paths"; fi
  suite "$D" || { cat "$D.log"; die "$1: the suite failed"; }
  want=$((nk * $(tr ',' '\n' <<<"$TS" | wc -l)))
  grep -q "100% tests passed, 0 tests failed out of $want" "$D.log" || { cat "$D.log"; die "$1: expected $want passing tests"; }
  if grep -q "Skipped\|Not Run" "$D.log"; then cat "$D.log"; die "$1: a test was skipped"; fi
  echo "ok: $(basename "$1"): $want tests passed"
done

echo "== perturbed kernel #2"
t=${TS%%,*}
D=$W/bad
MLGEN_TEST_PERTURB=$t:2:index "$MLGEN" carve "$SRC/examples/digits/digits.yaml" --input "$SRC/tests/webgpu/digit0.npy" \
  --target "$t" -o "$D" 2>/dev/null || die "carve with a perturbation failed"
if suite "$D"; then die "the suite passed with a broken kernel"; fi
failed=$(sed -n '/tests FAILED/,$p' "$D.log" | grep -E '^\s+[0-9]+ - ' || true)
[ "$(wc -l <<<"$failed")" = 1 ] && grep -q " - $t.k2_logits " <<<"$failed" || { cat "$D.log"; die "expected only $t.k2_logits to fail"; }
grep -q "FAIL: " "$D.log" || die "check printed no FAIL line"
echo "ok: only $t.k2_logits failed"

echo "== a file in the way of -o"
touch "$W/file"
if "$MLGEN" carve "$SRC/examples/digits/digits.yaml" --input "$SRC/tests/webgpu/digit0.npy" --target c -o "$W/file" 2>/dev/null; then
  die "carve over a file succeeded"
fi
[ -f "$W/file" ] && ! ls -d "$W"/file.tmp-* >/dev/null 2>&1 || die "a partial folder was left"
echo ok
