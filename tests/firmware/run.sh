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
hdr() { local f=$1; python_free=$(od -An -tu2 -j8 -N2 "$f" | tr -d ' '); echo $((10 + python_free)); }
n=$(( ( $(stat -c %s "$data/y_test.npy") - $(hdr "$data/y_test.npy") ) / 8 ))
{
  echo "#define NSAMPLES $n"
  echo "static const unsigned int x_bits[] = {"
  tail -c +$(( $(hdr "$data/x_test.npy") + 1 )) "$data/x_test.npy" | od -An -tx4 -v | sed 's/ \([0-9a-f]\{8\}\)/0x\1u,/g'
  echo "};"
  echo "static const long long labels[] = {"
  tail -c +$(( $(hdr "$data/y_test.npy") + 1 )) "$data/y_test.npy" | od -An -td8 -v | sed 's/ \(-\?[0-9]\+\)/\1,/g'
  echo "};"
} > "$w/samples.h"
flags="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2"
arm-none-eabi-gcc $flags -std=c99 -Wall -Wextra -Wpedantic -Werror -c "$w/out/digits.c" -o "$w/digits.o"
arm-none-eabi-gcc $flags -std=c11 -I"$w/out" -I"$w" -c "$here/fw_main.c" -o "$w/main.o"
arm-none-eabi-gcc $flags -std=c11 -c "$here/startup.c" -o "$w/startup.o"
arm-none-eabi-gcc $flags -T "$here/link.ld" -nostartfiles --specs=nano.specs --specs=rdimon.specs \
  -Wl,--gc-sections,-z,noexecstack "$w/startup.o" "$w/main.o" "$w/digits.o" -lm -o "$w/fw.elf"
echo "model object (flash = text + data, RAM = data + bss):"
arm-none-eabi-size "$w/digits.o"
echo "arena (RAM): $(grep -o 'ARENA_SIZE [0-9][0-9]*' "$w/out/digits.h")"
out=$(timeout 120 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -kernel "$w/fw.elf")
echo "$out"
want=$(cut -d' ' -f1 "$data/expected.txt")
case "$out" in *"$want total=$n"*) echo "firmware: ok";; *) echo "expected $want"; exit 1;; esac
