#!/usr/bin/env bash
# e2e.runtime_checks: values given at run time that decide shapes (Reshape's
# shape, a reduction's axes, Unsqueeze's axes), built for the output shapes
# the models declare. Values that agree give the right outputs; values that
# disagree make <name>_run return <NAME>_EVALUE (2), with no access out of
# bounds (the generated code and the driver under ASan and UBSan, gcc and
# clang). mlgen run reports the failed check (C, LLVM, Vulkan); a model whose
# shape is not declared is refused as unsupported, and WebGPU refuses the checks.
set -euo pipefail
mlgen=$1 src=$2
here=$src/tests/e2e/runtime
for t in gcc clang python3; do command -v $t >/dev/null || { echo "missing $t"; exit 77; }; done
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
for m in reshape reduce unsqueeze; do "$mlgen" build "$here/$m.yaml" -o "$w/$m"; done
grep -q 'RS_EVALUE 2' "$w/reshape/rs.h" || fail "rs.h lacks RS_EVALUE"
for cc in gcc clang; do
  $cc -std=c11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -Wall -Wextra -Wpedantic -Werror \
    -I"$w/reshape" -I"$w/reduce" -I"$w/unsqueeze" "$here/main.c" "$w"/reshape/*.c "$w"/reduce/*.c "$w"/unsqueeze/*.c \
    -lm -o "$w/main_$cc"
  "$w/main_$cc" || fail "$cc: the driver failed"
done
# mlgen run: an agreeing value runs, a disagreeing one is reported
. "$src/tests/e2e/npy.sh"
npy "$w/x.npy" "<f4" "2,3,4" $(seq 1 24)
npy "$w/good.npy" "<i8" 3 4 3 -1
npy "$w/bad.npy" "<i8" 3 2 3 4
"$mlgen" run "$here/reshape.yaml" --target c --input x="$w/x.npy" --input s="$w/good.npy" -o "$w/out_good" >/dev/null 2>&1 || fail "mlgen run with an agreeing shape failed"
if "$mlgen" run "$here/reshape.yaml" --target c --input x="$w/x.npy" --input s="$w/bad.npy" -o "$w/out_bad" > "$w/log" 2>&1; then fail "a disagreeing shape ran"; fi
grep -q 'run-time check' "$w/log" || { cat "$w/log"; fail "no run-time check reported"; }
if "$mlgen" run "$here/reshape.yaml" --target interp --input x="$w/x.npy" --input s="$w/bad.npy" -o "$w/out_bad" > "$w/log" 2>&1; then
  fail "the interpreter ran a disagreeing shape"
fi
grep -q 'run-time check failed' "$w/log" || { cat "$w/log"; fail "the interpreter reported no failed check"; }
# the llvm target's _run stops at the failed check too (when its module is built)
if "$mlgen" run "$here/reshape.yaml" --target llvm --input x="$w/x.npy" --input s="$w/good.npy" -o "$w/out_llvm" > "$w/log" 2>&1; then
  cmp -s "$w/out_good/y.npy" "$w/out_llvm/y.npy" || fail "llvm computes other values"
  if "$mlgen" run "$here/reshape.yaml" --target llvm --input x="$w/x.npy" --input s="$w/bad.npy" -o "$w/out_bad" > "$w/log" 2>&1; then
    fail "llvm ran a disagreeing shape"
  fi
  grep -q 'failed its run-time check' "$w/log" || { cat "$w/log"; fail "llvm: no run-time check reported"; }
else
  grep -q 'the llvm target is not available' "$w/log" || { cat "$w/log"; fail "llvm failed"; }
  echo "(llvm target not built: its part skipped)"
fi
# no declared output shape: a clean refusal
sed 's/outputs: {y: {dtype: f32, shape: \[4, 3, 2\]}}/outputs: [y]/' "$here/reshape.yaml" > "$w/undeclared.yaml"
if "$mlgen" build "$w/undeclared.yaml" -o "$w/u" > "$w/log" 2>&1; then fail "an undeclared shape built"; fi
grep -q 'unsupported: Reshape shape computed at run time' "$w/log" || { cat "$w/log"; fail "wrong refusal"; }
[ ! -e "$w/u" ] || fail "a refused build left output"
# ... which --input-shape can declare (and a name the model lacks is an error)
"$mlgen" run "$w/undeclared.yaml" --target c --input-shape y=4x3x2 --input x="$w/x.npy" --input s="$w/good.npy" \
  -o "$w/out_pinned" >/dev/null 2>&1 || fail "--input-shape y=4x3x2 did not declare the output"
cmp -s "$w/out_good/y.npy" "$w/out_pinned/y.npy" || fail "the pinned build computes other values"
if "$mlgen" build "$w/undeclared.yaml" --input-shape nosuch=4x3x2 -o "$w/u" > "$w/log" 2>&1; then fail "a pin of no tensor built"; fi
grep -q 'no tensor of that name' "$w/log" || { cat "$w/log"; fail "wrong diagnostic for a pin of no tensor"; }
# vulkan reads the checks back (mlg_vk_run: MLG_VK_E_VALUE), on lavapipe when there is one
vk="$src/tests/gpu/vk_env.sh"
if "$vk" "$mlgen" run "$here/reshape.yaml" --target vulkan --input x="$w/x.npy" --input s="$w/good.npy" -o "$w/out_vk" > "$w/log" 2>&1; then
  cmp -s "$w/out_good/y.npy" "$w/out_vk/y.npy" || fail "vulkan computes other values"
  if "$vk" "$mlgen" run "$here/reshape.yaml" --target vulkan --input x="$w/x.npy" --input s="$w/bad.npy" -o "$w/out_bad" > "$w/log" 2>&1; then
    fail "vulkan ran a disagreeing shape"
  fi
  grep -q 'failed its run-time check' "$w/log" || { cat "$w/log"; fail "vulkan: no run-time check reported"; }
else
  grep -q 'no usable Vulkan device\|vulkan target is not\|Vulkan loader' "$w/log" || { cat "$w/log"; fail "vulkan failed"; }
  echo "(no Vulkan device: its part skipped)"
fi
# webgpu and metal do not read checks back yet: a clean refusal
if "$mlgen" build "$here/reshape.yaml" --target webgpu -o "$w/wg" > "$w/log" 2>&1; then fail "webgpu took the checks"; fi
grep -q 'unsupported on webgpu: run-time checks' "$w/log" || { cat "$w/log"; fail "webgpu: wrong refusal"; }
echo "e2e.runtime_checks: ok"
