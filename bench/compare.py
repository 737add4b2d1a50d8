"""mlgen's generated C against ONNX Runtime, single-threaded, interleaved in
one run; sgemm from generated code against OpenBLAS; the core's FMA peak.

  bash bench/setup.sh                      # venv with onnx + onnxruntime, libopenblas-dev
  /work/venv-bench/bin/python bench/compare.py [--build build] [--rounds 5] [--secs 0.5] [models...]

For each model (bench/make_onnx.py, seeded): mlgen build, gcc -O3
-march=native (bench/latency.c), ORT with intra_op_num_threads=1,
inter_op_num_threads=1, ORT_SEQUENTIAL. Each round times every model once
on each side in turn (each timing: the median of 5 slices of about SECS/5),
so both sides see the same load; the figures are medians over rounds,
the spread is min..max over rounds, and the ratio is mlgen / ORT of the
medians. Outputs are checked against ORT once (max abs difference).
"""
import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
sys.path.insert(0, here)
import make_onnx  # noqa: E402

CC = os.environ.get("CC", "gcc")
CFLAGS = ["-O3", "-march=native", "-ffp-contract=fast", "-std=c11"]


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def build_c(mlgen, model, name, work, tuning=None):
    out = os.path.join(work, name)
    t0 = time.time()
    sh([mlgen, "build", model, "-o", out, "--name", name] + (["--tuning", tuning] if tuning else []))
    tb = time.time() - t0
    exe = os.path.join(work, name + ".exe")
    t0 = time.time()
    sh([CC] + CFLAGS + ["-I", out, f'-DHEADER="{name}.h"', f"-DNAME={name}", f"-DARENA={name.upper()}_ARENA_SIZE",
                        os.path.join(here, "latency.c"), os.path.join(out, name + ".c"),
                        os.path.join(out, name + "_weights.c"), "-lm", "-o", exe])
    return exe, tb, time.time() - t0


