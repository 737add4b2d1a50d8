#!/usr/bin/env bash
# conformance.sh: runs the official ONNX node tests through mlgen's C target
# and regenerates docs/conformance.md from the results.
#
#   scripts/conformance.sh [BUILD_DIR] [NODE_TESTS_DIR]
#
# BUILD_DIR (default: build) must hold a built mlgen and tests/onnx/onnx_check
# (ninja -C BUILD_DIR). The run itself is tests/onnx/run_node_tests.sh, the
# same one CTest runs as onnx.node_tests; its raw results stay in
# BUILD_DIR/conformance/results.tsv (RESULTS=FILE regenerates the document
# from an earlier run's results instead). The document holds no timestamps,
# so it only changes when the results do.
#
# Vulkan column: VULKAN=1 also runs the suite on the Vulkan target
# (MLGEN_TARGET=vulkan under tests/gpu/vk_env.sh: lavapipe, validation on;
# results in BUILD_DIR/conformance-vulkan/results.tsv), or VK_RESULTS=FILE
# takes an earlier Vulkan run's results.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
tests=${2:-$root/../shared/onnx-node-tests/node}
work=$build/conformance
doc=$root/docs/conformance.md

res=${RESULTS:-$work/results.tsv}
if [ -z "${RESULTS:-}" ]; then
  "$root/tests/onnx/run_node_tests.sh" "$build/mlgen" "$build/tests/onnx/onnx_check" "$tests" "$work" 0 || true
fi
[ -s "$res" ] || { echo "conformance: no results in $res" >&2; exit 1; }
vkres=${VK_RESULTS:-}
if [ "${VULKAN:-0}" = 1 ] && [ -z "$vkres" ]; then
  vkres=$build/conformance-vulkan/results.tsv
  MLGEN_TARGET=vulkan "$root/tests/gpu/vk_env.sh" "$root/tests/onnx/run_node_tests.sh" "$build/mlgen" \
    "$build/tests/onnx/onnx_check" "$tests" "$build/conformance-vulkan" 0 || true
fi
[ -z "$vkres" ] || [ -s "$vkres" ] || { echo "conformance: no Vulkan results in $vkres" >&2; exit 1; }
# WebGPU and Metal: WEBGPU=1 / METAL=1 run the suite there (Dawn for Node
# under tests/webgpu/wgpu_env.sh; the CPU shim under tests/metal/shim_env.sh),
# or WGPU_RESULTS=FILE / METAL_RESULTS=FILE take earlier runs' results
wgres=${WGPU_RESULTS:-}
if [ "${WEBGPU:-0}" = 1 ] && [ -z "$wgres" ]; then
  wgres=$build/conformance-webgpu/results.tsv
  MLGEN_TARGET=webgpu "$root/tests/webgpu/wgpu_env.sh" "$root/tests/onnx/run_node_tests.sh" "$build/mlgen" \
    "$build/tests/onnx/onnx_check" "$tests" "$build/conformance-webgpu" 0 || true
fi
mtres=${METAL_RESULTS:-}
if [ "${METAL:-0}" = 1 ] && [ -z "$mtres" ]; then
  mtres=$build/conformance-metal/results.tsv
  MLGEN_TARGET=metal "$root/tests/metal/shim_env.sh" "$root/tests/onnx/run_node_tests.sh" "$build/mlgen" \
    "$build/tests/onnx/onnx_check" "$tests" "$build/conformance-metal" 0 || true
fi
# llvm: LLVM=1 runs the suite on the host object of the llvm target (or
# LLVM_RESULTS=FILE takes an earlier run's results)
llres=${LLVM_RESULTS:-}
if [ "${LLVM:-0}" = 1 ] && [ -z "$llres" ]; then
  llres=$build/conformance-llvm/results.tsv
  MLGEN_TARGET=llvm "$root/tests/onnx/run_node_tests.sh" "$build/mlgen" \
    "$build/tests/onnx/onnx_check" "$tests" "$build/conformance-llvm" 0 || true
fi

