#!/usr/bin/env bash
# bad_models.sh: malformed ONNX models must be refused cleanly.
#
#   bad_models.sh MLGEN CASES_DIR [asan]
#
# For every line of CASES_DIR/cases.txt, `mlgen build CASE.onnx (or CASE.yaml) -o OUT` must
# exit 1, print "error:" with the expected phrase and name (node, tensor or
# initializer), create no OUT folder, and not crash (no signal, no
# sanitizer report). With "asan", MLGEN is an AddressSanitizer +
# UndefinedBehaviorSanitizer build: its reports get their own exit codes so
# they cannot pass for the expected 1.
set -u
mlgen=$1 dir=$2 mode=${3:-}
if [ "$mode" = asan ]; then
  export ASAN_OPTIONS=exitcode=99:detect_leaks=1:abort_on_error=0
  export UBSAN_OPTIONS=halt_on_error=1:exitcode=98:print_stacktrace=1
  export LSAN_OPTIONS=exitcode=97
fi
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
fail=0 n=0
while IFS='|' read -r name phrase who; do
  case "$name" in '' | '#'*) continue ;; esac
  n=$((n + 1))
  f=$dir/$name.onnx
  [ -e "$f" ] || f=$dir/$name.yaml # a YAML case (a fuzzer finding)
  "$mlgen" build "$f" -o "$w/out" >"$w/log" 2>&1
  rc=$?
  why=""
  [ $rc -eq 1 ] || why="exit $rc, expected 1"
  grep -q 'error: ' "$w/log" || why="$why; no 'error:' line"
  grep -qF -- "$phrase" "$w/log" || why="$why; no '$phrase'"
  [ "$who" = - ] || grep -qF -- "$who" "$w/log" || why="$why; does not name $who"
  grep -qE 'Sanitizer|runtime error:' "$w/log" && why="$why; sanitizer report"
  [ -e "$w/out" ] && why="$why; created the output folder"
  if [ -n "$why" ]; then
    echo "FAIL $name: ${why#; }"
    sed 's/^/    /' "$w/log" | head -20
    fail=$((fail + 1))
  fi
  rm -rf "$w/out"
done <"$dir/cases.txt"
echo "bad models: $((n - fail)) of $n refused cleanly${mode:+ under $mode}"
[ $fail -eq 0 ]
