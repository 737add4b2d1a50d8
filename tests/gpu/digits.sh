#!/usr/bin/env bash
# gpu.digits: the digits example on Vulkan (run under vk_env.sh: lavapipe,
# validation layer on, any validation message fails).
#   1. examples/digits/main.c, unchanged, compiled over the Vulkan target
#      (tests/gpu/shim/digits.h) scores the test split one row at a time:
#      its correct count must equal data/expected.txt's, as the C target's does.
#   2. the deployed binary links only the Vulkan loader and libc/libm.
#   3. `mlgen run --target vulkan` on the whole split (batch 360) agrees
#      with the interpreter (mlgen compare).
#   4. the generated vulkan/ folder builds on its own with its CMakeLists.txt.
# usage: digits.sh MLGEN SOURCE_DIR
set -euo pipefail
MLGEN=$1 SRC=$2
HERE=$SRC/examples/digits
X=$HERE/data/x_test.npy Y=$HERE/data/y_test.npy
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
CC=${CC:-cc}
die() { echo "gpu.digits: $*" >&2; exit 1; }
field() { sed -n "s/.*correct=\([0-9]*\).*/\1/p" <<<"$1"; }

"$MLGEN" build "$HERE/digits.yaml" --backend c,vulkan -o "$W/out" || die "mlgen build failed"
[ -f "$W/out/vulkan/digits_vk.c" ] || die "no vulkan/digits_vk.c"

echo "== 1. examples/digits/main.c on Vulkan"
$CC -std=c11 -O2 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=199309L -I"$SRC/tests/gpu/shim" -I"$W/out/vulkan" \
  "$HERE/main.c" "$W/out/vulkan/digits_vk.c" "$W/out/vulkan/mlg_vk.c" -lvulkan -o "$W/digits_vk" \
  || die "compiling main.c over the Vulkan target failed"
set +e
line=$("$W/digits_vk" "$X" "$Y")
rc=$?
set -e
[ $rc -eq 77 ] && { echo "no Vulkan device: skipped"; exit 77; }
[ $rc -eq 0 ] || die "digits_vk exited $rc"
echo "$line"
want=$(field "$(head -n 1 "$HERE/data/expected.txt")")
got=$(field "$line")
[ -n "$want" ] && [ "$got" = "$want" ] || die "Vulkan correct=$got, expected.txt correct=$want"

echo "== 2. what the deployed binary links"
needed=$(readelf -d "$W/digits_vk" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
echo "NEEDED: $needed"
for lib in $needed; do
  case $lib in libvulkan.so.1|libc.so.6|libm.so.6) ;; *) die "unexpected library $lib";; esac
done
ldd "$W/digits_vk" | sed 's/ (0x[0-9a-f]*)//'

echo "== 3. mlgen run --target vulkan, whole split"
N=$("$W/digits_vk" --count "$Y")
"$MLGEN" run "$HERE/digits.yaml" --target vulkan --input-shape "x=${N}x64" --input x="$X" -o "$W/vk" \
  || die "mlgen run --target vulkan failed"
"$MLGEN" run "$HERE/digits.yaml" --target interp --input-shape "x=${N}x64" --input x="$X" -o "$W/ip" \
  || die "mlgen run --target interp failed"
"$MLGEN" compare "$W/vk/probs.npy" "$W/ip/probs.npy" --rtol 1e-4 --atol 1e-5 || die "Vulkan and interpreter differ"
line=$("$W/digits_vk" --score "$W/vk/probs.npy" "$Y")
echo "batch $N: $line"
[ "$(field "$line")" = "$want" ] || die "batched Vulkan run scores $(field "$line"), expected $want"

echo "== 4. the vulkan/ folder builds on its own"
if command -v cmake >/dev/null; then
  cmake -S "$W/out/vulkan" -B "$W/standalone" >/dev/null && cmake --build "$W/standalone" >/dev/null \
    || die "the generated vulkan/ folder does not build with its CMakeLists.txt"
  [ -f "$W/standalone/libdigits_vk.a" ] || die "no libdigits_vk.a"
  echo "cmake: libdigits_vk.a built"
fi
echo "gpu.digits: ok"
