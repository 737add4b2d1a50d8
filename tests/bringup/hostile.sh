#!/usr/bin/env bash
# bringup.hostile: model text in what verify and carve print and write is
# escaped (docs/security.md): a YAML model whose node and tensor names hold
# control bytes, quotes, comment delimiters, "$(rm -rf x)" and UTF-8 is
# verified on c (table and --json) and carved for c, then:
#   - verify's table and messages hold no raw control byte (\xNN instead);
#   - --json is valid JSON (when python3 is there) and names the nodes;
#   - the carved suite builds and passes with cmake and ctest (when there);
#   - its README.md and tolerance.txt files hold no raw control byte;
#   - nothing ran "$(rm -rf x)".
# usage: hostile.sh MLGEN
set -euo pipefail
MLGEN=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
mkdir x
die() { echo "bringup.hostile: $*" >&2; exit 1; }
cat >m.yaml <<'YAML'
mlgen: 1
name: hostile
inputs:
  "a\"b\\c": {dtype: f32, shape: [4]}
  "in\nput\tTab é日本": {dtype: f32, shape: [4]}
nodes:
  - {op: Add, name: "add*/\"\\\n\t??/%s%n$(rm -rf x)é日本/*|`", in: ["a\"b\\c", "in\nput\tTab é日本"], out: ["m\u0001id"]}
  - {op: Relu, name: "relu\u0001\u007f*/", in: ["m\u0001id"], out: ["y\u001b[31m"]}
outputs: ["y\u001b[31m"]
YAML
# a .npy of four f32 ones: magic, v1.0, header length 118, the header, data
hdr="{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }"
{ printf '\x93NUMPY\x01\x00\x76\x00%s%60s\n' "$hdr" ""; printf '\x00\x00\x80\x3f%.0s' 1 2 3 4; } >one.npy
raw_ctl() { tr -d '\n' <"$1" | LC_ALL=C tr -d '\040-\176\200-\377' | wc -c; }

"$MLGEN" verify m.yaml --target c --input one.npy --input one.npy >t.txt 2>&1 || { cat t.txt; die "verify failed"; }
[ "$(raw_ctl t.txt)" = 0 ] || die "verify's table printed raw control bytes"
MLGEN_TEST_PERTURB=c:0:value "$MLGEN" verify m.yaml --target c --input one.npy --input one.npy >bad.txt 2>&1 &&
  die "a perturbed kernel passed"
[ "$(raw_ctl bad.txt)" = 0 ] || die "verify's failure report printed raw control bytes"
grep -qF 'relu\x01\x7f*/' bad.txt || { cat bad.txt; die "the failing kernel's node name is not shown as \\xNN"; }
"$MLGEN" verify m.yaml --target c --input one.npy --input one.npy --json >j.json 2>j.err || die "verify --json failed"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1], encoding="utf-8")); assert d["ok"], d' j.json ||
    die "--json is not valid JSON"
fi
echo "ok: verify"

"$MLGEN" carve m.yaml --target c --input one.npy --input one.npy -o S >c.txt 2>&1 || { cat c.txt; die "carve failed"; }
for f in S/README.md S/k*/tolerance.txt; do [ "$(raw_ctl "$f")" = 0 ] || die "$f holds raw control bytes"; done
if command -v cmake >/dev/null && command -v ctest >/dev/null; then
  cmake -S S -B S/build >cfg.txt 2>&1 || { cat cfg.txt; die "the suite does not configure"; }
  cmake --build S/build >bld.txt 2>&1 || { tail -20 bld.txt; die "the suite does not build"; }
  ctest --test-dir S/build >ct.txt 2>&1 || { cat ct.txt; die "the suite fails"; }
fi
[ -d x ] || die '"$(rm -rf x)" in a name was run'
echo "ok: carve"
