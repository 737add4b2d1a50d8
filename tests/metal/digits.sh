#!/usr/bin/env bash
# metal.digits: the digits example through the Metal target on the CPU shim
# (run under shim_env.sh): `mlgen build --backend metal` writes metal/ with
# the kernels, table and runtime-min/metal; every kernel file compiles on its
# own over the shim with -Wall -Wextra -Werror (but -Wno-attributes,
# -Wno-unused-parameter and -variable: Metal's attributes, the buffers and ids a kernel does not
# touch); `mlgen run --target metal` on the whole test split agrees with the
# interpreter and scores expected.txt's count.
# usage: digits.sh MLGEN SOURCE_DIR
set -euo pipefail
MLGEN=$1 SRC=$2
HERE=$SRC/examples/digits
X=$HERE/data/x_test.npy Y=$HERE/data/y_test.npy
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
die() { echo "metal.digits: $*" >&2; exit 1; }
field() { sed -n "s/.*correct=\([0-9]*\).*/\1/p" <<<"$1"; }
"$MLGEN" build "$HERE/digits.yaml" --backend c,metal -o "$W/out" || die "mlgen build failed"
for f in digits_metal.h digits_metal.c mlg_metal.h mlg_metal.m; do [ -f "$W/out/metal/$f" ] || die "no metal/$f"; done
for k in "$W/out/metal/kernels/"*.metal; do
  ${MLGEN_CXX:-c++} -std=c++14 -fsyntax-only -Wall -Wextra -Werror -Wno-attributes -Wno-unused-parameter -Wno-unused-variable \
    -I "$MLGEN_METAL_SHIM" -x c++ "$k" || die "$(basename "$k") does not compile over the shim"
done
${CC:-cc} -std=c99 -Wall -Wextra -Wpedantic -Werror -c "$W/out/metal/digits_metal.c" -I "$W/out/metal" -o "$W/t.o" \
  || die "digits_metal.c does not compile warning-free"
${CC:-cc} -std=c11 -O2 -I"$W/out" "$HERE/main.c" "$W/out/digits.c" "$W/out/digits_weights.c" -lm -o "$W/digits_c" || die "compiling main.c failed"
N=$("$W/digits_c" --count "$Y")
"$MLGEN" run "$HERE/digits.yaml" --target metal --input-shape "x=${N}x64" --input x="$X" -o "$W/mt" || die "run --target metal failed"
"$MLGEN" run "$HERE/digits.yaml" --target interp --input-shape "x=${N}x64" --input x="$X" -o "$W/ip" || die "interp failed"
"$MLGEN" compare "$W/mt/probs.npy" "$W/ip/probs.npy" --rtol 1e-4 --atol 1e-5 || die "Metal (CPU shim) and interpreter differ"
want=$(field "$(head -n 1 "$HERE/data/expected.txt")")
line=$("$W/digits_c" --score "$W/mt/probs.npy" "$Y")
echo "batch $N on Metal (CPU shim): $line"
[ -n "$want" ] && [ "$(field "$line")" = "$want" ] || die "scores $(field "$line"), expected.txt $want"
echo "metal.digits: ok"
