"""Embed compiled pygraph partitions in a small NumPy inference loop.

A two-layer perceptron classifies random "images" batch by batch.  NumPy
does the matrix products; pygraph runs the activations.  Each activation is
a LeakyReLU partition compiled once, before the loop, for the batch shape;
inside the loop it runs in place on the NumPy buffer (``cp(h, out=h)``), so
the loop allocates nothing for it and nothing is copied.  At the end the
loop's predictions are checked against the same network in plain NumPy.

Run:  python examples/inference_loop.py
"""

import sys
import time

import numpy as np

import pygraph

BATCH, INPUTS, HIDDEN, CLASSES, STEPS = 64, 784, 256, 10, 50
ALPHA_HIDDEN, ALPHA_LOGITS = 0.01, 0.1


def compile_leaky_relu(shape: tuple, alpha: float, engine: pygraph.Engine) -> pygraph.CompiledPartition:
    """A compiled one-op LeakyReLU partition for f32 arrays of `shape`."""
    src = pygraph.LogicalTensor(0, "f32", shape)
    dst = pygraph.LogicalTensor(1, "f32", shape, layout_type="any")  # pygraph picks the dense layout
    graph = pygraph.Graph("cpu")
    graph.add_op(pygraph.Op(0, "LeakyReLU", [src], [dst], attrs={"alpha": alpha}))
    (partition,) = graph.finalize().get_partitions()
    compiled = partition.compile([src], [dst], engine)
    assert (0, 1) in compiled.inplace_ports  # so cp(h, out=h) may run in place
    return compiled


def numpy_leaky_relu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x >= 0, x, np.float32(alpha) * x)


def main() -> int:
    rng = np.random.default_rng(1)
    w1 = (rng.standard_normal((INPUTS, HIDDEN)) / np.sqrt(INPUTS)).astype(np.float32)
    w2 = (rng.standard_normal((HIDDEN, CLASSES)) / np.sqrt(HIDDEN)).astype(np.float32)
    batches = [rng.standard_normal((BATCH, INPUTS), dtype=np.float32) for _ in range(STEPS)]

    engine = pygraph.Engine("cpu", 0)
    hidden_act = compile_leaky_relu((BATCH, HIDDEN), ALPHA_HIDDEN, engine)
    logits_act = compile_leaky_relu((BATCH, CLASSES), ALPHA_LOGITS, engine)

    predictions = []
    start = time.perf_counter()
    for x in batches:
        h = x @ w1
        hidden_act(h, out=h)  # in place
        logits = h @ w2
        logits_act(logits, out=logits)
        predictions.append(np.argmax(logits, axis=1))
    elapsed = time.perf_counter() - start

    # The same network in plain NumPy must give the same predictions, and the
    # same activations bit for bit.
    expected = [
        np.argmax(numpy_leaky_relu(numpy_leaky_relu(x @ w1, ALPHA_HIDDEN) @ w2, ALPHA_LOGITS), axis=1) for x in batches
    ]
    same = all(np.array_equal(a, b) for a, b in zip(predictions, expected))
    h = batches[0] @ w1
    exact = np.array_equal(hidden_act(h).view(np.uint32), numpy_leaky_relu(h, ALPHA_HIDDEN).view(np.uint32))

    print(f"{STEPS} batches of {BATCH} in {elapsed * 1e3:.1f} ms ({STEPS * BATCH / elapsed:,.0f} samples/s)")
    print(f"predictions equal to plain NumPy: {same}; activations bit-exact: {exact}")
    print(f"class histogram: {np.bincount(np.concatenate(predictions), minlength=CLASSES).tolist()}")
    return 0 if same and exact else 1


if __name__ == "__main__":
    sys.exit(main())
