#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds mlgen and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j2
cd build
ctest -j2 --output-on-failure --timeout 1500
