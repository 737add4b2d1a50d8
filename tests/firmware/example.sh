#!/usr/bin/env bash
# firmware.example: examples/firmware-cortex-m. Its vendored model/ must be
# byte for byte what this mlgen generates; the CMake project (toolchain file,
# link.ld, startup.c) is built for a Cortex-M4F and a Cortex-M3, each image
# run in qemu (mps2-an386, mps2-an385) must exit 0 and print the count the
# same sources give on the host (gcc), and the flash model/manifest.json
# predicts (mlgen build --report) must be within 10% of arm-none-eabi-size of
# the model's objects as CMake built them. Then the same project with
# MLGEN_FW_MODEL=llvm (the LLVM object through mlgen_add_model EMIT obj) on
# both cores, with the same count.
set -euo pipefail
mlgen=$1 src=$2
for t in arm-none-eabi-gcc arm-none-eabi-size qemu-system-arm gcc cmake ninja python3; do
  command -v $t >/dev/null || { echo "missing $t"; exit 77; }
done
ex=$src/examples/firmware-cortex-m data=$src/examples/digits/data
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$mlgen" build "$src/examples/digits/digits.yaml" --report -o "$w/model" >/dev/null 2>&1
diff -r "$w/model" "$ex/model" ||
  fail "examples/firmware-cortex-m/model/ is not what this mlgen generates; refresh it: (cd examples/firmware-cortex-m && mlgen build ../digits/digits.yaml --report -o model)"
echo "vendored model/: identical to a fresh build"
cmake -DOUT="$w/samples.h" -DX="$data/x_test.npy" -DY="$data/y_test.npy" -P "$ex/npy2c.cmake"
gcc -std=c11 -O2 -I"$ex/model" -I"$w" "$ex/main.c" "$ex/model/digits.c" "$ex/model/digits_weights.c" -lm -o "$w/host"
host=$("$w/host")
echo "host: $host"
for spec in cortex-m4:mps2-an386:cortex-m4-O2 cortex-m3:mps2-an385:cortex-m3-O2; do
  IFS=: read -r cpu machine profile <<<"$spec"
  b=$w/build-$cpu
  cmake -S "$ex" -B "$b" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$ex/toolchain-arm-none-eabi.cmake" -DMLGEN_FW_CPU=$cpu >/dev/null
  cmake --build "$b" >/dev/null
  set +e
  out=$(timeout 120 qemu-system-arm -M $machine -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$b/digits_fw.elf" | tr -d '\r')
  st=$?
  set -e
  echo "$cpu ($machine): $out, exit $st"
  [ $st = 0 ] || fail "$cpu: the image exited $st"
  [ "$out" = "$host" ] || fail "$cpu: '$out' differs from the host's '$host'"
  objs=$(ls "$b"/CMakeFiles/digits_model.dir/model/*.obj)
  measured=$(arm-none-eabi-size $objs | awk 'NR > 1 { s += $1 + $2 } END { print s }')
  predicted=$(python3 -c "import json,sys; print([t['flash'] for t in json.load(open(sys.argv[1]))['footprint']['targets'] if t['name']==sys.argv[2]][0])" "$ex/model/manifest.json" $profile)
  echo "$cpu flash: predicted $predicted ($profile), arm-none-eabi-size $measured"
  python3 -c "import sys; p,m=map(int,sys.argv[1:]); sys.exit(abs(p-m) > 0.1*m)" $predicted $measured ||
    fail "$cpu: predicted flash $predicted is not within 10% of $measured"
done
# built the second way: the LLVM object, made by mlgen_add_model(EMIT obj
# TARGET cpu) at build time from the mlgen under test (its build folder has
# mlgenConfig.cmake and mlgen-llvm.so)
mdir=$(cd "$(dirname "$mlgen")" && pwd)
if [ -f "$mdir/mlgenConfig.cmake" ]; then
  for spec in cortex-m4:mps2-an386 cortex-m3:mps2-an385; do
    IFS=: read -r cpu machine <<<"$spec"
    b=$w/build-llvm-$cpu
    cmake -S "$ex" -B "$b" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$ex/toolchain-arm-none-eabi.cmake" -DMLGEN_FW_CPU=$cpu \
      -DMLGEN_FW_MODEL=llvm -Dmlgen_DIR="$mdir" >/dev/null
    cmake --build "$b" >/dev/null
    set +e
    out=$(timeout 120 qemu-system-arm -M $machine -nographic -monitor none -serial none \
      -semihosting-config enable=on,target=native -kernel "$b/digits_fw.elf" | tr -d '\r')
    st=$?
    set -e
    echo "$cpu ($machine), LLVM object: $out, exit $st"
    [ $st = 0 ] || fail "$cpu (llvm): the image exited $st"
    [ "$out" = "$host" ] || fail "$cpu (llvm): '$out' differs from the host's '$host'"
    [ -f "$b/digits_model/digits.o" ] || [ -n "$(find "$b" -name digits.o)" ] || fail "$cpu (llvm): no digits.o was built"
  done
else
  fail "no mlgenConfig.cmake beside $mlgen (the LLVM-object build needs mlgen's build folder)"
fi
echo "firmware.example: ok"
