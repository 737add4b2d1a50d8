#!/bin/sh
# errors.sh: bad-input tests of the mlgen CLI, one CTest test per case.
#
#   errors.sh MLGEN CASE       run one case (CASE names a function below)
#   errors.sh MLGEN valgrind   every case's failing command under valgrind
#   errors.sh MLGEN --list     the case names
#
# Each case writes a bad model into a fresh temporary folder and runs
# `mlgen build bad.yaml -o OUT` there (or `mlgen run ...` where the mistake is
# on the command line). It passes when the exit code is the expected one (1:
# the model or an input is wrong), stderr holds the exact bad.yaml:LINE:COL:
# of the offending YAML element and a recognizable phrase, and OUT was not
# created. Line and column are the ones of the text written here: count them
# in the heredoc (line 1 is `mlgen: 1`, columns start at 1). Some cases also
# check the quoted source line and the caret under the column (`caret`).
set -u

[ $# -eq 2 ] || { echo "usage: errors.sh MLGEN CASE|valgrind|--list" >&2; exit 2; }
MLGEN=$1
CASE=$2
case "$MLGEN" in /*) ;; *) MLGEN="$(pwd)/$MLGEN" ;; esac
RUNNER=""

# ------------------------------------------------------------ helpers
# npy HEADER_DICT DATA_BYTES > file: a v1 .npy whose header is padded to 128
# bytes, followed by DATA_BYTES zero bytes (truncated files on purpose)
npy() {
  hdr=$1
  pad=$((128 - 10 - ${#hdr} - 1))
  printf '\223NUMPY\001\000\166\000%s' "$hdr"
  printf "%${pad}s\n" ""
  head -c "$2" /dev/zero
}

# expect RC LOC PHRASE ARGS...: runs mlgen ARGS in $W and checks the outcome
expect() {
  want_rc=$1 loc=$2 phrase=$3
  shift 3
  (cd "$W" && $RUNNER "$MLGEN" "$@") >"$W/stdout" 2>"$W/stderr"
  rc=$?
  ok=1
  if [ $rc -ne "$want_rc" ]; then
    echo "FAIL $CASE: mlgen $* exited $rc, expected $want_rc"
    ok=0
  fi
  if [ -n "$loc" ] && ! grep -qF -- "$loc" "$W/stderr"; then
    echo "FAIL $CASE: stderr does not name the location '$loc'"
    ok=0
  fi
  if ! grep -qiF -- "$phrase" "$W/stderr"; then
    echo "FAIL $CASE: stderr does not say '$phrase'"
    ok=0
  fi
  if [ -e "$W/OUT" ] && [ "${KEEP_OUT:-0}" = 0 ]; then
    echo "FAIL $CASE: the failed command created OUT/"
    ok=0
  fi
  if [ -n "$RUNNER" ] && grep -q '^==[0-9]*==' "$W/stderr"; then
    echo "FAIL $CASE: valgrind reported errors"
    ok=0
  fi
  if [ $ok = 0 ]; then
    echo "---- stderr:"
    cat "$W/stderr"
    return 1
  fi
  echo "ok $CASE: exit $rc, $(head -n 1 "$W/stderr")"
  return 0
}

build() { expect 1 "$1" "$2" build bad.yaml -o OUT; }

# caret SOURCE COL: under the message, stderr quotes the source line SOURCE
# (as shown: tabs expanded to multiples of 8) indented by 4, and the next line
# is a caret under its column COL
caret() {
  want=$(printf "%$((4 + $2 - 1))s^" "")
  if ! awk -v src="    $1" -v car="$want" 'prev == src && $0 == car { ok = 1 } { prev = $0 } END { exit !ok }' \
    "$W/stderr"; then
    echo "FAIL $CASE: no source line '$1' with a caret under column $2"
    echo "---- stderr:"
    cat "$W/stderr"
    return 1
  fi
}

# ------------------------------------------------------------ cases
malformed_tab() {
  printf 'mlgen: 1\nname: m\ninputs:\n\tx: {dtype: f32, shape: [4]}\noutputs: [x]\n' >"$W/bad.yaml"
  build "bad.yaml:4:1:" "malformed YAML" || return 1
  caret "        x: {dtype: f32, shape: [4]}" 1
}

malformed_colon() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y]
nodes:
  - {op: Neg, in: [x], out: [y]}
  - op: Relu: bad
EOF
  build "bad.yaml:7:13:" "malformed YAML"
}

unknown_key() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outptus: [y]
nodes:
  - {op: Neg, in: [x], out: [y]}
EOF
  build "bad.yaml:4:1:" "unknown key 'outptus'"
}

unknown_op() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [1, 4]}}
outputs: [y]
nodes:
  - {op: Neg, in: [x], out: [a]}
  - {op: Frobnicate, in: [a], out: [y]}
EOF
  build "bad.yaml:7:10:" "no such operator" || return 1
  caret "  - {op: Frobnicate, in: [a], out: [y]}" 10
}

wrong_arity() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [1, 4]}}
outputs: [y]
nodes:
  - {op: Add, in: [x], out: [y]}
EOF
  build "bad.yaml:6:5:" "expects 2 inputs, got 1"
}

attr_wrong_type() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [1, 4]}}
outputs: [y]
nodes:
  - {op: Softmax, in: [x], out: [y], axis: last}
EOF
  build "bad.yaml:6:44:" "attribute 'axis' must be an int"
}

attr_axis_out_of_range() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [3, 4]}}
outputs: [y]
nodes:
  - op: Softmax
    in: [x]
    out: [y]
    axis: -3
EOF
  build "bad.yaml:9:11:" "axis -3 out of range for rank 2"
}

shape_mismatch_broadcast() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [3, 4]}, z: {dtype: f32, shape: [5]}}
outputs: [y]
nodes:
  - {op: Relu, in: [x], out: [r]}
  - {op: Add, in: [r, z], out: [y]}
EOF
  build "bad.yaml:7:5:" "cannot broadcast [3,4] with [5]"
}

shape_mismatch_matmul() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [2, 7]}}
outputs: [y]
initializers:
  w: {dtype: f32, shape: [3, 2], data: [1, 2, 3, 4, 5, 6]}
nodes:
  - {op: MatMul, in: [x, w], out: [y]}
EOF
  build "bad.yaml:8:5:" "inner dimensions differ"
}

missing_weight_file() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y]
initializers:
  w: {file: weights/nothere.npy}
nodes:
  - {op: Add, in: [x, w], out: [y]}
EOF
  build "bad.yaml:6:13:" "cannot open"
}

truncated_npy() {
  npy "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }" 6 >"$W/w.npy"
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y]
initializers:
  b: {dtype: f32, shape: [4], data: [1, 2, 3, 4]}
  w: {file: w.npy}
nodes:
  - {op: Add, in: [x, w], out: [y]}
EOF
  build "bad.yaml:7:13:" "truncated"
}

bad_npy_header() {
  npy "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }" 16 >"$W/w.npy"
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y]
initializers: {w: {file: w.npy}}
nodes:
  - {op: Add, in: [x, w], out: [y]}
EOF
  build "bad.yaml:5:26:" "big-endian"
}

inline_data_count() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [2, 2]}}
outputs: [y]
initializers:
  w: {dtype: f32, shape: [2, 2], data: [1, 2, 3]}
nodes:
  - {op: Add, in: [x, w], out: [y]}
EOF
  build "bad.yaml:6:40:" "data has 3 values but shape [2,2] needs 4"
}

duplicate_tensor() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y]
initializers:
  x: {dtype: f32, shape: [4], data: [1, 2, 3, 4]}
nodes:
  - {op: Neg, in: [x], out: [y]}
EOF
  build "bad.yaml:6:3:" "declared twice" || return 1
  grep -qF "bad.yaml:3:10: note: first declared here" "$W/stderr" || {
    echo "FAIL $CASE: no note pointing at the first declaration (bad.yaml:3:10)"
    return 1
  }
  caret "inputs: {x: {dtype: f32, shape: [4]}}" 10
}

duplicate_producer() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y]
nodes:
  - {op: Neg, in: [x], out: [y]}
  - {op: Relu, in: [x], out: [y]}
EOF
  build "bad.yaml:7:5:" "produced twice (first by the node at bad.yaml:6:5)"
}

cycle() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y]
nodes:
  - {op: Neg, in: [a], out: [y]}
  - {op: Add, in: [x, b], out: [a]}
  - {op: Relu, in: [a], out: [b]}
EOF
  build "bad.yaml:7:5:" "cycle"
}

undefined_tensor() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y]
nodes:
  - {op: Add, in: [x, nope], out: [y]}
EOF
  build "bad.yaml:6:23:" "'nope' is used by Add but never defined"
}

output_not_produced() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y, z]
nodes:
  - {op: Neg, in: [x], out: [y]}
EOF
  build "bad.yaml:4:14:" "output 'z' is not produced by any node"
}

output_declared_type() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs:
  y: {dtype: i64, shape: [4]}
nodes:
  - {op: Neg, in: [x], out: [y]}
EOF
  build "bad.yaml:5:3:" "declared i64 but computes f32"
}

unknown_dtype() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: c64, shape: [4]}}
outputs: [y]
nodes:
  - {op: Neg, in: [x], out: [y]}
EOF
  build "bad.yaml:3:21:" "unknown dtype 'c64'"
}

unsupported_dtype() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: i64, shape: [4]}}
outputs: [y]
nodes:
  - {op: Neg, in: [x], out: [n]}
  - {op: Sqrt, in: [n], out: [y]}
EOF
  build "bad.yaml:7:5:" "unsupported dtype i64"
}

unsupported_dtype_logical() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y]
nodes:
  - {op: And, in: [x, x], out: [y]}
EOF
  build "bad.yaml:6:5:" "unsupported dtype f32"
}

dynamic_dim_unpinned() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs:
  x: {dtype: f32, shape: [N, 4]}
outputs: [y]
nodes:
  - {op: Neg, in: [x], out: [y]}
EOF
  build "bad.yaml:4:3:" "dynamic dimension 'N'"
}

bad_name() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: 9lives
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y]
nodes:
  - {op: Neg, in: [x], out: [y]}
EOF
  build "bad.yaml:2:7:" "must be a C identifier"
}

missing_nodes() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y]
EOF
  build "bad.yaml:1:1:" "missing required key 'nodes'"
}

# --input whose file has the wrong shape: a `run` error; the message names
# the file and a note points at the input's declaration
input_wrong_shape() {
  npy "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }" 12 >"$W/x.npy"
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs:
  x: {dtype: f32, shape: [4]}
outputs: [y]
nodes:
  - {op: Neg, in: [x], out: [y]}
EOF
  expect 1 "bad.yaml:4:3:" "input 'x' must be f32 [4], the file holds f32 [3]" run bad.yaml --input x=x.npy -o OUT
}

# strings (dtype str) are moved, selected and compared for equality, nothing else
string_arithmetic() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: str, shape: [4]}}
outputs: [y]
nodes:
  - {op: Add, in: [x, x], out: [y]}
EOF
  build "bad.yaml:6:5:" "Add: unsupported on string tensors"
}

string_keys_mismatch() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: str, shape: [4]}}
outputs: [y]
nodes:
  - {op: LabelEncoder, domain: ai.onnx.ml, in: [x], out: [y], keys_int64s: [1, 2], values_int64s: [3, 4]}
EOF
  build "bad.yaml:6:5:" "the input is str but the keys are numbers"
}

string_on_vulkan() {
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: str, shape: [2, 3]}}
outputs: [y]
nodes:
  - {op: Transpose, in: [x], out: [y]}
EOF
  expect 1 "bad.yaml:6:5:" "unsupported on vulkan: string tensors" build bad.yaml --backend vulkan -o OUT
}

# numpy object arrays are pickles: refused, with the way out
string_npy_object() {
  npy "{'descr': '|O', 'fortran_order': False, 'shape': (4,), }" 32 >"$W/x.npy"
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: str, shape: [4]}}
outputs: [y]
nodes:
  - {op: Identity, in: [x], out: [y]}
EOF
  expect 1 "x.npy" "unsupported dtype object ('|O'" run bad.yaml --input x=x.npy -o OUT
}

# a failed build leaves an existing output folder exactly as it was
out_dir_preserved() {
  mkdir -p "$W/OUT/sub"
  printf 'keep me\n' >"$W/OUT/m.c"
  printf 'old header\n' >"$W/OUT/sub/m.h"
  cp -R "$W/OUT" "$W/OUT.before"
  cat >"$W/bad.yaml" <<'EOF'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [3, 4]}, z: {dtype: f32, shape: [5]}}
outputs: [y]
nodes:
  - {op: Add, in: [x, z], out: [y]}
EOF
  KEEP_OUT=1 build "bad.yaml:6:5:" "cannot broadcast" || return 1
  if ! diff -r "$W/OUT.before" "$W/OUT" >/dev/null; then
    echo "FAIL $CASE: the failed build changed OUT/:"
    diff -r "$W/OUT.before" "$W/OUT"
    return 1
  fi
  extra=$(ls -A "$W" | grep -v -e '^OUT$' -e '^OUT.before$' -e '^bad.yaml$' -e '^stdout$' -e '^stderr$')
  if [ -n "$extra" ]; then
    echo "FAIL $CASE: the failed build left files beside OUT: $extra"
    return 1
  fi
  echo "ok $CASE: OUT/ unchanged"
}

# ------------------------------------------------------------ hostile model files (issue 15)
# xgb_json NUM_CLASS > bad.json: a one-tree multi-class XGBoost model on one line
xgb_json() {
  printf '{"learner":{"objective":{"name":"multi:softprob"},"learner_model_param":{"num_class":"%s",' "$1"
  printf '"num_feature":"2","base_score":"5E-1"},"gradient_booster":{"name":"gbtree","model":{"trees":'
  printf '[{"tree_param":{"num_nodes":"3"},"left_children":[1,-1,-1],"right_children":[2,-1,-1],'
  printf '"split_conditions":[0.5,1,2],"split_indices":[0,0,0],"default_left":[0,0,0]}],"tree_info":[0]}}}}\n'
}

# more classes than the 64 the reader once held on its stack: supported
xgb_many_classes() {
  xgb_json 100 >"$W/bad.json"
  (cd "$W" && $RUNNER "$MLGEN" inspect bad.json --input-shape input=3x2) >"$W/stdout" 2>"$W/stderr"
  rc=$?
  [ $rc = 0 ] || { echo "FAIL $CASE: inspect of a 100-class model exited $rc"; cat "$W/stderr"; return 1; }
  echo "ok $CASE: 100 classes inspected"
}

# num_class past the documented limit: refused at the value
xgb_num_class_limit() {
  xgb_json 1000000 >"$W/bad.json"
  expect 1 "bad.json:1:86:" "num_class 1000000 is above the limit of 65536" inspect bad.json
}

# lgb_cat BOUNDARIES THRESHOLDS > bad.txt: a LightGBM model of one categorical split
lgb_cat() {
  printf 'tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=3\nobjective=regression\n\n'
  printf 'Tree=0\nnum_leaves=2\nnum_cat=1\nsplit_feature=0\nthreshold=0\ndecision_type=1\nleft_child=-1\n'
  printf 'right_child=-2\nleaf_value=1 2\ncat_boundaries=%s\ncat_threshold=%s\n\nend of trees\n' "$1" "$2"
}

# bitset bounds read from the file index cat_threshold: checked against it
lgb_cat_negative_boundary() {
  lgb_cat "-1000000000 1" "7" >"$W/bad.txt"
  expect 1 "bad.txt:8:" "cat_boundaries[0] = -1000000000 is outside cat_threshold (1 values)" \
    inspect bad.txt --input-shape input=1x4
}

lgb_cat_boundary_past_end() {
  lgb_cat "0 5" "7" >"$W/bad.txt"
  expect 1 "bad.txt:8:" "cat_boundaries[1] = 5 is outside cat_threshold (1 values)" \
    inspect bad.txt --input-shape input=1x4
}

lgb_cat_bad_bitset_word() {
  lgb_cat "0 1" "-7" >"$W/bad.txt"
  expect 1 "bad.txt:8:" "cat_threshold[0] = -7 is not a 32-bit bitset word" inspect bad.txt --input-shape input=1x4
}

lgb_bad_feature() {
  lgb_cat "0 1" "7" | sed 's/^split_feature=0/split_feature=-3/' >"$W/bad.txt"
  expect 1 "bad.txt:8:" "split 0 tests feature -3 of 4" inspect bad.txt --input-shape input=1x4
}

# Named pipes (and devices, folders) where the model names a file: refused
# after an open that cannot block, never waited on (each run under timeout 10)
# ext_onnx > ext.onnx: x + W, f32 [3], W in the external file w.bin
ext_onnx() {
  printf '\010\010\102\002\020\021\072\130\012\023\012\001\170\012\001\127\022\001\171\032\003\141\144\144\042\003\101\144\144\022\001\147\052\034\010\003\020\001\102\001\127\152\021\012\010\154\157\143\141\164\151\157\156\022\005\167\056\142\151\156\160\001\132\017\012\001\170\022\012\012\010\010\001\022\004\012\002\010\003\142\017\012\001\171\022\012\012\010\010\001\022\004\012\002\010\003'
}

fifo_onnx_external() {
  command -v mkfifo >/dev/null 2>&1 || { echo "mkfifo not found: skipped"; return 0; }
  ext_onnx >"$W/ext.onnx"
  mkfifo "$W/w.bin"
  r0=$RUNNER RUNNER="timeout 10 $RUNNER"
  expect 1 "initializer 'W'" "external data file 'w.bin': not a regular file (a named pipe)" build ext.onnx -o OUT
  st=$? RUNNER=$r0
  return $st
}

fifo_yaml_weight() {
  command -v mkfifo >/dev/null 2>&1 || { echo "mkfifo not found: skipped"; return 0; }
  mkfifo "$W/w.npy"
  cat >"$W/bad.yaml" <<'EOT'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [4]}}
outputs: [y]
initializers:
  w: {file: w.npy}
nodes:
  - {op: Add, in: [x, w], out: [y]}
EOT
  r0=$RUNNER RUNNER="timeout 10 $RUNNER"
  build "bad.yaml:6:13:" "not a regular file"
  st=$? RUNNER=$r0
  return $st
}

fifo_yaml_model() {
  command -v mkfifo >/dev/null 2>&1 || { echo "mkfifo not found: skipped"; return 0; }
  mkfifo "$W/m.json" "$W/m.onnx"
  printf 'mlgen: 1\nname: f\nmodel: m.json\ninputs: {input: {shape: [1, 30]}}\n' >"$W/bad.yaml"
  r0=$RUNNER RUNNER="timeout 10 $RUNNER"
  build "bad.yaml:3:8: note: the model named here" "m.json: error: cannot open: not a regular file" &&
    expect 1 "m.onnx" "not a regular file" build m.onnx -o OUT &&
    expect 1 "m.json" "not a regular file" inspect m.json
  st=$? RUNNER=$r0
  return $st
}

fifo_run_input() {
  command -v mkfifo >/dev/null 2>&1 || { echo "mkfifo not found: skipped"; return 0; }
  mkfifo "$W/x.npy"
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f32, shape: [4]}}\noutputs: [y]\nnodes:\n  - {op: Neg, in: [x], out: [y]}\n' \
    >"$W/bad.yaml"
  r0=$RUNNER RUNNER="timeout 10 $RUNNER"
  expect 1 "x.npy" "not a regular file" run bad.yaml --input x=x.npy -o OUT
  st=$? RUNNER=$r0
  return $st
}

# npy_limited ARGS...: expect 1 with the address space capped at 2 GB (not
# under valgrind), so that an allocation the file does not justify fails fast
npy_limited() {
  if [ -n "$RUNNER" ]; then expect "$@"; return; fi
  (ulimit -v 2097152 2>/dev/null; expect "$@")
}

# zero-width strings: 2^27 elements in no bytes of data; refused before allocating
npy_zero_width_strings() {
  npy "{'descr': '<U0', 'fortran_order': False, 'shape': (134217728,), }" 0 >"$W/x.npy"
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: str, shape: [4]}}\noutputs: [y]\nnodes:\n  - {op: Identity, in: [x], out: [y]}\n' \
    >"$W/bad.yaml"
  npy_limited 1 "x.npy" "zero-width strings ('<U0')" run bad.yaml --input x=x.npy -o OUT
}

# shape x itemsize past 2^64, and a shape the data does not fill
npy_size_overflow() {
  npy "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }" 8 >"$W/w.npy"
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f64, shape: [1]}}\noutputs: [y]\ninitializers: {w: {file: w.npy}}\nnodes:\n  - {op: Add, in: [x, w], out: [y]}\n' \
    >"$W/bad.yaml"
  npy_limited 1 "bad.yaml:5:26:" "shape is too large" build bad.yaml -o OUT || return 1
  npy "{'descr': '<U1000000', 'fortran_order': False, 'shape': (1000000,), }" 16 >"$W/w.npy"
  npy_limited 1 "bad.yaml:5:26:" "truncated data: shape [1000000] needs 4000000000000 bytes of data, the file has 16" \
    build bad.yaml -o OUT
}

# outputs whose names map to the same file name (y-1, y.1 -> y_1): one file
# each, the later ones numbered _2, _3, ... in output order
run_output_names_unique() {
  npy "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" 0 >"$W/x.npy"
  printf '\000\000\200\077\000\000\000\300' >>"$W/x.npy" # [1, -2]
  cat >"$W/m.yaml" <<'EOT'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [2]}}
outputs: [y-1, y.1, y_1_2]
nodes:
  - {op: Neg, in: [x], out: [y-1]}
  - {op: Relu, in: [x], out: [y.1]}
  - {op: Abs, in: [x], out: [y_1_2]}
EOT
  (cd "$W" && $RUNNER "$MLGEN" run m.yaml --input x=x.npy -o res) >"$W/stdout" 2>"$W/stderr" || {
    echo "FAIL $CASE: mlgen run exited $?"; cat "$W/stderr"; return 1; }
  got=$(cd "$W/res" && ls | tr '\n' ' ')
  [ "$got" = "y_1.npy y_1_2.npy y_1_2_2.npy " ] || { echo "FAIL $CASE: output files are '$got'"; return 1; }
  for f in y_1 y_1_2 y_1_2_2; do tail -c 8 "$W/res/$f.npy" | od -An -tx1 | tr -d ' \n' >"$W/$f.hex"; done
  [ "$(cat "$W/y_1.hex")" = 000080bf00000040 ] && [ "$(cat "$W/y_1_2.hex")" = 0000803f00000000 ] &&
    [ "$(cat "$W/y_1_2_2.hex")" = 0000803f00000040 ] || {
    echo "FAIL $CASE: contents $(cat "$W/y_1.hex") $(cat "$W/y_1_2.hex") $(cat "$W/y_1_2_2.hex")"; return 1; }
  echo "ok $CASE: $got"
}

# ------------------------------------------------------------ budgets and silent truncation (issue 15)
HOSTILE=$(cd "$(dirname "$0")" && pwd)/hostile # written by make_hostile.py

# limited SECONDS ARGS...: expect ARGS with 1 GB of address space and a time
# limit (not under valgrind), so that a bomb the limits miss fails the case
limited() {
  t=$1
  shift
  if [ -n "$RUNNER" ]; then expect "$@"; return; fi
  r0=$RUNNER RUNNER="timeout $t"
  (ulimit -v 1048576 2>/dev/null; expect "$@")
  st=$? RUNNER=$r0
  return $st
}

# string counts: a .npy of 2^20 one-character strings past a lowered limit
strings_limit() {
  npy "{'descr': '<U1', 'fortran_order': False, 'shape': (1048576,), }" 4194304 >"$W/x.npy"
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: str, shape: [1048576]}}\noutputs: [y]\nnodes:\n  - {op: Identity, in: [x], out: [y]}\n' \
    >"$W/bad.yaml"
  MLGEN_LIMITS=strings=1000 expect 1 "x.npy" "1048576 strings; the limit strings is 1000" run bad.yaml --input x=x.npy -o OUT
}

# an omitted ("") required input reached the decomposers as NULL (a
# segfault for every op; found by the build fuzzer as `in: [&x]`, an anchor
# on an empty name)
required_input_omitted() {
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f32, shape: [7, 13]}}\noutputs: [y]\nnodes:\n  - {op: ArgMax, in: [""], out: [y]}\n' \
    >"$W/bad.yaml"
  expect 1 "bad.yaml:6:23:" "ArgMax input 1 is required, but its name is empty" build bad.yaml -o OUT
}

# the same in a variadic op's list (Concat, Sum, ...: every entry required)
variadic_input_omitted() {
  printf 'mlgen: 1\nname: m\ninputs: {a: {dtype: f32, shape: [2, 1]}, c: {dtype: f32, shape: [2, 3]}}\noutputs: [y]\nnodes:\n  - {op: Concat, in: [a, "", c], out: [y], axis: -1}\n' \
    >"$W/bad.yaml"
  expect 1 "bad.yaml:6:26:" "Concat input 2 is required, but its name is empty" build bad.yaml -o OUT
}

# YAML anchors and tags are refused (aliases always were): `!b` on nothing
# made an empty name, `&x` too (the fuzzer's two crashes)
yaml_anchor_tag() {
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f32, shape: [2]}}\noutputs: [y]\nnodes:\n  - {op: Relu, in: [&x], out: [y]}\n' \
    >"$W/bad.yaml"
  expect 1 "bad.yaml:6:21:" "YAML anchors (&name) are not supported" build bad.yaml -o OUT || return 1
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f32, shape: [2]}}\noutputs: [y]\nnodes:\n  - {op: Relu, in: [!t x], out: [y]}\n' \
    >"$W/bad.yaml"
  expect 1 "bad.yaml:6:21:" "YAML tags (!tag) are not supported" build bad.yaml -o OUT
}

# a YAML attribute list of strings counts against the strings limit too; a
# YAML file of more nodes than yaml_nodes is refused at the node past it
yaml_strings_limit() {
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f32, shape: [2]}}\noutputs: [y]\nnodes:\n  - {op: Identity, in: [x], out: [y], tags: [a, b, c, d, e]}\n' \
    >"$W/bad.yaml"
  MLGEN_LIMITS=strings=4 expect 1 "bad.yaml:6:" "an attribute of 5 strings; the limit strings is 4" build bad.yaml -o OUT
}

yaml_nodes_limit() {
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f32, shape: [2]}}\noutputs: [y]\nnodes:\n  - {op: Identity, in: [x], out: [y]}\n' \
    >"$W/bad.yaml"
  MLGEN_LIMITS=yaml_nodes=12 expect 1 "bad.yaml:3:33:" "(over 12 YAML nodes); put large weights in .npy files; the limit yaml_nodes is 12" build bad.yaml -o OUT
}

# three nested Loops of 1000 iterations (559 bytes): 10^9 once unrolled; the
# budget is a total over the nesting, so it is refused after 65536
loop_unroll_total() {
  cp "$HOSTILE/loop3.onnx" "$HOSTILE/loop2_small.onnx" "$W/"
  limited 20 1 "node 'loop3'" "the limit unroll is 65536 (raise it with MLGEN_LIMITS=unroll=N)" \
    build loop3.onnx -o OUT || return 1
  (cd "$W" && $RUNNER "$MLGEN" inspect loop2_small.onnx) >"$W/stdout" 2>"$W/stderr" ||
    { echo "FAIL $CASE: two nested Loops of 30 were refused"; cat "$W/stderr"; return 1; }
  MLGEN_LIMITS=unroll=500 expect 1 "node 'loop" "the limit unroll is 500" build loop2_small.onnx -o OUT
}

# a function calling another 10 times, 20 levels deep (6 KB): 10^19 nodes,
# refused before expanding anything
fn_expansion_total() {
  cp "$HOSTILE/fnbomb.onnx" "$HOSTILE/fn_small.onnx" "$W/"
  limited 10 1 "node 'top'" "a call of function 'f19' expands to more than 2000000 nodes; the limit nodes is 2000000" \
    build fnbomb.onnx -o OUT || return 1
  (cd "$W" && $RUNNER "$MLGEN" inspect fn_small.onnx) >"$W/stdout" 2>"$W/stderr" ||
    { echo "FAIL $CASE: 211 nodes were refused"; cat "$W/stderr"; return 1; }
  MLGEN_LIMITS=nodes=100 expect 1 "node 'top'" "expands to more than 100 nodes; the limit nodes is 100" \
    build fn_small.onnx -o OUT
}

# a bad MLGEN_LIMITS is a usage error that lists the limits
limits_env_bad() {
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f32, shape: [4]}}\noutputs: [y]\nnodes:\n  - {op: Neg, in: [x], out: [y]}\n' \
    >"$W/bad.yaml"
  MLGEN_LIMITS=unrol=5 expect 2 "MLGEN_LIMITS" "'unrol=5' is not NAME=N with N > 0 and NAME one of: nodes" \
    build bad.yaml -o OUT || return 1
  MLGEN_LIMITS=unroll=-1 expect 2 "MLGEN_LIMITS" "tree_depth (levels of one decision tree)" build bad.yaml -o OUT
}

# xgb_deep DEPTH [FEATURE] > bad.json: one XGBoost tree, a chain DEPTH levels
# deep; the root tests FEATURE (default 0)
xgb_deep() {
  awk -v D="$1" -v F="${2:-0}" 'BEGIN {
    n = 2 * D + 1
    printf "{\"learner\":{\"objective\":{\"name\":\"reg:squarederror\"},\"learner_model_param\":"
    printf "{\"num_class\":\"0\",\"num_feature\":\"2\",\"base_score\":\"5E-1\"},\"gradient_booster\":{\"name\":"
    printf "\"gbtree\",\"model\":{\"trees\":[{\"tree_param\":{\"num_nodes\":\"%d\"}", n
    split("left_children right_children split_conditions split_indices default_left", key, " ")
    for (a = 1; a <= 5; a++) {
      printf ",\"%s\":[", key[a]
      for (i = 0; i < n; i++) {
        leaf = i % 2 == 1 || i == n - 1
        v = a == 1 ? (leaf ? -1 : i + 1) : a == 2 ? (leaf ? -1 : i + 2) : a == 3 ? (leaf ? i : 0.5) : a == 4 ? (i ? 0 : F) : 0
        printf "%s%s", i ? "," : "", v
      }
      printf "]"
    }
    printf "}],\"tree_info\":[0]}}}}\n"
  }'
}

# a tree 10^4 levels deep (340 KB; it took 11 s and 2.9 GB) and 10^6 (40 MB;
# out of memory): refused at the depth limit, fast; 20 levels are fine
tree_depth_limit() {
  xgb_deep 20 >"$W/ok.json"
  (cd "$W" && $RUNNER "$MLGEN" inspect ok.json --input-shape input=3x2) >"$W/stdout" 2>"$W/stderr" ||
    { echo "FAIL $CASE: a tree of depth 20 was refused"; cat "$W/stderr"; return 1; }
  xgb_deep 10000 >"$W/bad.json"
  limited 10 1 "node 'forest'" "tree 0 is 10000 levels deep; the limit tree_depth is 1000 (raise it with MLGEN_LIMITS=tree_depth=N)" \
    build bad.json --input-shape input=3x2 -o OUT || return 1
  MLGEN_LIMITS=tree_depth=10 expect 1 "node 'forest'" "tree 0 is 20 levels deep; the limit tree_depth is 10" \
    build ok.json --input-shape input=3x2 -o OUT || return 1
  [ -n "$RUNNER" ] && return 0 # 40 MB of JSON: too slow under valgrind
  xgb_deep 1000000 >"$W/bad.json"
  r0=$RUNNER RUNNER="timeout 30"
  (ulimit -v 2097152 2>/dev/null; expect 1 "node 'forest'" "tree 0 is 1000000 levels deep" build bad.json --input-shape input=3x2 -o OUT)
  st=$? RUNNER=$r0
  return $st
}

# tree node counts past the limit: refused at the tree, before allocating
tree_nodes_limit() {
  xgb_deep 20 >"$W/bad.json"
  MLGEN_LIMITS=tree_nodes=30 expect 1 "bad.json:1:" "41 more nodes make more than 30 in the model; the limit tree_nodes is 30" \
    build bad.json --input-shape input=3x2 -o OUT || return 1
  lgb_cat "0 1" "7" >"$W/bad.txt"
  MLGEN_LIMITS=tree_nodes=2 expect 1 "bad.txt:8:" "the limit tree_nodes is 2" build bad.txt --input-shape input=1x4 -o OUT
}

# feature indices that a cast would truncate to a valid one (2^32 -> 0)
tree_feature_truncated() {
  for f in 4294967296 1e30 1.5 -1; do
    xgb_deep 3 "$f" >"$W/bad.json"
    expect 1 "bad.json:1:348:" "node 0 tests feature" build bad.json --input-shape input=3x2 -o OUT || return 1
  done
  cat >"$W/bad.yaml" <<'EOT'
mlgen: 1
name: m
inputs: {x: {dtype: f32, shape: [2, 3]}}
outputs: [y]
nodes:
  - op: TreeEnsembleRegressor
    domain: ai.onnx.ml
    in: [x]
    out: [y]
    nodes_treeids: [0, 0, 0]
    nodes_nodeids: [0, 1, 2]
    nodes_featureids: [4294967296, 0, 0]
    nodes_values: [0.5, 0, 0]
    nodes_modes: [BRANCH_LEQ, LEAF, LEAF]
    nodes_truenodeids: [1, 0, 0]
    nodes_falsenodeids: [2, 0, 0]
    target_treeids: [0, 0]
    target_nodeids: [1, 2]
    target_ids: [0, 0]
    target_weights: [1.0, 2.0]
EOT
  build "bad.yaml:12:23:" "TreeEnsembleRegressor: node 0 tests feature 4294967296" || return 1
  lgb_cat "0 1" "7" | sed 's/^split_feature=0/split_feature=4294967296/' >"$W/bad.txt"
  expect 1 "bad.txt:8:" "split 0 tests feature 4294967296 of 4" build bad.txt --input-shape input=1x4 -o OUT || return 1
  lgb_cat "0 1" "7" | sed 's/^split_feature=0/split_feature=0.5/' >"$W/bad.txt"
  expect 1 "bad.txt:8:" "split 0 tests feature 0.5 of 4" build bad.txt --input-shape input=1x4 -o OUT
}

# a NUL byte in a LightGBM file: refused at it (the rest was dropped silently)
lgb_nul_byte() {
  lgb_cat "0 1" "7" | sed 's/^leaf_value=1 2/leaf_value=1 2\x00 garbage/' >"$W/bad.txt"
  grep -q "garbage" "$W/bad.txt" || { echo "FAIL $CASE: sed wrote no NUL byte"; return 1; }
  expect 1 "bad.txt:16:15:" "a NUL byte in a LightGBM text model" build bad.txt --input-shape input=1x4 -o OUT
}

# num_leaves past any count (2^40) or not a number: a message, not a silent exit 1
lgb_num_leaves_huge() {
  for v in 1099511627776 abc 0; do
    lgb_cat "0 1" "7" | sed "s/^num_leaves=2/num_leaves=$v/" >"$W/bad.txt"
    expect 1 "bad.txt:8:" "num_leaves '$v' is not a count in [1, 2^28)" build bad.txt --input-shape input=1x4 -o OUT ||
      return 1
  done
}

# mlgen run writes its .npy files beside -o and renames the folder at the
# end: a write that fails half-way (file size limit, SIGXFSZ ignored) leaves
# no partial output and the old folder as it was; a good run replaces it
run_atomic() {
  npy "{'descr': '<f4', 'fortran_order': False, 'shape': (100000,), }" 400000 >"$W/x.npy"
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f32, shape: [100000]}}\noutputs: [s, y]\nnodes:\n  - {op: ReduceSum, in: [x], out: [s], keepdims: 0}\n  - {op: Neg, in: [x], out: [y]}\n' \
    >"$W/m.yaml"
  (cd "$W" && trap '' XFSZ && ulimit -f 16 && $RUNNER "$MLGEN" run m.yaml --input x=x.npy -o OUT) >"$W/stdout" 2>"$W/stderr"
  rc=$?
  [ $rc != 0 ] || { echo "FAIL $CASE: a run whose output cannot be written exited 0"; return 1; }
  left=$(cd "$W" && ls -d OUT OUT.* 2>/dev/null)
  [ -z "$left" ] || { echo "FAIL $CASE: the failed run left: $left ($(ls "$W/OUT" 2>/dev/null))"; return 1; }
  mkdir "$W/OUT" && echo keep >"$W/OUT/old.txt"
  (cd "$W" && trap '' XFSZ && ulimit -f 16 && $RUNNER "$MLGEN" run m.yaml --input x=x.npy -o OUT) >"$W/stdout" 2>"$W/stderr"
  [ "$(ls "$W/OUT")" = old.txt ] || { echo "FAIL $CASE: the failed run changed OUT/: $(ls "$W/OUT")"; return 1; }
  (cd "$W" && $RUNNER "$MLGEN" run m.yaml --input x=x.npy -o OUT/) >"$W/stdout" 2>"$W/stderr" ||
    { echo "FAIL $CASE: the run failed"; cat "$W/stderr"; return 1; }
  got=$(cd "$W" && ls OUT | tr '\n' ' ')$(cd "$W" && ls -d OUT.* 2>/dev/null)
  [ "$got" = "s.npy y.npy " ] || { echo "FAIL $CASE: after a good run: $got"; return 1; }
  echo "ok $CASE: no partial output, old folder kept, then replaced"
}

# one_node OP IN ATTRS INITS > bad.yaml: y = OP(IN) over x f32 [4] and the
# initializer lines INITS (line 6 on); the node is on line 6 + lines of INITS
one_node() {
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f32, shape: [4]}}\noutputs: [y]\ninitializers:\n%s\nnodes:\n  - {op: %s, in: [%s], out: [y]%s}\n' \
    "$4" "$1" "$2" "$3"
}

# shape arithmetic past 2^63 (undefined behaviour in C): refused before any
# allocation with the sizes named; zero-element tensors are no exception
shape_overflow() {
  B=4611686018427387904
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f32, shape: [0, %s, %s]}}\noutputs: [y]\nnodes:\n  - {op: Neg, in: [x], out: [y]}\n' \
    $B $B >"$W/bad.yaml"
  build "bad.yaml:3:10:" "tensor shape [0,$B,$B] is too large" || return 1
  one_node Conv "x4, w" ", pads: [$B, $B, $B, $B]" "  w: {dtype: f32, shape: [1, 1, 2, 2], data: [1, 1, 1, 1]}" |
    sed 's/shape: \[4\]}}/shape: [1, 1, 4, 4]}}/; s/in: \[x4/in: [x/' >"$W/bad.yaml"
  build "bad.yaml:8:5:" "Conv: strides, dilations, pads and kernel sizes must be below 2^31" || return 1
  one_node Reshape "x, c" "" "  c: {dtype: i64, shape: [3], data: [$B, $B, -1]}" >"$W/bad.yaml"
  build "bad.yaml:8:5:" "Reshape: shape dimensions multiply past 2^63" || return 1
  one_node Pad "x, c" "" "  c: {dtype: i64, shape: [2], data: [$B, $B]}" >"$W/bad.yaml"
  build "bad.yaml:8:5:" "padding $B/$B is too large" || return 1
  one_node Tile "x, c" "" "  c: {dtype: i64, shape: [1], data: [$B]}" >"$W/bad.yaml"
  build "bad.yaml:8:5:" "Tile: $B repeats of 4 elements overflow" || return 1
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f32, shape: [4]}}\noutputs: [y]\ninitializers:\n  a: {dtype: i64, shape: [], data: [-9223372036854775808]}\n  l: {dtype: i64, shape: [], data: [9223372036854775807]}\n  d: {dtype: i64, shape: [], data: [1]}\nnodes:\n  - {op: Range, in: [a, l, d], out: [y]}\n' \
    >"$W/bad.yaml"
  build "bad.yaml:10:5:" "Range: 1.8446744073709552e+19 elements is too many"
}

# a Slice step of INT64_MIN (negated: undefined) takes what a step of -2^62 does
slice_step_int64_min() {
  one_node Slice "x, s, e, a, p" "" "  s: {dtype: i64, shape: [1], data: [3]}
  e: {dtype: i64, shape: [1], data: [-9223372036854775808]}
  a: {dtype: i64, shape: [1], data: [0]}
  p: {dtype: i64, shape: [1], data: [-9223372036854775808]}" >"$W/m.yaml"
  (cd "$W" && $RUNNER "$MLGEN" inspect m.yaml) >"$W/stdout" 2>"$W/stderr" ||
    { echo "FAIL $CASE: inspect failed"; cat "$W/stderr"; return 1; }
  grep -q "output y .*f32 \[1\]" "$W/stdout" || { echo "FAIL $CASE: y is not [1]:"; cat "$W/stdout"; return 1; }
  echo "ok $CASE: y = x[3:INT64_MIN:INT64_MIN] is [1]"
}

# num_cat that is not a count: a message, and nothing leaked on the way out
# (found by the lightgbm fuzzer: the tree's buffers were not freed; the
# valgrind run of this case checks it)
lgb_num_cat_bad() {
  lgb_cat "0 1" "7" | sed 's/^num_cat=1/num_cat=x9/' >"$W/bad.txt"
  expect 1 "bad.txt:8:" "num_cat 'x9' is not a count in [0, 1]" build bad.txt --input-shape input=1x4 -o OUT
}

# the memory budget of one build: a 4 MiB weight under --max-memory 2 (and
# MLGEN_LIMITS=memory_mib) is refused with the budget named and no output; 64 MiB builds
memory_budget() {
  npy "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576,), }" 4194304 >"$W/w.npy"
  printf 'mlgen: 1\nname: m\ninputs: {x: {dtype: f32, shape: [1048576]}}\noutputs: [y]\ninitializers:\n  w: {file: w.npy}\nnodes:\n  - {op: Add, in: [x, w], out: [y]}\n' >"$W/bad.yaml"
  expect 1 "" "memory budget of 2 MiB (raise it with --max-memory" build bad.yaml --max-memory 2 -o OUT || return 1
  MLGEN_LIMITS=memory_mib=3 expect 1 "" "memory budget of 3 MiB" build bad.yaml -o OUT || return 1
  expect 2 "" "--max-memory takes a number of MiB" build bad.yaml --max-memory 0 -o OUT || return 1
  (cd "$W" && $RUNNER "$MLGEN" build bad.yaml --max-memory 64 -o OUT) >"$W/stdout" 2>"$W/stderr" ||
    { echo "FAIL $CASE: 64 MiB did not build"; cat "$W/stderr"; return 1; }
  rm -rf "$W/OUT"
  echo "ok $CASE"
}

CASES="malformed_tab malformed_colon unknown_key unknown_op wrong_arity attr_wrong_type attr_axis_out_of_range
shape_mismatch_broadcast shape_mismatch_matmul missing_weight_file truncated_npy bad_npy_header inline_data_count
duplicate_tensor duplicate_producer cycle undefined_tensor output_not_produced output_declared_type unknown_dtype
unsupported_dtype unsupported_dtype_logical dynamic_dim_unpinned bad_name missing_nodes input_wrong_shape
string_arithmetic string_keys_mismatch string_on_vulkan string_npy_object out_dir_preserved
xgb_many_classes xgb_num_class_limit lgb_cat_negative_boundary lgb_cat_boundary_past_end lgb_cat_bad_bitset_word
lgb_bad_feature fifo_onnx_external fifo_yaml_weight fifo_yaml_model fifo_run_input
npy_zero_width_strings npy_size_overflow run_output_names_unique
loop_unroll_total fn_expansion_total limits_env_bad tree_depth_limit tree_nodes_limit tree_feature_truncated
lgb_nul_byte lgb_num_leaves_huge run_atomic shape_overflow slice_step_int64_min strings_limit lgb_num_cat_bad
yaml_strings_limit yaml_nodes_limit required_input_omitted
variadic_input_omitted yaml_anchor_tag memory_budget"

run_one() {
  CASE=$1
  W=$(mktemp -d "${TMPDIR:-/tmp}/mlgen-err-XXXXXX") || exit 2
  "$1"
  st=$?
  if [ $st = 0 ]; then rm -rf "$W"; else echo "(files kept in $W)"; fi
  return $st
}

case "$CASE" in
--list)
  echo $CASES
  ;;
valgrind)
  command -v valgrind >/dev/null 2>&1 || { echo "valgrind not found: skipped"; exit 77; }
  RUNNER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
  RUNNER="$RUNNER --show-leak-kinds=definite"
  nfail=0 npass=0
  for c in $CASES; do
    if run_one "$c"; then npass=$((npass + 1)); else nfail=$((nfail + 1)); fi
  done
  echo "errors under valgrind: $npass passed, $nfail failed"
  [ $nfail = 0 ]
  ;;
*)
  case " $(echo $CASES) " in *" $CASE "*) ;; *) echo "errors.sh: no case '$CASE'" >&2; exit 2 ;; esac
  run_one "$CASE"
  ;;
esac
