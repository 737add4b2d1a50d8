#!/usr/bin/env python3
"""make_hostile.py: writes the small hostile ONNX files that tests/errors/errors.sh
feeds mlgen (issue 15). The outputs are committed under tests/errors/hostile/;
run this only to regenerate them:  python3 tests/errors/make_hostile.py

No onnx package needed: a few lines of protobuf encoding (field numbers from
frontend/onnx.proto)."""
import os
import struct
import sys


def varint(n):
    n &= (1 << 64) - 1
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def key(field, wire):
    return varint(field << 3 | wire)


def vi(field, n):  # varint field
    return key(field, 0) + varint(n)


def ld(field, data):  # length-delimited field
    if isinstance(data, str):
        data = data.encode()
    return key(field, 2) + varint(len(data)) + data


def f32(field, x):
    return key(field, 5) + struct.pack("<f", x)


# TensorProto: dims 1, data_type 2, int64_data 7, name 8, raw_data 9
def tensor(name, dt, dims, raw):
    return b"".join(vi(1, d) for d in dims) + vi(2, dt) + ld(8, name) + ld(9, raw)


F32, I64, BOOL = 1, 7, 9


# ValueInfoProto name 1, type 2: TypeProto.tensor_type 1 {elem_type 1, shape 2 {dim 1 {dim_value 1}}}
def value(name, dt, dims):
    shape = b"".join(ld(1, vi(1, d)) for d in dims)
    return ld(1, name) + ld(2, ld(1, vi(1, dt) + ld(2, shape)))


# NodeProto input 1, output 2, name 3, op_type 4, attribute 5, domain 7
def node(op, ins, outs, name="", attrs=(), domain=""):
    s = b"".join(ld(1, i) for i in ins) + b"".join(ld(2, o) for o in outs)
    if name:
        s += ld(3, name)
    s += ld(4, op) + b"".join(ld(5, a) for a in attrs)
    if domain:
        s += ld(7, domain)
    return s


# AttributeProto name 1, g 6, type 20 (GRAPH = 5); i 3 (INT = 2)
def attr_graph(name, g):
    return ld(1, name) + ld(6, g) + vi(20, 5)


def attr_int(name, i):
    return ld(1, name) + vi(3, i) + vi(20, 2)


# GraphProto node 1, name 2, initializer 5, input 11, output 12
def graph(name, nodes, inputs, outputs, inits=()):
    return (b"".join(ld(1, n) for n in nodes) + ld(2, name) + b"".join(ld(5, t) for t in inits) +
            b"".join(ld(11, v) for v in inputs) + b"".join(ld(12, v) for v in outputs))


def opset(domain, version):
    return (ld(1, domain) if domain else b"") + vi(2, version)


# ModelProto ir_version 1, graph 7, opset_import 8, functions 25
def model(g, opsets=(("", 13),), functions=()):
    return (vi(1, 8) + ld(7, g) + b"".join(ld(8, opset(d, v)) for d, v in opsets) +
            b"".join(ld(25, f) for f in functions))


def loop_nest(levels, trips):
    """levels nested Loops of `trips` iterations each around y = -x (x: f32 [1]);
    the trip count M is one initializer of the main graph, seen from every body."""
    def body(k):  # body of the Loop at depth k (1 = outermost)
        i, c, x, co, y = (f"i{k}", f"c{k}", f"x{k}", f"co{k}", f"y{k}")
        nodes = [node("Identity", [c], [co], f"cond{k}")]
        if k < levels:
            nodes.append(node("Loop", ["M", "", x], [y], f"loop{k + 1}", [attr_graph("body", body(k + 1))]))
        else:
            nodes.append(node("Neg", [x], [y], "neg"))
        return graph(f"body{k}", nodes, [value(i, I64, []), value(c, BOOL, []), value(x, F32, [1])],
                     [value(co, BOOL, []), value(y, F32, [1])])

    g = graph("loops", [node("Loop", ["M", "", "x"], ["y"], "loop1", [attr_graph("body", body(1))])],
              [value("x", F32, [1])], [value("y", F32, [1])],
              [tensor("M", I64, [], struct.pack("<q", trips))])
    return model(g)


def function_bomb(levels, calls):
    """function f0 is y = -x; f<k> calls f<k-1> `calls` times in a chain; the
    graph calls f<levels-1> once: calls^(levels-1) nodes once expanded."""
    fns = []
    for k in range(levels):
        if k == 0:
            nodes = [node("Neg", ["x"], ["y"], "neg")]
        else:
            names = ["x"] + [f"t{j}" for j in range(1, calls)] + ["y"]
            nodes = [node(f"f{k - 1}", [names[j]], [names[j + 1]], f"call{j}", domain="bomb") for j in range(calls)]
        # FunctionProto name 1, input 4, output 5, node 7, opset_import 9, domain 10
        fns.append(ld(1, f"f{k}") + ld(4, "x") + ld(5, "y") + b"".join(ld(7, n) for n in nodes) +
                   ld(9, opset("", 13)) + ld(9, opset("bomb", 1)) + ld(10, "bomb"))
    g = graph("bomb", [node(f"f{levels - 1}", ["x"], ["y"], "top", domain="bomb")],
              [value("x", F32, [1])], [value("y", F32, [1])])
    return model(g, (("", 13), ("bomb", 1)), fns)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile")
    os.makedirs(out, exist_ok=True)
    files = {
        "loop3.onnx": loop_nest(3, 1000),      # 10^9 iterations once unrolled
        "loop2_small.onnx": loop_nest(2, 30),  # 900: fine
        "fnbomb.onnx": function_bomb(20, 10),  # 10^19 nodes once expanded
        "fn_small.onnx": function_bomb(3, 10),  # 100 nodes: fine
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
