# fw_lib.sh: shared by the firmware tests (sourced). Needs $here (this
# folder) and $w (a work folder holding out/<name>.c and samples.h).
#   npy_hdr FILE       byte length of a .npy header
#   npy_body FILE      the data after it
#   npy_u32 NAME FILE  a C array NAME of the file's 4-byte elements (raw bits)
#   npy_i64 NAME FILE  a C array NAME of the file's int64 elements
#   npy_count FILE     the element count of an 8-byte-element .npy
#   fw_cpu m4|m3       the core of the next builds: Cortex-M4F (hard float,
#                      mps2-an386; the default) or Cortex-M3 (soft float, mps2-an385)
#   fw_build NAME MAIN [CFLAGS]  compiles out/NAME.c (and out/NAME_weights.c
#                      if any; -Wall -Wextra -Wpedantic -Werror) and MAIN
#                      (-DMLG_FIRMWARE), links with startup.c and link.ld
#                      of examples/firmware-cortex-m
#                      into $w/fw.elf, prints the model object's size and arena
#   fw_qemu [DIR]      runs $w/fw.elf in qemu from DIR (semihosting files)
#   fw_run NAME MAIN   fw_build then fw_qemu; stdout: its output
#   fw_expect OUT WANT prints OUT; passes when it contains WANT, else exits 1
fwdir=$(cd "$here/../../examples/firmware-cortex-m" && pwd) # its link.ld and startup.c
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
fw_cpu() { # m4 (default: Cortex-M4F, hard float, mps2-an386) or m3 (Cortex-M3, soft float, mps2-an385)
  case "$1" in
    m4) fw_flags="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" fw_machine=mps2-an386 ;;
    m3) fw_flags="-mcpu=cortex-m3 -mthumb -mfloat-abi=soft" fw_machine=mps2-an385 ;;
    *) echo "fw_cpu: m4 or m3, not $1" >&2; return 1 ;;
  esac
}
fw_cpu m4
# fw_build NAME MAIN [CFLAGS...]: $w/fw.elf from out/NAME.c (and
# out/NAME_weights.c when there is one), MAIN, startup.c and link.ld
fw_build() {
  set -e
  local name=$1 main=$2 flags="$fw_flags -O2" objs=""
  shift 2
  arm-none-eabi-gcc $flags -std=c99 -Wall -Wextra -Wpedantic -Werror -c "$w/out/$name.c" -o "$w/$name.o"
  objs="$w/$name.o"
  if [ -e "$w/out/${name}_weights.c" ]; then
    arm-none-eabi-gcc $flags -std=c99 -Wall -Wextra -Wpedantic -Werror -c "$w/out/${name}_weights.c" -o "$w/${name}_w.o"
    objs="$objs $w/${name}_w.o"
  fi
  arm-none-eabi-gcc $flags -std=c11 -DMLG_FIRMWARE "$@" -I"$w/out" -I"$w" -c "$main" -o "$w/main.o"
  arm-none-eabi-gcc $flags -std=c11 -c "$fwdir/startup.c" -o "$w/startup.o"
  arm-none-eabi-gcc $flags -T "$fwdir/link.ld" -nostartfiles --specs=nano.specs --specs=rdimon.specs \
    -Wl,--gc-sections,-z,noexecstack "$w/startup.o" "$w/main.o" $objs -lm -o "$w/fw.elf"
  echo "model object (flash = text + data, RAM = data + bss):" >&2
  arm-none-eabi-size $objs >&2
  echo "arena (RAM): $(grep -o 'ARENA_SIZE [0-9][0-9]*' "$w/out/$name.h")" >&2
}
# fw_qemu [DIR]: runs $w/fw.elf in qemu from DIR (default $w: semihosting
# opens files there); stdout: its output, status: its exit status
fw_qemu() {
  (cd "${1:-$w}" && timeout 120 qemu-system-arm -M $fw_machine -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$w/fw.elf")
}
fw_run() {
  set -e # it runs in $(...), which does not inherit errexit
  fw_build "$1" "$2"
  fw_qemu
}

fw_expect() {
  echo "$1"
  case "$1" in *"$2"*) echo "firmware: ok" ;; *) echo "expected '$2'"; exit 1 ;; esac
}
