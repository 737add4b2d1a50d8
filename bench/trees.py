#!/usr/bin/env python3
"""trees.py: single-thread latency of tree ensembles, mlgen (C target, every
strategy) side by side with onnxruntime, the library's own predict, and
treelite/tl2cgen compiled C. Prints a Markdown table (docs/trees.md).

  python3 bench/trees.py [--mlgen build/mlgen] [--quick]

Models (trained here on make_classification / make_regression data, fixed seeds):
  rf   RandomForestClassifier: 100 trees, max_depth 8, 28 features, 3 classes
  gbr  XGBoost regressor: 200 trees, max_depth 6, 28 features
  lgbr LightGBM regressor: 200 trees, max_depth 6 (num_leaves 63), 28 features
Batch 1 and 1000 rows; each figure is the median over repeated timed runs of
the whole call (microseconds per call). A peer that is not installed is
reported as skipped. Everything runs on one thread.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
CFLAGS = ["-O3", "-march=native"]

HARNESS = r"""
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "%(n)s.h"
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
int main(int argc, char **argv) {
  static unsigned char arena[%(N)s_ARENA_SIZE + 64];
  void *ar = (void *)(((size_t)arena + 63) & ~(size_t)63);
  size_t nx = (size_t)%(n)s_inputs[0].size;
  float *x = malloc(sizeof(float) * nx);
  void *outs[%(N)s_NUM_OUTPUTS];
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(x, sizeof(float), nx, f) != nx) return 2;
  fclose(f);
  for (int i = 0; i < %(N)s_NUM_OUTPUTS; i++) outs[i] = malloc((size_t)%(n)s_outputs[i].bytes + 8);
  const void *ins[1] = {x};
  double budget = atof(argv[2]), t[1000];
  int reps = 0, inner = 1;
  double t0 = now();
  %(n)s_run_generic(ins, outs, ar);
  while (now() - t0 < budget / 50) { %(n)s_run_generic(ins, outs, ar); inner++; }
  inner = inner / 5 + 1;
  t0 = now();
  while (reps < 1000 && (reps < 5 || now() - t0 < budget)) {
    double s = now();
    for (int i = 0; i < inner; i++) %(n)s_run_generic(ins, outs, ar);
    t[reps++] = (now() - s) / inner;
  }
  qsort(t, reps, sizeof t[0], cmp);
  printf("%%.3f\n", t[reps / 2] * 1e6);
  return 0;
}
"""


def timeit(fn, budget):
    fn()
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < budget / 50:
        fn()
        n += 1
    inner = max(1, n // 5)
    ts = []
    t0 = time.perf_counter()
    while len(ts) < 5 or time.perf_counter() - t0 < budget:
        s = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - s) / inner)
        if len(ts) >= 1000:
            break
    return float(np.median(ts)) * 1e6


def mlgen_time(mlgen, model, inp, X, strategy, budget, work):
    d = tempfile.mkdtemp(dir=work)
    out = os.path.join(d, "m")
    shape = "%s=%dx%d" % (inp, X.shape[0], X.shape[1])
    r = subprocess.run([mlgen, "build", model, "-o", out, "--name", "m", "--input-shape", shape, "--tree-strategy",
                        strategy], capture_output=True, text=True)
    if r.returncode:
        return None, r.stderr.strip().splitlines()[-1]
    with open(os.path.join(out, "bench.c"), "w") as f:
        f.write(HARNESS % {"n": "m", "N": "M"})
    X.astype(np.float32).tofile(os.path.join(out, "x.bin"))
    exe = os.path.join(out, "bench")
    t0 = time.time()
    r = subprocess.run(["cc", "-std=c99"] + CFLAGS + ["-o", exe, os.path.join(out, "bench.c"),
                                                      os.path.join(out, "m.c"), "-lm"], capture_output=True, text=True)
    ct = time.time() - t0
    if r.returncode:
        return None, "cc failed: " + r.stderr[:200]
    r = subprocess.run([exe, os.path.join(out, "x.bin"), str(budget)], capture_output=True, text=True)
    shutil.rmtree(d, ignore_errors=True)
    if r.returncode:
        return None, "run failed"
    return float(r.stdout), "cc %.1fs" % ct


def ort_time(path, X, budget):
    try:
        import onnxruntime as ort
    except ImportError:
        return None, "onnxruntime not installed"
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    return timeit(lambda: s.run(None, {name: X}), budget), "onnxruntime " + ort.__version__


def tl2cgen_time(tl_model, X, budget, work):
    try:
        import tl2cgen
    except ImportError:
        return None, "tl2cgen not installed"
    lib = os.path.join(tempfile.mkdtemp(dir=work), "m.so")
    tl2cgen.export_lib(tl_model, toolchain="gcc", libpath=lib, params={"parallel_comp": 1}, nthread=1,
                       options=CFLAGS)
    p = tl2cgen.Predictor(lib, nthread=1)
    dm = tl2cgen.DMatrix(X)
    return timeit(lambda: p.predict(dm), budget), "tl2cgen " + tl2cgen.__version__


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlgen", default=os.path.join(HERE, "..", "build", "mlgen"))
    ap.add_argument("--quick", action="store_true", help="shorter timing budget")
    ap.add_argument("--strategies", default="gemm,tree,perfect")
    a = ap.parse_args()
    budget = 0.2 if a.quick else 1.0
    from sklearn.datasets import make_classification, make_regression
    from sklearn.ensemble import RandomForestClassifier
    work = tempfile.mkdtemp(prefix="mlgen-bench-")
    rng = np.random.default_rng(0)
    rows = []

    def add(model, batch, who, us, note):
        rows.append((model, batch, who, us, note))
        print("%-5s %5d %-28s %s  %s" % (model, batch, who, "%10.1f" % us if us is not None else "   skipped", note),
              file=sys.stderr)

    # ---- random forest
    Xc, yc = make_classification(n_samples=4000, n_features=28, n_informative=14, n_classes=3, random_state=0)
    Xc = Xc.astype(np.float32)
    rf = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0, n_jobs=1).fit(Xc, yc)
    from skl2onnx import to_onnx
    rf_onnx = os.path.join(work, "rf.onnx")
    with open(rf_onnx, "wb") as f:
        f.write(to_onnx(rf, Xc[:1], options={id(rf): {"zipmap": False}},
                        target_opset={"": 17, "ai.onnx.ml": 3}).SerializeToString())
    try:
        import treelite
        rf_tl = treelite.sklearn.import_model(rf)
    except Exception as e:  # noqa: BLE001
        rf_tl, rf_tl_err = None, str(e)
    # ---- gradient-boosted regressors
    Xr, yr = make_regression(n_samples=4000, n_features=28, n_informative=20, noise=5, random_state=0)
    Xr = Xr.astype(np.float32)
    import xgboost as xgb
    gbr = xgb.train({"objective": "reg:squarederror", "max_depth": 6, "eta": 0.1, "nthread": 1, "seed": 0},
                    xgb.DMatrix(Xr, label=yr), num_boost_round=200)
    gbr.set_param({"nthread": 1})
    gbr_json = os.path.join(work, "gbr.json")
    gbr.save_model(gbr_json)
    gbr_onnx = os.path.join(work, "gbr.onnx")
    try:
        from onnxmltools import convert_xgboost
        from onnxmltools.convert.common.data_types import FloatTensorType
        reg = xgb.XGBRegressor()
        reg.load_model(gbr_json)
        with open(gbr_onnx, "wb") as f:
            f.write(convert_xgboost(reg, initial_types=[("input", FloatTensorType([None, 28]))],
                                    target_opset=15).SerializeToString())
    except Exception:  # noqa: BLE001
        gbr_onnx = None
    import lightgbm as lgb
    lg = lgb.train({"objective": "regression", "max_depth": 6, "num_leaves": 63, "num_threads": 1, "verbose": -1,
                    "seed": 0}, lgb.Dataset(Xr, label=yr), num_boost_round=200)
    lg_txt = os.path.join(work, "lgbr.txt")
    lg.save_model(lg_txt)

    for batch in (1, 1000):
        Xcb = Xc[rng.integers(0, len(Xc), batch)]
        Xrb = Xr[rng.integers(0, len(Xr), batch)]
        # rf
        for s in a.strategies.split(","):
            us, note = mlgen_time(a.mlgen, rf_onnx, "X", Xcb, s, budget, work)
            add("rf", batch, "mlgen C, " + s, us, note)
        us, note = ort_time(rf_onnx, Xcb, budget)
        add("rf", batch, "onnxruntime", us, note)
        add("rf", batch, "sklearn predict_proba", timeit(lambda: rf.predict_proba(Xcb), budget), "n_jobs=1")
        if rf_tl is not None:
            us, note = tl2cgen_time(rf_tl, Xcb, budget, work)
            add("rf", batch, "treelite/tl2cgen C", us, note)
        # xgboost gbr
        for s in a.strategies.split(","):
            us, note = mlgen_time(a.mlgen, gbr_json, "input", Xrb, s, budget, work)
            add("gbr", batch, "mlgen C, " + s, us, note)
        if gbr_onnx:
            us, note = ort_time(gbr_onnx, Xrb, budget)
            add("gbr", batch, "onnxruntime", us, note)
        # (Booster.predict on a reused DMatrix returns a cached result: not a latency)
        add("gbr", batch, "xgboost inplace_predict", timeit(lambda: gbr.inplace_predict(Xrb), budget),
            "xgboost %s, nthread=1" % xgb.__version__)
        try:
            import treelite
            us, note = tl2cgen_time(treelite.frontend.load_xgboost_model(gbr_json), Xrb, budget, work)
            add("gbr", batch, "treelite/tl2cgen C", us, note)
        except Exception as e:  # noqa: BLE001
            add("gbr", batch, "treelite/tl2cgen C", None, str(e)[:80])
        # lightgbm gbr
        for s in a.strategies.split(","):
            us, note = mlgen_time(a.mlgen, lg_txt, "input", Xrb, s, budget, work)
            add("lgbr", batch, "mlgen C, " + s, us, note)
        add("lgbr", batch, "lightgbm predict", timeit(lambda: lg.predict(Xrb, num_threads=1), budget),
            "lightgbm " + lgb.__version__)
        try:
            import treelite
            us, note = tl2cgen_time(treelite.frontend.load_lightgbm_model(lg_txt), Xrb, budget, work)
            add("lgbr", batch, "treelite/tl2cgen C", us, note)
        except Exception as e:  # noqa: BLE001
            add("lgbr", batch, "treelite/tl2cgen C", None, str(e)[:80])

    print("| model | batch | runtime | µs per call | note |")
    print("|---|---:|---|---:|---|")
    for m, b, w, us, note in rows:
        print("| %s | %d | %s | %s | %s |" % (m, b, w, "%.1f" % us if us is not None else "skipped", note))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
