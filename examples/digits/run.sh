#!/usr/bin/env bash
# End-to-end check of the digits example:
#   1. compile digits.yaml to C with mlgen and run it on the test split,
#   2. run the same model through mlgen's reference interpreter,
#   3. compare both with the figure recorded by train.py (data/expected.txt).
#
# usage: run.sh MLGEN_BINARY [WORKDIR]
set -euo pipefail

die() { echo "run.sh: $*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 MLGEN_BINARY [WORKDIR]" >&2; exit 2; }

MLGEN=$1
case "$MLGEN" in
  */*) MLGEN="$(cd "$(dirname "$MLGEN")" && pwd)/$(basename "$MLGEN")" ;;
esac
[ -x "$MLGEN" ] || command -v "$MLGEN" >/dev/null 2>&1 || die "mlgen binary not found: $1"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
W=${2:-$(mktemp -d)}
mkdir -p "$W"
W="$(cd "$W" && pwd)"
CC=${CC:-cc}

X="$HERE/data/x_test.npy"
Y="$HERE/data/y_test.npy"

echo "== mlgen build ($W/out)"
"$MLGEN" build "$HERE/digits.yaml" -o "$W/out" || die "mlgen build failed"

echo "== compile C target"
"$CC" -std=c11 -O2 -I"$W/out" "$HERE/main.c" "$W/out/digits.c" "$W/out/digits_weights.c" -lm -o "$W/digits_demo" \
  || die "compiling the generated code failed"

C_LINE=$("$W/digits_demo" "$X" "$Y") || die "digits_demo failed on the C target"
echo "$C_LINE"

N=$("$W/digits_demo" --count "$Y") || die "could not read the label count from $Y"

echo "== mlgen run --target interp (batch $N)"
"$MLGEN" run "$HERE/digits.yaml" --target interp --input-shape "x=${N}x64" \
  --input x="$X" -o "$W/interp" || die "mlgen run (interpreter) failed"
[ -f "$W/interp/probs.npy" ] || die "interpreter wrote no $W/interp/probs.npy"

I_LINE=$("$W/digits_demo" --score "$W/interp/probs.npy" "$Y") \
  || die "scoring the interpreter output failed"
echo "$I_LINE"

T_LINE=$(head -n 1 "$HERE/data/expected.txt")
echo "training script: $T_LINE"

field() { # field NAME LINE -> value of NAME=... in LINE
  sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p; t; s/^$1=\([^[:space:]]*\).*/\1/p" <<<"$2"
}

C_K=$(field correct "$C_LINE")
I_K=$(field correct "$I_LINE")
T_K=$(field correct "$T_LINE")
[ -n "$C_K" ] && [ -n "$I_K" ] && [ -n "$T_K" ] || die "could not parse correct= counts"

if [ "$C_K" != "$I_K" ] || [ "$C_K" != "$T_K" ]; then
  echo "digits: MISMATCH in correct counts: C target=$C_K interpreter=$I_K training script=$T_K (total=$N)" >&2
  exit 1
fi

echo "digits: accuracy $(field accuracy "$C_LINE") on C, interpreter and training script agree"
