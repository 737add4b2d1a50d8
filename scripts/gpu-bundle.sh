#!/usr/bin/env bash
# gpu-bundle.sh: packs what scripts/gpu-remote.sh needs to run mlgen's Vulkan
# checks on another machine that has a GPU and its Vulkan driver but none of
# mlgen's build dependencies (a lent test machine, a CI runner with a GPU).
#
#   scripts/gpu-bundle.sh [BUILD_DIR] [OUT_DIR] [NODE_TESTS]
#
# OUT_DIR (default build-gpu/) gets bin/ (mlgen, ml_check, opcheck,
# onnx_check), lib/ (the shared libraries mlgen and the generated drivers
# load: libyaml, protobuf-c, the Vulkan loader and the Khronos validation
# layer, copied from this machine), include/ (Vulkan headers) and the ONNX
# node tests as one tarball. The repository itself supplies the fixtures,
# the runtime and the scripts.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$ROOT/build}
O=${2:-$ROOT/build-gpu}
NT=${3:-$ROOT/../shared/onnx-node-tests}
rm -rf "$O"
mkdir -p "$O/bin" "$O/lib" "$O/include" "$O/layers"
for t in mlgen tests/ml/ml_check tests/ops/opcheck tests/onnx/onnx_check; do
  [ -x "$B/$t" ] || { echo "gpu-bundle: no $B/$t (build first)" >&2; exit 2; }
  cp "$B/$t" "$O/bin/"
done
libdir=$(dirname "$(readlink -f /usr/lib/x86_64-linux-gnu/libvulkan.so.1)")
for l in libyaml-0.so.2 libprotobuf-c.so.1 libvulkan.so.1 libVkLayer_khronos_validation.so; do
  cp -L "$libdir/$l" "$O/lib/$l"
done
cp "$O/lib/libvulkan.so.1" "$O/lib/libvulkan.so" # a copy: links may not travel
cp -r /usr/include/vulkan "$O/include/"
[ -d /usr/include/vk_video ] && cp -r /usr/include/vk_video "$O/include/"
# the layer manifest, pointing at the copied library
sed 's#"library_path": *"[^"]*"#"library_path": "../lib/libVkLayer_khronos_validation.so"#' \
  /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json >"$O/layers/VkLayer_khronos_validation.json"
[ -d "$NT" ] && tar -C "$(dirname "$NT")" -cJf "$O/node-tests.tar.xz" "$(basename "$NT")"
du -sh "$O"
