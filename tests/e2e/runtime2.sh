#!/usr/bin/env bash
# e2e.runtime_values: Slice, Pad (constant, reflect), Resize (scales, sizes), Col2Im, STFT,
# CenterCropPad and DFT with the values that decide their shapes given at
# run time, built for the output shapes the models declare. runtime2/main.c
# runs agreeing values (outputs checked against the ONNX semantics written
# out there) and disagreeing or hostile ones (status <NAME>_EVALUE), under
# ASan and UBSan with gcc and clang; mlgen run reports a failed check, and a
# model whose shape is not declared is refused as unsupported.
set -euo pipefail
mlgen=$1 src=$2
here=$src/tests/e2e/runtime2
for t in gcc clang python3; do command -v $t >/dev/null || { echo "missing $t"; exit 77; }; done
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
models="slice padc padr rsz_lin rsz_near ccp dft col2im stft"
inc=() srcs=()
for m in $models; do
  "$mlgen" build "$here/$m.yaml" -o "$w/$m" >/dev/null
  inc+=(-I"$w/$m")
  srcs+=("$w/$m"/*.c)
done
for cc in gcc clang; do
  $cc -std=c11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -Wall -Wextra -Wpedantic -Werror \
    "${inc[@]}" "$here/main.c" "${srcs[@]}" -lm -o "$w/main_$cc"
  "$w/main_$cc" || fail "$cc: the driver failed"
done
# mlgen run (C target and interpreter): agreeing scales run, others are reported
npy() { # FILE VALUES...: a little-endian f32 .npy of shape (n,) or, with SHAPE=a,b,.., that shape
  python3 -c 'import struct, sys, os
f, v = sys.argv[1], [float(a) for a in sys.argv[2:]]
h = "{\x27descr\x27: \x27<f4\x27, \x27fortran_order\x27: False, \x27shape\x27: (%s,), }" % os.environ.get("SHAPE", str(len(v)))
h += " " * (-(10 + len(h) + 1) % 64) + "\n"
open(f, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + struct.pack("<%df" % len(v), *v))' "$@"
}
SHAPE=1,1,2,4 npy "$w/x.npy" 1 2 3 4 5 6 7 8
npy "$w/good.npy" 1 1 0.6 0.74
npy "$w/bad.npy" 1 1 0.6 0.75
for t in c interp; do
  "$mlgen" run "$here/rsz_lin.yaml" --target $t --input x="$w/x.npy" --input s="$w/good.npy" -o "$w/o_$t" >/dev/null 2>&1 ||
    fail "$t: agreeing scales failed"
  if "$mlgen" run "$here/rsz_lin.yaml" --target $t --input x="$w/x.npy" --input s="$w/bad.npy" -o "$w/b_$t" > "$w/log" 2>&1; then
    fail "$t: disagreeing scales ran"
  fi
  grep -q 'run-time check' "$w/log" || { cat "$w/log"; fail "$t: no run-time check reported"; }
done
"$mlgen" compare "$w/o_c/y.npy" "$w/o_interp/y.npy" >/dev/null || fail "the C target and the interpreter disagree"
# no declared output shape: a clean refusal
for m in slice padc rsz_lin; do
  sed -E 's/outputs: \{y: \{dtype: f32, shape: \[[0-9, ]*\]\}\}/outputs: [y]/' "$here/$m.yaml" > "$w/u_$m.yaml"
  if "$mlgen" build "$w/u_$m.yaml" -o "$w/u_$m" > "$w/log" 2>&1; then fail "$m: an undeclared shape built"; fi
  grep -q 'unsupported: .* computed at run time' "$w/log" || { cat "$w/log"; fail "$m: wrong refusal"; }
done
echo "e2e.runtime_values: ok"
