#!/bin/sh
# hostile_names.sh MLGEN: model text in generated files is escaped for its
# language (issue 15, docs/security.md).
#
# A YAML model whose tensor and node names hold a star-slash, a slash-star,
# '"', '\', a newline, a tab, a trigraph ("??/", "??="), "%s%n", "$(rm -rf x)",
# control bytes (\u0001, DEL), UTF-8 (é, 日本) and a 300-character name is
# built with --backend c,vulkan --vk-features all. Then:
#   - the .c and .h compile with cc (and clang) -std=c99 -Wall -Wextra
#     -Wpedantic -Werror: a name that ends a comment early or opens a nested
#     one, or a broken string literal, fails here; the Vulkan .c too when
#     <vulkan/vulkan.h> is there;
#   - the C descriptor tables hold the names byte for byte (a small program
#     prints them);
#   - every shaders/*.comp passes glslangValidator -V (when installed);
#   - manifest.json is valid JSON (when python3 is installed);
#   - `mlgen inspect` and `inspect --dot` print no control byte but newline;
#   - nothing ran "$(rm -rf x)".
# The YAML frontend accepts all of these as tensor and node names; the model's
# own `name:` must be a C identifier and a hostile one is refused (checked).
# YAML has no doc string. Without the vulkan backend the C checks still run,
# then the test exits 77 (skipped).
set -u
[ $# -eq 1 ] || { echo "usage: hostile_names.sh MLGEN" >&2; exit 2; }
MLGEN=$1
case "$MLGEN" in /*) ;; *) MLGEN="$(pwd)/$MLGEN" ;; esac
W=$(mktemp -d) || exit 2
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2
mkdir x # the canary of "$(rm -rf x)"
fail=0
bad() { echo "FAIL hostile_names: $*"; fail=1; }

long=$(awk 'BEGIN { for (i = 0; i < 75; i++) printf "ab*/" }') # 300 characters
cat >m.yaml.in <<'EOF'
mlgen: 1
name: hostile
inputs:
  "x*/y/*z\"q\\": {dtype: f32, shape: [4]}
  "in\nput\tTab??/ é日本": {dtype: f32, shape: [4]}
initializers:
  "w%s%n$(rm -rf x)??=": {dtype: f32, shape: [4], data: [1, 2, 3, 4]}
nodes:
  - {op: Add, name: "add*/\"\\\n\t??/%s%n$(rm -rf x)é日本/*", in: ["x*/y/*z\"q\\", "in\nput\tTab??/ é日本"], out: ["mid*/ \"\\\n"]}
  - {op: Mul, name: "mul/*x*/", in: ["mid*/ \"\\\n", "w%s%n$(rm -rf x)??="], out: ["LONG"]}
  - {op: Relu, name: "relu\u0001\u007f*/", in: ["LONG"], out: ["y*/\"\\\n\t??/é"]}
outputs: ["LONG", "y*/\"\\\n\t??/é"]
EOF
sed "s|LONG|$long|g" m.yaml.in >m.yaml

# the model's name is a C identifier: a hostile one is refused, located
sed 's|^name: hostile|name: "a*/b"|' m.yaml >badname.yaml
"$MLGEN" build badname.yaml -o BAD >out.txt 2>&1
rc=$?
[ $rc -eq 1 ] || bad "a hostile model name: exit $rc, expected 1"
grep -q 'badname.yaml:2:7: error: .*must be a C identifier' out.txt || bad "a hostile model name: no located diagnostic"
[ -e BAD ] && bad "a refused model wrote BAD/"

vulkan=1
if ! "$MLGEN" build m.yaml --backend c,vulkan --vk-features all -o OUT >out.txt 2>&1; then
  if grep -q 'no vulkan backend' out.txt; then
    vulkan=0
    "$MLGEN" build m.yaml --backend c -o OUT >out.txt 2>&1 || { cat out.txt; bad "mlgen build --backend c failed"; exit 1; }
  else
    cat out.txt
    bad "mlgen build --backend c,vulkan failed"
    exit 1
  fi
fi

# the generated C compiles cleanly with each compiler there is
ccs=cc
command -v clang >/dev/null 2>&1 && ccs="cc clang"
vkc=""
[ $vulkan = 1 ] && echo '#include <vulkan/vulkan.h>' | cc -E - >/dev/null 2>&1 && vkc=OUT/vulkan/hostile_vk.c
for c in $ccs; do
  for f in OUT/hostile.c OUT/hostile_weights.c $vkc; do
    $c -std=c99 -Wall -Wextra -Wpedantic -Werror -c "$f" -o hostile.o >cc.txt 2>&1 || { cat cc.txt; bad "$c does not compile $f"; }
  done
done

# the descriptor tables hold the names exactly
cat >names.c <<'EOF'
#include <stdio.h>
#include "hostile.h"
int main(void) {
  for (int i = 0; i < HOSTILE_NUM_INPUTS; i++) printf("[%s]\n", hostile_inputs[i].name);
  for (int i = 0; i < HOSTILE_NUM_OUTPUTS; i++) printf("[%s]\n", hostile_outputs[i].name);
  return 0;
}
EOF
printf '[x*/y/*z"q\\]\n[in\nput\tTab??/ \303\251\346\227\245\346\234\254]\n[%s]\n[y*/"\\\n\t??/\303\251]\n' "$long" >want.txt
if cc -std=c99 -IOUT names.c OUT/hostile.c OUT/hostile_weights.c -lm -o names >cc.txt 2>&1; then
  ./names >got.txt
  cmp -s got.txt want.txt || { od -c got.txt | head -20; bad "the C descriptors do not hold the names byte for byte"; }
else
  cat cc.txt
  bad "names.c does not build"
fi

if [ $vulkan = 1 ] && command -v glslangValidator >/dev/null 2>&1; then
  for s in OUT/vulkan/shaders/*.comp; do
    glslangValidator -V "$s" -o shader.spv >gl.txt 2>&1 || { cat gl.txt; bad "glslangValidator refuses $s"; }
  done
fi

if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' OUT/manifest.json ||
    bad "manifest.json is not valid JSON"
fi

# inspect: no control byte but newline (tab, DEL and the others as \xNN)
for dot in --dot ""; do
  "$MLGEN" inspect m.yaml $dot >inspect.txt 2>&1 || bad "mlgen inspect $dot failed"
  n=$(tr -d '\n' <inspect.txt | LC_ALL=C tr -d '\040-\176\200-\377' | wc -c)
  [ "$n" -eq 0 ] || bad "mlgen inspect $dot printed $n raw control bytes"
done
grep -qF 'in\x0aput\x09Tab' inspect.txt || bad "inspect does not show the newline and tab as \\x0a \\x09"

[ -d x ] || bad '"$(rm -rf x)" in a name was run'
[ $fail = 0 ] || exit 1
if [ $vulkan = 0 ]; then
  echo "hostile_names: C checks passed; this mlgen has no vulkan backend: skipped the rest"
  exit 77
fi
echo "hostile_names: ok"
