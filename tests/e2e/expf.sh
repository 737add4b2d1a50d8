#!/usr/bin/env bash
# e2e.expf: the C target's Exp (mlg_expf in templates/c_helpers.c, a
# polynomial with no call so loops vectorize) within 2 ulp of libm's exp in
# double precision over every 61st float and the special values, NaN and the
# infinities, built with gcc and clang at -O0, -O2 and -O3 -march=native (the
# vectorized loop), warning-free under -Wall -Wextra -Wpedantic -Werror; and
# the generated loop vectorized by gcc -O3 (its -fopt-info report), which the
# helper's mask selects are for.
set -euo pipefail
mlgen=$1 src=$2
here=$src/tests/e2e/expf
for t in gcc clang; do command -v $t >/dev/null || { echo "missing $t"; exit 77; }; done
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$mlgen" build "$here/expf.yaml" -o "$w/ex" >/dev/null 2>&1
grep -q 'mlg_expf(' "$w/ex/ex.c" || fail "the generated Exp does not call mlg_expf"
for cc in gcc clang; do
  for opt in "-O0" "-O2" "-O3 -march=native"; do
    $cc -std=c99 $opt -Wall -Wextra -Wpedantic -Werror -I"$w/ex" "$here/main.c" "$w/ex/ex.c" "$w/ex/ex_weights.c" \
      -lm -o "$w/t" || fail "$cc $opt: compile"
    out=$("$w/t") || fail "$cc $opt: $out"
    echo "$cc $opt: $out"
    # the driver's own verdict, and its figure read back: the worst error at most 2 ulp
    worst=$(echo "$out" | sed -n 's/.*worst \([0-9.]*\) ulp.*/\1/p')
    [ -n "$worst" ] && awk -v x="$worst" 'BEGIN { exit !(x <= 2) }' || fail "$cc $opt: worst error '$worst' ulp, want <= 2"
  done
done
gcc -std=c99 -O3 -march=native -fopt-info-vec-optimized -c "$w/ex/ex.c" -o "$w/ex.o" 2>"$w/vec.txt"
grep -q "loop vectorized" "$w/vec.txt" || fail "gcc -O3 did not vectorize the Exp loop: $(cat "$w/vec.txt")"
echo "ok"
