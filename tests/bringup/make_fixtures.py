"""Writes the bring-up test fixtures into tests/bringup/fixtures/ (committed;
rerun only to change them): two small seeded ONNX models of different kinds
and an input for each, built with bench/make_onnx.py's graph builder.

  cnn.onnx      conv(bias)+relu, maxpool, conv+batchnorm+relu, global average
                pool, gemm, softmax on 1x1x12x12
  encoder.onnx  a transformer encoder layer (attention over 2 heads, layer
                norms, relu MLP) on seq 8, d_model 16
  cnn_x.npy, encoder_x.npy   seeded inputs

Usage: /work/venv-bench/bin/python tests/bringup/make_fixtures.py
"""
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "bench"))
import make_onnx  # noqa: E402
from make_onnx import G  # noqa: E402

make_onnx.out_dir = os.path.join(here, "fixtures")
f = np.float32


def cnn():
    g = G(11)
    h = g.conv("x", 1, 4, 3, bn=False)
    h = g.op("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2])
    h = g.conv(h, 4, 8, 3)
    h = g.op("Flatten", [g.op("GlobalAveragePool", [h])])
    y = g.op("Softmax", [g.gemm(h, 8, 10)], axis=1)
    return g.save("cnn", [("x", [1, 1, 12, 12])], [y])


def encoder():
    g = G(12)
    s, d, nh = 8, 16, 2
    dh = d // nh

    def lin(x, k, n):
        w = (g.rng.standard_normal((k, n)) / np.sqrt(k)).astype(f)
        return g.op("Add", [g.op("MatMul", [x, g.const("w", w)]), g.const("b", (0.01 * g.rng.standard_normal(n)).astype(f))])

    def ln(x):
        m = g.op("ReduceMean", [x], axes=[-1])
        xc = g.op("Sub", [x, m])
        v = g.op("ReduceMean", [g.op("Mul", [xc, xc])], axes=[-1])
        r = g.op("Div", [xc, g.op("Sqrt", [g.op("Add", [v, g.const("e", np.array(1e-5, f))])])])
        return g.op("Add", [g.op("Mul", [r, g.const("g", np.ones(d, f))]), g.const("b", np.zeros(d, f))])

    def heads(x):  # [s, d] -> [nh, s, dh]
        return g.op("Transpose", [g.op("Reshape", [x, g.const("sh", np.array([s, nh, dh], np.int64))])], perm=[1, 0, 2])

    x = "x"
    q, k, v = heads(lin(x, d, d)), heads(lin(x, d, d)), heads(lin(x, d, d))
    kt = g.op("Transpose", [k], perm=[0, 2, 1])
    sc = g.op("Mul", [g.op("MatMul", [q, kt]), g.const("sc", np.array(1 / np.sqrt(dh), f))])
    a = g.op("MatMul", [g.op("Softmax", [sc], axis=-1), v])
    a = g.op("Reshape", [g.op("Transpose", [a], perm=[1, 0, 2]), g.const("sh", np.array([s, d], np.int64))])
    h = ln(g.op("Add", [x, lin(a, d, d)]))
    ff = lin(g.op("Relu", [lin(h, d, 4 * d)]), 4 * d, d)
    return g.save("encoder", [("x", [s, d])], [ln(g.op("Add", [h, ff]))])


if __name__ == "__main__":
    rng = np.random.default_rng(13)
    for name, fn, shape in [("cnn", cnn, (1, 1, 12, 12)), ("encoder", encoder, (8, 16))]:
        print(fn())
        np.save(os.path.join(make_onnx.out_dir, name + "_x.npy"), rng.standard_normal(shape).astype(f))
