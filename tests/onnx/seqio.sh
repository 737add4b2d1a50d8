#!/usr/bin/env bash
# seqio.sh MLGEN ONNX_CHECK TESTS_DIR: sequence and optional graph inputs and
# outputs at the API's edge (docs/c-api.md, "Sequences and optionals"): a
# sequence input flattened to one C parameter per element by --input-shape
# NAME=[...], a run fed with the SequenceProto file and compared with the
# reference (output_k.seq + output_k_j.npy), an optional input holding
# nothing, and the refusals. Skipped (77) without the ONNX node tests.
set -u
mlgen=$1 check=$2 tests=$3
[ -d "$tests/test_sequence_insert_at_back" ] || { echo "seqio: no node tests in $tests - skipped"; exit 77; }
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
t=$tests/test_sequence_insert_at_back
"$mlgen" build "$t/model.onnx" --input-shape 'sequence=[4,3,2]' -o "$w/b" >"$w/log" 2>&1 &&
  grep -q 'model_run(const int64_t \*sequence_0, const int64_t \*sequence_1, const int64_t \*sequence_2, const int64_t \*tensor, int64_t \*output_sequence_0' "$w/b/model.h" &&
  grep -q 'output_sequence_3, void \*arena' "$w/b/model.h" && ok "a sequence of 3 in, 4 out: one parameter per tensor" ||
  bad "flattened API: $(head -3 "$w/log")"
"$mlgen" run "$t/model.onnx" --target c --input "$t/test_data_set_0/input_0.pb" --input "$t/test_data_set_0/input_1.pb" \
  -o "$w/r" --numbered >"$w/log" 2>&1 && [ "$(cat "$w/r/output_0.seq")" = 4 ] &&
  "$check" compare "$w/r/output_0.npy" "$t/test_data_set_0/output_0.pb" && ok "run on the SequenceProto, compared" ||
  bad "run: $(head -3 "$w/log")"
# the comparison can fail: the input sequence is not the output one
"$check" compare "$w/r/output_0.npy" "$t/test_data_set_0/input_0.pb" >/dev/null && bad "a shorter reference passed" ||
  ok "a sequence of another length is a mismatch"
"$mlgen" build "$t/model.onnx" -o "$w/c" >"$w/log" 2>&1
[ $? -eq 1 ] && grep -q "unsupported: sequence input 'sequence' without its length and shapes" "$w/log" &&
  ok "no length: refused" || bad "no length: $(head -3 "$w/log")"
"$mlgen" build "$t/model.onnx" --input-shape 'sequence=4x3' -o "$w/c" >"$w/log" 2>&1
[ $? -eq 2 ] && grep -q "bad --input-shape" "$w/log" && ok "a tensor shape for a sequence: usage error" ||
  bad "bad shape: $(head -3 "$w/log")"
o=$tests/test_optional_has_element_empty_optional_input
"$mlgen" run "$o/model.onnx" --target c --input "$o/test_data_set_0/input_0.pb" -o "$w/o" --numbered >"$w/log" 2>&1 &&
  "$check" compare "$w/o/output_0.npy" "$o/test_data_set_0/output_0.pb" && ok "an empty optional input" ||
  bad "empty optional: $(head -3 "$w/log")"
s=$tests/test_sequence_map_add_1_sequence_1_tensor
"$mlgen" build "$s/model.onnx" --input-shape 'x0=[2,3]' --input-shape x1=2 -o "$w/m" >"$w/log" 2>&1
[ $? -eq 1 ] && grep -q "error: " "$w/log" && ok "SequenceMap on elements that do not broadcast: an error" ||
  bad "SequenceMap shapes: $(head -3 "$w/log")"
[ $fail = 0 ] && echo "seqio: all passed"
exit $fail
