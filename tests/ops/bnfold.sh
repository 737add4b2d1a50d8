#!/bin/sh
# bnfold.sh: BatchNormalization after a conv is folded into the conv
# (ir/fold_bn.c) where it may be and kept where it may not, as the loops of
# `mlgen inspect` show (the folded weights are named w_bn). The numbers are
# checked by cases/bnfold.cases; this checks that the fold happens at all.
#   bnfold.sh MLGEN
set -u
MLGEN=$1
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
model() { # name, outputs, statistics' scale: initializer (const) or input
  if [ "$3" = const ]; then ins=""; sinit="  s: {dtype: f32, shape: [2], data: [1.5, 0.5]}"
  else ins=", s: {dtype: f32, shape: [2]}"; sinit=""; fi
  cat >"$tmp/$1.yaml" <<YAML
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [1, 1, 5, 5]}$ins}
outputs: [$2]
initializers:
  w: {dtype: f32, shape: [2, 1, 3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1]}
$sinit
  b: {dtype: f32, shape: [2], data: [0.25, -1]}
  m: {dtype: f32, shape: [2], data: [0.5, 2]}
  v: {dtype: f32, shape: [2], data: [4, 0.25]}
nodes:
  - {op: Conv, in: [x, w], out: [c], pads: [1, 1, 1, 1]}
  - {op: BatchNormalization, in: [c, s, b, m, v], out: [y]}
  - {op: Relu, in: [y], out: [r]}
YAML
}
fail=0
check() { # name, expect: folded | kept
  if ! "$MLGEN" inspect "$tmp/$1.yaml" >"$tmp/out" 2>&1; then
    echo "FAIL: mlgen inspect $1 failed:"; cat "$tmp/out"; fail=1; return
  fi
  if grep -q "w_bn" "$tmp/out"; then got=folded; else got=kept; fi
  [ "$got" = "$2" ] || { echo "FAIL: $1: BatchNormalization $got, expected $2"; cat "$tmp/out"; fail=1; }
}
model fold r const;       check fold folded
model output "c, r" const; check output kept
model runtime r input;    check runtime kept
[ $fail = 0 ] && echo "bnfold: ok"
exit $fail
