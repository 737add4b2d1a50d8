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
  libegl1 libegl-mesa0 libgles2 chromium
)
# node and npm: Debian's packages only where the machine has no node of its own
command -v node >/dev/null && command -v npm >/dev/null || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# The WebGPU tests' npm packages (tests/webgpu/package-lock.json: Dawn for
# Node), into tests/webgpu/node_modules; only when the lock changed since.
npm_deps() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/webgpu"
  if [ -f "$dir/node_modules/.mlgen-lock" ] && cmp -s "$dir/package-lock.json" "$dir/node_modules/.mlgen-lock"; then
    return 0
  fi
  echo "setup: npm ci in tests/webgpu"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || { echo "setup: npm ci failed in $dir" >&2; exit 1; }
  cp "$dir/package-lock.json" "$dir/node_modules/.mlgen-lock"
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages present"
  npm_deps
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
npm_deps
echo "setup: done"
