#!/usr/bin/env bash
# bringup.verify.<target>: `mlgen verify` against the C target (run under the
# target's env wrapper: vk_env.sh, wgpu_env.sh, shim_env.sh; exit 77 there
# when the target cannot run here).
#   1. digits, the cnn and encoder fixtures: every kernel in tolerance, exit 0,
#      one table per mode; --json well formed with "ok": true (digits, with a
#      perturbation for another target set: it changes nothing here)
#   2. MLGEN_TEST_PERTURB=<target>:2:index (an off-by-one index in kernel #2):
#      exit 1, both modes name kernel #2 first; in isolated mode it is the
#      only kernel out of tolerance (errors do not spread), in e2e mode the
#      kernels after it fail too (they do) and still #2 is named
#   3. the same for a wrong constant (:k4_t22:value, by name), --json: both
#      modes' first_bad is 4
#   4. (c only) each kernel of digits perturbed in turn is the one named
# usage: verify.sh TARGET MLGEN SOURCE_DIR
set -euo pipefail
T=$1 MLGEN=$2 SRC=$3
F=$SRC/tests/bringup/fixtures
DIG=$SRC/examples/digits/digits.yaml
X=$SRC/tests/webgpu/digit0.npy
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
die() { echo "bringup.verify.$T: $*" >&2; exit 1; }
unset MLGEN_TEST_PERTURB

v() { # v OUT ARGS...: runs verify, stdout to OUT, returns its exit code
  local out=$1 rc=0; shift
  "$MLGEN" verify "$@" --target "$T" >"$out" 2>"$out.err" || rc=$?
  return $rc
}

echo "== 1. clean runs (digits --json, with a perturbation meant for another target set)"
other=c; [ "$T" = c ] && other=vulkan
MLGEN_TEST_PERTURB=$other:2:index v "$W/ok.json" "$DIG" --input "$X" --json ||
  { cat "$W/ok.json" "$W/ok.json.err"; die "verify --json failed on a clean run"; }
grep -q '^{"model": "digits", "target": "'"$T"'", "reference": "c", "remote": null, "ok": true' "$W/ok.json" ||
  { cat "$W/ok.json"; die "--json: not ok"; }
[ "$(grep -c '"first_bad": null' "$W/ok.json")" = 2 ] || die "--json: expected two clean modes"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] is True and len(d["modes"]) == 2, d' \
    "$W/ok.json" || die "--json: not well formed"
fi
for m in "$F/cnn.onnx $F/cnn_x.npy" "$F/encoder.onnx $F/encoder_x.npy"; do
  set -- $m
  v "$W/ok.txt" "$1" --input "$2" || { cat "$W/ok.txt" "$W/ok.txt.err"; die "verify $1 failed"; }
  [ "$(grep -c "within tolerance" "$W/ok.txt")" = 2 ] || { cat "$W/ok.txt"; die "$1: expected two clean tables"; }
  grep -q "^isolated: " "$W/ok.txt" && grep -q "^e2e: " "$W/ok.txt" || die "$1: a mode's table is missing"
  echo "ok: $(basename "$1") ($(grep -c '  ok$' "$W/ok.txt") kernel rows)"
done

echo "== 2. off-by-one index in kernel #2"
rc=0
MLGEN_TEST_PERTURB=$T:2:index v "$W/idx.txt" "$DIG" --input "$X" || rc=$?
[ "$rc" = 1 ] || { cat "$W/idx.txt" "$W/idx.txt.err"; die "exit $rc, expected 1 (a kernel out of tolerance)"; }
[ "$(grep -c 'first bad kernel: #2 k2_logits' "$W/idx.txt")" = 2 ] || { cat "$W/idx.txt"; die "kernel #2 not named in both modes"; }
iso=$(sed -n '/^isolated:/,/^e2e:/p' "$W/idx.txt" | grep -c 'FAIL' || true)
[ "$iso" = 1 ] || { cat "$W/idx.txt"; die "isolated mode: $iso kernels out of tolerance, expected only #2"; }
grep -q "kernel #2 k2_logits (Gemm at digits.yaml:17) is out of tolerance" "$W/idx.txt.err" ||
  { cat "$W/idx.txt.err"; die "no clear message naming the kernel on stderr"; }
echo "ok: kernel #2 named in both modes, alone in isolated mode"

echo "== 3. wrong constant in kernel k4_t22 (--json)"
if MLGEN_TEST_PERTURB=$T:k4_t22:value v "$W/val.json" "$DIG" --input "$X" --json; then die "a perturbed kernel passed"; fi
[ "$(grep -c '"first_bad": 4' "$W/val.json")" = 2 ] || { cat "$W/val.json"; die "first_bad is not 4 in both modes"; }
echo "ok: first_bad 4 in both modes"


if [ "$T" = c ]; then
  echo "== 4. every kernel of digits perturbed in turn is the one named (isolated mode)"
  for k in 0 1 2 3 4 5 6; do
    rc=0
    MLGEN_TEST_PERTURB=c:$k:index v "$W/each.txt" "$DIG" --input "$X" --mode isolated || rc=$?
    [ $rc = 1 ] && grep -q "first bad kernel: #$k " "$W/each.txt" || { cat "$W/each.txt"; die "kernel #$k not named"; }
  done
  echo ok
fi
