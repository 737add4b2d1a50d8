#!/usr/bin/env bash
# llvm.sh: the llvm target against the generated C on this machine, and for a
# Cortex-M4 (docs/llvm.md):
#   - time per run (bench/harness.c: median of 7 repetitions of
#     <name>_run_generic, one thread) of the C target built with cc -O2 and of
#     the llvm object for x86_64 (generic x86-64, as cc without -march) and for
#     host (this CPU), for the digits example, the 784-512-256-10 MLP and
#     LeNet-5 and ResNet-8 from bench/make_onnx.py;
#   - code size for cortex-m4: arm-none-eabi-size of the C target's objects
#     (arm-none-eabi-gcc -O2) and of the llvm object, weights apart;
#   - mlgen build --emit obj of ResNet-50: wall time and peak RSS (/usr/bin/time -v).
#   bash bench/llvm.sh [build-dir]     (models: /work/venv-bench/bin/python bench/make_onnx.py)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
mlgen=$build/mlgen
models=$root/bench/models
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
cc=${CC:-cc}
arena() { grep -o '_ARENA_SIZE [0-9][0-9]*' "$1" | head -1 | cut -d' ' -f2; }
timed() { # name dir objects...
  local n=$1 d=$2; shift 2
  $cc -std=c99 -O2 -DHEADER="\"$n.h\"" -DNAME=$n -DARENA="$(arena "$d/$n.h")" -I"$d" "$root/bench/harness.c" "$@" \
    -lm -o "$d/bench"
  "$d/bench"
}
echo "| model | C, cc -O2 (µs) | llvm x86_64 (µs) | llvm host (µs) |"
echo "|---|---:|---:|---:|"
for m in digits mlp784 lenet5 resnet8; do
  src=$models/$m.onnx n=$m
  [ $m = digits ] && src=$root/examples/digits/digits.yaml
  [ -f "$src" ] || { echo "missing $src (run bench/make_onnx.py)"; exit 1; }
  "$mlgen" build "$src" --name $n -o "$w/c_$m" 2>/dev/null
  "$mlgen" build "$src" --name $n --emit obj --target x86_64 -o "$w/x_$m" 2>/dev/null
  "$mlgen" build "$src" --name $n --emit obj --target host -o "$w/h_$m" 2>/dev/null
  tc=$(timed $n "$w/c_$m" "$w/c_$m/$n.c" "$w/c_$m/${n}_weights.c")
  tx=$(timed $n "$w/x_$m" "$w/x_$m/$n.o")
  th=$(timed $n "$w/h_$m" "$w/h_$m/$n.o")
  echo "| $m | $tc | $tx | $th |"
done
if command -v arm-none-eabi-gcc >/dev/null; then
  echo
  echo "cortex-m4 (bytes; llvm: text of the object less the weights, which are its rodata too)"
  echo "| model | C code (text) | C weights | llvm code | llvm weights | llvm object text |"
  echo "|---|---:|---:|---:|---:|---:|"
  f="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2 -std=c99"
  for m in digits mlp784 lenet5 resnet8; do
    src=$models/$m.onnx n=$m
    [ $m = digits ] && src=$root/examples/digits/digits.yaml
    "$mlgen" build "$src" --name $n -o "$w/mc_$m" 2>/dev/null
    "$mlgen" build "$src" --name $n --emit obj --target cortex-m4 -o "$w/m4_$m" 2>/dev/null
    arm-none-eabi-gcc $f -c "$w/mc_$m/$n.c" -o "$w/mc.o"
    arm-none-eabi-gcc $f -c "$w/mc_$m/${n}_weights.c" -o "$w/mw.o"
    ct=$(arm-none-eabi-size "$w/mc.o" | awk 'NR == 2 {print $1 + $2}')
    cw=$(arm-none-eabi-size "$w/mw.o" | awk 'NR == 2 {print $1 + $2}')
    lt=$(arm-none-eabi-size "$w/m4_$m/$n.o" | awk 'NR == 2 {print $1 + $2}')
    lw=$(grep -o 'WEIGHTS_SIZE [0-9][0-9]*' "$w/m4_$m/$n.h" | cut -d' ' -f2)
    echo "| $m | $ct | $cw | $((lt - lw)) | $lw | $lt |"
  done
fi
if [ -f "$models/resnet50.onnx" ]; then
  echo
  for t in x86_64 cortex-m4; do
    /usr/bin/time -v "$mlgen" build "$models/resnet50.onnx" --emit obj --target $t -o "$w/r50_$t" 2>"$w/time"
    echo "resnet50 --emit obj --target $t: $(grep -o 'Elapsed (wall clock) time.*' "$w/time" | sed 's/.*: //') wall," \
      "$(grep 'Maximum resident' "$w/time" | awk '{print int($NF / 1024)}') MB peak," \
      "object $(stat -c %s "$w/r50_$t/resnet50.o") bytes"
  done
  /usr/bin/time -v "$mlgen" build "$models/resnet50.onnx" -o "$w/r50_c" 2>"$w/time"
  echo "resnet50 C target (for comparison): $(grep -o 'Elapsed (wall clock) time.*' "$w/time" | sed 's/.*: //') wall," \
    "$(grep 'Maximum resident' "$w/time" | awk '{print int($NF / 1024)}') MB peak"
fi
