#!/bin/sh
# lanes.sh: the schedules cases/lanes.cases exercises are the ones each case
# is there for, as `mlgen inspect` names them: lane tiles (a conv with a
# short reduction), the rows and columns of a 1x1 conv fused first, window
# tiles (depthwise convs, pools), the reshape's dimension split back, the
# softmax divisor moved after the sum, and rows of 14 in tiles of 7. The numbers: ops.lanes (opcheck).
#   lanes.sh MLGEN OPCHECK CASES
set -u
MLGEN=$1 OPCHECK=$2 CASES=$3
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
TMPDIR=$tmp "$OPCHECK" --cc gcc --keep "$MLGEN" "$CASES" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
fail=0 seen=0
for d in "$tmp"/opcheck-*; do
  "$MLGEN" inspect "$d/model.yaml" >"$d/inspect.txt" 2>&1 || { echo "FAIL: inspect $d"; cat "$d/inspect.txt"; fail=1; continue; }
  first=$(grep -m1 -o 'shape: \[[0-9, ]*\]' "$d/model.yaml" | head -1)
  case "$first" in
  "shape: [1, 8, 5, 40]") want="lanes along the output's rows|dimensions fused" ;;
  "shape: [1, 20, 14, 14]") want="lanes along the output's rows|dimensions fused" ;;
  "shape: [2, 3, 6, 34]") want="lanes along the output's rows|border columns tiled apart: 1 before and 1 after" ;;
  "shape: [1, 6, 11, 37]" | "shape: [1, 5, 13, 40]" | "shape: [1, 3, 17, 41]" | "shape: [1, 4, 9, 20]")
    want="the window's taps outside|border columns tiled apart" ;;
  "shape: [2, 3, 7, 4]") want="flattened split back|divisor common to every term moved after the sum" ;;
  "shape: [1, 4, 5, 14]") want="register tile j3 x j1 by 7 x 16" ;;
  *) echo "FAIL: a case lanes.sh does not know ($first)"; fail=1; continue ;;
  esac
  seen=$((seen + 1))
  echo "$want" | tr '|' '\n' | while read -r phrase; do
    grep -qF "$phrase" "$d/inspect.txt" || { echo "FAIL: $first: inspect does not say '$phrase'"; exit 1; }
  done || { sed -n '1,40p' "$d/inspect.txt"; fail=1; }
done
[ "$seen" = 9 ] || { echo "FAIL: $seen of 9 cases checked"; fail=1; }
[ $fail = 0 ] && echo "lanes.sh: the 9 cases take their schedules"
exit $fail
