#!/usr/bin/env bash
# firmware.digits: builds the digits model for a Cortex-M4F with
# arm-none-eabi-gcc (-Wall -Wextra -Wpedantic -Werror on the generated C),
# runs it in qemu (mps2-an386) and checks the classification count equals
# the training script's. Prints flash/RAM from arm-none-eabi-size.
set -euo pipefail
mlgen=$1 src=$2
for t in arm-none-eabi-gcc qemu-system-arm; do command -v $t >/dev/null || { echo "missing $t"; exit 77; }; done
here=$src/tests/firmware
data=$src/examples/digits/data
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
"$mlgen" build "$src/examples/digits/digits.yaml" -o "$w/out" 2>/dev/null
# samples.h: the raw float32 bits of x_test.npy and the int64 labels (skip the .npy headers)
. "$here/fw_lib.sh"
n=$(npy_count "$data/y_test.npy")
{
  echo "#define NSAMPLES $n"
  npy_u32 x_bits "$data/x_test.npy"
  npy_i64 labels "$data/y_test.npy"
} > "$w/samples.h"
out=$(fw_run digits "$here/fw_main.c")
fw_expect "$out" "$(cut -d' ' -f1 "$data/expected.txt") total=$n"
