#!/usr/bin/env python3
"""footprint_fit.py MLGEN [OUT.tsv]: fits the .text costs of codegen/footprint.c.

Builds every case of tests/ops/cases/*.cases and the digits and tree examples
(and every 8th of them again with --weights-separate)
with `mlgen build --report`, compiles <name>.c (and <name>_weights.c) with each
profile's compiler and flags, and measures the objects with size (Berkeley
text + data + bss). The model's own rodata prediction is subtracted and
the rest (the code) is fitted by least squares, each model's residual relative
to its measured flash (what the 10% check sees), to the report's features:
    text = base + sum(cost[f] * feature[f])
Prints, per profile, the fitted row for footprint.c's table and the error of
the whole prediction (flash) on every model: the worst, the median, and the
fraction within 10%. Stdlib only; 8-10 minutes on 2 busy cores. FIT_CACHE=FILE
keeps the measurements (a second run only refits)."""
import atexit, json, os, re, shutil, struct, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor

here = os.path.dirname(os.path.abspath(__file__))
src = os.path.dirname(here)
mlgen = sys.argv[1]
M4 = "arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
M3 = "arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -mfloat-abi=soft"
PROFILES = [("host-O2", "gcc -O2", "size"), ("cortex-m4-O2", M4 + " -O2", "arm-none-eabi-size"),
            ("cortex-m4-Os", M4 + " -Os", "arm-none-eabi-size"), ("cortex-m3-O2", M3 + " -O2", "arm-none-eabi-size"),
            ("cortex-m3-Os", M3 + " -Os", "arm-none-eabi-size")]
FEATS = ["kernels", "loops", "statements", "float_ops", "int_ops", "loads", "calls", "io", "temporaries", "wide", "guards", "half", "separate", "exp"]

tmp = tempfile.mkdtemp(prefix="mlgen-fpfit-")
atexit.register(shutil.rmtree, tmp, True)


def npy_write(path, shape, n):
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join("%d," % x for x in shape)
    hdr += " " * (63 - (len(hdr) + 10) % 64) + "\n"
    data = struct.pack("<%df" % n, *[((i * 7919) % 1000) / 1000.0 - 0.5 for i in range(n)])
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + data)
models = []  # (name, model path, extra args)
for f in sorted(os.listdir(os.path.join(src, "tests/ops/cases"))):
    text = open(os.path.join(src, "tests/ops/cases", f)).read()
    for m in re.finditer(r"^=== (\S+)\n(.*?)(?=^=== |\Z)", text, re.S | re.M):
        body = m.group(2)
        if "expect_error" in body:
            continue
        d = os.path.join(tmp, m.group(1))
        os.makedirs(d, exist_ok=True)
        for w in re.findall(r"^@weight (\S+) f32 (\S+) (\S+) (\S+)$", body, re.M):  # values do not change the code
            n = 1
            for x in w[1].split("x"):
                n *= int(x)
            npy_write(os.path.join(d, w[0] + ".npy"), [int(x) for x in w[1].split("x")], n)
        path = os.path.join(d, "m.yaml")
        open(path, "w").write("".join(l for l in body.splitlines(True) if not l.startswith("@")))
        models.append((m.group(1), path, []))
models.append(("digits", os.path.join(src, "examples/digits/digits.yaml"), []))
models.append(("trees", os.path.join(src, "tests/ml/fixtures/xgb_cancer_d4.json"), ["--input-shape", "input=1x30"]))
for name, path, extra in models[::8] + models[-2:]:  # the blob loader's cost: some models with weights apart
    models.append((name + "-separate", path, extra + ["--weights-separate"]))


