#!/usr/bin/env bash
# e2e.valgrind: mlgen itself and the generated C for the digits model run
# clean under valgrind; the C output equals the interpreter's.
set -euo pipefail
mlgen=$1 src=$2
command -v valgrind >/dev/null || exit 77
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
$vg "$mlgen" build "$src/examples/digits/digits.yaml" -o "$w/out" 2>"$w/log" || { cat "$w/log"; exit 1; }
python_free_input="$src/examples/digits/data/x_test.npy"
MLGEN_RUNNER="$vg" "$mlgen" run "$src/examples/digits/digits.yaml" --target c --input-shape x=360x64 \
  --input x="$python_free_input" -o "$w/c"
$vg "$mlgen" run "$src/examples/digits/digits.yaml" --target interp --input-shape x=360x64 \
  --input x="$python_free_input" -o "$w/i"
"$mlgen" compare "$w/c/probs.npy" "$w/i/probs.npy" --rtol 1e-4 --atol 1e-6
echo "valgrind: clean; C and interpreter agree on 360x10 probabilities"
