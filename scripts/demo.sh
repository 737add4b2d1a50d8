#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds mlgen, compiles the digits example
# to C, runs it on the held-out digits and prints the accuracy (checked
# against the reference interpreter and the training script).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
bash examples/digits/run.sh build/mlgen
