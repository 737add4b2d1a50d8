#!/usr/bin/env bash
# firmware.footprint: mlgen build --report predicts the flash and RAM of the
# C target's objects before anything is compiled (docs/firmware.md); here
# they are compiled with arm-none-eabi-gcc for the Cortex-M4F and the
# Cortex-M3 at -O2 and -Os, and the prediction must be within 10% of
# arm-none-eabi-size (flash = text + data of <name>.o and <name>_weights.o;
# their RAM, data + bss, must be what the report says: none). Models: the
# digits MLP, the same with --weights-separate (the blob is not in the
# image), an XGBoost tree ensemble and a small CNN (conv, relu, pooling,
# gemm, softmax). The stack the report estimates is printed next to gcc's
# -fstack-usage, not checked.
set -euo pipefail
mlgen=$1 src=$2
for t in arm-none-eabi-gcc arm-none-eabi-size python3; do command -v $t >/dev/null || { echo "missing $t"; exit 77; }; done
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
mkdir -p "$w/cnn"
python3 - "$w/cnn" <<'PY'
import struct, sys
def npy(path, shape):
    n = 1
    for x in shape: n *= x
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join("%d," % x for x in shape)
    hdr += " " * (63 - (len(hdr) + 10) % 64) + "\n"
    data = struct.pack("<%df" % n, *[((i * 7919) % 1000) / 1000.0 - 0.5 for i in range(n)])
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + data)
d = sys.argv[1]
for name, shape in [("c1_w", (8, 1, 3, 3)), ("c1_b", (8,)), ("c2_w", (16, 8, 3, 3)), ("c2_b", (16,)),
                    ("fc_w", (10, 16)), ("fc_b", (10,))]:
    npy("%s/%s.npy" % (d, name), shape)
open(d + "/cnn.yaml", "w").write("""mlgen: 1
name: cnn
inputs: {x: {dtype: f32, shape: [1, 1, 16, 16]}}
outputs: [probs]
initializers:
  c1_w: {file: c1_w.npy}
  c1_b: {file: c1_b.npy}
  c2_w: {file: c2_w.npy}
  c2_b: {file: c2_b.npy}
  fc_w: {file: fc_w.npy}
  fc_b: {file: fc_b.npy}
nodes:
  - {op: Conv, in: [x, c1_w, c1_b], out: [h1], pads: [1, 1, 1, 1]}
  - {op: Relu, in: [h1], out: [a1]}
  - {op: MaxPool, in: [a1], out: [p1], kernel_shape: [2, 2], strides: [2, 2]}
  - {op: Conv, in: [p1, c2_w, c2_b], out: [h2], pads: [1, 1, 1, 1]}
  - {op: Relu, in: [h2], out: [a2]}
  - {op: GlobalAveragePool, in: [a2], out: [g]}
  - {op: Flatten, in: [g], out: [f]}
  - {op: Gemm, in: [f, fc_w, fc_b], out: [logits], transB: 1}
  - {op: Softmax, in: [logits], out: [probs], axis: 1}
""")
PY
M4="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" M3="-mcpu=cortex-m3 -mthumb -mfloat-abi=soft"
bad=0
check() { # NAME MODEL [mlgen options]
  local name=$1 model=$2 o=$w/$1
  shift 2
  "$mlgen" build "$model" --report -o "$o" --name m "$@" >/dev/null 2>&1
  # the report's flash, data + bss and stack per profile: "name flash static stack" lines
  python3 -c "
import json, sys
for t in json.load(open(sys.argv[1]))['footprint']['targets']:
    print(t['name'], t['flash'], t['data'] + t['bss'], t['stack'])" "$o/manifest.json" > "$o/pred"
  for spec in "cortex-m4-O2:$M4 -O2" "cortex-m4-Os:$M4 -Os" "cortex-m3-O2:$M3 -O2" "cortex-m3-Os:$M3 -Os"; do
    local prof=${spec%%:*} flags=${spec#*:} objs=""
    for c in m m_weights; do
      [ -e "$o/$c.c" ] || continue
      arm-none-eabi-gcc $flags -std=c99 -Wall -Wextra -Wpedantic -Werror -fstack-usage -c "$o/$c.c" -o "$o/$prof-$c.o"
      objs="$objs $o/$prof-$c.o"
    done
    local su text data bss pflash pstatic pstack
    su=$(cat "$o"/$prof-*.su | awk '{ if ($2 > s) s = $2 } END { print s + 0 }')
    read -r text data bss <<<"$(arm-none-eabi-size $objs | awk 'NR > 1 { t += $1; d += $2; b += $3 } END { print t, d, b }')"
    read -r pflash pstatic pstack <<<"$(awk -v p=$prof '$1 == p { print $2, $3, $4 }' "$o/pred")"
    local verdict
    verdict=$(awk -v p=$pflash -v m=$((text + data)) -v ps=$pstatic -v ms=$((data + bss)) \
      'BEGIN { e = 100 * (p - m) / m; ok = (e <= 10 && e >= -10) && ps == ms;
               printf "%+5.1f%% %s", e, ok ? "ok" : "FAIL" }')
    case "$verdict" in *FAIL) bad=1 ;; esac
    printf "%-16s %-13s flash predicted %7d measured %7d (%s)  data+bss %d/%d  stack est. %4d, gcc's largest frame %4d\n" \
      "$name" $prof $pflash $((text + data)) "$verdict" "$pstatic" $((data + bss)) "$pstack" "$su"
  done
}
check digits "$src/examples/digits/digits.yaml"
check digits-separate "$src/examples/digits/digits.yaml" --weights-separate
check trees "$src/tests/ml/fixtures/xgb_cancer_d4.json" --input-shape input=1x30
check cnn "$w/cnn/cnn.yaml"
[ $bad = 0 ] || { echo "FAIL: a prediction is outside 10%"; exit 1; }
echo "firmware.footprint: ok"
