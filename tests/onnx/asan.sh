#!/usr/bin/env bash
# asan.sh: mlgen under AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   asan.sh SOURCE_DIR BUILD_DIR [NODE_TESTS_DIR]
#
# Builds a sanitized mlgen in BUILD_DIR (a separate CMake build of
# SOURCE_DIR, configured once, rebuilt incrementally), then
#   1. refuses every malformed model of bad/cases.txt cleanly (bad_models.sh),
#   2. runs `mlgen build` on every ONNX node test model (when the folder is
#      given and exists): each must succeed or fail with exit 1, with no
#      sanitizer report and no crash.
# Exit 77 when the compiler has no sanitizer runtime or cmake/ninja are
# missing.
set -u
src=$1 bin=$2 nodes=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
command -v cmake >/dev/null && command -v ninja >/dev/null || { echo "asan: no cmake/ninja, skipped"; exit 77; }
cc=${CC:-cc}
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int main(void) { return 0; }' >"$probe/p.c"
if ! "$cc" -fsanitize=address,undefined "$probe/p.c" -o "$probe/p" 2>/dev/null || ! "$probe/p"; then
  echo "asan: $cc has no ASan/UBSan runtime, skipped"
  exit 77
fi
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if [ ! -f "$bin/build.ninja" ]; then
  cmake -S "$src" -B "$bin" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=OFF -DMLGEN_WERROR=OFF \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    >"$probe/cmake.log" 2>&1 || { cat "$probe/cmake.log"; echo "asan: configure failed"; exit 1; }
fi
ninja -C "$bin" mlgen >"$probe/ninja.log" 2>&1 || { tail -30 "$probe/ninja.log"; echo "asan: build failed"; exit 1; }
mlgen=$bin/mlgen
export ASAN_OPTIONS=exitcode=99:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:exitcode=98:print_stacktrace=1
export LSAN_OPTIONS=exitcode=97
rc=0
"$here/bad_models.sh" "$mlgen" "$here/bad" asan || rc=1
if [ -n "$nodes" ] && [ -d "$nodes" ]; then
  # each test model once, two at a time; print the ones that misbehave
  one() {
    out=$(mktemp -d)
    "$MLGEN" build "$1/model.onnx" -o "$out/o" >"$out/log" 2>&1
    r=$?
    if { [ $r -ne 0 ] && [ $r -ne 1 ]; } || grep -qE 'Sanitizer|runtime error:' "$out/log"; then
      echo "BAD $(basename "$1") exit $r"
      head -20 "$out/log"
    fi
    rm -rf "$out"
  }
  export -f one
  export MLGEN=$mlgen
  bad=$(ls -d "$nodes"/*/ | xargs -P 2 -I{} bash -c 'one "${1%/}"' _ {})
  if [ -n "$bad" ]; then
    echo "$bad"
    echo "asan: $(echo "$bad" | grep -c '^BAD') node test models misbehaved under the sanitizers"
    rc=1
  else
    echo "asan: $(ls -d "$nodes"/*/ | wc -l) node test models built clean under the sanitizers"
  fi
fi
exit $rc
