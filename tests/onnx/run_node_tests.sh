#!/usr/bin/env bash
# run_node_tests.sh: runs the official ONNX node tests through mlgen's C target.
#
#   run_node_tests.sh MLGEN ONNX_CHECK TESTS_DIR WORK_DIR [FLOOR] [FILTER]
#
# For every TESTS_DIR/<test>/model.onnx (only names matching the grep regex
# FILTER when given): `mlgen run --target c` (or $MLGEN_TARGET, e.g. vulkan:
# tests/gpu) on test_data_set_0/input_*.pb,
# then `onnx_check compare` of each output_<k>.npy with output_<k>.pb. Each
# test ends as
#   correct      built, ran, every output within tolerance
#   frozen       correct once its non-float inputs (then: every input but the
#                first, then: every input) were made build-time constants
#                with --freeze
#   random       built and ran, but the model draws random numbers (mlgen
#                notes "counter-based random numbers") and an output differs
#                from the reference, which numpy's generator made: dtype and
#                shape checked, values finite and in the reference's range
#                (onnx_check like); never counted as correct. A random test
#                whose outputs equal the reference (Dropout with ratio 0) is
#                correct, or frozen when freezing inputs makes it so
#   unsupported  mlgen exited 1 and every error line says "unsupported"
#   failed       anything else: another diagnostic, a crash, a C compile
#                error, a timeout, a wrong or missing output
# Results go to WORK_DIR/results.tsv (status, test, ops, detail, ms) and a
# summary to stdout. Exit 1 if any test failed, correct+frozen < FLOOR or
# correct < $PLAIN_FLOOR (when set),
# 77 if TESTS_DIR is missing. Runs two tests at a time (JOBS overrides);
# generated C is compiled with MLGEN_CFLAGS (default -O0).
set -u