def ort_session(path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def time_ort(sess, feed, secs):
    iters = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(iters):
            sess.run(None, feed)
        t = time.perf_counter() - t0
        if t > secs / 20:
            iters = int(iters * (secs / 5) / t) + 1
            break
        iters *= 2
    r = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(iters):
            sess.run(None, feed)
        r.append((time.perf_counter() - t0) / iters * 1e6)
    return statistics.median(r)


def sgemm_model(n, seed=7):
    """C = A @ B with A the input and B a constant (generated code's weights)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    b = np.random.default_rng(seed).standard_normal((n, n)).astype(np.float32)
    g = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], f"sgemm{n}",
                          [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])],
                          [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])], [numpy_helper.from_array(b, "b")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    path = os.path.join(make_onnx.out_dir, f"sgemm{n}.onnx")
    os.makedirs(make_onnx.out_dir, exist_ok=True)
    onnx.save(m, path)
    return path


def tune_build(a, mlgen, model, name, work):
    """with --tune: mlgen tune (same compiler and flags), then the tuned build"""
    if not a.tune:
        return None
    tj = os.path.join(work, name + ".tuning.json")
    t0 = time.time()
    env = dict(os.environ, MLGEN_CC=CC, MLGEN_BENCH_CFLAGS=" ".join(CFLAGS[:-1]))
    sh([mlgen, "tune", model, "-o", tj, "--name", name], env=env)
    exe, _, _ = build_c(mlgen, model, name + "_t", work, tj)
    print(f"# {name}: mlgen tune {time.time() - t0:.0f} s", flush=True)
    return exe


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--secs", type=float, default=0.5)
    ap.add_argument("--sgemm", default="256,512,1024")
    ap.add_argument("--tune", action="store_true",
                    help="also run mlgen tune per model first and time the tuned build beside the default one")
    ap.add_argument("models", nargs="*", default=["mlp784", "lenet5", "resnet8", "mobilenet", "encoder", "resnet50"])
    a = ap.parse_args()
    mlgen = os.path.join(a.build, "mlgen")
    work = tempfile.mkdtemp(prefix="mlgen-bench-")
    rng = np.random.default_rng(11)
    cases = []
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.processor() or platform.machine()}; "
          f"{sh([CC, '--version']).splitlines()[0]}; flags {' '.join(CFLAGS)}", flush=True)
    try:
        cpu = [l for l in open("/proc/cpuinfo") if l.startswith("model name")][0].split(":")[1].strip()
        print(f"# CPU: {cpu}, {os.cpu_count()} cores (others' builds share them: medians of interleaved rounds)")
    except OSError:
        pass
    import onnxruntime
    print(f"# onnxruntime {onnxruntime.__version__}, 1 thread, sequential")
    for name in a.models:
        path = make_onnx.MODELS[name]()
        exe, tb, tc = build_c(mlgen, path, name, work)
        exe_t = tune_build(a, mlgen, path, name, work)
        sess = ort_session(path)
        inp = sess.get_inputs()[0]
        x = rng.standard_normal([d if isinstance(d, int) else 1 for d in inp.shape]).astype(np.float32)
        xin = os.path.join(work, name + ".in")
        x.tofile(xin)
        ref = sess.run(None, {inp.name: x})[0]
        cases.append(dict(label=name, exe=exe, exe_t=exe_t, sess=sess, feed={inp.name: x}, xin=xin, ref=ref, build=tb,
                          cc=tc, flops=None))
        print(f"# {name}: mlgen build {tb:.2f} s, {CC} -O3 {tc:.1f} s", flush=True)
    blas = None
    if a.sgemm:
        blas = os.path.join(work, "sgemm_blas")
        try:
            sh([CC, "-O2", "-std=c11", os.path.join(here, "sgemm_blas.c"), "-I/usr/include/x86_64-linux-gnu/openblas-pthread",
                "-lopenblas", "-o", blas])
        except subprocess.CalledProcessError as e:
            print("# OpenBLAS benchmark not built (bash bench/setup.sh):", e.stderr.strip()[:200])
            blas = None
        for n in [int(s) for s in a.sgemm.split(",")]:
            path = sgemm_model(n)
            exe, tb, tc = build_c(mlgen, path, f"sgemm{n}", work)
            exe_t = tune_build(a, mlgen, path, f"sgemm{n}", work)
            x = rng.standard_normal((n, n)).astype(np.float32)
            xin = os.path.join(work, f"sgemm{n}.in")
            x.tofile(xin)
            cases.append(dict(label=f"sgemm{n}", exe=exe, exe_t=exe_t, sess=None, n=n, xin=xin, flops=2.0 * n ** 3))
    # the probe as wide as the machine's vectors: 16 floats with AVX-512
    # (gcc 12 -march=native builds 256-bit loops by default there, ORT's MLAS
    # dispatches 512-bit kernels), else 8
    macros = sh([CC, "-march=native", "-dM", "-E", "-x", "c", "/dev/null"])
    vec = 16 if "__AVX512F__" in macros else 8
    peak = os.path.join(work, "peak")
    sh([CC, "-O2", "-march=native", "-ffp-contract=fast", "-std=c11", f"-DVEC={vec}", os.path.join(here, "peak.c"),
        "-o", peak])
    res = {c["label"]: ([], [], []) for c in cases}
    peaks = []
    env1 = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env1.pop(k, None)
    for r in range(a.rounds):
        peaks.append(float(sh([peak])))
        for c in cases:
            outp = c["xin"] + ".out"
            tc = float(sh([c["exe"], c["xin"], outp, str(a.secs)]))
            if c["sess"] is not None:
                to = time_ort(c["sess"], c["feed"], a.secs)
                if r == 0:
                    got = np.fromfile(outp, dtype=np.float32)
                    c["err"] = float(np.max(np.abs(got - c["ref"].ravel())))
            elif blas:
                to = float(sh([blas, str(c["n"]), str(a.secs)], env=env1))
            else:
                to = float("nan")
            res[c["label"]][0].append(tc)
            res[c["label"]][1].append(to)
            if c["exe_t"]:
                res[c["label"]][2].append(float(sh([c["exe_t"], c["xin"], outp + ".t", str(a.secs)])))
        print(f"# round {r + 1}/{a.rounds} done", flush=True)
    pk = statistics.median(peaks)
    print(f"\nFMA peak probe ({vec} floats per vector): {pk:.1f} GFLOP/s (median of {a.rounds}; "
          f"{min(peaks):.1f}..{max(peaks):.1f})\n")
    if a.tune:
        print("| case | mlgen C (us) | spread | tuned (us) | spread | peer (us) | spread | mlgen / peer | tuned / peer |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c in cases:
            m, o, t = res[c["label"]]
            mc, mo, mt = statistics.median(m), statistics.median(o), statistics.median(t)
            peer = "ORT" if c["sess"] is not None else "OpenBLAS"
            print(f"| {c['label']} ({peer}) | {mc:.1f} | {min(m):.1f}..{max(m):.1f} | {mt:.1f} | {min(t):.1f}..{max(t):.1f} "
                  f"| {mo:.1f} | {min(o):.1f}..{max(o):.1f} | {mc / mo:.2f} | {mt / mo:.2f} |")
        print()
    print(f"| case | mlgen C (us) | spread | peer (us) | spread | mlgen / peer | max abs diff vs ORT |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for c in cases:
        m, o, _ = res[c["label"]]
        mc, mo = statistics.median(m), statistics.median(o)
        peer = "ORT" if c["sess"] is not None else "OpenBLAS"
        extra = f"{c['err']:.2e}" if "err" in c else ""
        line = (f"| {c['label']} ({peer}) | {mc:.1f} | {min(m):.1f}..{max(m):.1f} | {mo:.1f} | {min(o):.1f}..{max(o):.1f} "
                f"| {mc / mo:.2f} | {extra} |")
        if c["flops"]:
            line += f" mlgen {c['flops'] / mc * 1e-3:.1f} GFLOP/s, OpenBLAS {c['flops'] / mo * 1e-3:.1f} GFLOP/s"
        print(line)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
