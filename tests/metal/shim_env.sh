#!/usr/bin/env bash
# shim_env.sh CMD [ARGS...]: runs CMD with MLGEN_METAL_SHIM pointing at
# tests/metal/shim, so `mlgen run --target metal` compiles the MSL kernels
# with the C++ compiler over the CPU shim and runs them. Exits 77 (skipped)
# without a C++ compiler ($MLGEN_CXX, default c++) or a C compiler.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v "${MLGEN_CXX:-c++}" >/dev/null || { echo "shim_env: no C++ compiler - skipped"; exit 77; }
command -v "${CC:-cc}" >/dev/null || { echo "shim_env: no C compiler - skipped"; exit 77; }
export MLGEN_METAL_SHIM=$here/shim
exec "$@"
