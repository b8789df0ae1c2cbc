"""Atheris target: the graph-file loader, pygraph.loads (SPEC §5).

The contract under test: any text either loads or raises a pygraph.Error
subclass (whose message names the JSON path); nothing else escapes — no
KeyError, TypeError, RecursionError, OverflowError, no crash of the native
library underneath.  A graph that loads must also survive what a user does
next: writing it back (the round trip is lossless: loads(to_json(g)) writes
the same text again), finalizing, partitioning, and compiling and executing
its supported partitions when their shapes are small and concrete.

Run (see .ci/fuzz.sh, which also replays tests/fuzz/regressions/graph_loader):

    python tests/fuzz/fuzz_graph_loader.py CORPUS_DIR tests/fuzz/corpus/graph_loader \
        -max_total_time=60 -max_len=8192

Any exception other than pygraph.Error is reported by atheris as a finding,
with the input saved as crash-<sha1>.
"""

from __future__ import annotations

import sys

import atheris

# Imported before instrumentation: only pygraph's own code is instrumented,
# so coverage feedback is about the loader, not NumPy.
import numpy as np

with atheris.instrument_imports(include=["pygraph"]):
    import pygraph

# Execution is exercised on tensors up to this many elements; larger shapes
# are only compiled.
MAX_EXECUTED_ELEMENTS = 4096


def _numpy_dtype(dtype_name: str):
    if dtype_name == "bf16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype({"f32": np.float32, "f16": np.float16}[dtype_name])


def _dtype_name(dtype) -> str:
    return getattr(dtype, "name", str(dtype))


def _exercise(graph, rng: np.random.Generator) -> None:
    """What a user does with a loaded graph; pygraph.Error is a fine answer."""
    try:
        graph.finalize()
        partitions = graph.get_partitions()
    except pygraph.Error:
        return
    engine = pygraph.Engine()
    stream = pygraph.Stream(engine)
    for partition in partitions:
        if not partition.is_supported():
            continue
        try:
            compiled = partition.compile(partition.input_ports, partition.output_ports, engine)
        except pygraph.Error:
            continue
        arrays_in = []
        for port in compiled.inputs:
            count = int(np.prod(port.shape)) if port.shape else 1
            if count > MAX_EXECUTED_ELEMENTS:
                return
            dtype = _numpy_dtype(_dtype_name(port.dtype))
            bits = rng.integers(0, 2 ** (8 * dtype.itemsize), size=count, dtype=np.uint64)
            raw = bits.astype({2: np.uint16, 4: np.uint32}[dtype.itemsize])
            arrays_in.append(raw.view(dtype).reshape(port.shape))
        arrays_out = []
        for port in compiled.outputs:
            count = int(np.prod(port.shape)) if port.shape else 1
            if count > MAX_EXECUTED_ELEMENTS:
                return
            arrays_out.append(np.zeros(port.shape, _numpy_dtype(_dtype_name(port.dtype))))
        try:
            compiled.execute(stream, arrays_in, arrays_out)
        except pygraph.Error:
            # A compiled port may have a layout a fresh array does not have
            # (e.g. an output laid out in a permuted order): refused, fine.
            continue


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    try:
        graph = pygraph.loads(text)
    except pygraph.Error:
        return
    written = graph.to_json()
    again = pygraph.loads(written)
    if again.to_json() != written:
        raise AssertionError("round trip is not lossless:\n" + written + "\n!=\n" + again.to_json())
    _exercise(graph, np.random.default_rng(len(data)))


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
