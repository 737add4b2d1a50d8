#!/bin/sh
# node_tests.sh MLGEN NODE_DIR TARGET: the official ai.onnx.ml node tests on
# one target (tree tests under every strategy), compared with
# `mlgen compare` against the suite's output_*.pb. Every test must be
# computed correctly, the LabelEncoder tests over strings included; only the
# GPU targets (vulkan, webgpu, metal) may refuse a model with string tensors
# (shaders hold no text: docs/vulkan.md), and webgpu and metal one with f64
# values (their languages have no double), each only with its diagnostic,
# which skips the test.
# Exit 77 when the suite is missing.
mlgen=$1 dir=$2 target=$3
[ -d "$dir/test_ai_onnx_ml_binarizer" ] || { echo "no ONNX node tests in $dir"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0
for t in "$dir"/test_ai_onnx_ml_*; do
  n=$(basename "$t")
  strategies=auto
  case $n in *tree_ensemble*) strategies="gemm tree perfect" ;; esac
  for s in $strategies; do
    set -- --input "$t/test_data_set_0/input_0.pb"
    [ -f "$t/test_data_set_0/input_1.pb" ] && set -- "$@" --input "$t/test_data_set_0/input_1.pb"
    rm -rf "$tmp/o"
    if ! "$mlgen" run "$t/model.onnx" --target "$target" --tree-strategy "$s" "$@" -o "$tmp/o" --numbered \
        >"$tmp/log" 2>&1; then
      case $target in vulkan|webgpu|metal) gpu=1 ;; *) gpu=0 ;; esac
      if [ $gpu = 1 ] && grep -q "error: unsupported on $target: string tensors" "$tmp/log" &&
          ! grep "error: " "$tmp/log" | grep -vq "unsupported on $target: string tensors"; then
        echo "skipped (strings on $target): $n"; skip=$((skip + 1)); continue
      fi
      # f64 models (double inputs) on the GPU languages without doubles
      why="f64 values (WGSL has no 64-bit types)"; [ "$target" = metal ] && why="f64 values (Metal has no double)"
      if { [ "$target" = webgpu ] || [ "$target" = metal ]; } && grep -q "error: unsupported on $target: $why" "$tmp/log" &&
          ! grep "error: " "$tmp/log" | grep -vqF "unsupported on $target: $why"; then
        echo "skipped (f64 on $target): $n"; skip=$((skip + 1)); continue
      fi
      echo "FAIL: $n ($s): $(cat "$tmp/log")"; fail=$((fail + 1)); continue
    fi
    ok=1
    for e in "$t"/test_data_set_0/output_*.pb; do
      i=$(basename "$e" .pb | sed 's/output_//')
      "$mlgen" compare "$tmp/o/output_$i.npy" "$e" >"$tmp/cmp" 2>&1 || { ok=0; cat "$tmp/cmp"; }
    done
    if [ $ok = 1 ]; then echo "ok: $n ($s)"; pass=$((pass + 1)); else echo "FAIL: $n ($s)"; fail=$((fail + 1)); fi
  done
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
