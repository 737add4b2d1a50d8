#!/bin/sh
# fuzz.sh TARGET SECONDS [-- LIBFUZZER-ARGS...]: runs one libFuzzer target
# (tests/fuzz/fuzz_targets.c: yaml onnx npy pb xgboost lightgbm build) for
# SECONDS, one process, on a working corpus build-fuzz/corpus/TARGET seeded
# from the committed corpus tests/fuzz/corpus/TARGET. Builds build-fuzz/
# first (clang, -fsanitize=fuzzer-no-link,address,undefined; Debian needs
# libclang-rt-14-dev, in scripts/setup.sh). Crashes land in
# build-fuzz/crashes/TARGET/; libFuzzer's last status line (#execs, cov:, ft:)
# is the figure to record. Afterwards
#   fuzz.sh TARGET merge   minimizes the working corpus into the committed one
set -eu
[ $# -ge 2 ] || { echo "usage: fuzz.sh TARGET SECONDS|merge [-- ARGS...]" >&2; exit 2; }
T=$1 S=$2
shift 2
[ "${1:-}" = "--" ] && shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build-fuzz
command -v clang >/dev/null || { echo "fuzz.sh: clang not found" >&2; exit 77; }
if [ ! -f "$B/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLGEN_FUZZ=ON \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
fi
cmake --build "$B" -j2 --target "fuzz_$T" >/dev/null
C=$ROOT/tests/fuzz/corpus/$T W=$B/corpus/$T X=$B/crashes/$T
mkdir -p "$C" "$W" "$X"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ "$S" = merge ]; then
  mkdir -p "$B/merged/$T"
  rm -f "$B/merged/$T"/*
  "$B/tests/fuzz/fuzz_$T" -merge=1 "$B/merged/$T" "$C" "$W" "$@"
  rm -f "$C"/*
  cp "$B/merged/$T"/* "$C"/
  echo "fuzz.sh: $(ls "$C" | wc -l) files, $(du -sk "$C" | cut -f1) KB in $C"
  exit 0
fi
# -rss_limit_mb: a bomb that gets past the limits is a finding too
exec "$B/tests/fuzz/fuzz_$T" -max_total_time="$S" -rss_limit_mb=2048 -timeout=20 -max_len=65536 \
  -artifact_prefix="$X/" "$@" "$W" "$C"
