#!/usr/bin/env bash
# webgpu.digits: the digits example on WebGPU (Dawn, OpenGL ES on Mesa; run
# under wgpu_env.sh).
#   1. `mlgen build --backend c,webgpu` writes webgpu/ beside the C files.
#   2. `mlgen run --target webgpu` on the whole test split (batch 360)
#      agrees with the interpreter and scores expected.txt's correct count.
#   3. runtime-min/webgpu's failures are rejected promises with a message
#      (tests/webgpu/runtime.mjs): wrong or corrupted weights, bad inputs,
#      broken WGSL, a destroyed device; a good run equals the C target's
#      output on one row.
# usage: digits.sh MLGEN SOURCE_DIR
set -euo pipefail
MLGEN=$1 SRC=$2
HERE=$SRC/examples/digits
X=$HERE/data/x_test.npy Y=$HERE/data/y_test.npy
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
CC=${CC:-cc}
die() { echo "webgpu.digits: $*" >&2; exit 1; }
field() { sed -n "s/.*correct=\([0-9]*\).*/\1/p" <<<"$1"; }

echo "== 1. mlgen build --backend c,webgpu"
"$MLGEN" build "$HERE/digits.yaml" --backend c,webgpu -o "$W/out" || die "mlgen build failed"
for f in digits_webgpu.js digits_weights.bin mlgen-webgpu.js; do
  [ -f "$W/out/webgpu/$f" ] || die "no webgpu/$f"
done
ls "$W/out/webgpu/shaders/"*.wgsl >/dev/null || die "no shaders/*.wgsl"
$CC -std=c11 -O2 -I"$W/out" "$HERE/main.c" "$W/out/digits.c" "$W/out/digits_weights.c" -lm -o "$W/digits_c" || die "compiling main.c failed"

echo "== 2. mlgen run --target webgpu, whole split"
N=$("$W/digits_c" --count "$Y")
"$MLGEN" run "$HERE/digits.yaml" --target webgpu --input-shape "x=${N}x64" --input x="$X" -o "$W/wg" \
  || die "mlgen run --target webgpu failed"
"$MLGEN" run "$HERE/digits.yaml" --target interp --input-shape "x=${N}x64" --input x="$X" -o "$W/ip" \
  || die "mlgen run --target interp failed"
"$MLGEN" compare "$W/wg/probs.npy" "$W/ip/probs.npy" --rtol 1e-4 --atol 1e-5 || die "WebGPU and interpreter differ"
want=$(field "$(head -n 1 "$HERE/data/expected.txt")")
line=$("$W/digits_c" --score "$W/wg/probs.npy" "$Y")
echo "batch $N on WebGPU: $line"
[ -n "$want" ] && [ "$(field "$line")" = "$want" ] || die "WebGPU scores $(field "$line"), expected.txt $want"

echo "== 3. runtime-min/webgpu: errors are rejections with a message"
"$MLGEN" run "$HERE/digits.yaml" --target c --input x="$SRC/tests/webgpu/digit0.npy" -o "$W/c1" \
  || die "mlgen run --target c on one row failed"
node "$SRC/tests/webgpu/runtime.mjs" "$W/out/webgpu" "$SRC/tests/webgpu/digit0.npy" "$W/c1/probs.npy" \
  || die "runtime.mjs failed"
echo "webgpu.digits: ok"
