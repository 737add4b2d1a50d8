#!/usr/bin/env bash
# e2e.bench: mlgen bench on the digits model, C and llvm targets. Checks the
# figures' consistency (runs as asked, min <= median <= max, all positive),
# the operation count against the one worked out by hand below, and the
# refusals (bad counts, targets, inputs). Never a speed: that is bench/'s job.
#   bench.sh MLGEN SRC
set -uo pipefail
mlgen=$1 src=$2
command -v python3 >/dev/null && command -v cc >/dev/null || { echo "missing python3 or cc"; exit 77; }
model=$src/examples/digits/digits.yaml
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# digits: Gemm 64->32 + Relu, Gemm 32->16 + Relu, Gemm 16->10, Softmax(10).
# A multiply-accumulate is 2 float operations, a bias add and a Relu one per
# output: 2*64*32 + 2*32 = 4160, 2*32*16 + 2*16 = 1056, 2*16*10 + 10 = 330;
# softmax over 10: max 10, subtract and exp 20, sum 10, divide 10 = 50.
flops=$((4160 + 1056 + 330 + 50))
check() { # check FILE RUNS TARGET
  python3 - "$@" <<'PY' || exit 1
import json, sys
f, runs, target, flops = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
r = json.load(open(f))
ok = True
def need(c, what):
    global ok
    if not c: print("FAIL:", what, r); ok = False
need(r["runs"] == runs, "runs")
need(r["target"] == target, "target")
need(0 < r["min_us"] <= r["median_us"] <= r["max_us"], "min <= median <= max")
need(r["min_us"] <= r["mean_us"] <= r["max_us"], "min <= mean <= max")
need(r["flops"] == flops, "flops %d" % flops)
need(abs(r["gflops"] - flops / (r["median_us"] * 1e3)) <= 1e-3 * r["gflops"] + 1e-4, "gflops = flops / median")
need(r["arena_bytes"] == 192 and r["weights_bytes"] == 11112, "arena and weights bytes")
sys.exit(0 if ok else 1)
PY
}
"$mlgen" bench "$model" --runs 25 --warmup 3 --json >"$w/c.json" 2>"$w/err" || { cat "$w/err"; fail "bench --target c"; }
check "$w/c.json" 25 c $flops && echo "c: $(cat "$w/c.json")"
"$mlgen" bench "$model" --target llvm --runs 7 --json >"$w/l.json" 2>"$w/err" || { cat "$w/err"; fail "bench --target llvm"; }
check "$w/l.json" 7 llvm $flops && echo "llvm: $(cat "$w/l.json")"
# --profile: one entry per kernel (the names mlgen inspect gives), each timed, their operations summing to
# the run's; the table lists them all
"$mlgen" bench "$model" --runs 25 --warmup 3 --profile --json >"$w/p.json" 2>"$w/err" || { cat "$w/err"; fail "bench --profile"; }
check "$w/p.json" 25 c $flops || fail "bench --profile figures"
"$mlgen" inspect "$model" 2>/dev/null | sed -n 's/^  \(k[0-9][A-Za-z0-9_]*\) .*/\1/p' >"$w/names"
python3 - "$w/p.json" "$w/names" $flops <<'PY' || fail "bench --profile kernels"
import json, sys
r, names, flops = json.load(open(sys.argv[1])), open(sys.argv[2]).read().split(), int(sys.argv[3])
ks = r["kernels"]
ok = [k["kernel"] for k in ks] == names and len(ks) > 1
ok = ok and all(k["median_us"] > 0 for k in ks) and sum(k["flops"] for k in ks) == flops
ok = ok and all(k["schedule"] and k["origin"] for k in ks)
print("profile:", [(k["kernel"], k["median_us"], k["flops"]) for k in ks], "inspect:", names)
sys.exit(0 if ok else 1)
PY
"$mlgen" bench "$model" --min-ms 20 --profile >"$w/pt.txt" 2>"$w/err" || { cat "$w/err"; fail "bench --profile (table)"; }
cat "$w/pt.txt"
nk=$(sed -n 's/^  kernels *\([0-9]*\), their medians.*/\1/p' "$w/pt.txt")
[ -n "$nk" ] && [ "$nk" = "$(wc -l <"$w/names")" ] && [ "$(grep -cE '^    k[0-9]' "$w/pt.txt")" = "$nk" ] || fail "profile table rows"
# the table: the same figures for a person, and the default run count (at least 10)
"$mlgen" bench "$model" --min-ms 50 >"$w/t.txt" 2>"$w/err" || { cat "$w/err"; fail "bench (table)"; }
cat "$w/t.txt"
grep -q "latency   median" "$w/t.txt" && grep -q "$flops float operations per run" "$w/t.txt" || fail "the table"
n=$(sed -n 's/^  runs *\([0-9]*\) timed.*/\1/p' "$w/t.txt")
[ -n "$n" ] && [ "$n" -ge 10 ] || fail "default runs: '$n'"
expect() { # expect RC PHRASE ARGS...
  local want=$1 phrase=$2; shift 2
  "$mlgen" bench "$@" >"$w/o" 2>"$w/e"; local rc=$?
  [ $rc = "$want" ] || { cat "$w/e"; fail "mlgen bench $* exited $rc, expected $want"; }
  grep -qF -- "$phrase" "$w/e" || { cat "$w/e"; fail "mlgen bench $*: stderr does not say '$phrase'"; }
}
expect 2 "--runs takes a whole number from 1" "$model" --runs 0
expect 2 "--runs takes a whole number from 1" "$model" --runs 5x
expect 2 "bench runs --target c or llvm" "$model" --target vulkan
expect 2 "bench writes no files" "$model" -o "$w/out"
expect 2 "bench --profile times the c target" "$model" --profile --target llvm
expect 1 "must be f32 [1,64]" "$model" --input x="$src/examples/digits/data/x_test.npy"
expect 1 "No such file" "$w/missing.yaml"
echo "e2e.bench: ok"
