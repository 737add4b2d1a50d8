#!/usr/bin/env bash
# vk_env.sh CMD [ARGS...]: runs CMD on lavapipe with the validation layer,
# or exits 77 (skipped) when Vulkan cannot run here: no lavapipe ICD, no
# VK_LAYER_KHRONOS_validation, no Vulkan headers/loader for the host
# driver, or no C compiler. MLGEN_VK_ICD=path picks another ICD.
icd=${MLGEN_VK_ICD:-}
if [ -z "$icd" ]; then
  for f in /usr/share/vulkan/icd.d/lvp_icd.*.json /etc/vulkan/icd.d/lvp_icd.*.json; do
    [ -f "$f" ] && icd=$f && break
  done
fi
skip() { echo "vk_env: $* - skipped"; exit 77; }
[ -n "$icd" ] && [ -f "$icd" ] || skip "no lavapipe ICD (install mesa-vulkan-drivers)"
ls /usr/share/vulkan/explicit_layer.d/*khronos_validation*.json >/dev/null 2>&1 ||
  ls /etc/vulkan/explicit_layer.d/*khronos_validation*.json >/dev/null 2>&1 ||
  skip "no VK_LAYER_KHRONOS_validation (install vulkan-validationlayers)"
[ -f /usr/include/vulkan/vulkan.h ] || skip "no Vulkan headers (install libvulkan-dev)"
command -v "${CC:-cc}" >/dev/null || skip "no C compiler"
export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
exec "$@"
