#!/bin/bash
# lowbit.sh: the ONNX-only element types (ir/lowbit.c) against bit patterns
# derived by hand from the ONNX spec (docs/Operators.md Cast, the float8
# tables of docs/docsgen/source/technical/float8.md, numpy_helper's e8m0 and
# 4-bit packing), never from mlgen: Cast f32 -> float8/float4/e8m0 (round to
# nearest even, ties, subnormals, max finite, Inf, NaN, -0, saturate on and
# off), the codes back to f32, BitCast, and a DequantizeLinear -> MatMul
# over packed int4 weights. Each case runs on the interpreter and the C
# target (gcc, clang; -Wall -Wextra -Wpedantic -Werror), and its generated
# C is compiled with arm-none-eabi-gcc -Werror for a Cortex-M4F when that
# compiler is installed. MLGEN_TARGET=vulkan (webgpu, metal, llvm) runs the
# interpreter and that target instead.
#   lowbit.sh MLGEN
set -u
MLGEN=$1
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
fail=0
ncase=0
arm=false
if [ -n "${MLGEN_TARGET:-}" ]; then # one more target (tests/gpu, webgpu, metal, llvm)
  targets="interp $MLGEN_TARGET"
else
  targets=interp
  for cc in gcc clang; do command -v $cc >/dev/null && targets="$targets c:$cc"; done
  command -v arm-none-eabi-gcc >/dev/null && arm=true
fi

