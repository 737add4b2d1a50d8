#!/bin/sh
# rewrites.sh: every schedule rewrite applies where it should, as the
# rewrite log of `mlgen inspect --rewrite R` shows, and a guard hoist
# decides the padding tests of a padded convolution's interior.
#   rewrites.sh MLGEN
set -u
MLGEN=$1
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/m.yaml" <<'YAML'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [1, 3, 9, 7]}}
outputs: [y, s]
initializers:
  w: {dtype: f32, shape: [4, 3, 3, 3], data: [0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.5, 0.4, 0.3, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.5, 0.4, 0.3, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.5, 0.4, 0.3, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.5, 0.4, 0.3, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.5, 0.4, 0.3, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.5, 0.4, 0.3, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.5, 0.4, 0.3, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.5, 0.4, 0.3, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.5, 0.4, 0.3, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.5, 0.4, 0.3, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.5, 0.4, 0.3, 0.1, -0.2, 0.3, 0.1, 0.2, -0.1, 0.5, 0.4, 0.3]}
nodes:
  - {op: Conv, in: [x, w], out: [y], pads: [1, 1, 1, 1]}
  - {op: ReduceSum, in: [y], out: [s], axes: [2, 3], keepdims: 0}
YAML
fail=0
check() { # rewrite, text its log must hold
  if ! "$MLGEN" inspect "$tmp/m.yaml" --rewrite "$1" >"$tmp/out" 2>&1; then
    echo "FAIL: mlgen inspect --rewrite $1 failed:"; cat "$tmp/out"; fail=1; return
  fi
  grep -q "$2" "$tmp/out" || { echo "FAIL: --rewrite $1: no '$2' in the rewrite log"; fail=1; }
}
check split "split j"
check reorder "reorder j"
check fuse "fuse j"
check unroll "unroll j"
check vectorize "vectorize j"
check hoist "hoist guards of j"
check stage "stage "
check expand "expand the accumulator"
# tile maps the GPU-global loop to workgroups x local threads (vulkan only)
if "$MLGEN" build "$tmp/m.yaml" --backend vulkan --rewrite tile -o "$tmp/vk" >"$tmp/out" 2>&1; then
  grep -q "gl_LocalInvocationID" "$tmp"/vk/vulkan/shaders/*.comp || { echo "FAIL: --rewrite tile: no gpu-local loop"; fail=1; }
elif grep -q "without glslang" "$tmp/out"; then
  echo "rewrites: no vulkan backend in this build: tile not checked"
else
  echo "FAIL: --rewrite tile: the vulkan build failed:"; cat "$tmp/out"; fail=1
fi
# the conv's padding tests: the hoisted interior decides some of them
"$MLGEN" inspect "$tmp/m.yaml" --rewrite hoist >"$tmp/out" 2>&1
grep "hoist guards" "$tmp/out" | grep -qv " 0 of " || { echo "FAIL: hoist decided no bounds test"; fail=1; }
# the default schedule of a padded convolution (no --rewrite): register
# tiles over output columns x channels (7 columns: tiles of 7 rows), the
# weights packed, padding tests hoisted out of the rows above the tiles
"$MLGEN" inspect "$tmp/m.yaml" >"$tmp/out" 2>&1
grep -q "register tiles of 7 x 16 accumulators, reduction outside, the constant operand packed" "$tmp/out" ||
  { echo "FAIL: the conv did not get register tiles"; fail=1; }
grep -q "register tile j3 x j1 by 7 x 4" "$tmp/out" || { echo "FAIL: no 7 x 4 tile over columns x channels"; fail=1; }
grep -q "w_packed\[" "$tmp/out" || { echo "FAIL: the conv does not read packed weights"; fail=1; }
grep "hoist guards" "$tmp/out" | grep -qv " 0 of " || { echo "FAIL: the default schedule decided no bounds test"; fail=1; }
# a matrix product of 12 rows, both operands inputs: 6 x 16 register tiles
# (two row tiles; 17 columns: a tile of 16 and one of 1), unpacked
cat >"$tmp/mm.yaml" <<'YAML'
mlgen: 1
name: mm
inputs: {x: {dtype: f32, shape: [12, 13]}, w: {dtype: f32, shape: [13, 17]}}
outputs: [y]
nodes:
  - {op: MatMul, in: [x, w], out: [y]}
YAML
"$MLGEN" inspect "$tmp/mm.yaml" >"$tmp/out" 2>&1
grep -q "register tile j0 x j1 by 6 x 16, reduction outside" "$tmp/out" || { echo "FAIL: the matmul did not get 6 x 16 tiles"; fail=1; }
grep -q "local t[0-9]* f32\[96\]" "$tmp/out" || { echo "FAIL: no 6x16 accumulator array"; fail=1; }
grep -q "local t[0-9]* f32\[6\]" "$tmp/out" || { echo "FAIL: no 6x1 tile for the last column"; fail=1; }
# an unknown rewrite is a diagnostic and a non-zero exit
if "$MLGEN" inspect "$tmp/m.yaml" --rewrite nosuch >"$tmp/out" 2>&1; then echo "FAIL: unknown rewrite accepted"; fail=1; fi
grep -q "unknown rewrite 'nosuch'" "$tmp/out" || { echo "FAIL: no diagnostic for an unknown rewrite"; cat "$tmp/out"; fail=1; }
[ $fail = 0 ] && echo "rewrites: all apply"
exit $fail