{
  cat <<EOF
# ONNX conformance

The official ONNX backend node tests (release 1.22.0, $(wc -l <"$res") tests, one model each
with reference inputs and outputs) compiled by mlgen to C, built with the host C compiler
(\`MLGEN_CFLAGS=-O0\`), run, and compared with the reference outputs: integers and bool
exactly, floats within rtol 1e-3 / atol 1e-4 (NaN equals NaN), same shape and dtype.

Regenerate with \`scripts/conformance.sh [BUILD_DIR]\`; CTest runs the same suite as
\`onnx.node_tests\` (\`ctest -L onnx\`), which fails on any wrong answer and when the
correct count drops below the floor set in \`tests/onnx/CMakeLists.txt\`.

Each test ends as one of:
- **correct**: built, ran, every output within tolerance. Inputs whose values decide a
  shape (a Reshape's shape, a reduction's axes, ...) stay inputs: the code is built for
  the output shapes the model declares and checks at run time that the values agree
  (\`docs/architecture.md\`, run-time checks); a disagreement would be a failure;
- **correct with --freeze**: correct once inputs that mlgen needs at build time (shapes,
  axes, scales, trip counts, ...) were made constants with \`--freeze NAME=input_k.pb\`:
  first every non-float input, then every input but the first, then every input. On the
  GPU targets, which refuse run-time checks, this is how such models run;
- **unsupported**: mlgen refused at build time with a diagnostic saying "unsupported",
  naming the node (exotic dtypes such as float8/int4, run-time text for the string operators,
  data-dependent output shapes, ...);
- **random**: built and ran, but the model draws random numbers and the reference outputs come
  from numpy's generator, which mlgen's counter-based one (docs/architecture.md, "Random numbers") cannot
  match: dtype, shape and the range of values checked, never counted as correct;
- **failed**: anything else (a wrong answer, a crash, a compile error, another diagnostic).

EOF
  if [ -n "$vkres" ]; then
    cat <<EOF
The **vulkan** columns are the same suite on the Vulkan target (\`mlgen run --target vulkan\`:
GLSL compute shaders compiled to SPIR-V, run on lavapipe with the validation layer on, any
validation message a failure; \`docs/vulkan.md\`), same tolerances. In the operator table
the vulkan column counts correct plus correct with --freeze.

EOF
  fi
  if [ -z "$vkres" ]; then
    awk -F'\t' '
      { n[$1]++ }
      END {
        printf "## Totals\n\n| result | tests |\n|---|---:|\n"
        printf "| correct | %d |\n| correct with --freeze | %d |\n| unsupported | %d |\n| random | %d |\n| failed | %d |\n",
               n["correct"], n["frozen"], n["unsupported"], n["random"], n["failed"]
        printf "| **total** | **%d** |\n\n", NR
      }' "$res"
  else
    awk -F'\t' 'NR == FNR { v[$1]++; nv++; next } { n[$1]++; nc++ }
      END {
        printf "## Totals\n\n| result | C | vulkan |\n|---|---:|---:|\n"
        split("correct frozen unsupported random failed", k, " ")
        split("correct|correct with --freeze|unsupported|random|failed", t, "|")
        for (i = 1; i <= 5; i++) printf "| %s | %d | %d |\n", t[i], n[k[i]], v[k[i]]
        printf "| **total** | **%d** | **%d** |\n\n", nc, nv
      }' "$vkres" "$res"
  fi

  # per operator: the op of a test is its model's op; an _expanded test
  # counts for the op it expands; a model that did not load (exotic dtypes)
  # takes the op of the loaded test whose name shares its first word
  echo "## By operator"
  echo
  echo "An \`_expanded\` test (the operator written as its ONNX function body) counts for the operator it"
  echo "expands. A name in parentheses groups tests whose model mlgen does not load (exotic types, preview"
  echo "domains), after the first word of the test name."
  echo
  if [ -n "$vkres" ]; then
    echo "| operator | correct | with --freeze | unsupported | failed | vulkan |"
    echo "|---|---:|---:|---:|---:|---:|"
  else
    echo "| operator | correct | with --freeze | unsupported | failed |"
    echo "|---|---:|---:|---:|---:|"
  fi
  awk -F'\t' -v vk="$vkres" '
    BEGIN { if (vk != "") while ((getline l < vk) > 0) { split(l, f, "\t"); vst[f[2]] = f[1] } }
    function base(t) { sub(/_expanded.*$/, "", t); return t }
    function word(t,  s) { s = t; sub(/^test_/, "", s); sub(/_.*$/, "", s); return s }
    { name[NR] = $2; st[NR] = $1; ops[NR] = $3
      if ($3 != "-" && $2 !~ /_expanded/) { split($3, o, "+"); known[$2] = o[1] } }
    END {
      for (i = 1; i <= NR; i++) {
        b = base(name[i]); op = ""
        if (b in known) op = known[b]
        else if (ops[i] != "-" && name[i] !~ /_expanded/) { split(ops[i], o, "+"); op = o[1] }
        else {
          best = 0
          for (k in known) {
            if (word(k) != word(b)) continue
            l = 0; while (l < length(k) && substr(k, l + 1, 1) == substr(b, l + 1, 1)) l++
            if (l > best) { best = l; op = known[k] }
          }
          if (op == "") op = "(" word(b) ")"
        }
        c[op, st[i]]++; seen[op] = 1
        if (vst[name[i]] == "correct" || vst[name[i]] == "frozen") cv[op]++
      }
      m = 0; for (op in seen) list[++m] = op
      for (i = 2; i <= m; i++) { v = list[i]; j = i - 1; while (j > 0 && tolower(list[j]) > tolower(v)) { list[j + 1] = list[j]; j-- } list[j + 1] = v }
      for (i = 1; i <= m; i++) { op = list[i]
        printf "| %s | %d | %d | %d | %d |", op, c[op, "correct"], c[op, "frozen"], c[op, "unsupported"], c[op, "failed"]
        printf((vk != "" ? " %d |\n" : "\n"), cv[op]) }
    }' "$res"
  echo

  echo "## Why tests are unsupported"
  echo
  echo "The diagnostics of the unsupported tests, with names and numbers blanked, most common first."
  echo
  echo "| tests | diagnostic |"
  echo "|---:|---|"
  awk -F'\t' '$1 == "unsupported" { d = $4; gsub(/\047[^\047]*\047/, "X", d); gsub(/[0-9]+/, "N", d); gsub(/\|/, "/", d); sub(/ +$/, "", d); n[d]++ }
    END { for (d in n) printf "%d\t%s\n", n[d], d }' "$res" | sort -t$'\t' -k1,1nr -k2 | awk -F'\t' '{ printf "| %d | %s |\n", $1, $2 }'
  echo

  echo "## Tests that needed --freeze"
  echo
  echo "| test | frozen inputs |"
  echo "|---|---|"
  awk -F'\t' '$1 == "frozen" { f = $4; sub(/^--freeze */, "", f); sub(/ +$/, "", f); printf "| %s | %s |\n", $2, f }' "$res"
  echo

  if [ -n "$vkres" ]; then
    echo "## Vulkan: tests whose result differs from C"
    echo
    echo "| test | C | vulkan | vulkan detail |"
    echo "|---|---|---|---|"
    awk -F'\t' 'NR == FNR { c[$2] = $1; next }
      function ok(s) { return s == "correct" || s == "frozen" }
      ($2 in c) && ok(c[$2]) != ok($1) { d = $4; gsub(/\|/, "/", d); printf "| %s | %s | %s | %s |\n", $2, c[$2], $1, d }' \
      "$res" "$vkres" | sort
    echo
  fi

  for pair in "webgpu:$wgres" "metal:$mtres" "llvm:$llres"; do
    tg=${pair%%:*} tr=${pair#*:}
    [ -n "$tr" ] && [ -s "$tr" ] || continue
    if [ "$tg" = webgpu ]; then
      echo "## WebGPU"
      echo
      echo "The same suite on the WebGPU target (\`mlgen run --target webgpu\`: WGSL on Dawn for Node, OpenGL ES on"
      echo "Mesa; every kernel compiled by Dawn's WGSL compiler; \`docs/webgpu.md\`), same tolerances."
    elif [ "$tg" = llvm ]; then
      echo "## LLVM"
      echo
      echo "The same suite on the llvm target (\`mlgen run --target llvm\`: the kernels built as LLVM IR through"
      echo "the walker, optimized with O3 for this machine, one object linked with the C driver; \`docs/llvm.md\`),"
      echo "same tolerances."
    else
      echo "## Metal"
      echo
      echo "The same suite on the Metal target through the CPU shim (\`mlgen run --target metal\`: the MSL kernels"
      echo "compiled by g++ over \`tests/metal/shim\` and run thread by thread; Apple's compiler has not seen them:"
      echo "\`docs/metal.md\`), same tolerances."
    fi
    echo "When the run holds a subset (CI runs every 2nd test on WebGPU, every 4th on Metal, every 16th on"
    echo "llvm), the C column counts the same tests."
    echo
    # C counted over the tests this run has (CI runs every 2nd, 4th, 16th test there)
    awk -F'\t' -v tg="$tg" 'NR == FNR { n[$1]++; nt++; seen[$2] = 1; next } ($2 in seen) { c[$1]++; nc++ }
      END {
        printf "| result | C | %s |\n|---|---:|---:|\n", tg
        split("correct frozen unsupported random failed", k, " ")
        split("correct|correct with --freeze|unsupported|random|failed", t, "|")
        for (i = 1; i <= 5; i++) printf "| %s | %d | %d |\n", t[i], c[k[i]], n[k[i]]
        printf "| **total** | **%d** | **%d** |\n\n", nc, nt
        printf "Correct (with --freeze) on %s: %d of the %d correct on C (%.1f%%).\n\n", tg,
               n["correct"] + n["frozen"], c["correct"] + c["frozen"], 100 * (n["correct"] + n["frozen"]) / (c["correct"] + c["frozen"])
      }' "$tr" "$res"
    echo "Tests whose result differs from C:"
    echo
    echo "| test | C | $tg | $tg detail |"
    echo "|---|---|---|---|"
    awk -F'\t' 'NR == FNR { c[$2] = $1; next }
      function ok(s) { return s == "correct" || s == "frozen" }
      ($2 in c) && ok(c[$2]) != ok($1) { d = $4; gsub(/\|/, "/", d); printf "| %s | %s | %s | %s |\n", $2, c[$2], $1, d }' \
      "$res" "$tr" | sort
    echo
  done

  if grep -q '^failed' "$res"; then
    echo "## Failed"
    echo
    awk -F'\t' '$1 == "failed" { d = $4; gsub(/\|/, "/", d); printf "- %s: %s\n", $2, d }' "$res"
    echo
  fi
} >"$doc.tmp"
mv "$doc.tmp" "$doc"
awk -F'\t' '{ n[$1]++ } END { printf "conformance: %d correct, %d correct with --freeze, %d unsupported, %d random, %d failed -> docs/conformance.md\n", n["correct"], n["frozen"], n["unsupported"], n["random"], n["failed"] }' "$res"
