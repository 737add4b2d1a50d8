#!/usr/bin/env bash
# firmware.trees: an XGBoost model (tests/ml/fixtures/xgb_cancer_d4.json, NaN
# inputs included) built by mlgen for a Cortex-M4F, with arm-none-eabi-gcc
# -Wall -Wextra -Wpedantic -Werror on the generated C, run in qemu
# (mps2-an386) row by row: every label must equal XGBoost's and every
# probability be within 1e-6 + 1e-5 |want| (the sum over trees runs in
# double, in software on this FPU). Prints flash/RAM from arm-none-eabi-size.
set -euo pipefail
mlgen=$1 src=$2
for t in arm-none-eabi-gcc qemu-system-arm; do command -v $t >/dev/null || { echo "missing $t"; exit 77; }; done
here=$src/tests/firmware
fx=$src/tests/ml/fixtures
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
"$mlgen" build "$fx/xgb_cancer_d4.json" --input-shape input=1x30 --name trees -o "$w/out" 2>/dev/null
. "$here/fw_lib.sh"
n=$(npy_count "$fx/xgb_cancer_d4.expected0.npy")
{
  echo "#define NSAMPLES $n"
  echo "#define NFEAT 30"
  npy_u32 x_bits "$fx/xgb_cancer_d4.input.npy"
  npy_i64 labels "$fx/xgb_cancer_d4.expected0.npy"
  npy_u32 p_bits "$fx/xgb_cancer_d4.expected1.npy"
} > "$w/samples.h"
out=$(fw_run trees "$here/trees_main.c")
fw_expect "$out" "labels=$n probabilities=$n total=$n"
