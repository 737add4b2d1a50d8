#!/usr/bin/env bash
# bench/run.sh: generated C vs the reference interpreter, per inference,
# for the digits MLP and a 784-512-256-10 MLP at batch 1 and 64.
# Usage: bash bench/run.sh [build-dir]   (needs python3 + numpy for the MLP weights)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
mlgen=$build/mlgen
[ -x "$mlgen" ] || { echo "build mlgen first (cmake --build build)"; exit 1; }
[ -f "$root/bench/models/mlp784.yaml" ] || python3 "$root/bench/make_models.py" >/dev/null
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
cc -O2 -std=c11 -I"$root/ir" -I"$root/frontend" "$root/bench/interp_bench.c" \
  "$build/libmlgen_frontend.a" "$build/libmlgen_ir.a" $(pkg-config --libs yaml-0.1 libprotobuf-c) -lm -o "$w/interp_bench"
CFLAGS_BENCH=${CFLAGS_BENCH:--O2 -march=native}
printf "%-10s %6s %14s %14s %8s\n" model batch "C (us/run)" "interp (us)" speedup
for spec in "digits:$root/examples/digits/digits.yaml:x:64:1" "digits:$root/examples/digits/digits.yaml:x:64:64" \
            "mlp784:$root/bench/models/mlp784.yaml:x:784:1" "mlp784:$root/bench/models/mlp784.yaml:x:784:64"; do
  IFS=: read -r name model input width batch <<<"$spec"
  "$mlgen" build "$model" -o "$w/$name$batch" --input-shape "$input=${batch}x$width" 2>/dev/null
  cc $CFLAGS_BENCH -std=c11 -I"$w/$name$batch" -DHEADER="\"$name.h\"" -DNAME="$name" -DARENA="$(echo $name | tr a-z A-Z)_ARENA_SIZE" "$root/bench/harness.c" \
    "$w/$name$batch/$name.c" "$w/$name$batch/${name}_weights.c" -lm -o "$w/h_$name$batch"
  c=$("$w/h_$name$batch")
  i=$("$w/interp_bench" "$model" "$batch")
  printf "%-10s %6s %14s %14s %7.0fx\n" "$name" "$batch" "$c" "$i" "$(echo "$i / $c" | bc -l)"
done
echo "(cc: $(cc --version | head -1); flags: $CFLAGS_BENCH; median of 7 repetitions)"
