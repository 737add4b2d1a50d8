#!/usr/bin/env bash
# firmware.weights_separate: the digits model built with --weights-separate
# for a Cortex-M4F (mps2-an386) and a Cortex-M3 (soft float, mps2-an385),
# arm-none-eabi-gcc -Wall -Wextra -Wpedantic -Werror on the generated C.
# Each firmware image is built once and run in qemu with several blobs, read
# over semihosting as a device reads new weights: its own (the training
# script's count), a retrained model's (the count the host gets from that
# blob on the same code), then a corrupted, a truncated and another
# architecture's blob, refused with their status codes.
set -euo pipefail
mlgen=$1 src=$2
for t in arm-none-eabi-gcc qemu-system-arm gcc python3; do command -v $t >/dev/null || { echo "missing $t"; exit 77; }; done
here=$src/tests/firmware e2e=$src/tests/e2e data=$src/examples/digits/data
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
python3 "$e2e/wsep_variants.py" "$src/examples/digits" "$w" >/dev/null
"$mlgen" build "$src/examples/digits/digits.yaml" --weights-separate -o "$w/out" 2>/dev/null
"$mlgen" build "$w/retrained/digits.yaml" --weights-separate -o "$w/b" 2>/dev/null
"$mlgen" build "$w/other/digits.yaml" --weights-separate -o "$w/o" 2>/dev/null
cp "$w/out/digits_weights.bin" "$w/a.bin"
python3 "$e2e/wsep_variants.py" "$src/examples/digits" "$w" >/dev/null
. "$here/fw_lib.sh"
n=$(npy_count "$data/y_test.npy")
{
  echo "#define NSAMPLES $n"
  npy_u32 x_bits "$data/x_test.npy"
  npy_i64 labels "$data/y_test.npy"
} > "$w/samples.h"
# the host's count for the retrained blob on this code
gcc -std=c11 -O2 -I"$w/out" "$e2e/wsep_main.c" "$w/out/digits.c" -lm -o "$w/host"
retrained=$("$w/host" "$w/b/digits_weights.bin" "$data/x_test.npy" "$data/y_test.npy" /dev/null | grep -o 'correct=[0-9]*')
mkdir "$w/run"
for cpu in m4 m3; do
  fw_cpu $cpu
  fw_build digits "$e2e/wsep_main.c"
  for case in "a.bin:load=0 $(cut -d' ' -f1 "$data/expected.txt") total=$n" "b/digits_weights.bin:load=0 $retrained total=$n" \
              "corrupt.bin:load=7 run_refused=1" "truncated.bin:load=3 run_refused=1" \
              "o/digits_weights.bin:load=6 run_refused=1"; do
    cp "$w/${case%%:*}" "$w/run/weights.bin"
    out=$(fw_qemu "$w/run" | tr -d '\r' | tr '\n' ' ')
    echo "$cpu ($fw_machine) ${case%%:*}: $out"
    case "$out" in *"${case#*:}"*) ;; *) echo "expected '${case#*:}'"; exit 1 ;; esac
  done
done
echo "firmware.weights_separate: ok"
