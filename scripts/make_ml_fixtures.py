#!/usr/bin/env python3
"""make_ml_fixtures.py: the classic-ML test fixtures of tests/ml/fixtures/.

Trains small models on datasets that ship inside scikit-learn (breast_cancer,
wine, digits, diabetes), saves them as ONNX (skl2onnx, zipmap off), XGBoost
JSON and LightGBM text, and next to each model the test inputs (.npy, f32,
some with NaNs injected) and the source library's own predictions (.npy):
sklearn's predict / predict_proba, Booster.predict of xgboost and lightgbm.
mlgen's outputs are compared against those, never against mlgen itself.

Each line of fixtures/manifest.txt: NAME MODEL INPUT EXPECTED[,EXPECTED...]
(expected files in the model's output order). onnxruntime, when installed,
is run too and its disagreement with the library is printed, for the record.

  pip install scikit-learn xgboost lightgbm skl2onnx onnx [onnxruntime]
  python3 scripts/make_ml_fixtures.py [OUT_DIR]

Deterministic (fixed seeds); re-running rewrites the same files up to the
libraries' own version differences.
"""
import os
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "ml", "fixtures")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)
manifest = []


def data(name, n_test):
    from sklearn import datasets
    X, y = getattr(datasets, "load_" + name)(return_X_y=True)
    X = X.astype(np.float32)
    idx = rng.permutation(len(X))
    return X[idx], y[idx], X[idx[:n_test]].copy()


def with_nans(X, frac=0.08):
    X = X.copy()
    X[rng.random(X.shape) < frac] = np.nan
    return X


def save(name, model_file, Xt, outs):
    np.save(os.path.join(OUT, name + ".input.npy"),
            np.ascontiguousarray(Xt, dtype=Xt.dtype if Xt.dtype.kind in "Uiu" else np.float32))
    files = []
    for i, o in enumerate(outs):
        f = "%s.expected%d.npy" % (name, i)
        np.save(os.path.join(OUT, f), np.ascontiguousarray(o))
        files.append(f)
    manifest.append("%s %s %s.input.npy %s" % (name, model_file, name, ",".join(files)))


def check_ort(name, path, Xt, outs):
    try:
        import onnxruntime as ort
    except ImportError:
        return
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    res = s.run(None, {s.get_inputs()[0].name: Xt})
    for i, (r, e) in enumerate(zip(res, outs)):
        r = np.asarray(r).reshape(e.shape)
        if e.dtype.kind == "U":
            print("  ort vs library %-22s out%d: %d of %d strings differ" % (name, i, int((r != e).sum()), e.size))
            continue
        d = np.abs(r.astype(np.float64) - e.astype(np.float64))
        print("  ort vs library %-22s out%d: max|diff| %.3g, mismatches > 1e-5: %d" %
              (name, i, d.max() if d.size else 0, int((d > 1e-5 + 1e-5 * np.abs(e)).sum())))


def onnx_model(name, model, X, y, Xt, classifier, labels_only=False):
    from skl2onnx import to_onnx
    model.fit(X, y)
    opts = {id(model): {"zipmap": False}} if classifier else None
    onx = to_onnx(model, X[:1], options=opts, target_opset={"": 17, "ai.onnx.ml": 3})
    path = os.path.join(OUT, name + ".onnx")
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())
    label = model.predict(Xt).astype(np.int64 if np.asarray(y).dtype.kind in "iu" else str)  # string class labels stay
    if labels_only:  # SVC without probabilities: its ONNX scores are not sklearn's decision_function
        outs = [label]
    elif classifier:
        outs = [label, model.predict_proba(Xt).astype(np.float32)]
    else:
        outs = [model.predict(Xt).astype(np.float32).reshape(-1, 1)]
    save(name, name + ".onnx", Xt, outs)
    check_ort(name, path, Xt, outs)
    ops = sorted({n.op_type for n in onx.graph.node})
    print("%-16s %s %s" % (name, ops, [o.shape for o in outs]))


def xgb_onnx(name, X, y, Xt):
    import xgboost as xgb
    from onnxmltools import convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType
    m = xgb.XGBClassifier(n_estimators=10, max_depth=5, random_state=0).fit(X, y)
    onx = convert_xgboost(m, initial_types=[("input", FloatTensorType([None, X.shape[1]]))], target_opset=15)
    path = os.path.join(OUT, name + ".onnx")
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())
    outs = [m.predict(Xt).astype(np.int64), m.predict_proba(Xt).astype(np.float32)]
    save(name, name + ".onnx", Xt, outs)
    check_ort(name, path, Xt, outs)
    print("%-16s %s %s" % (name, sorted({n.op_type for n in onx.graph.node}), [o.shape for o in outs]))


