#!/usr/bin/env bash
# e2e.runtime_checks2: more values given at run time that decide shapes
# (Split sizes, TopK K, Range, CumSum axis, Expand shape, OneHot depth,
# MelWeightMatrix) and
# outputs whose size depends on the data (NonZero, Compress, Unique,
# NonMaxSuppression), built for the output shapes the models declare.
# Values that agree give the right outputs; values that disagree make
# <name>_run return <NAME>_EVALUE (2), with no access out of bounds (the
# generated code and the driver under ASan and UBSan, gcc and clang). The
# interpreter reports a failed check; an undeclared output size, or one over
# the size bound, is refused as unsupported; a GPU target refuses the checks.
set -euo pipefail
mlgen=$1 src=$2
here=$src/tests/e2e/runtime3
models="split topk range cumsum expand nonzero unique nms mel"
for t in gcc clang python3; do command -v $t >/dev/null || { echo "missing $t"; exit 77; }; done
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
incs=() srcs=()
for m in $models; do
  "$mlgen" build "$here/$m.yaml" -o "$w/$m" >/dev/null
  incs+=(-I"$w/$m"); srcs+=("$w/$m"/*.c)
done
for cc in gcc clang; do
  $cc -std=c11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -Wall -Wextra -Wpedantic -Werror \
    "${incs[@]}" "$here/main.c" "${srcs[@]}" -lm -o "$w/main_$cc"
  "$w/main_$cc" || fail "$cc: the driver failed"
done
. "$src/tests/e2e/npy.sh"
# the interpreter: data that agree run, data that disagree are reported
npy "$w/x.npy" "<f4" 6 2 -1 2 5 -1 2
npy "$w/x2.npy" "<f4" 6 1 1 1 2 2 2
"$mlgen" run "$here/unique.yaml" --target interp --input x="$w/x.npy" -o "$w/o1" >/dev/null 2>&1 || fail "interp: unique of agreeing data failed"
if "$mlgen" run "$here/unique.yaml" --target interp --input x="$w/x2.npy" -o "$w/o2" > "$w/log" 2>&1; then
  fail "interp: unique of disagreeing data ran"
fi
grep -q 'run-time check failed' "$w/log" || { cat "$w/log"; fail "interp: no failed check reported"; }
# an undeclared output size: refused
sed 's/outputs: {y: {dtype: i64, shape: \[2, 3\]}, w: {dtype: f32, shape: \[2\]}}/outputs: [y, w]/' "$here/nonzero.yaml" > "$w/undeclared.yaml"
if "$mlgen" build "$w/undeclared.yaml" -o "$w/u" > "$w/log" 2>&1; then fail "an undeclared output size built"; fi
grep -q 'unsupported: an output size that depends on the data computed at run time' "$w/log" || { cat "$w/log"; fail "wrong refusal"; }
# over the size bound (B_COMPACT_MAX elements): refused
sed 's/x: {dtype: f32, shape: \[2, 3\]}/x: {dtype: f32, shape: [40, 40]}/' "$here/nonzero.yaml" > "$w/big.yaml"
if "$mlgen" build "$w/big.yaml" -o "$w/b" > "$w/log" 2>&1; then fail "a NonZero over the bound built"; fi
grep -q 'unsupported: NonZero over 1600 elements computed at run time (at most 1024' "$w/log" || { cat "$w/log"; fail "wrong refusal above the bound"; }
if "$mlgen" build "$here/nms.yaml" --target webgpu -o "$w/vk" > "$w/log" 2>&1; then fail "webgpu took the checks"; fi
grep -q 'unsupported on webgpu: run-time checks' "$w/log" || { cat "$w/log"; fail "webgpu: wrong refusal"; }
echo "e2e.runtime_checks2: ok"
