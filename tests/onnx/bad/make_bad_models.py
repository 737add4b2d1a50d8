#!/usr/bin/env python3
"""make_bad_models.py: writes the malformed ONNX fixtures of tests/onnx/bad/.

Run once by hand (needs the `onnx` Python package); the .onnx files it writes
are committed, so the tests themselves never need Python. Each fixture breaks
one rule of the format or of a well-formed graph; cases.txt says what error
mlgen must give for it.
"""
import os

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, model_or_bytes):
    path = os.path.join(HERE, name + ".onnx")
    data = model_or_bytes if isinstance(model_or_bytes, bytes) else model_or_bytes.SerializeToString()
    with open(path, "wb") as f:
        f.write(data)


def model(nodes, inputs, outputs, inits=(), opset=17, **kw):
    g = helper.make_graph(nodes, "bad", inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=8, **kw)


def vi(name, dims, dt=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dt, dims)


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


good = model([helper.make_node("Relu", ["X"], ["Y"], name="relu1")], [vi("X", [2, 3])], [vi("Y", [2, 3])])
raw = good.SerializeToString()

# --- the file itself
save("truncated", raw[: len(raw) // 2])
save("garbage", bytes((i * 37 + 11) & 0xFF for i in range(200)))
save("empty_model", varint((1 << 3) | 0) + varint(8))  # ir_version only, no graph
save("wrong_wire_type", varint((1 << 3) | 0) + varint(8) + varint((7 << 3) | 0) + varint(5))  # graph as a varint
save("huge_length", varint((1 << 3) | 0) + varint(8) + varint((7 << 3) | 2) + varint(1 << 62))
# subgraphs nested 50 deep (150 messages), written by hand: protobuf's own
# Python encoder refuses such depth
def field(num, payload):
    return varint((num << 3) | 2) + varint(len(payload)) + payload


deep = helper.make_graph([helper.make_node("Relu", ["X"], ["Y"])], "g", [vi("X", [1])], [vi("Y", [1])]).SerializeToString()
for i in range(50):
    attr = field(1, b"then_branch") + varint((20 << 3) | 0) + varint(5) + field(6, deep)
    node = field(1, b"c") + field(2, b"Y") + field(3, b"if%d" % i) + field(4, b"If") + field(5, attr)
    deep = field(1, node) + field(2, b"g%d" % i)
opset = field(1, b"") + varint((2 << 3) | 0) + varint(17)
save("deep_nesting", varint((1 << 3) | 0) + varint(8) + field(7, deep) + field(8, opset))

# --- tensors
w = helper.make_tensor("W", TensorProto.FLOAT, [3], [1.0, 2.0, 3.0])
w.dims[0] = -3
save("negative_dim", model([helper.make_node("Add", ["X", "W"], ["Y"], name="add1")], [vi("X", [3])], [vi("Y", [3])], [w]))
w = helper.make_tensor("W", TensorProto.FLOAT, [1], [1.0])
del w.dims[:]
w.dims.extend([1 << 33, 1 << 33])
del w.float_data[:]
save("overflow_dims", model([helper.make_node("Add", ["X", "W"], ["Y"], name="add1")], [vi("X", [1])], [vi("Y", [1])], [w]))
w = helper.make_tensor("W", TensorProto.FLOAT, [4, 4], b"\0" * 64, raw=True)
w.raw_data = b"\0" * 8
save("short_data", model([helper.make_node("Add", ["X", "W"], ["Y"], name="add1")], [vi("X", [4, 4])], [vi("Y", [4, 4])], [w]))
w = helper.make_tensor("W", TensorProto.INT64, [2], [1, 2])
w.float_data.extend([1.0, 2.0])
del w.int64_data[:]
save("wrong_data_field", model([helper.make_node("Add", ["X", "W"], ["Y"], name="add1")], [vi("X", [2], TensorProto.INT64)],
                               [vi("Y", [2], TensorProto.INT64)], [w]))
save("absurd_dim", model([helper.make_node("Relu", ["X"], ["Y"], name="relu1")], [vi("X", [1 << 20, 1 << 30])],
                         [vi("Y", [1 << 20, 1 << 30])]))
save("rank_too_big", model([helper.make_node("Relu", ["X"], ["Y"], name="relu1")], [vi("X", [1] * 12)], [vi("Y", [1] * 12)]))

# --- graph structure
save("unknown_domain", helper.make_model(
    helper.make_graph([helper.make_node("Foo", ["X"], ["Y"], name="foo1", domain="com.example")], "bad", [vi("X", [2])],
                      [vi("Y", [2])]),
    opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)], ir_version=8))
save("unknown_op", model([helper.make_node("NoSuchOp", ["X"], ["Y"], name="mystery1")], [vi("X", [2])], [vi("Y", [2])]))
save("cycle", model([helper.make_node("Add", ["X", "t2"], ["t1"], name="add_a"),
                     helper.make_node("Relu", ["t1"], ["t2"], name="relu_b")], [vi("X", [2])], [vi("t2", [2])]))
save("duplicate_output", model([helper.make_node("Relu", ["X"], ["t"], name="first"),
                                helper.make_node("Neg", ["X"], ["t"], name="second")], [vi("X", [2])], [vi("t", [2])]))
w1 = helper.make_tensor("W", TensorProto.FLOAT, [2], [1.0, 2.0])
w2 = helper.make_tensor("W", TensorProto.FLOAT, [2], [3.0, 4.0])
save("duplicate_init", model([helper.make_node("Add", ["X", "W"], ["Y"], name="add1")], [vi("X", [2])], [vi("Y", [2])], [w1, w2]))
save("undefined_input", model([helper.make_node("Add", ["X", "nope"], ["Y"], name="add1")], [vi("X", [2])], [vi("Y", [2])]))
save("missing_output", model([helper.make_node("Relu", ["X"], ["Y"], name="relu1")], [vi("X", [2])], [vi("Z", [2])]))
save("no_opset", helper.make_model(
    helper.make_graph([helper.make_node("Relu", ["X"], ["Y"], name="relu1")], "bad", [vi("X", [2])], [vi("Y", [2])]),
    opset_imports=[helper.make_opsetid("com.other", 1)], ir_version=8))

# --- nodes
save("attr_wrong_type", model([helper.make_node("Transpose", ["X"], ["Y"], name="tr1", perm=1.5)], [vi("X", [2, 3])],
                              [vi("Y", [3, 2])]))
save("bad_broadcast", model([helper.make_node("Add", ["X", "Z"], ["Y"], name="add1")], [vi("X", [2, 3]), vi("Z", [4, 5])],
                            [vi("Y", [2, 3])]))
shape = helper.make_tensor("S", TensorProto.INT64, [2], [5, 5])
save("bad_reshape", model([helper.make_node("Reshape", ["X", "S"], ["Y"], name="reshape1")], [vi("X", [2, 3])],
                          [vi("Y", [5, 5])], [shape]))
save("wrong_arity", model([helper.make_node("Relu", ["X", "X"], ["Y"], name="relu1")], [vi("X", [2])], [vi("Y", [2])]))
save("dynamic_dim", model([helper.make_node("Relu", ["X"], ["Y"], name="relu1")], [vi("X", ["N", 3])], [vi("Y", ["N", 3])]))