def xgb_model(name, params, X, y, Xt, rounds):
    import xgboost as xgb
    b = xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=rounds)
    b.save_model(os.path.join(OUT, name + ".json"))
    p = b.predict(xgb.DMatrix(Xt)).astype(np.float32)
    obj = params["objective"]
    if obj.startswith("multi:"):
        outs = [p.argmax(axis=1).astype(np.int64), p]
    elif obj == "binary:logistic":
        outs = [(p > 0.5).astype(np.int64), p]
    else:
        outs = [p]
    save(name, name + ".json", Xt, outs)
    print("%-16s xgboost %s depth<=%s rounds=%d" % (name, obj, params.get("max_depth"), rounds))


def lgb_model(name, params, X, y, Xt, rounds, cat=()):
    import lightgbm as lgb
    ds = lgb.Dataset(X, label=y, categorical_feature=list(cat) if cat else "auto", free_raw_data=False)
    b = lgb.train(dict(params, verbose=-1, seed=1, deterministic=True, num_threads=1), ds, num_boost_round=rounds)
    b.save_model(os.path.join(OUT, name + ".txt"))
    p = b.predict(Xt).astype(np.float32)
    obj = params["objective"]
    if obj == "multiclass":
        outs = [p.argmax(axis=1).astype(np.int64), p]
    elif obj == "binary":
        outs = [(p > 0.5).astype(np.int64), p]
    else:
        outs = [p]
    save(name, name + ".txt", Xt, outs)
    print("%-16s lightgbm %s rounds=%d" % (name, obj, rounds))


def string_fixtures(Xw, yw, Xwt, Xc, yc, Xct):
    """String class labels (classlabels_strings: the label output is a string tensor) on a tree ensemble,
    binary and multiclass, a linear classifier and an SVM; and string inputs through OneHotEncoder
    (cats_strings). Labels and categories hold quotes and non-ASCII text on purpose."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier
    wine = np.array(["Barolo", "Grignolino \u00e9", "Barbera \"d'Asti\""])[yw]
    cancer = np.array(["malignant \u2717", "benign"])[yc]
    onnx_model("dt_wine_str", DecisionTreeClassifier(max_depth=3, random_state=0), Xw, wine, Xwt, True)
    onnx_model("dt_cancer_str", DecisionTreeClassifier(max_depth=2, random_state=0), Xc, cancer, Xct, True)
    onnx_model("logreg_cancer_str", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), Xc, cancer, Xct,
               True)
    onnx_model("svc_wine_str", make_pipeline(StandardScaler(), SVC(kernel="poly", degree=2)), Xw, wine, Xwt, True,
               labels_only=True)
    r = np.random.default_rng(11)
    colour = np.array(["red", "green", "blue", "gr\u00fcn", ""])
    size = np.array(["S", "M", "L\\XL"])
    Xs = np.stack([colour[r.integers(0, 4, 300)], size[r.integers(0, 3, 300)]], 1)
    ys = ((Xs[:, 0] == "red") ^ (r.random(300) < 0.2)).astype(np.int64)
    Xst = np.stack([colour[r.integers(0, 5, 60)], size[r.integers(0, 3, 60)]], 1)  # "" is an unseen category
    onnx_model("ohe_logreg_str", make_pipeline(OneHotEncoder(handle_unknown="ignore"), LogisticRegression()), Xs, ys,
               Xst, True)


def label_encoder(name, x, ml_opset, **attrs):
    """One LabelEncoder node over input x; the expected output is onnxruntime's (there is no library
    model behind it), so onnxruntime is required here."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper
    ty = {"U": TensorProto.STRING, "i": TensorProto.INT64, "f": TensorProto.FLOAT}
    vals = attrs.get("values_tensor")
    out_ty = (vals.data_type if vals is not None else TensorProto.STRING if "values_strings" in attrs
              else TensorProto.FLOAT if "values_floats" in attrs else TensorProto.INT64)
    if "classes_strings" in attrs:  # ml opset 1: string -> index, or index -> string
        out_ty = TensorProto.INT64 if x.dtype.kind == "U" else TensorProto.STRING
    g = helper.make_graph([helper.make_node("LabelEncoder", ["X"], ["Y"], domain="ai.onnx.ml", **attrs)], name,
                          [helper.make_tensor_value_info("X", ty[x.dtype.kind], list(x.shape))],
                          [helper.make_tensor_value_info("Y", out_ty, list(x.shape))])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", ml_opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    path = os.path.join(OUT, name + ".onnx")
    with open(path, "wb") as f:
        f.write(m.SerializeToString())
    y = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"X": x})[0]
    save(name, name + ".onnx", x, [y.astype(str) if y.dtype == object else y])
    print("%-16s LabelEncoder %s -> %s" % (name, x.dtype, y.dtype))


