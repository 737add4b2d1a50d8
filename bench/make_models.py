"""Writes the benchmark models: a 784-512-256-10 MLP with seeded random
weights (bench/models/mlp784.yaml + .npy). The digits model comes from
examples/digits. Only for benchmarks; mlgen never needs Python."""
import os
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "models")
os.makedirs(os.path.join(out, "w"), exist_ok=True)
rng = np.random.default_rng(0)
sizes = [784, 512, 256, 10]
nodes = []
inits = []
prev = "x"
for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
    w = (rng.standard_normal((b, a)) / np.sqrt(a)).astype(np.float32)
    bias = (0.01 * rng.standard_normal(b)).astype(np.float32)
    np.save(os.path.join(out, "w", f"fc{i}_w.npy"), w)
    np.save(os.path.join(out, "w", f"fc{i}_b.npy"), bias)
    inits.append(f"  fc{i}_w: {{file: w/fc{i}_w.npy}}\n  fc{i}_b: {{file: w/fc{i}_b.npy}}\n")
    h = f"h{i}"
    nodes.append(f"  - {{op: Gemm, in: [{prev}, fc{i}_w, fc{i}_b], out: [{h}], transB: 1}}\n")
    if i < len(sizes) - 2:
        nodes.append(f"  - {{op: Relu, in: [{h}], out: [a{i}]}}\n")
        prev = f"a{i}"
    else:
        prev = h
nodes.append(f"  - {{op: Softmax, in: [{prev}], out: [probs], axis: 1}}\n")
with open(os.path.join(out, "mlp784.yaml"), "w") as f:
    f.write("mlgen: 1\nname: mlp784\ninputs: {x: {dtype: f32, shape: [1, 784]}}\noutputs: [probs]\n")
    f.write("initializers:\n" + "".join(inits) + "nodes:\n" + "".join(nodes))
print("wrote", os.path.join(out, "mlp784.yaml"))