if [ "${1:-}" = "--one" ]; then
  # one test: $2 = name; config in the environment
  t=$2
  dir=$TESTS/$t
  ds=$dir/test_data_set_0
  res=$WORK/res/$t
  log=$WORK/log/$t
  out=$WORK/out/$t
  ops=$("$CHECK" ops "$dir/model.onnx" 2>/dev/null | paste -sd+ -)
  [ -n "$ops" ] || ops=-
  mapfile -t ins < <(ls "$ds" 2>/dev/null | grep -E '^input_[0-9]+\.pb$' | sort -t_ -k2 -n)
  mapfile -t outs < <(ls "$ds" 2>/dev/null | grep -E '^output_[0-9]+\.pb$' | sort -t_ -k2 -n)

  # attempt MODE: runs mlgen with inputs bound per MODE (none | nonfloat |
  # allbut0 | all); sets status/detail
  attempt() {
    local mode=$1 args=() k=0 name kind frozen=""
    if [ "$mode" = none ]; then
      for f in "${ins[@]}"; do args+=(--input "$ds/$f"); done
    else
      mapfile -t names < <("$CHECK" inputs "$dir/model.onnx" 2>/dev/null)
      if [ "${#names[@]}" -ne "${#ins[@]}" ]; then status=skip; return; fi
      for f in "${ins[@]}"; do
        name=${names[$k]% *}
        kind=${names[$k]##* }
        if [ "$kind" = int ] || [ "$mode" = all ] || { [ "$mode" = allbut0 ] && [ "$k" -gt 0 ]; }; then
          args+=(--freeze "$name=$ds/$f")
          frozen="$frozen ${name}"
        else
          args+=(--input "$name=$ds/$f")
        fi
        k=$((k + 1))
      done
      if [ -z "$frozen" ]; then status=skip; return; fi
    fi
    rm -rf "$out"
    MLGEN_CFLAGS=${MLGEN_CFLAGS:--O0} timeout "${TEST_TIMEOUT:-120}" \
      "$MLGEN" run "$dir/model.onnx" --target "${MLGEN_TARGET:-c}" "${args[@]}" -o "$out" --numbered >"$log" 2>&1
    local rc=$?
    if [ $rc -ne 0 ]; then
      if [ $rc -eq 1 ] && grep -q 'error: ' "$log" && ! grep 'error: ' "$log" | grep -vq 'unsupported'; then
        status=unsupported
        detail=$(grep -m1 'error: ' "$log" | sed 's/.*error: //')
      else
        status=failed
        detail="exit $rc: $(grep -m1 -E 'error|mlgen:|Segmentation|timeout|Abort' "$log" | head -c 300)"
        [ $rc -eq 124 ] && detail="timeout"
      fi
      return
    fi
    local n
    # a sequence output k is output_k.seq and output_k_<j>.npy, an optional
    # without a value output_k.none (mlgen run --numbered; onnx_check reads them)
    n=$(ls "$out" | grep -cE '^output_[0-9]+\.(npy|seq|none)$')
    if [ "$n" -ne "${#outs[@]}" ]; then
      status=failed
      detail="$n outputs, expected ${#outs[@]}"
      return
    fi
    for f in "${outs[@]}"; do
      local m
      if ! m=$("$CHECK" compare "$out/${f%.pb}.npy" "$ds/$f" 2>&1); then
        if grep -q 'note: .*counter-based random numbers' "$log"; then
          for f in "${outs[@]}"; do
            if ! m=$("$CHECK" like "$out/${f%.pb}.npy" "$ds/$f" 2>&1); then
              status=failed
              detail="$f (random): $m"
              return
            fi
          done
          status=random
          detail="shape/dtype/range checked; mlgen's random numbers are not numpy's"
          return
        fi
        status=failed
        detail="$f: $m"
        return
      fi
    done
    status=correct
    detail=""
    [ "$mode" != none ] && status=frozen && detail="--freeze${frozen}"
  }

  status=failed
  detail=""
  t0=$(date +%s%N)
  attempt none
  if [ "$status" = unsupported ] || [ "$status" = random ]; then
    first_status=$status first_detail=$detail
    for mode in nonfloat allbut0 all; do
      attempt $mode
      [ "$status" = skip ] && status=$first_status && continue
      [ "$status" = frozen ] && break
      [ "$first_status" = random ] && status=random && continue
      [ "$status" != unsupported ] && break
    done
    [ "$status" = "$first_status" ] && detail=$first_detail
  fi
  rm -rf "$out"
  [ "$status" = correct ] && rm -f "$log"
  ms=$((($(date +%s%N) - t0) / 1000000))
  printf '%s\t%s\t%s\t%s\t%s\n' "$status" "$t" "$ops" "$(echo "$detail" | tr '\t\n' '  ')" "$ms" >"$res"
  exit 0
fi

if [ $# -lt 4 ]; then
  echo "usage: $0 MLGEN ONNX_CHECK TESTS_DIR WORK_DIR [FLOOR] [FILTER]" >&2
  exit 2
fi
export MLGEN=$(realpath "$1") CHECK=$(realpath "$2") TESTS=$3 WORK=$(realpath -m "$4")
floor=${5:-0}
filter=${6:-.}
if [ ! -d "$TESTS" ]; then
  echo "run_node_tests: $TESTS: no such folder, skipped"
  exit 77
fi
rm -rf "$WORK/res" "$WORK/out" "$WORK/log"
mkdir -p "$WORK/res" "$WORK/out" "$WORK/log"
start=$(date +%s)
# EVERY=K keeps every K-th test of the sorted list (a fixed subset: CI's for
# the slower targets), starting with the first
ls "$TESTS" | grep -E "$filter" | while read -r t; do [ -f "$TESTS/$t/model.onnx" ] && echo "$t"; done |
  awk -v k="${EVERY:-1}" '(NR - 1) % k == 0' |
  xargs -P "${JOBS:-2}" -n 1 "$0" --one
cat "$WORK"/res/* 2>/dev/null | sort -k2 >"$WORK/results.tsv"
end=$(date +%s)

count() { awk -F'\t' -v s="$1" '$1 == s' "$WORK/results.tsv" | wc -l; }
c=$(count correct)
f=$(count frozen)
u=$(count unsupported)
x=$(count failed)
r=$(count random)
total=$(wc -l <"$WORK/results.tsv")
awk -F'\t' '$1 == "failed" { printf "FAILED %s (%s): %s\n", $2, $3, $4 }' "$WORK/results.tsv"
echo "onnx node tests: $total run in $((end - start)) s: $c correct, $f correct with --freeze, $u unsupported, $r random (shape/dtype/range checked, not counted as correct), $x failed"
rc=0
if [ "$x" -gt 0 ]; then
  echo "FAIL: $x tests gave a wrong answer or a non-'unsupported' error (logs in $WORK/log)"
  rc=1
fi
if [ $((c + f)) -lt "$floor" ]; then
  echo "FAIL: $((c + f)) correct (with --freeze) is below the floor of $floor"
  rc=1
fi
# PLAIN_FLOOR: the floor of tests correct without --freeze (values given at run time stay inputs)
if [ "$c" -lt "${PLAIN_FLOOR:-0}" ]; then
  echo "FAIL: $c correct without --freeze is below the floor of $PLAIN_FLOOR"
  rc=1
fi
exit $rc
