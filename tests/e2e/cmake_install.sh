#!/usr/bin/env bash
# e2e.cmake_install: mlgen installed into a temporary prefix
# (cmake --install --prefix), then examples/cmake-integration, an outside
# project, configured against that prefix and built (Ninja): the digits app
# must classify as the training script did and the WEIGHTS_SEPARATE program
# must accept its blob. Then the regeneration through mlgen's depfile: a
# second build does nothing; replacing a weight file (no change to the
# YAML) regenerates the model and the app's count changes to what those
# weights give; touching the YAML alone regenerates too.
set -euo pipefail
build_dir=$1 src=$2
for t in cmake ninja python3; do command -v $t >/dev/null || { echo "missing $t"; exit 77; }; done
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cmake --install "$build_dir" --prefix "$w/prefix" >/dev/null
[ -x "$w/prefix/bin/mlgen" ] && [ -e "$w/prefix/lib/cmake/mlgen/mlgenConfig.cmake" ] || fail "install incomplete"
mkdir -p "$w/digits"
cp -r "$src/examples/digits/digits.yaml" "$src/examples/digits/weights" "$src/examples/digits/main.c" "$w/digits/"
python3 "$src/tests/e2e/wsep_variants.py" "$src/examples/digits" "$w/var" >/dev/null
b=$w/build
cmake -S "$src/examples/cmake-integration" -B "$b" -G Ninja -DCMAKE_PREFIX_PATH="$w/prefix" -DDIGITS_DIR="$w/digits" >/dev/null
cmake --build "$b" >/dev/null
data=$src/examples/digits/data
want=$(cut -d' ' -f1 "$data/expected.txt")
got=$("$b/digits_app" "$data/x_test.npy" "$data/y_test.npy")
case "$got" in *"$want"*) echo "installed mlgen: digits_app $want" ;; *) fail "digits_app: '$got', want $want" ;; esac
"$b/digits_ota" | grep "blob accepted" >/dev/null || fail "digits_ota refused its blob"
grep -q "$w/prefix/bin/mlgen" "$b/build.ninja" || fail "the build does not run the installed mlgen"
out=$(cmake --build "$b")
case "$out" in *"no work to do"*) ;; *) fail "a second build did work: $out" ;; esac
# new values in one weight file: the depfile names it
cp "$w/var/retrained/weights/fc2_w.npy" "$w/digits/weights/fc2_w.npy"
out=$(cmake --build "$b")
case "$out" in *"mlgen: compiling"*) echo "weight file replaced: regenerated" ;; *) fail "a new weight file did not regenerate: $out" ;; esac
got2=$("$b/digits_app" "$data/x_test.npy" "$data/y_test.npy")
[ "$got2" != "$got" ] || fail "the app still gives '$got' with new weights"
echo "new weights: $(echo "$got2" | head -1)"
touch "$w/digits/digits.yaml"
out=$(cmake --build "$b")
case "$out" in *"mlgen: compiling"*) echo "model touched: regenerated" ;; *) fail "touching the model did not regenerate" ;; esac
# the plain-Makefile recipe of docs/firmware.md, with the installed mlgen
if command -v make >/dev/null; then
  m=$w/make && mkdir -p "$m" && cp -r "$src/examples/digits/digits.yaml" "$src/examples/digits/weights" "$src/examples/digits/main.c" "$m/"
  printf '%s\n' 'MLGEN ?= mlgen' 'model/manifest.json model/digits.c model/digits.h model/digits_weights.c &: digits.yaml' \
    '	$(MLGEN) build digits.yaml -o model --depfile model.d' '-include model.d' \
    'app: main.c model/digits.c model/digits_weights.c' '	$(CC) -std=c99 -O2 -Imodel -o $@ $^ -lm' > "$m/Makefile"
  make -C "$m" app MLGEN="$w/prefix/bin/mlgen" >/dev/null 2>&1 || fail "the Makefile recipe does not build"
  make -C "$m" app MLGEN="$w/prefix/bin/mlgen" | grep "up to date" >/dev/null || fail "make rebuilt with nothing changed"
  touch "$m/weights/fc3_b.npy"
  make -C "$m" app MLGEN="$w/prefix/bin/mlgen" 2>&1 | grep "mlgen: wrote" >/dev/null || fail "make did not regenerate after a weight file changed"
  echo "Makefile recipe: builds, and regenerates when a weight file changes"
fi
echo "e2e.cmake_install: ok"