def measure(model):
    name, path, extra = model
    out = os.path.join(tmp, "o_" + name)
    r = subprocess.run([mlgen, "build", path, "--report", "-o", out, "--name", "m"] + extra, capture_output=True)
    if r.returncode:
        return None
    fp = json.load(open(os.path.join(out, "manifest.json")))["footprint"]
    got = {}
    for prof, cc, size in PROFILES:
        objs = []
        for c in ("m.c", "m_weights.c"):
            if not os.path.exists(os.path.join(out, c)):
                continue
            o = os.path.join(out, prof + "_" + c + ".o")
            if subprocess.run(cc.split() + ["-std=c99", "-c", os.path.join(out, c), "-o", o], capture_output=True).returncode:
                return None
            objs.append(o)
        lines = subprocess.run([size] + objs, capture_output=True, text=True).stdout.splitlines()[1:]
        got[prof] = sum(int(l.split()[3]) for l in lines)
    return name, fp, got


cache = os.environ.get("FIT_CACHE")  # measurements kept between runs: FIT_CACHE=rows.json
if cache and os.path.exists(cache):
    rows = json.load(open(cache))
else:
    with ThreadPoolExecutor(2) as ex:
        rows = [r for r in ex.map(measure, models) if r]
    if cache:
        json.dump(rows, open(cache, "w"))
print("%d models measured" % len(rows))


def solve(A, b):  # least squares via the normal equations, a little ridge
    n = len(A[0])
    M = [[sum(a[i] * a[j] for a in A) + (1e-6 if i == j else 0) for j in range(n)] + [sum(a[i] * y for a, y in zip(A, b))] for i in range(n)]
    for i in range(n):
        p = max(range(i, n), key=lambda r: abs(M[r][i]))
        M[i], M[p] = M[p], M[i]
        for r in range(n):
            if r != i and M[i][i]:
                k = M[r][i] / M[i][i]
                M[r] = [x - k * y for x, y in zip(M[r], M[i])]
    return [M[i][n] / M[i][i] if M[i][i] else 0 for i in range(n)]


out = open(sys.argv[2], "w") if len(sys.argv) > 2 else None
for ti, (prof, cc, _) in enumerate(PROFILES):
    A, b = [], []
    for name, fp, got in rows:
        t = fp["targets"][ti]
        A.append([1.0] + [float(fp["features"][f]) for f in FEATS])
        b.append(got[prof] - t["rodata"] - t["data"] - t["bss"])
    # relative least squares: each model's residual over its measured flash (what the 10% check sees)
    wt = [1.0 / got[prof] for name, fp, got in rows]
    Aw = [[v * k for v in a] for a, k in zip(A, wt)]
    bw = [y * k for y, k in zip(b, wt)]
    keep = list(range(len(A[0])))  # drop features whose cost comes out negative, refit (costs stay >= 0)
    while True:
        xs = solve([[a[i] for i in keep] for a in Aw], bw)
        neg = [k for k, c in zip(keep, xs) if c < 0 and k]
        if not neg:
            break
        keep.remove(min(neg, key=lambda k: xs[keep.index(k)]))
    x = [0.0] * len(A[0])
    for k, c in zip(keep, xs):
        x[k] = c
    errs = []
    for (name, fp, got), a in zip(rows, A):
        t = fp["targets"][ti]
        pred = sum(c * v for c, v in zip(x, a)) + t["rodata"]
        errs.append(((pred - got[prof]) / got[prof], name, round(pred), got[prof]))
        if out:
            out.write("%s\t%s\t%d\t%d\n" % (prof, name, round(pred), got[prof]))
    errs.sort(key=lambda e: abs(e[0]))
    within = sum(abs(e[0]) <= 0.10 for e in errs) / len(errs)
    print("%-13s base %.0f costs {%s}" % (prof, x[0], ", ".join("%.0f" % c for c in x[1:])))
    print("    flash error: median %.1f%%, within 10%%: %.0f%%, worst %s" % (100 * abs(errs[len(errs) // 2][0]), 100 * within,
          ", ".join("%s %+.0f%% (%d vs %d)" % (e[1], 100 * e[0], e[2], e[3]) for e in errs[-3:])))
