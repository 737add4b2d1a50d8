#!/usr/bin/env bash
# gpu-remote.sh: mlgen's Vulkan checks on a machine with a real GPU, from the
# bundle scripts/gpu-bundle.sh made (no build dependencies needed there,
# only a C compiler and the GPU's Vulkan driver).
#
#   scripts/gpu-remote.sh [BUNDLE] [WORK] [JOBS]
#
# Runs, with the Khronos validation layer on (any message fails a check):
#   1. every classic-ML fixture (tests/ml) on vulkan, all three strategies
#   2. the ai.onnx.ml node tests on vulkan
#   3. every tests/ops case on vulkan against the interpreter (but strings,
#      which vulkan refuses: tests/gpu/CMakeLists.txt registers the same set)
#   4. examples/digits on vulkan (accuracy, what the binary links, timing)
#   5. the ONNX node suite on vulkan (tests/onnx/run_node_tests.sh)
# Prints one summary line per part; exit 1 when any part failed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G=$(cd "${1:-$ROOT/build-gpu}" && pwd)
W=${2:-/tmp/mlgen-gpu}
JOBS=${3:-$(nproc)}
mkdir -p "$W"
export LD_LIBRARY_PATH=$G/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export VK_LAYER_PATH=$G/layers
# the bundle's Vulkan headers and loader for every compile (gcc reads CPATH
# and LIBRARY_PATH; CMake's FindVulkan searches CMAKE_PREFIX_PATH)
export CPATH=$G/include LIBRARY_PATH=$G/lib CMAKE_PREFIX_PATH=$G
M=$G/bin/mlgen
fail=0
summary() { echo "== $1: $2"; }

command -v nvidia-smi >/dev/null && nvidia-smi -L
# A headless NVIDIA container: the packaged ICD (libGLX_nvidia) refuses to
# create an instance without a display, the EGL entry point of the same
# driver works. Use it unless the caller chose an ICD.
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  egl=$(ldconfig -p | sed -n 's/.*libEGL_nvidia.so.0 .*=> //p' | head -1)
  if [ -n "$egl" ]; then
    printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "%s", "api_version": "1.3.0"}}\n' "$egl" \
      >"$W/nvidia_egl_icd.json"
    export VK_ICD_FILENAMES=$W/nvidia_egl_icd.json VK_DRIVER_FILES=$W/nvidia_egl_icd.json
  fi
fi

# 1. fixtures
names=$(grep -v '^#' "$ROOT/tests/ml/fixtures/manifest.txt" | cut -d' ' -f1)
printf '%s\n' $names | xargs -P "$JOBS" -I{} sh -c \
  '"$0" "$1" "$2" {} vulkan >"$3/ml.{}.log" 2>&1; echo "$? {}"' "$G/bin/ml_check" "$M" \
  "$ROOT/tests/ml/fixtures" "$W" >"$W/ml.rc"
bad=$(awk '$1 != 0' "$W/ml.rc" | wc -l)
summary "ml fixtures on vulkan" "$(wc -l <"$W/ml.rc") run, $bad failed"
[ "$bad" = 0 ] || { fail=1; awk '$1 != 0' "$W/ml.rc"; }

# node tests need the suite
NT=$W/onnx-node-tests/node
[ -d "$NT" ] || tar -C "$W" -xJf "$G/node-tests.tar.xz"

# 2. ai.onnx.ml node tests
if bash "$ROOT/tests/ml/node_tests.sh" "$M" "$NT" vulkan >"$W/mlnode.log" 2>&1; then r=ok; else r=FAILED; fail=1; fi
summary "ai.onnx.ml node tests on vulkan" "$r ($(tail -1 "$W/mlnode.log"))"

# 3. ops cases
ls "$ROOT"/tests/ops/cases/*.cases | grep -v /strings.cases | xargs -P "$JOBS" -I{} sh -c \
  '"$0" --target vulkan --cc cc "$1" {} >"$2/ops.$(basename {}).log" 2>&1; echo "$? $(basename {})"' \
  "$G/bin/opcheck" "$M" "$W" >"$W/ops.rc"
bad=$(awk '$1 != 0' "$W/ops.rc" | wc -l)
summary "ops families on vulkan" "$(wc -l <"$W/ops.rc") run, $bad failed"
[ "$bad" = 0 ] || { fail=1; awk '$1 != 0' "$W/ops.rc"; }

# 4. digits
if bash "$ROOT/tests/gpu/digits.sh" "$M" "$ROOT" >"$W/digits.log" 2>&1; then r=ok; else r=FAILED; fail=1; fi
summary "digits on vulkan" "$r: $(grep -m1 correct= "$W/digits.log")"

# 5. the ONNX node suite
MLGEN_TARGET=vulkan JOBS=$JOBS bash "$ROOT/tests/onnx/run_node_tests.sh" "$M" "$G/bin/onnx_check" "$NT" \
  "$W/node" 1400 >"$W/onnx.log" 2>&1 || fail=1
summary "ONNX node suite on vulkan" "$(tail -3 "$W/onnx.log" | tr '\n' ' ')"
exit $fail
