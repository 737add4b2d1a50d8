#!/usr/bin/env bash
# stumps.sh: a tree that is a single leaf (XGBoost and LightGBM keep such
# stumps when no split gains) next to an ordinary split, on interp and c.
# The expected sums are worked out by hand below, not by mlgen.
#   stumps.sh MLGEN
set -u
MLGEN=$1
W=$(mktemp -d) || exit 2
trap 'rm -rf "$W"' EXIT
# npy FILE SHAPE HEXFLOAT...: a little-endian f32 .npy
npy() {
  local f=$1 shape=$2; shift 2
  local hdr="{'descr': '<f4', 'fortran_order': False, 'shape': $shape, }"
  local pad=$(( (64 - (10 + ${#hdr} + 1) % 64) % 64 ))
  hdr="$hdr$(printf '%*s' $pad '')"
  local hl=$(( ${#hdr} + 1 ))
  { printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $((hl & 255)))\\x$(printf %02x $((hl >> 8)))"
    printf '%s\n' "$hdr"
    for v in "$@"; do printf "\\x${v:6:2}\\x${v:4:2}\\x${v:2:2}\\x${v:0:2}"; done; } >"$f"
}
# rows x0 = 0.2 and 0.9 (x1 = 0)
npy "$W/x.npy" "(2, 2)" 3E4CCCCD 00000000 3F666666 00000000
# XGBoost: base 0.5 + stump 0.25 + (x0 < 0.5 ? 1 : 2) = 1.75, 2.75
cat >"$W/xgb.json" <<'JSON'
{"learner":{"objective":{"name":"reg:squarederror"},"learner_model_param":{"num_class":"0","num_feature":"2","base_score":"5E-1"},"gradient_booster":{"name":"gbtree","model":{"trees":[{"tree_param":{"num_nodes":"1"},"left_children":[-1],"right_children":[-1],"split_conditions":[0.25],"split_indices":[0],"default_left":[0]},{"tree_param":{"num_nodes":"3"},"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_conditions":[0.5,1,2],"split_indices":[0,0,0],"default_left":[0,0,0]}],"tree_info":[0,0]}}}}
JSON
npy "$W/xgb_want.npy" "(2,)" 3FE00000 40300000
# LightGBM: stump 0.25 + (x0 <= 0.5 ? 1 : 2) = 1.25, 2.25
printf 'tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=1\nobjective=regression\n\n' >"$W/lgb.txt"
printf 'Tree=0\nnum_leaves=1\nleaf_value=0.25\n\n' >>"$W/lgb.txt"
printf 'Tree=1\nnum_leaves=2\nnum_cat=0\nsplit_feature=0\nthreshold=0.5\ndecision_type=2\nleft_child=-1\nright_child=-2\nleaf_value=1 2\n\nend of trees\n' >>"$W/lgb.txt"
npy "$W/lgb_want.npy" "(2,)" 3FA00000 40100000
fail=0
for m in xgb.json lgb.txt; do
  for t in interp c; do
    out="$W/out_${m%%.*}_$t"
    if ! "$MLGEN" run "$W/$m" --target "$t" --input input="$W/x.npy" -o "$out" >"$W/log" 2>&1; then
      echo "FAIL $m on $t:"; cat "$W/log"; fail=1; continue
    fi
    if "$MLGEN" compare "$out/predictions.npy" "$W/${m%%.*}_want.npy" >"$W/log" 2>&1; then
      echo "ok $m on $t"
    else
      echo "FAIL $m on $t: $(cat "$W/log")"; fail=1
    fi
  done
done
exit $fail