# npy FILE DESCR SHAPE HEX: a .npy of raw little-endian bytes HEX
npy() {
  local hdr="{'descr': '$2', 'fortran_order': False, 'shape': ($3), }" n tot
  n=${#hdr}
  tot=$(( (10 + n + 1 + 63) / 64 * 64 ))
  { printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $(( (tot - 10) & 255 )))\\x$(printf %02x $(( (tot - 10) >> 8 )))"
    printf '%-*s\n' $((tot - 11)) "$hdr"; echo "$4" | xxd -r -p; } >"$1"
}
body() { local f=$1 n; n=$(od -An -tu2 -j8 -N2 "$f" | tr -d ' '); tail -c +$((10 + n + 1)) "$f" | od -An -tx1 -v | tr -d ' \n'; }
# le W...: 32- or 64-bit words (hex) as little-endian bytes
le() { local w out=""; for w in "$@"; do out="$out$(echo "$w" | sed 's/../& /g' | awk '{for (i = NF; i > 0; i--) printf "%s", $i}')"; done; echo "$out"; }
# same GOT WANT WIDTH: byte strings equal, WANT words "nan" matching any NaN of that width
same() {
  local got=$1 want=$2 width=$3 i=0 g w
  if [ "$width" = 1 ]; then [ "$got" = "$(echo "$want" | tr -d ' ')" ]; return; fi
  for w in $want; do
    g=${got:$((i * width * 2)):$((width * 2))}
    g=$(echo "$g" | sed 's/../& /g' | awk '{for (i = NF; i > 0; i--) printf "%s", $i}')
    if [ "$w" = nan ]; then
      if [ "$width" = 4 ]; then [ $(( 0x$g & 0x7fffffff )) -gt $(( 0x7f800000 )) ] || return 1
      else return 1; fi
    elif [ "$g" != "$w" ]; then return 1; fi
    i=$((i + 1))
  done
  [ ${#got} -eq $((i * width * 2)) ]
}

# run NAME MODEL INDESCR INHEX SHAPE OUTWIDTH WANT: the model over input x
# (SHAPE as a .npy header writes it: "5," or "2, 3")
run() {
  local name=$1 model=$2 descr=$3 inhex=$4 n=$5 width=$6 want=$7 d=$tmp/$1 t got
  ncase=$((ncase + 1))
  mkdir -p "$d"
  printf '%s\n' "$model" >"$d/m.yaml"
  npy "$d/x.npy" "$descr" "$n" "$inhex"
  for t in $targets; do
    rm -rf "$d/out"
    local cc=${MLGEN_CC:-cc}
    case $t in c:*) cc=${t#c:} ;; esac
    if ! MLGEN_CC=$cc MLGEN_CFLAGS="-O2 -Wall -Wextra -Wpedantic -Werror" \
      "$MLGEN" run "$d/m.yaml" --target "${t%%:*}" --input "x=$d/x.npy" -o "$d/out" --numbered >"$d/log" 2>&1; then
      echo "FAIL $name on $t: mlgen run failed"; cat "$d/log"; fail=1; continue
    fi
    got=$(body "$d/out/output_0.npy")
    if ! same "$got" "$want" "$width"; then
      echo "FAIL $name on $t: got $got, want $want"; fail=1
    fi
  done
  if $arm; then
    rm -rf "$d/fw"
    if ! "$MLGEN" build "$d/m.yaml" -o "$d/fw" >"$d/log" 2>&1; then
      echo "FAIL $name: mlgen build failed"; cat "$d/log"; fail=1; return
    fi
    for f in "$d"/fw/*.c; do
      arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2 -std=c99 -Wall -Wextra \
        -Wpedantic -Werror -c "$f" -o "$d/fw.o" || { echo "FAIL $name: arm-none-eabi-gcc $f"; fail=1; }
    done
  fi
}

model() { # IN-DTYPE N NODE
  printf 'mlgen: 1\nname: t\ninputs: {x: {dtype: %s, shape: [%s]}}\noutputs: [y]\nnodes:\n  - %s\n' "$1" "$2" "$3"
}
# enc NAME TO ATTRS "F32 WORDS" "CODES": Cast f32 -> a float8/float4/e8m0 type
enc() {
  local words=($4)
  run "$1" "$(model f32 ${#words[@]} "{op: Cast, in: [x], out: [y], to: $2$3}")" '<f4' "$(le $4)" "${#words[@]}," 1 "$5"
}
# dec NAME DTYPE "CODES" "F32 WORDS": Cast of codes (a .npy of the bits) to f32
dec() {
  local codes=($3)
  run "$1" "$(model "$2" ${#codes[@]} "{op: Cast, in: [x], out: [y], to: 1}")" '|u1' "$(echo "$3" | tr -d ' ')" \
    "${#codes[@]}," 4 "$4"
}

# inputs, f32:  1.0      448      464 (tie) 465      +Inf     -Inf     NaN      2^-9     2^-10 (tie) 3*2^-11
#               -2^-10   1.0625 (tie) 1.1875 (tie) 15*2^-10 (tie sub/normal) -0
E4=(3f800000 43e00000 43e80000 43e88000 7f800000 ff800000 7fc00000 3b000000 3a800000 3ac00000
    ba800000 3f880000 3f980000 3c700000 80000000)
enc e4m3fn_sat 17 "" "${E4[*]}" "38 7e 7e 7e 7e fe 7f 01 00 01 80 38 3a 08 80"
enc e4m3fn_nosat 17 ", saturate: 0" "${E4[*]}" "38 7e 7e 7f 7f ff 7f 01 00 01 80 38 3a 08 80"
# 1.0 240 (max) 248 (tie: up to 256, overflow) +Inf -Inf NaN -0 2^-10 -2^-11 (tie: 0, no -0) 256
U4=(3f800000 43700000 43780000 7f800000 ff800000 7fc00000 80000000 3a800000 ba000000 43800000)
enc e4m3fnuz_sat 18 "" "${U4[*]}" "40 7f 7f 7f ff 80 00 01 00 7f"
enc e4m3fnuz_nosat 18 ", saturate: 0" "${U4[*]}" "40 7f 80 80 80 80 00 01 00 80"
# 1.0 57344 (max) 61440 (tie: up to Inf) 65536 +Inf -Inf NaN 2^-16 2^-17 (tie) -0 1.125 (tie) 1.375 (tie)
E5=(3f800000 47600000 47700000 47800000 7f800000 ff800000 7fc00000 37800000 37000000 80000000 3f900000 3fb00000)
enc e5m2_sat 19 "" "${E5[*]}" "3c 7b 7b 7b 7b fb 7e 01 00 80 3c 3e"
enc e5m2_nosat 19 ", saturate: 0" "${E5[*]}" "3c 7b 7c 7c 7c fc 7e 01 00 80 3c 3e"
# 1.0 +Inf NaN -0 -Inf 57344 (max) 2^-17 (min subnormal)
U5=(3f800000 7f800000 7fc00000 80000000 ff800000 47600000 37000000)
enc e5m2fnuz_sat 20 "" "${U5[*]}" "40 7f 80 00 ff 7f 01"
enc e5m2fnuz_nosat 20 ", saturate: 0" "${U5[*]}" "40 80 80 00 80 7f 01"
# e8m0: 1.0 1.5 1.25 0 +Inf NaN -2 1.5*2^127 2^-127 (f32 subnormal)
M0=(3f800000 3fc00000 3fa00000 00000000 7f800000 7fc00000 c0000000 7f400000 00400000)
enc e8m0_up 24 "" "${M0[*]}" "7f 80 80 00 ff ff 80 fe 01"
enc e8m0_up_nosat 24 ", saturate: 0" "${M0[*]}" "7f 80 80 00 ff ff 80 ff 01"
enc e8m0_down 24 ", round_mode: down" "${M0[*]}" "7f 7f 7f 00 ff ff 80 fe 00"
enc e8m0_nearest 24 ", round_mode: nearest" "${M0[*]}" "7f 80 7f 00 ff ff 80 fe 00"
# float4 e2m1 (11 elements: an odd count, the last byte half used):
# 0.25 (tie: 0) 0.75 (tie: 1.0) 2.5 (tie: 2) 5 (tie: 4) 7 (saturates) +Inf -Inf NaN -0 -1 6
F4=(3e800000 3f400000 40200000 40a00000 40e00000 7f800000 ff800000 7fc00000 80000000 bf800000 40c00000)
enc f4e2m1 23 "" "${F4[*]}" "00 02 04 06 07 07 0f 08 08 0a 07"

dec e4m3fn_dec f8e4m3fn "00 01 07 08 38 7e 7f 80 fe ff" \
  "00000000 3b000000 3c600000 3c800000 3f800000 43e00000 nan 80000000 c3e00000 nan"
dec e4m3fnuz_dec f8e4m3fnuz "00 01 40 7f 80 ff" "00000000 3a800000 3f800000 43700000 nan c3700000"
dec e5m2_dec f8e5m2 "00 01 04 3c 7b 7c 7d fc 80" \
  "00000000 37800000 38800000 3f800000 47600000 7f800000 nan ff800000 80000000"
dec e5m2fnuz_dec f8e5m2fnuz "00 01 40 7f 80 ff" "00000000 37000000 3f800000 47600000 nan c7600000"
dec e8m0_dec f8e8m0 "00 7f 80 fe ff" "00400000 3f800000 40000000 7f000000 nan"

# BitCast: the same bits (a quiet NaN's payload kept, a subnormal not flushed)
B32=(3f800000 80000000 7fc00001 ff800000 00000001)
run bitcast_f32_i32 "$(model f32 5 "{op: BitCast, in: [x], out: [y], to: 6}")" '<f4' "$(le "${B32[@]}")" 5, 4 "${B32[*]}"
run bitcast_i32_f32 "$(model i32 5 "{op: BitCast, in: [x], out: [y], to: 1}")" '<i4' "$(le "${B32[@]}")" 5, 4 "${B32[*]}"
run bitcast_u32_f32 "$(model u32 5 "{op: BitCast, in: [x], out: [y], to: 1}")" '<u4' "$(le "${B32[@]}")" 5, 4 "${B32[*]}"

# packed int4 weights (9 values: 5 bytes, the last half used) ->
# DequantizeLinear (per column: scale, int4 zero point) -> MatMul.
# W = [[-8,7,1],[3,-1,-3],[0,5,7]], scale [0.5,0.25,2], zp [1,-2,0]:
# Wd = [[-4.5,2.25,2],[1,0.25,-6],[-0.5,1.75,14]];
# x = [[1,2,3],[-1,0.5,2]] -> y = [[-4,8,32],[4,1.375,23]]
Q='mlgen: 1
name: t
inputs: {x: {dtype: f32, shape: [2, 3]}}
outputs: [y]
initializers:
  w: {dtype: i4, shape: [3, 3], data: [-8, 7, 1, 3, -1, -3, 0, 5, 7]}
  s: {dtype: f32, shape: [3], data: [0.5, 0.25, 2]}
  z: {dtype: i4, shape: [3], data: [1, -2, 0]}
nodes:
  - {op: DequantizeLinear, in: [w, s, z], out: [wd], axis: 1}
  - {op: MatMul, in: [x, wd], out: [y]}'
run int4_weights_matmul "$Q" '<f4' "$(le 3f800000 40000000 40400000 bf800000 3f000000 40000000)" "2, 3" 4 \
  "c0800000 41000000 42000000 40800000 3fb00000 41b80000"

echo "lowbit: $ncase cases on: $targets$($arm && echo ', arm-none-eabi-gcc -Werror')"
exit $fail
