# fw_lib.sh: shared by the firmware tests (sourced). Needs $here (this
# folder) and $w (a work folder holding out/<name>.c and samples.h).
#   npy_hdr FILE       byte length of a .npy header
#   npy_body FILE      the data after it
#   fw_run NAME MAIN   compiles out/NAME.c (-Wall -Wextra -Wpedantic -Werror)
#                      and MAIN for a Cortex-M4F, links with startup.c and
#                      link.ld, prints the model object's size and arena,
#                      runs it in qemu (mps2-an386); stdout: its output
npy_hdr() { local f=$1 n; n=$(od -An -tu2 -j8 -N2 "$f" | tr -d ' '); echo $((10 + n)); }
npy_body() { tail -c +$(( $(npy_hdr "$1") + 1 )) "$1"; }
fw_run() {
  set -e # it runs in $(...), which does not inherit errexit
  local name=$1 main=$2 flags="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2"
  arm-none-eabi-gcc $flags -std=c99 -Wall -Wextra -Wpedantic -Werror -c "$w/out/$name.c" -o "$w/$name.o"
  arm-none-eabi-gcc $flags -std=c11 -I"$w/out" -I"$w" -c "$main" -o "$w/main.o"
  arm-none-eabi-gcc $flags -std=c11 -c "$here/startup.c" -o "$w/startup.o"
  arm-none-eabi-gcc $flags -T "$here/link.ld" -nostartfiles --specs=nano.specs --specs=rdimon.specs \
    -Wl,--gc-sections,-z,noexecstack "$w/startup.o" "$w/main.o" "$w/$name.o" -lm -o "$w/fw.elf"
  echo "model object (flash = text + data, RAM = data + bss):" >&2
  arm-none-eabi-size "$w/$name.o" >&2
  echo "arena (RAM): $(grep -o 'ARENA_SIZE [0-9][0-9]*' "$w/out/$name.h")" >&2
  timeout 120 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$w/fw.elf"
}
