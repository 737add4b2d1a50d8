#!/usr/bin/env bash
# e2e.cmake: a separate CMake project uses find_package(mlgen) and
# mlgen_add_model to build the digits example, then classifies the test set;
# the accuracy must be the training script's.
set -euo pipefail
build_dir=$1 src=$2
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
cmake -S "$src/tests/e2e/cmake_project" -B "$w" -Dmlgen_DIR="$build_dir" -DDIGITS_DIR="$src/examples/digits" >/dev/null
cmake --build "$w" >/dev/null
got=$("$w/digits_app" "$src/examples/digits/data/x_test.npy" "$src/examples/digits/data/y_test.npy")
want=$(cut -d' ' -f1 "$src/examples/digits/data/expected.txt")
echo "$got"
case "$got" in *"$want"*) echo "cmake integration: ok ($want)";; *) echo "expected $want"; exit 1;; esac
