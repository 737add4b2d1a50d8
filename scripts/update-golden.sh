#!/bin/sh
# update-golden.sh: regenerate the golden C files of tests/ops/golden/ with
# the given mlgen (default: build/mlgen). The only way they change: review
# the diff before committing.
#
#   scripts/update-golden.sh [MLGEN]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MLGEN=${1:-$ROOT/build/mlgen}
[ -x "$MLGEN" ] || { echo "update-golden: no mlgen at $MLGEN (build first, or pass its path)" >&2; exit 2; }
G=$ROOT/tests/ops/golden
sh "$ROOT/tests/ops/golden.sh" "$MLGEN" "$ROOT/examples/digits/digits.yaml" "$G/digits" --update
for m in convnet mixed; do
  sh "$ROOT/tests/ops/golden.sh" "$MLGEN" "$G/$m/$m.yaml" "$G/$m" --update
done
