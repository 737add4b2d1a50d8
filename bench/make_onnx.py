"""Writes the ONNX benchmark models into bench/models/ with seeded random
weights (numpy + onnx from PyPI; only for benchmarks, mlgen never needs
Python):

  mlp784.onnx      784-512-256-10 MLP (Gemm, Relu, Softmax)
  lenet5.onnx      LeNet-5 on 1x1x28x28
  resnet8.onnx     CIFAR ResNet-8 on 1x3x32x32 (3 stages, 16/32/64 channels)
  mobilenet.onnx   4 depthwise-separable blocks on 1x32x56x56
  encoder.onnx     transformer encoder layer, seq 64, d_model 128, 4 heads
  resnet50.onnx    ResNet-50 on 1x3x224x224, 25.6M parameters

Usage: python bench/make_onnx.py [name ...]   (default: all)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, "models")


class G:
    """A tiny graph builder: nodes, initializers, fresh names."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, p):
        self.n += 1
        return f"{p}{self.n}"

    def const(self, p, a):
        nm = self.name(p)
        self.inits.append(numpy_helper.from_array(np.asarray(a), nm))
        return nm

    def op(self, op, ins, p=None, **attrs):
        o = self.name(p or op.lower())
        self.nodes.append(helper.make_node(op, ins, [o], name=o, **attrs))
        return o

    def conv(self, x, cin, cout, k, stride=1, pad=None, group=1, bn=True, relu=True):
        pad = k // 2 if pad is None else pad
        w = (self.rng.standard_normal((cout, cin // group, k, k)) * np.sqrt(2.0 / (cin // group * k * k)))
        ins = [x, self.const("w", w.astype(np.float32))]
        if not bn:
            ins.append(self.const("b", (0.01 * self.rng.standard_normal(cout)).astype(np.float32)))
        y = self.op("Conv", ins, kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4, group=group)
        if bn:
            f = np.float32
            y = self.op("BatchNormalization", [y, self.const("s", (1 + 0.1 * self.rng.standard_normal(cout)).astype(f)),
                                               self.const("o", (0.1 * self.rng.standard_normal(cout)).astype(f)),
                                               self.const("m", (0.1 * self.rng.standard_normal(cout)).astype(f)),
                                               self.const("v", (1 + 0.1 * self.rng.random(cout)).astype(f))],
                        epsilon=1e-5)
        return self.op("Relu", [y]) if relu else y

    def gemm(self, x, k, n):
        w = (self.rng.standard_normal((n, k)) / np.sqrt(k)).astype(np.float32)
        b = (0.01 * self.rng.standard_normal(n)).astype(np.float32)
        return self.op("Gemm", [x, self.const("w", w), self.const("b", b)], transB=1)

    def save(self, name, inputs, outputs):
        g = helper.make_graph(self.nodes, name, [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="mlgen-bench")
        m.ir_version = 8
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, name + ".onnx")
        onnx.save(m, path)
        return path


def mlp784():
    g = G(0)
    h = g.op("Relu", [g.gemm("x", 784, 512)])
    h = g.op("Relu", [g.gemm(h, 512, 256)])
    y = g.op("Softmax", [g.gemm(h, 256, 10)], axis=1)
    return g.save("mlp784", [("x", [1, 784])], [y])


def lenet5():
    g = G(1)
    h = g.conv("x", 1, 6, 5, pad=2, bn=False)
    h = g.op("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2])
    h = g.conv(h, 6, 16, 5, pad=0, bn=False)
    h = g.op("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2])
    h = g.op("Flatten", [h])
    h = g.op("Relu", [g.gemm(h, 400, 120)])
    h = g.op("Relu", [g.gemm(h, 120, 84)])
    return g.save("lenet5", [("x", [1, 1, 28, 28])], [g.gemm(h, 84, 10)])


def basic_block(g, x, cin, cout, stride):
    h = g.conv(x, cin, cout, 3, stride)
    h = g.conv(h, cout, cout, 3, relu=False)
    sc = x if stride == 1 and cin == cout else g.conv(x, cin, cout, 1, stride, relu=False)
    return g.op("Relu", [g.op("Add", [h, sc])])


def resnet8():
    g = G(2)
    h = g.conv("x", 3, 16, 3)
    for cin, cout, s in [(16, 16, 1), (16, 32, 2), (32, 64, 2)]:
        h = basic_block(g, h, cin, cout, s)
    h = g.op("Flatten", [g.op("GlobalAveragePool", [h])])
    return g.save("resnet8", [("x", [1, 3, 32, 32])], [g.gemm(h, 64, 10)])


def mobilenet():
    g = G(3)
    h, c = "x", 32
    for cout, s in [(64, 1), (128, 2), (128, 1), (256, 2)]:
        h = g.conv(h, c, c, 3, s, group=c)  # depthwise
        h = g.conv(h, c, cout, 1)  # pointwise
        c = cout
    return g.save("mobilenet", [("x", [1, 32, 56, 56])], [h])


def encoder():
    g = G(4)
    s, d, nh = 64, 128, 4
    dh = d // nh
    f = np.float32

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


def resnet50():
    g = G(5)
    h = g.conv("x", 3, 64, 7, 2, 3)
    h = g.op("MaxPool", [h], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for width, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        for b in range(blocks):
            s = stride if b == 0 else 1
            cout = width * 4
            y = g.conv(h, cin, width, 1)
            y = g.conv(y, width, width, 3, s)
            y = g.conv(y, width, cout, 1, relu=False)
            sc = g.conv(h, cin, cout, 1, s, relu=False) if b == 0 else h
            h = g.op("Relu", [g.op("Add", [y, sc])])
            cin = cout
    h = g.op("Flatten", [g.op("GlobalAveragePool", [h])])
    return g.save("resnet50", [("x", [1, 3, 224, 224])], [g.gemm(h, 2048, 1000)])


MODELS = {f.__name__: f for f in [mlp784, lenet5, resnet8, mobilenet, encoder, resnet50]}

if __name__ == "__main__":
    for n in sys.argv[1:] or list(MODELS):
        print("wrote", MODELS[n]())
