#!/usr/bin/env bash
# bench/setup.sh: what bench/compare.py needs, outside the project's own setup:
# a venv with onnx, numpy and onnxruntime from PyPI, and Debian's OpenBLAS.
#   bash bench/setup.sh [VENV]   (default /work/venv-bench)
set -euo pipefail
venv=${1:-/work/venv-bench}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q onnx numpy onnxruntime
if ! [ -f /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] && ! [ -f /usr/include/cblas.h ]; then
  apt-get -o DPkg::Lock::Timeout=900 install -y libopenblas-dev
fi
echo "ready: $venv/bin/python bench/compare.py"
