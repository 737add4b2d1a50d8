#!/usr/bin/env bash
# llvm.firmware: the digits model as an LLVM object (mlgen build --emit obj)
# linked by arm-none-eabi-gcc with the firmware harness of tests/firmware
# (fw_main.c) and examples/firmware-cortex-m (link.ld, startup.c: it enables
# the FPU only where the core has one) and run under qemu: cortex-m4 (hard float,
# mps2-an386) and cortex-m3 (soft float, mps2-an385). Passes when the
# classification count equals the training script's, as firmware.digits.
# Prints arm-none-eabi-size of the object next to the C target's.
#   firmware.sh MLGEN SRC
set -euo pipefail
mlgen=$1 src=$2
for t in arm-none-eabi-gcc arm-none-eabi-size qemu-system-arm; do command -v $t >/dev/null || { echo "missing $t"; exit 77; }; done
here=$src/tests/firmware
ex=$src/examples/firmware-cortex-m
data=$src/examples/digits/data
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
. "$here/fw_lib.sh"
n=$(npy_count "$data/y_test.npy")
{
  echo "#define NSAMPLES $n"
  npy_u32 x_bits "$data/x_test.npy"
  npy_i64 labels "$data/y_test.npy"
} > "$w/samples.h"
want="$(cut -d' ' -f1 "$data/expected.txt") total=$n"
"$mlgen" build "$src/examples/digits/digits.yaml" -o "$w/c" 2>/dev/null
# cortex-m4 at the default O3 and at --opt-level Oz (the flash-size pipeline)
for spec in cortex-m4:O3 cortex-m3:O3 cortex-m4:Oz; do
  cpu=${spec%:*} lvl=${spec#*:}
  if [ $cpu = cortex-m4 ]; then
    flags="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" board=mps2-an386
  else
    flags="-mcpu=cortex-m3 -mthumb -mfloat-abi=soft" board=mps2-an385
  fi
  start=$ex/startup.c
  rm -rf "$w/$cpu"
  "$mlgen" build "$src/examples/digits/digits.yaml" --emit obj --target $cpu --opt-level $lvl -o "$w/$cpu" 2>/dev/null
  arm-none-eabi-gcc $flags -O2 -std=c11 -I"$w/$cpu" -I"$w" -c "$here/fw_main.c" -o "$w/main.o"
  arm-none-eabi-gcc $flags -O2 -std=c11 -c "$start" -o "$w/startup.o"
  arm-none-eabi-gcc $flags -T "$ex/link.ld" -nostartfiles --specs=nano.specs --specs=rdimon.specs \
    -Wl,--gc-sections,-z,noexecstack "$w/startup.o" "$w/main.o" "$w/$cpu/digits.o" -lm -o "$w/fw.elf"
  arm-none-eabi-gcc $flags -O2 -std=c99 -c "$w/c/digits.c" -o "$w/c_digits.o"
  arm-none-eabi-gcc $flags -O2 -std=c99 -c "$w/c/digits_weights.c" -o "$w/c_weights.o"
  echo "$cpu $lvl: the llvm object, then the C target's two objects (gcc -O2):"
  arm-none-eabi-size "$w/$cpu/digits.o" "$w/c_digits.o" "$w/c_weights.o"
  out=$(timeout 120 qemu-system-arm -M $board -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$w/fw.elf")
  echo "$cpu $lvl: $out"
  case "$out" in *"$want"*) ;; *) echo "FAIL $cpu $lvl: expected '$want'"; exit 1 ;; esac
done
echo "llvm.firmware: ok"