def label_encoders():
    """LabelEncoder in every direction over strings (the ONNX node tests have string -> int only), in the
    attribute forms of ml opset 2 and the tensor forms of opset 4; the strings hold what C literals must
    escape: quotes, a backslash, a newline, a control byte before a digit, UTF-8."""
    from onnx import TensorProto, helper
    odd = ["q\"uote", "back\\slash", "new\nline", "\x01" + "7", "\u65e5\u672c", "??=trigraph"]
    words = np.array(["one", "five", "seven", "nine", "zero", ""])
    ints = np.array([[1, 5, 7], [9, 0, 5]], dtype=np.int64)
    label_encoder("le_int_str", ints, 2, keys_int64s=[1, 5, 7, 9], values_strings=odd[:4], default_string="none")
    label_encoder("le_str_str", words[[0, 1, 2, 3, 4, 5, 1]], 2, keys_strings=["one", "five", "seven", ""],
                  values_strings=odd[2:6])
    label_encoder("le_float_str", np.array([0.5, -1.25, 3.0, 2.0], dtype=np.float32), 2,
                  keys_floats=[0.5, -1.25, 3.0], values_strings=odd[:3], default_string=odd[5])
    label_encoder("le_str_float", words[[4, 0, 2, 2, 3]], 2, keys_strings=["zero", "two", "seven"],
                  values_floats=[0.0, 2.0, -7.5], default_float=2.5)
    label_encoder("le_tensor_int_str", ints, 4, keys_tensor=helper.make_tensor("k", TensorProto.INT64, [3], [5, 7, 0]),
                  values_tensor=helper.make_tensor("v", TensorProto.STRING, [3], [s.encode() for s in odd[3:6]]),
                  default_tensor=helper.make_tensor("d", TensorProto.STRING, [1], [odd[0].encode()]))
    label_encoder("le_v1_str_int", words[[0, 1, 2, 5, 1]], 1, classes_strings=["five", "one", ""], default_int64=-5)
    label_encoder("le_v1_int_str", np.array([2, 0, 7, -1], dtype=np.int64), 1, classes_strings=odd[:3],
                  default_string="?")
    label_encoder("le_tensor_str_str", words[[[0, 1, 5], [2, 3, 4]]], 4,
                  keys_tensor=helper.make_tensor("k", TensorProto.STRING, [4], [b"one", b"", b"nine", b"zero"]),
                  values_tensor=helper.make_tensor("v", TensorProto.STRING, [4], [s.encode() for s in odd[1:5]]))


