#!/usr/bin/env bash
# gpu.build / gpu.checks: the Vulkan backend's own checks.
# Build-time (mode build, needs no device):
#   errors       i64 / f64 without the device feature, exp on f64 and a bad
#                --vk-features are build-time errors naming the kernel, and
#                leave no output folder
#   determinism  two builds give byte-identical vulkan/ folders; the kept
#                .comp sources compile (glslangValidator) to valid SPIR-V
#                (spirv-val), when those tools are installed
# On the device (mode device, run under vk_env.sh):
#   dispatch     5,000,000 invocations = 78,125 workgroups, past the
#                65,535 limit of one dimension: exact against the interpreter
#   validation   a deliberate invalid Vulkan call fails the run
# usage: checks.sh build|device MLGEN SOURCE_DIR
set -euo pipefail
MODE=$1 MLGEN=$2 SRC=$3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
CC=${CC:-cc}
die() { echo "gpu.checks: $*" >&2; exit 1; }

model() { # model FILE DTYPE OP [ATTRS]: y = OP(x) over x: DTYPE [3, 5]
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: %s, shape: [3, 5]}}\noutputs: [y]\nnodes:\n  - {op: %s, in: [x], out: [y]%s}\n' \
    "$2" "$3" "${4:-}" >"$1"
}
expect_error() { # expect_error TEXT ARGS...: mlgen exits 1 printing TEXT
  local text=$1 rc=0
  shift
  "$MLGEN" "$@" >"$W/log" 2>&1 || rc=$?
  [ $rc -eq 1 ] || { cat "$W/log"; die "'$*' exited $rc, want 1"; }
  grep -qF -- "$text" "$W/log" || { cat "$W/log"; die "'$*' did not say: $text"; }
  echo "ok: $(grep -F -- "$text" "$W/log" | head -n 1)"
}

d=$SRC/examples/digits/digits.yaml

build_checks() {
  echo "== errors"
  model "$W/f64.yaml" f64 Relu
  model "$W/exp64.yaml" f64 Exp
  model "$W/argmax.yaml" f32 ArgMax ", axis: 1"
  expect_error "unsupported on vulkan: f64 (needs shaderFloat64" build "$W/f64.yaml" --backend vulkan -o "$W/o1"
  expect_error "at kernel k0_y (Relu" build "$W/f64.yaml" --backend vulkan -o "$W/o1"
  expect_error "unsupported on vulkan: i64 (needs shaderInt64" \
    build "$W/argmax.yaml" --backend vulkan --vk-features none -o "$W/o1"
  expect_error "unsupported on vulkan: EXP on f64" build "$W/exp64.yaml" --backend vulkan --vk-features all -o "$W/o1"
  expect_error "bad --vk-features 'int128'" build "$W/f64.yaml" --backend vulkan --vk-features int128 -o "$W/o1"
  [ ! -e "$W/o1" ] || die "a failed build left $W/o1"
  "$MLGEN" build "$W/f64.yaml" --backend vulkan --vk-features float64 -o "$W/o2" 2>/dev/null || die "f64 with float64 fails"
  grep -q "MLG_VK_NEED_FLOAT64" "$W/o2/vulkan/m_vk.h" || die "the f64 model does not declare its feature"

  echo "== determinism"
  "$MLGEN" build "$d" --backend vulkan -o "$W/a" 2>/dev/null
  "$MLGEN" build "$d" --backend vulkan -o "$W/b" 2>/dev/null
  diff -r "$W/a" "$W/b" || die "two builds differ"
  echo "ok: $(find "$W/a" -type f | wc -l) files identical"
  if command -v glslangValidator >/dev/null && command -v spirv-val >/dev/null; then
    for f in "$W"/a/vulkan/shaders/*.comp; do
      glslangValidator -V --target-env vulkan1.1 -o "$W/k.spv" "$f" >"$W/log" ||
        { cat "$W/log"; die "glslangValidator rejects $f"; }
      spirv-val --target-env vulkan1.1 "$W/k.spv" || die "spirv-val rejects $f"
    done
    echo "ok: glslangValidator + spirv-val accept every .comp"
  fi
  echo "gpu.build: ok"
}

device_checks() {
  "$MLGEN" build "$d" --backend vulkan -o "$W/a" 2>/dev/null

  echo "== dispatch past 65,535 workgroups"
  cat >"$W/big.yaml" <<'YAML'
mlgen: 1
name: big
inputs: {s: {dtype: f32, shape: [1]}}
outputs: [y]
initializers:
  start: {dtype: f32, shape: [], data: [0.0]}
  limit: {dtype: f32, shape: [], data: [5000000.0]}
  delta: {dtype: f32, shape: [], data: [1.0]}
nodes:
  - {op: Range, in: [start, limit, delta], out: [r]}
  - {op: Mul, in: [r, s], out: [y]}
YAML
  { printf '\x93NUMPY\x01\x00\x76\x00'; printf "%-117s\n" "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"
    printf '\x00\x00\x00\x3f'; } >"$W/s.npy" # 0.5
  "$MLGEN" run "$W/big.yaml" --target vulkan --input "$W/s.npy" -o "$W/bv" || die "5M-element run failed"
  "$MLGEN" run "$W/big.yaml" --target interp --input "$W/s.npy" -o "$W/bi"
  "$MLGEN" compare "$W/bv/y.npy" "$W/bi/y.npy" --rtol 0 --atol 0 || die "5M-element run differs"

  echo "== the validation messenger"
  $CC -std=c99 -O1 -DMODEL=digits_vk_model -I"$W/a/vulkan" "$SRC/tests/gpu/validation.c" \
    "$W/a/vulkan/digits_vk.c" "$W/a/vulkan/mlg_vk.c" -lvulkan -o "$W/validation" || die "validation.c does not build"
  set +e
  "$W/validation"
  rc=$?
  set -e
  [ $rc -eq 77 ] && exit 77
  [ $rc -eq 0 ] || die "an invalid Vulkan call went unnoticed"
  echo "gpu.checks: ok"
}

case $MODE in
  build) build_checks ;;
  device) device_checks ;;
  *) die "mode must be build or device" ;;
esac
