#!/usr/bin/env bash
# Installs every Debian package mlgen needs to build and test. Idempotent: when
# everything is present it only checks (a second or two). Run as root or with sudo.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config clang libclang-rt-14-dev valgrind
  libyaml-dev
  libprotobuf-c-dev protobuf-c-compiler
  glslang-dev glslang-tools spirv-tools libspirv-cross-c-shared-dev spirv-cross
  libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
  llvm-19-dev
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
  ninja-build python3
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq; then
  echo "setup: apt-get update failed; cannot install ${missing[*]}" >&2; exit 1
fi
if ! $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"; then
  echo "setup: apt-get install failed for: ${missing[*]}" >&2; exit 1
fi
echo "setup: done"