def main():
    from sklearn.ensemble import (ExtraTreesRegressor, GradientBoostingClassifier, GradientBoostingRegressor,
                                  RandomForestClassifier)
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import Normalizer, StandardScaler
    from sklearn.svm import SVC, SVR
    from sklearn.tree import DecisionTreeClassifier

    Xc, yc, Xct = data("breast_cancer", 120)
    Xw, yw, Xwt = data("wine", 80)
    Xd, yd, Xdt = data("digits", 100)
    Xr, yr, Xrt = data("diabetes", 100)

    # --- ONNX, trees (depths chosen to hit every strategy of the heuristic)
    onnx_model("dt_cancer_d3", DecisionTreeClassifier(max_depth=3, random_state=0), Xc, yc, Xct, True)
    onnx_model("rf_wine_d6", RandomForestClassifier(n_estimators=12, max_depth=6, random_state=0), Xw, yw, Xwt, True)
    onnx_model("gb_cancer_d4", GradientBoostingClassifier(n_estimators=15, max_depth=4, random_state=0), Xc, yc, Xct, True)
    onnx_model("gb_digits_d2", GradientBoostingClassifier(n_estimators=4, max_depth=2, random_state=0), Xd, yd, Xdt,
               True)
    onnx_model("gbr_diabetes_d3", GradientBoostingRegressor(n_estimators=25, max_depth=3, random_state=0), Xr, yr, Xrt,
               False)
    onnx_model("et_diabetes_d13", ExtraTreesRegressor(n_estimators=3, max_depth=13, random_state=0), Xr, yr, Xrt,
               False)
    Xcn = with_nans(Xc, 0.05)
    # missing_value_tracks_true: an XGBoost classifier converted by onnxmltools (skl2onnx's
    # HistGradientBoosting converter fails on current numpy)
    xgb_onnx("xgbc_cancer_nan", Xcn, yc, with_nans(Xct))
    # --- ONNX, linear models, SVMs, featurizers
    onnx_model("logreg_wine", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), Xw, yw, Xwt, True)
    onnx_model("logreg_cancer", make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=500)),
               Xcn, yc, with_nans(Xct), True)
    onnx_model("linreg_diabetes", make_pipeline(Normalizer(), LinearRegression()), Xr, yr, Xrt, False)
    onnx_model("svr_diabetes", make_pipeline(StandardScaler(), SVR(kernel="rbf", C=50)), Xr, yr, Xrt, False)
    onnx_model("svc_wine", make_pipeline(StandardScaler(), SVC(kernel="poly", degree=2)), Xw, yw, Xwt, True,
               labels_only=True)

    # --- XGBoost JSON (NaNs learned at training time and injected in the inputs)
    xgb_model("xgb_cancer_d4", {"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "seed": 0}, Xcn, yc,
              with_nans(Xct), 20)
    xgb_model("xgb_wine_d3", {"objective": "multi:softprob", "num_class": 3, "max_depth": 3, "seed": 0},
              with_nans(Xw), yw, with_nans(Xwt), 8)
    xgb_model("xgb_diabetes_d6", {"objective": "reg:squarederror", "max_depth": 6, "eta": 0.1, "seed": 0},
              with_nans(Xr), yr, with_nans(Xrt), 30)
    xgb_model("xgb_digits_d12", {"objective": "multi:softprob", "num_class": 10, "max_depth": 12, "eta": 0.5,
                                 "min_child_weight": 0, "seed": 0}, Xd, yd, Xdt, 3)

    # --- LightGBM text
    lgb_model("lgb_cancer", {"objective": "binary", "num_leaves": 15}, Xcn, yc, with_nans(Xct), 20)
    Xwc, Xwtc = Xw.copy(), Xwt.copy()
    Xwc[:, 0] = np.floor((Xwc[:, 0] - 11) * 3).clip(0, 11)     # a categorical column
    Xwtc[:, 0] = np.floor((Xwtc[:, 0] - 11) * 3).clip(-1, 12)  # with unseen and negative categories
    Xwtc[::9, 0] = np.nan
    lgb_model("lgb_wine_cat", {"objective": "multiclass", "num_class": 3, "num_leaves": 8, "min_data_per_group": 5,
                               "cat_smooth": 1, "min_data_in_leaf": 5}, Xwc, yw, Xwtc, 10, cat=[0])
    lgb_model("lgb_diabetes", {"objective": "regression", "num_leaves": 40, "min_data_in_leaf": 3}, with_nans(Xr), yr,
              with_nans(Xrt), 25)
    Xz = Xc.copy()
    Xz[rng.random(Xz.shape) < 0.1] = 0
    Xzt = Xct.copy()
    Xzt[rng.random(Xzt.shape) < 0.1] = 0
    Xzt[rng.random(Xzt.shape) < 0.05] = np.nan
    lgb_model("lgb_cancer_zero", {"objective": "binary", "num_leaves": 8, "zero_as_missing": True}, Xz, yc, Xzt, 15)
    string_fixtures(Xw, yw, Xwt, Xc, yc, Xct)
    label_encoders()

    # for the error tests: a classifier with skl2onnx's default ZipMap output
    from skl2onnx import to_onnx
    dt = DecisionTreeClassifier(max_depth=2, random_state=0).fit(Xc, yc)
    with open(os.path.join(OUT, "zipmap_cancer.onnx"), "wb") as f:
        f.write(to_onnx(dt, Xc[:1], target_opset={"": 17, "ai.onnx.ml": 3}).SerializeToString())

    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("# NAME MODEL INPUT EXPECTED... (made by scripts/make_ml_fixtures.py)\n")
        f.write("\n".join(manifest) + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, x)) for x in os.listdir(OUT))
    print("%d fixtures, %.2f MB in %s" % (len(manifest), total / 1e6, OUT))


if __name__ == "__main__":
    main()
