#!/usr/bin/env bash
# e2e.reproducible: the output folder depends on the model's content, never on
# where it lives or where mlgen runs.
#
#   reproducible.sh MLGEN SOURCE_DIR HAVE_VULKAN(ON|OFF)
#
# The same models are copied into two folders with different absolute paths
# (and depths) and built twice: from inside the first copy with relative
# paths (model, --freeze file, -o), and a second later from elsewhere with
# absolute ones. The two output folders must be byte-identical (diff -r) and
# name neither copy, nor either working directory (no path, host name or time:
# the second build runs a second later). Models: the digits YAML with its
# .npy weights in a subfolder, an ONNX model, an XGBoost JSON tree model, and
# a YAML model with a frozen input. Each with --backend c, then c,vulkan, then all four
# (required when this mlgen has the vulkan backend; without it that part
# exits 77, skipped, after the C part passed).
set -euo pipefail
mlgen=$1 src=$(cd "$2" && pwd) vulkan=${3:-ON}
case "$mlgen" in /*) ;; *) mlgen="$(pwd)/$mlgen" ;; esac
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
a="$w/first" b="$w/second/copy.of/the models"

for d in "$a" "$b"; do
  mkdir -p "$d/weights"
  cp "$src/examples/digits/digits.yaml" "$d/"
  cp "$src"/examples/digits/weights/*.npy "$d/weights/"
  cp "$src/tests/ml/fixtures/logreg_wine.onnx" "$src/tests/ml/fixtures/xgb_wine_d3.json" "$d/"
  cat >"$d/scale.yaml" <<'EOF'
mlgen: 1
name: scale
inputs: {x: {dtype: f32, shape: [4]}, s: {dtype: f32, shape: [4]}}
outputs: [y]
nodes:
  - {op: Mul, in: [x, s], out: [y]}
EOF
  # s.npy: a v1 .npy, f32 [4], header padded to 128 bytes, values 1 2 3 4
  { printf '\223NUMPY\001\000\166\000'
    printf "%-117s\n" "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }"
    printf '\000\000\200\077\000\000\000\100\000\000\100\100\000\000\200\100'; } >"$d/weights/s.npy"
done

# the models, each with its options; the --freeze file is relative to the copy
models=("digits.yaml" "logreg_wine.onnx --input-shape X=3x13" "xgb_wine_d3.json --input-shape input=5x13"
        "scale.yaml --freeze s=weights/s.npy")

# build TAG BACKENDS: every model from both copies into $w/out.TAG.{a,b}
build() {
  local tag=$1 be=$2 vk=() m
  [ "$be" = c ] || vk=(--vk-features all) # the XGBoost model computes in f64
  mkdir "$w/out.$tag.a" "$w/out.$tag.b"
  for m in "${models[@]}"; do # inside copy a, relative paths
    set -- $m
    (cd "$a" && "$mlgen" build "$@" --backend "$be" ${vk[@]+"${vk[@]}"} -o "../out.$tag.a/${1%.*}" >/dev/null)
  done
  sleep 1
  for m in "${models[@]}"; do # from /, absolute paths
    set -- $m
    local n=${1%.*}
    set -- "$b/$1" "${@:2}"
    [ "${2:-}" != --freeze ] || set -- "$1" --freeze "s=$b/weights/s.npy"
    (cd / && "$mlgen" build "$@" --backend "$be" ${vk[@]+"${vk[@]}"} -o "$w/out.$tag.b/$n" >/dev/null)
  done
  if ! diff -r "$w/out.$tag.a" "$w/out.$tag.b"; then
    echo "reproducible: --backend $be: the two builds differ"
    exit 1
  fi
  local leaks=("$w" "$src" "$(dirname "$mlgen")") host
  host=$(hostname 2>/dev/null || true)
  [ ${#host} -ge 6 ] && leaks+=("$host") # a short name could be any word
  for leak in "${leaks[@]}"; do
    if grep -rlF -- "$leak" "$w/out.$tag.a"; then
      echo "reproducible: --backend $be: the files above name '$leak'"
      exit 1
    fi
  done
  grep -q '"model": {"file": "digits.yaml", "sha256": "[0-9a-f]\{64\}"}' "$w/out.$tag.a/digits/manifest.json" ||
    { echo "reproducible: manifest.json does not record the model as file + sha256"; exit 1; }
  grep -q '"freeze": \[{"name": "s", "file": "s.npy", "sha256": "[0-9a-f]\{64\}"}\]' \
    "$w/out.$tag.a/scale/manifest.json" ||
    { echo "reproducible: manifest.json does not record --freeze as name, file + sha256"; exit 1; }
  echo "reproducible: --backend $be ok ($(find "$w/out.$tag.a" -type f | wc -l) files identical)"
}

build c c
if [ "$vulkan" != ON ]; then
  echo "reproducible: this mlgen has no vulkan backend: c,vulkan skipped"
  exit 77
fi
build cv c,vulkan
build all c,vulkan,webgpu,metal
