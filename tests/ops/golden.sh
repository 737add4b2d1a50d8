#!/bin/sh
# golden.sh: the exact text mlgen emits for one model, compared byte for byte
# with the files kept in tests/ops/golden/<name>/.
#
#   golden.sh MLGEN MODEL.yaml GOLDEN_DIR            compare (the CTest test)
#   golden.sh MLGEN MODEL.yaml GOLDEN_DIR --update   rewrite the golden files
#
# Only scripts/update-golden.sh passes --update: a test run never rewrites
# them. mlgen is run from the model's folder with a relative path, as the
# header comment names the model file.
set -u
[ $# -ge 3 ] || { echo "usage: golden.sh MLGEN MODEL.yaml GOLDEN_DIR [--update]" >&2; exit 2; }
MLGEN=$1 MODEL=$2 GOLD=$3 MODE=${4:-}
case "$MLGEN" in /*) ;; *) MLGEN="$(pwd)/$MLGEN" ;; esac
name=$(sed -n 's/^name:[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\).*/\1/p' "$MODEL" | head -n 1)
[ -n "$name" ] || { echo "golden: no 'name:' in $MODEL" >&2; exit 2; }
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$(dirname "$MODEL")" && "$MLGEN" build "$(basename "$MODEL")" -o "$tmp/out") >"$tmp/log" 2>&1; then
  echo "golden: mlgen build $MODEL failed:" >&2
  cat "$tmp/log" >&2
  exit 1
fi
status=0
for f in "$name.h" "$name.c" "${name}_weights.c"; do
  if [ "$MODE" = "--update" ]; then
    mkdir -p "$GOLD" && cp "$tmp/out/$f" "$GOLD/$f" && echo "golden: updated $GOLD/$f"
  elif [ ! -f "$GOLD/$f" ]; then
    echo "golden: FAIL $GOLD/$f is missing (run scripts/update-golden.sh)" >&2
    status=1
  elif ! cmp -s "$tmp/out/$f" "$GOLD/$f"; then
    echo "golden: FAIL $f differs from $GOLD/$f (first lines of the diff; run scripts/update-golden.sh" \
      "if the change is intended, and review the diff):" >&2
    diff -u "$GOLD/$f" "$tmp/out/$f" | head -n 60 >&2
    status=1
  else
    echo "golden: $f matches ($(wc -c <"$GOLD/$f") bytes)"
  fi
done
# The emitted C must also build warning-free as firmware projects build it:
# strict C99 and GNU modes (where <math.h> declares gamma, j0, y0, ...).
if [ "$MODE" != "--update" ]; then
  for cc in gcc clang; do
    command -v $cc >/dev/null 2>&1 || { echo "golden: $cc not found, its compile check skipped"; continue; }
    for std in c99 gnu99 gnu11; do
      for f in "$name" "${name}_weights"; do
        if ! $cc -std=$std -O2 -Wall -Wextra -Wpedantic -Wshadow -Werror -c "$tmp/out/$f.c" -o "$tmp/$f.o" \
          >"$tmp/cc.log" 2>&1; then
          echo "golden: FAIL $f.c does not compile cleanly with $cc -std=$std:" >&2
          head -n 20 "$tmp/cc.log" >&2
          status=1
        fi
      done
    done
  done
fi
exit $status
