#!/usr/bin/env bash
# llvm.objects: `mlgen build --emit obj` for every named machine, checked with
# readelf and nm: the ELF machine and class, the ARM float ABI (Tag_ABI_VFP_args
# on cortex-m4, none on m3/m0) and RISC-V's soft-float flags, <name>_run and
# the rest of the header's API defined; the header is the C target's, byte for
# byte; a second build gives the same object; an unknown machine and a
# big-endian triple are refused with exit 1 and no output.
#   objects.sh MLGEN SRC
set -euo pipefail
mlgen=$1 src=$2
re=$(command -v readelf || command -v /usr/lib/llvm-19/bin/llvm-readelf || true)
nm=$(command -v nm || command -v /usr/lib/llvm-19/bin/llvm-nm || true)
[ -n "$re" ] && [ -n "$nm" ] || { echo "missing readelf/nm"; exit 77; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
model=$src/examples/digits/digits.yaml
fail() { echo "FAIL: $*"; exit 1; }
"$mlgen" build "$model" -o "$w/c" 2>/dev/null
check() { # machine, readelf -h Machine text, ELF class
  local m=$1 want=$2 class=$3 o=$w/$1/digits.o
  "$mlgen" build "$model" --emit obj --target "$m" -o "$w/$m" 2>/dev/null || fail "$m: build"
  "$re" -h "$o" | grep -q "Machine: *$want" || fail "$m: not $want: $("$re" -h "$o" | grep Machine)"
  "$re" -h "$o" | grep -q "Class: *$class" || fail "$m: not $class"
  for s in digits_run digits_run_generic; do "$nm" "$o" | grep -q " T $s\$" || fail "$m: no $s"; done
  for s in digits_inputs digits_outputs; do "$nm" "$o" | grep -Eq " [DR] $s\$" || fail "$m: no $s"; done
  cmp -s "$w/$m/digits.h" "$w/c/digits.h" || fail "$m: header differs from the C target's"
  "$mlgen" build "$model" --emit obj --target "$m" -o "$w/$m.again" 2>/dev/null
  cmp -s "$o" "$w/$m.again/digits.o" || fail "$m: two builds differ"
  echo "ok $m: $want $class, $(stat -c %s "$o") bytes"
}
check x86_64 "Advanced Micro Devices X86-64" ELF64
check aarch64 AArch64 ELF64
check riscv32 RISC-V ELF32
check cortex-m4 ARM ELF32
check cortex-m3 ARM ELF32
check cortex-m0 ARM ELF32
check armv7em-none-eabihf ARM ELF32
attrs() { "$re" -A "$w/$1/digits.o"; }
attrs cortex-m4 | grep -q 'Tag_ABI_VFP_args: VFP registers' || fail "cortex-m4: no Tag_ABI_VFP_args"
attrs cortex-m4 | grep -q 'Tag_CPU_name: "cortex-m4"' || fail "cortex-m4: CPU name"
attrs cortex-m4 | grep -q 'Tag_FP_arch' || fail "cortex-m4: no FPU"
for m in cortex-m3 cortex-m0; do
  attrs $m | grep -q "Tag_CPU_name: \"$m\"" || fail "$m: CPU name"
  ! attrs $m | grep -Eq 'Tag_ABI_VFP_args|Tag_FP_arch' || fail "$m: float ABI attributes on a soft-float core"
done
attrs armv7em-none-eabihf | grep -q 'Tag_ABI_VFP_args: VFP registers' || fail "eabihf triple: no Tag_ABI_VFP_args"
"$re" -h "$w/riscv32/digits.o" | grep -q 'soft-float ABI' || fail "riscv32: not soft-float"
# refusals: exit 1, a message, no folder
for m in nosuchcpu aarch64_be-unknown-linux-gnu; do
  set +e
  "$mlgen" build "$model" --emit obj --target $m -o "$w/bad" 2>"$w/err"
  rc=$?
  set -e
  [ $rc = 1 ] || fail "$m: exit $rc, not 1"
  [ ! -e "$w/bad" ] || fail "$m: partial output"
  grep -Eq "unknown machine 'nosuchcpu'|unsupported on llvm: a big-endian" "$w/err" || fail "$m: $(cat "$w/err")"
  echo "ok refused $m: $(head -1 "$w/err")"
done
echo "llvm.objects: ok"
