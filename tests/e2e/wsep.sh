#!/usr/bin/env bash
# e2e.weights_separate: --weights-separate on the host (docs/firmware.md). The digits
# model's blob is loaded by code compiled with gcc and clang (-std=c99
# -Wall -Wextra -Wpedantic -Werror) and classifies the held-out digits as
# the training script did; a retrained model (same graph, new weights)
# builds byte-identical code, and its blob run on the old code gives the
# probabilities, bit for bit, of a build with those weights in the code;
# the header is checked against zlib's CRC-32; a corrupted, truncated,
# wrong-version, wrong-magic, misaligned blob and the blob of another
# architecture (same layout) are refused with their status codes, and the
# refused handle makes the run return 1.
set -euo pipefail
mlgen=$1 src=$2
here=$src/tests/e2e data=$src/examples/digits/data
for t in gcc clang python3; do command -v $t >/dev/null || { echo "missing $t"; exit 77; }; done
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
python3 "$here/wsep_variants.py" "$src/examples/digits" "$w"
"$mlgen" build "$src/examples/digits/digits.yaml" --weights-separate -o "$w/a" 2>/dev/null
"$mlgen" build "$w/retrained/digits.yaml" --weights-separate -o "$w/b" 2>/dev/null
"$mlgen" build "$w/retrained/digits.yaml" -o "$w/bref" 2>/dev/null
"$mlgen" build "$w/other/digits.yaml" --weights-separate -o "$w/o" 2>/dev/null
fail() { echo "FAIL: $*"; exit 1; }
"$mlgen" build "$src/examples/digits/digits.yaml" --weights-separate -o "$w/a2" 2>/dev/null
diff -r "$w/a" "$w/a2" >/dev/null || fail "two builds differ"
[ ! -e "$w/a/digits_weights.c" ] || fail "--weights-separate still wrote digits_weights.c"
cmp -s "$w/a/digits.c" "$w/b/digits.c" && cmp -s "$w/a/digits.h" "$w/b/digits.h" ||
  fail "a retrained model (same graph) gave other code"
cmp -s "$w/a/digits.c" "$w/o/digits.c" && fail "another architecture gave the same code"
cmp -s "$w/a/digits_weights.bin" "$w/b/digits_weights.bin" && fail "the retrained blob equals the old one"
cp "$w/a/digits_weights.bin" "$w/a.bin"
python3 "$here/wsep_variants.py" "$src/examples/digits" "$w"
want=$(cut -d' ' -f1 "$data/expected.txt")
for cc in gcc clang; do
  $cc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -c "$w/a/digits.c" -o "$w/digits_$cc.o"
  $cc -std=c11 -O2 -I"$w/a" "$here/wsep_main.c" "$w/digits_$cc.o" -lm -o "$w/run_$cc"
done
gcc -std=c11 -O2 -I"$w/bref" "$here/wsep_ref.c" "$w/bref/digits.c" "$w/bref/digits_weights.c" -lm -o "$w/ref"
"$w/ref" "$data/x_test.npy" "$w/probs_ref"
expect() { # BLOB WANT [ARGS]: the driver's output must contain WANT
  local blob=$1 want=$2; shift 2
  for cc in gcc clang; do
    got=$("$w/run_$cc" "$blob" "$@" | tr '\n' ' ')
    case "$got" in *"$want"*) ;; *) fail "$cc: $(basename "$blob") $*: got '$got', want '$want'";; esac
  done
  echo "$(basename "$blob") $*: $got"
}
expect "$w/a.bin" "load=0 $want total=360" "$data/x_test.npy" "$data/y_test.npy" "$w/probs_a"
expect "$w/b/digits_weights.bin" "load=0" "$data/x_test.npy" "$data/y_test.npy" "$w/probs_b"
cmp -s "$w/probs_b" "$w/probs_ref" || fail "the retrained blob on the old code differs from the retrained build"
cmp -s "$w/probs_a" "$w/probs_b" && fail "the retrained blob gave the old model's outputs"
echo "retrained blob on the old code: probabilities identical to the retrained build's ($(stat -c %s "$w/probs_b") bytes)"
expect "$w/partition.bin" "load=0"
expect "$w/a.bin" "load=2 run_refused=1" x y z --offset 1
expect "$w/truncated.bin" "load=3 run_refused=1"
expect "$w/magic.bin" "load=4 run_refused=1"
expect "$w/version.bin" "load=5 run_refused=1"
expect "$w/o/digits_weights.bin" "load=6 run_refused=1"
expect "$w/corrupt.bin" "load=7 run_refused=1"
head -c 40 "$w/a.bin" > "$w/short.bin"
expect "$w/short.bin" "load=3 run_refused=1"
echo "e2e.weights_separate: ok"
