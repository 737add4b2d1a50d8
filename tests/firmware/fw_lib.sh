# fw_lib.sh: shared by the firmware tests (sourced). Needs $here (this
# folder) and $w (a work folder holding out/<name>.c and samples.h).
#   npy_hdr FILE       byte length of a .npy header
#   npy_body FILE      the data after it
#   npy_u32 NAME FILE  a C array NAME of the file's 4-byte elements (raw bits)
#   npy_i64 NAME FILE  a C array NAME of the file's int64 elements
#   npy_count FILE     the element count of an 8-byte-element .npy
#   fw_run NAME MAIN   compiles out/NAME.c (-Wall -Wextra -Wpedantic -Werror)
#                      and MAIN for a Cortex-M4F, links with startup.c and
#                      link.ld, prints the model object's size and arena,
#                      runs it in qemu (mps2-an386); stdout: its output
#   fw_expect OUT WANT prints OUT; passes when it contains WANT, else exits 1
npy_hdr() { local f=$1 n; n=$(od -An -tu2 -j8 -N2 "$f" | tr -d ' '); echo $((10 + n)); }
npy_body() { tail -c +$(( $(npy_hdr "$1") + 1 )) "$1"; }
npy_u32() {
  echo "static const unsigned int $1[] = {"
  npy_body "$2" | od -An -tx4 -v | sed 's/ \([0-9a-f]\{8\}\)/0x\1u,/g'
  echo "};"
}
npy_i64() {
  echo "static const long long $1[] = {"
  npy_body "$2" | od -An -td8 -v | sed 's/ \(-\?[0-9]\+\)/\1,/g'
  echo "};"
}
npy_count() { echo $(( ( $(stat -c %s "$1") - $(npy_hdr "$1") ) / 8 )); }
fw_run() {
  set -e # it runs in $(...), which does not inherit errexit
  local name=$1 main=$2 flags="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2"
  arm-none-eabi-gcc $flags -std=c99 -Wall -Wextra -Wpedantic -Werror -c "$w/out/$name.c" -o "$w/$name.o"
  arm-none-eabi-gcc $flags -std=c99 -Wall -Wextra -Wpedantic -Werror -c "$w/out/${name}_weights.c" -o "$w/${name}_w.o"
  arm-none-eabi-gcc $flags -std=c11 -I"$w/out" -I"$w" -c "$main" -o "$w/main.o"
  arm-none-eabi-gcc $flags -std=c11 -c "$here/startup.c" -o "$w/startup.o"
  arm-none-eabi-gcc $flags -T "$here/link.ld" -nostartfiles --specs=nano.specs --specs=rdimon.specs \
    -Wl,--gc-sections,-z,noexecstack "$w/startup.o" "$w/main.o" "$w/$name.o" "$w/${name}_w.o" -lm -o "$w/fw.elf"
  echo "model object (flash = text + data, RAM = data + bss):" >&2
  arm-none-eabi-size "$w/$name.o" "$w/${name}_w.o" >&2
  echo "arena (RAM): $(grep -o 'ARENA_SIZE [0-9][0-9]*' "$w/out/$name.h")" >&2
  timeout 120 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$w/fw.elf"
}

fw_expect() {
  echo "$1"
  case "$1" in *"$2"*) echo "firmware: ok" ;; *) echo "expected '$2'"; exit 1 ;; esac
}
