#!/bin/sh
# scale.sh [MLGEN] [SIZES] [KINDS]: compile time and peak memory of `mlgen build`
# against graph size, for two chains written as YAML here:
#   ew N      y = x; N times y = Neg(y) / Relu(y) / Add(y, c) in turn (x f32 [64])
#             (the elementwise chain fusion inlines into one kernel)
#   matmul N  y = x [1, 16]; N times y = MatMul(y, w) (w [16, 16], shared)
#             (N kernels the memory plan must place)
# Prints one line per model and size: nodes, seconds (wall) and max RSS
# (`/usr/bin/time -f`), exit code. Default sizes: 1000 10000 100000.
set -u
MLGEN=${1:-build/mlgen}
SIZES=${2:-1000 10000 100000}
KINDS=${3:-ew matmul}
command -v /usr/bin/time >/dev/null 2>&1 || { echo "scale.sh: needs /usr/bin/time (Debian: time)" >&2; exit 77; }
W=$(mktemp -d "${TMPDIR:-/tmp}/mlgen-scale-XXXXXX") || exit 2
trap 'rm -rf "$W"' EXIT

gen() { # gen KIND N > model.yaml
  awk -v kind="$1" -v n="$2" 'BEGIN {
    print "mlgen: 1"
    print "name: scale"
    if (kind == "ew") {
      print "inputs: {x: {dtype: f32, shape: [64]}}"
      print "initializers: {c: {dtype: f32, shape: [1], data: [0.5]}}"
    } else {
      print "inputs: {x: {dtype: f32, shape: [1, 16]}}"
      printf "initializers: {w: {dtype: f32, shape: [16, 16], data: ["
      for (i = 0; i < 256; i++) printf "%s%s", i ? ", " : "", (i % 17 == 0) ? "1" : "0"
      print "]}}"
    }
    printf "outputs: [t%d]\n", n
    print "nodes:"
    for (i = 1; i <= n; i++) {
      src = i == 1 ? "x" : "t" (i - 1)
      if (kind == "matmul") printf "  - {op: MatMul, in: [%s, w], out: [t%d]}\n", src, i
      else if (i % 3 == 0) printf "  - {op: Add, in: [%s, c], out: [t%d]}\n", src, i
      else printf "  - {op: %s, in: [%s], out: [t%d]}\n", i % 3 == 1 ? "Neg" : "Relu", src, i
    }
  }'
}

printf '%-8s %8s %10s %12s %4s\n' model nodes seconds max_rss_MB rc
for kind in $KINDS; do
  for n in $SIZES; do
    gen "$kind" "$n" >"$W/m.yaml"
    /usr/bin/time -f '%e %M' -o "$W/time" "$MLGEN" build "$W/m.yaml" -o "$W/out" >/dev/null 2>"$W/err"
    rc=$?
    read -r secs kb <"$W/time" 2>/dev/null || { secs=? kb=0; }
    case "$secs" in Command*) read -r _ _ _ _ _ secs kb <"$W/time"; secs=$(tail -n 1 "$W/time" | cut -d' ' -f1); kb=$(tail -n 1 "$W/time" | cut -d' ' -f2) ;; esac
    printf '%-8s %8d %10s %12d %4d\n' "$kind" "$n" "$secs" $((kb / 1024)) "$rc"
    [ $rc = 0 ] || head -n 3 "$W/err" >&2
    rm -rf "$W/out"
  done
done
