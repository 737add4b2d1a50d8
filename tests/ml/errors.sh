#!/bin/sh
# errors.sh MLGEN FIXTURE_DIR: the classic-ML refusals name the problem.
mlgen=$1 dir=$(cd "$2" 2>/dev/null && pwd)
[ -f "$dir/zipmap_cancer.onnx" ] || { echo "no fixtures in $dir"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0 pass=0
expect() { # expect EXIT_CODE PATTERN command...
  code=$1 pat=$2; shift 2
  "$@" >"$tmp/log" 2>&1; rc=$?
  if [ $rc -eq "$code" ] && grep -q -- "$pat" "$tmp/log"; then pass=$((pass + 1)); echo "ok: $pat"
  else fail=$((fail + 1)); echo "FAIL (exit $rc, wanted $code and '$pat'): $*"; cat "$tmp/log"; fi
}
expect 1 "unsupported: ZipMap (use the tensor output" "$mlgen" inspect "$dir/zipmap_cancer.onnx" --input-shape X=1x30
expect 2 "tree-strategy takes gemm, tree, perfect or auto" "$mlgen" inspect "$dir/rf_wine_d6.onnx" --tree-strategy fast
printf '{"learner": {"objective": {"name": "binary:logistic"}, ' > "$tmp/bad.json"
expect 1 "bad.json:1:56: error: expected a member name in quotes" "$mlgen" inspect "$tmp/bad.json"
printf 'tree\nversion=v4\nnum_class=1\nobjective=binary sigmoid:1\n\nTree=0\nnum_leaves=3\nsplit_feature=0\nthreshold=1\ndecision_type=2\nleft_child=-1 -2\nright_child=1 -3\nleaf_value=1 2 3\n' > "$tmp/bad.txt"
expect 1 "has 1 values, expected 2" "$mlgen" inspect "$tmp/bad.txt" --input-shape input=1x4
printf 'mlgen: 1\nname: f\nmodel: %s\ninputs: {input: {shape: [1, 30]}}\nbuild: {tree_strategy: fastest}\n' "$dir/xgb_cancer_d4.json" > "$tmp/f.yaml"
expect 1 "f.yaml:5:24: error: tree_strategy must be gemm, tree, perfect or auto" "$mlgen" inspect "$tmp/f.yaml"
printf 'mlgen: 1\nname: f\nmodel: %s\ninputs: {input: {shape: [1, 30]}}\nbuild: {tree_strategy: gemm}\n' "$dir/xgb_cancer_d4.json" > "$tmp/g.yaml"
expect 0 "(GEMM: depth 4, chosen by the build options)" "$mlgen" inspect "$tmp/g.yaml"
expect 0 "(PerfectTreeTraversal: depth 6 <= 10)" "$mlgen" inspect "$dir/rf_wine_d6.onnx" --input-shape X=64x13
expect 0 "(TreeTraversal: depth 9, missing values routed per node, 64 rows: fused walk)" "$mlgen" inspect \
  "$dir/lgb_cancer.txt" --input-shape input=64x30
# the walk's six levels are one kernel: five levels held in registers, the sixth stored
expect 0 "values in registers: 5 (producers fused as kernel temporaries)" "$mlgen" inspect "$dir/rf_wine_d6.onnx" \
  --input-shape X=64x13 --tree-strategy tree
echo "$pass passed, $fail failed"
[ $fail = 0 ]
