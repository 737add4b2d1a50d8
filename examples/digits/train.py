#!/usr/bin/env python3
"""Train a small MLP on sklearn's 8x8 digits and export it for mlgen.

Writes (relative to this script's folder):
  weights/fc{1,2,3}_{w,b}.npy   float32, W in [out, in] layout (Gemm transB=1)
  data/x_test.npy               float32 [N, 64], features already scaled by /16
  data/y_test.npy               int64   [N]
  data/expected.txt             correct=<k> total=<N> accuracy=<k/N>
"""
import os
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = os.path.dirname(os.path.abspath(__file__))


def save(rel, arr, dtype):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    arr = np.ascontiguousarray(np.asarray(arr, dtype=np.dtype(dtype).newbyteorder("<")))
    np.save(path, arr)
    return arr


def main():
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y)

    clf = MLPClassifier(hidden_layer_sizes=(32, 16), activation="relu",
                        max_iter=600, random_state=0)
    clf.fit(X_tr, y_tr)

    ws, bs = [], []
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_), start=1):
        ws.append(save(f"weights/fc{i}_w.npy", W.T, np.float32))
        bs.append(save(f"weights/fc{i}_b.npy", b, np.float32))
    x_test = save("data/x_test.npy", X_te, np.float32)
    y_test = save("data/y_test.npy", y_te, np.int64)

    # float32 forward pass from the saved weights
    w1, w2, w3 = (np.load(os.path.join(HERE, f"weights/fc{i}_w.npy")) for i in (1, 2, 3))
    b1, b2, b3 = (np.load(os.path.join(HERE, f"weights/fc{i}_b.npy")) for i in (1, 2, 3))
    h = np.maximum(x_test @ w1.T + b1, np.float32(0))
    h = np.maximum(h @ w2.T + b2, np.float32(0))
    logits = h @ w3.T + b3
    assert logits.dtype == np.float32
    pred_np = np.argmax(logits, axis=1)
    pred_sk = clf.predict(X_te)

    n = int(y_test.shape[0])
    k_np = int(np.sum(pred_np == y_test))
    k_sk = int(np.sum(pred_sk == y_te))
    print(f"numpy float32: correct={k_np} total={n} accuracy={k_np / n:.4f}")
    print(f"sklearn predict: correct={k_sk} total={n} accuracy={k_sk / n:.4f}")
    if k_np != k_sk or not np.array_equal(pred_np, pred_sk):
        print("error: numpy float32 forward pass and clf.predict disagree",
              file=sys.stderr)
        return 1
    if k_np / n < 0.95:
        print(f"warning: accuracy {k_np / n:.4f} < 0.95", file=sys.stderr)

    with open(os.path.join(HERE, "data/expected.txt"), "w") as f:
        f.write(f"correct={k_np} total={n} accuracy={k_np / n:.4f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
