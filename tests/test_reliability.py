"""Lifetime, fork, long runs, concurrency and abuse (SPEC §3 and §8).

pygraph lives inside long-running inference services, so beyond "gives the
right bits" it must hold when
  * parents are freed before children (a compiled partition outliving its
    partition, graph and engine; a partition outliving its graph);
  * the process forks after using the library (the thread pool and every
    lock must work in the child);
  * graphs are made and dropped by the hundred thousand (flat memory);
  * many threads build graphs and execute one compiled partition at once;
  * every request is refused for a reason (each failure mode of execute, of
    the call forms and of graph building) — and then nothing changed: no
    output byte, no input byte, no graph;
  * memory runs out (an exception, not a crash).

Under a sanitizer (.ci/sanitize.sh sets PYGRAPH_SANITIZER) RSS figures mean
nothing (ASan keeps freed memory in quarantine; LeakSanitizer checks leaks
instead), address-space limits clash with ASan's shadow memory, and loops
are shortened.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading

import ml_dtypes
import numpy as np
import pytest

import pygraph
from pygraph import reference
from builders import compile_for

UNDER_SANITIZER = bool(os.environ.get("PYGRAPH_SANITIZER"))
SENTINEL_BITS = 0x7FA5A5A5  # a NaN with a payload no LeakyReLU result has


def _chain(alphas, shape, dtype="f32"):
    graph = pygraph.Graph()
    tensors = [pygraph.LogicalTensor(10 + i, dtype, shape) for i in range(len(alphas) + 1)]
    for i, alpha in enumerate(alphas):
        graph.add_op(pygraph.Op(100 + i, "LeakyReLU", [tensors[i]], [tensors[i + 1]], attrs={"alpha": alpha}))
    graph.finalize()
    return graph, tensors


def _random_f32(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(np.float32) * 8


def _sentinel(shape):
    return np.full(shape, SENTINEL_BITS, np.uint32).view(np.float32)


# --------------------------------------------------------------------------
# Lifetimes: parents may go first
# --------------------------------------------------------------------------


def test_compiled_partition_outlives_graph_partition_and_engine(stream):
    engine = pygraph.Engine()
    graph, tensors = _chain([0.5, -2.0], (3, 5))
    (partition,) = graph.get_partitions()
    compiled = partition.compile([tensors[0]], [tensors[-1]], engine)
    # Drop every parent, both ways a user does it: close() and the last reference.
    graph.close()
    partition.close()
    engine.close()
    del graph, partition, engine, tensors
    gc.collect()
    x = _random_f32((3, 5), 1)
    y = np.empty_like(x)
    compiled.execute(stream, [x], [y])
    assert reference.same_bits(y, reference.leaky_relu(x, [0.5, -2.0]))
    assert compiled.query_logical_tensor(12).shape == (3, 5)


def test_partition_outlives_its_graph(engine, stream):
    graph, tensors = _chain([0.25], (4,))
    partitions = graph.get_partitions("debug")
    del graph
    gc.collect()
    (partition,) = partitions
    assert partition.is_supported() and partition.ops == (100,)
    compiled = partition.compile([tensors[0]], [tensors[1]], engine)
    x = _random_f32((4,), 2)
    assert reference.same_bits(compiled(x), reference.leaky_relu(x, 0.25))


def test_stream_outlives_its_engine():
    engine = pygraph.Engine()
    stream = pygraph.Stream(engine)
    engine.close()
    compiled = compile_for(np.zeros(3, np.float32), [0.5])
    y = np.empty(3, np.float32)
    compiled.execute(stream, [np.array([-2, 0, 2], np.float32)], [y])
    stream.wait()
    assert y.tolist() == [-1, 0, 2]


def test_a_closed_handle_is_an_error_not_a_crash(stream):
    compiled = compile_for(np.zeros(3, np.float32), [0.5])
    compiled.close()
    compiled.close()  # idempotent
    with pytest.raises(pygraph.InvalidArgumentsError, match="closed"):
        compiled.execute(stream, [np.zeros(3, np.float32)], [np.zeros(3, np.float32)])
    graph = pygraph.Graph()
    graph.close()
    with pytest.raises(pygraph.InvalidArgumentsError, match="closed"):
        graph.finalize()


# --------------------------------------------------------------------------
# fork after use
# --------------------------------------------------------------------------

_FORK_SCRIPT = textwrap.dedent(
    """
    import os, sys, threading
    import numpy as np
    import pygraph

    # Large enough that execution runs on the thread pool (small tensors
    # always run on the calling thread).
    x = np.random.default_rng(3).standard_normal(1 << 22).astype(np.float32)
    expected = np.where(x >= 0, x, np.float32(0.5) * x)
    pygraph.set_num_threads(2)

    def check(tag):
        out = pygraph.leaky_relu(x, 0.5)
        if not np.array_equal(out.view(np.uint32), expected.view(np.uint32)):
            print(tag, "wrong result", flush=True)
            os._exit(3)

    check("parent before fork")
    # Fork while another thread is in the middle of executions: the child
    # must not inherit a held lock or a pool waiting for threads it lacks.
    stop = threading.Event()
    def busy():
        while not stop.is_set():
            check("parent thread")
    worker = threading.Thread(target=busy)
    worker.start()
    children = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            check("child")
            graph = pygraph.Graph()
            graph.add_op(pygraph.Op(0, "LeakyReLU", [pygraph.LogicalTensor(0, "f32", (8,))],
                                    [pygraph.LogicalTensor(1, "f32", (8,))], attrs={"alpha": 0.5}))
            graph.finalize()
            graph.get_partitions()[0].compile([pygraph.LogicalTensor(0, "f32", (8,))],
                                              [pygraph.LogicalTensor(1, "f32", (8,), "any")])
            check("child again")
            sys.stdout.flush()
            os._exit(0)
        children.append(pid)
    statuses = [os.waitpid(pid, 0)[1] for pid in children]
    stop.set()
    worker.join()
    check("parent after fork")
    print("statuses", statuses, flush=True)
    sys.exit(0 if all(os.waitstatus_to_exitcode(s) == 0 for s in statuses) else 1)
    """
)


def test_fork_after_use_works_in_the_child_and_the_parent(tmp_path):
    # A separate interpreter: forking the pytest process (threads of other
    # tests, open files) would test pytest, not pygraph.  Run away from the
    # repository so the installed package is imported, not ./pygraph.
    result = subprocess.run(
        [sys.executable, "-c", _FORK_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,  # a deadlock in the child (a lock held at fork) fails here
        cwd=tmp_path,
        env={**os.environ, "PYTHONSAFEPATH": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "statuses [0, 0, 0]" in result.stdout


# --------------------------------------------------------------------------
# 100,000 graphs: memory stays flat
# --------------------------------------------------------------------------


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _make_and_drop_graph(i: int, x: np.ndarray, y: np.ndarray) -> None:
    src = pygraph.LogicalTensor(0, "f32", (4,))
    dst = pygraph.LogicalTensor(1, "f32", (4,))
    graph = pygraph.Graph()
    graph.add_op(pygraph.Op(i, "LeakyReLU", [src], [dst], attrs={"alpha": 0.5}))
    graph.finalize()
    (partition,) = graph.get_partitions()
    if i % 10 == 0:
        # every tenth also compiles and executes, and closes explicitly
        with partition.compile([src], [dst]) as compiled:
            compiled(x, out=y)
    if i % 2:
        graph.close()  # the rest is released by reference counting


def test_100000_graphs_created_and_destroyed_keep_memory_flat():
    count = 5_000 if UNDER_SANITIZER else 100_000
    x = np.array([-4, -1, 0, 3], np.float32)
    y = np.empty_like(x)
    for i in range(2_000):  # warm-up: caches, arenas and free lists reach their steady size
        _make_and_drop_graph(i, x, y)
    gc.collect()
    before = _resident_bytes()
    for i in range(count):
        _make_and_drop_graph(i, x, y)
    gc.collect()
    grown = _resident_bytes() - before
    assert y.tolist() == [-2, -0.5, 0, 3]
    if UNDER_SANITIZER:
        return  # LeakSanitizer judges leaks; ASan's quarantine makes RSS meaningless
    # A leak of even 64 bytes per graph would add 6.4 MB; allocator noise is
    # far below the bound.
    assert grown < 8 * 2**20, f"resident memory grew by {grown / 2**20:.1f} MiB over {count} graphs"


# --------------------------------------------------------------------------
# Threads: building graphs and executing one compiled partition, all at once
# --------------------------------------------------------------------------


def test_threads_build_graphs_while_executing_one_compiled_partition(stream):
    shared_x = _random_f32((129, 67), 5)  # odd sizes: vector bodies and tails
    shared = compile_for(shared_x, [0.125, -3.0])
    expected = reference.leaky_relu(shared_x, [0.125, -3.0])
    rounds = 10 if UNDER_SANITIZER else 40
    failures: list = []
    start = threading.Barrier(8)

    def worker(index: int) -> None:
        try:
            start.wait()
            for r in range(rounds):
                # Execute the shared compiled partition...
                out = np.empty_like(shared_x)
                shared.execute(stream, [shared_x], [out])
                if not reference.same_bits(out, expected):
                    failures.append(("shared", index, r))
                # ... while other threads build, compile and run their own graphs.
                alpha = float(np.float32(0.01 * (index + 1)))
                dtype = ("f32", "bf16", "f16")[(index + r) % 3]
                graph, tensors = _chain([alpha], (index + 1, r + 1), dtype)
                (partition,) = graph.get_partitions()
                own = partition.compile([tensors[0]], [pygraph.LogicalTensor(11, dtype, (-1, -1), "any")])
                numpy_dtype = {"f32": np.float32, "bf16": ml_dtypes.bfloat16, "f16": np.float16}[dtype]
                x = _random_f32((index + 1, r + 1), index * 1000 + r).astype(numpy_dtype)
                if not reference.same_bits(own(x), reference.leaky_relu(x, alpha)):
                    failures.append(("own", index, r))
                # ... and provoke errors, whose messages are per thread.
                try:
                    shared.execute(stream, [shared_x[:, :3]], [out])
                except pygraph.InvalidShapeError as error:
                    if "[129, 3]" not in str(error):
                        failures.append(("message", index, r, str(error)))
                else:
                    failures.append(("accepted", index, r))
        except Exception as error:  # noqa: BLE001 - reported below, with the thread
            failures.append(("exception", index, repr(error)))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert failures == []


# --------------------------------------------------------------------------
# Every failure leaves everything untouched
# --------------------------------------------------------------------------


def _setup(shape=(2, 3)):
    x = _random_f32(shape, 9)
    return compile_for(x, [0.5]), x


def _bits(*arrays):
    return [reference.to_bits(a) for a in arrays]


EXECUTE_FAILURES = {
    # name: (build inputs/outputs from (x, y, engine) -> (inputs, outputs), expected error)
    "input wrong dtype": (lambda x, y, e: ([x.astype(np.float16)], [y]), pygraph.InvalidDataTypeError),
    "input float64": (lambda x, y, e: ([x.astype(np.float64)], [y]), pygraph.InvalidDataTypeError),
    "input wrong shape": (lambda x, y, e: ([x.reshape(3, 2)], [y]), pygraph.InvalidShapeError),
    "input wrong strides": (lambda x, y, e: ([np.asfortranarray(x)], [y]), pygraph.InvalidShapeError),
    "input missing": (lambda x, y, e: ([], [y]), pygraph.InvalidArgumentsError),
    "input extra": (lambda x, y, e: ([x, x], [y]), pygraph.InvalidArgumentsError),
    "input not an array": (lambda x, y, e: ([object()], [y]), pygraph.Error),
    "output wrong dtype": (lambda x, y, e: ([x], [y.view(np.int32)]), pygraph.InvalidDataTypeError),
    "output wrong shape": (lambda x, y, e: ([x], [y.reshape(6)]), pygraph.InvalidShapeError),
    "output missing": (lambda x, y, e: ([x], []), pygraph.InvalidArgumentsError),
    "output twice": (lambda x, y, e: ([x], [y, y]), pygraph.InvalidArgumentsError),
    "tensor id not a port": (
        lambda x, y, e: ([pygraph.Tensor(pygraph.LogicalTensor.from_array(77, x), e, x)], [y]),
        pygraph.InvalidArgumentsError,
    ),
    "tensor port given twice": (
        lambda x, y, e: (
            [pygraph.Tensor(pygraph.LogicalTensor.from_array(0, x), e, x)] * 2,
            [y],
        ),
        pygraph.InvalidArgumentsError,
    ),
    "raw buffer too small": (
        lambda x, y, e: ([x], [pygraph.Tensor(pygraph.LogicalTensor(1, "f32", (2, 3)), e, bytearray(23))]),
        pygraph.InvalidArgumentsError,
    ),
    "read-only raw output": (
        lambda x, y, e: ([x], [pygraph.Tensor(pygraph.LogicalTensor(1, "f32", (2, 3)), e, bytes(24))]),
        pygraph.InvalidArgumentsError,
    ),
}


@pytest.mark.parametrize("name", sorted(EXECUTE_FAILURES))
def test_every_execute_failure_leaves_inputs_and_outputs_untouched(name, engine, stream):
    compiled, x = _setup()
    y = _sentinel((2, 3))
    make, error = EXECUTE_FAILURES[name]
    before = _bits(x, y)
    with pytest.raises(error) as info:
        # (a Tensor may already refuse its memory while the request is built)
        inputs, outputs = make(x, y, engine)
        compiled.execute(stream, inputs, outputs)
    assert str(info.value), "an error without a message"
    assert [np.array_equal(a, b) for a, b in zip(_bits(x, y), before)] == [True, True]


def test_partial_overlap_leaves_the_shared_buffer_untouched(stream):
    buffer = _random_f32((20,), 4)
    before = reference.to_bits(buffer)
    compiled = compile_for(buffer[0:12], [0.5], out=buffer[1:13])
    for form in ("execute", "call", "functional"):
        with pytest.raises(pygraph.InvalidArgumentsError, match="overlap"):
            if form == "execute":
                compiled.execute(stream, [buffer[0:12]], [buffer[1:13]])
            elif form == "call":
                compiled(buffer[0:12], out=buffer[1:13])
            else:
                pygraph.leaky_relu(buffer[0:12], 0.5, out=buffer[1:13])
        assert np.array_equal(reference.to_bits(buffer), before), form


def test_call_forms_refuse_and_leave_out_untouched():
    compiled, x = _setup()
    cases = [
        (lambda out: compiled(x, out=out.reshape(6)), pygraph.InvalidShapeError),
        (lambda out: compiled(x.astype(np.float16), out=out), pygraph.InvalidDataTypeError),
        (lambda out: pygraph.leaky_relu(x, 0.5, out=out.reshape(3, 2)), pygraph.Error),
        (lambda out: pygraph.leaky_relu(x, 0.5, out=out.view(np.float16)), pygraph.Error),
        (lambda out: pygraph.leaky_relu(x, 1e39, out=out), pygraph.InvalidArgumentsError),
        (lambda out: pygraph.leaky_relu(x, "0.5", out=out), pygraph.InvalidArgumentsError),
        (lambda out: pygraph.leaky_relu(x.astype(np.float64), 0.5, out=out), pygraph.InvalidDataTypeError),
    ]
    for index, (call, error) in enumerate(cases):
        out = _sentinel((2, 3))
        before = _bits(x, out)
        with pytest.raises(error):
            call(out)
        assert [np.array_equal(a, b) for a, b in zip(_bits(x, out), before)] == [True, True], index
    readonly = _sentinel((2, 3))
    readonly.flags.writeable = False
    with pytest.raises(pygraph.InvalidArgumentsError, match="read-only"):
        compiled(x, out=readonly)
    assert np.all(readonly.view(np.uint32) == SENTINEL_BITS)


def test_failed_add_op_changes_nothing(engine, stream):
    good_src = pygraph.LogicalTensor(0, "f32", (2, 3))
    good_dst = pygraph.LogicalTensor(1, "f32", (2, 3))
    graph = pygraph.Graph()
    graph.add_op(pygraph.Op(0, "LeakyReLU", [good_src], [good_dst], attrs={"alpha": 0.5}))
    text_before = graph.to_json()
    bad_ops = [
        pygraph.Op(1, "LeakyReLU", [good_dst], [pygraph.LogicalTensor(2, "f32", (2, 3))]),  # no alpha
        pygraph.Op(0, "LeakyReLU", [good_dst], [pygraph.LogicalTensor(2, "f32", (2, 3))], attrs={"alpha": 1.0}),
        pygraph.Op(2, "LeakyReLU", [good_dst], [pygraph.LogicalTensor(1, "f32", (2, 3))], attrs={"alpha": 1.0}),
        pygraph.Op(3, "LeakyReLU", [pygraph.LogicalTensor(1, "f32", (9, 9))], [pygraph.LogicalTensor(4, "f32", (9, 9))],
                   attrs={"alpha": 1.0}),
        pygraph.Op(4, "LeakyReLU", [good_dst], [pygraph.LogicalTensor(0, "f32", (2, 3))], attrs={"alpha": 1.0}),
        pygraph.Op(5, "LeakyReLU", [pygraph.LogicalTensor(5, "s32", (2,))], [pygraph.LogicalTensor(6, "s32", (2,))],
                   attrs={"alpha": 1.0}),
        pygraph.Op(6, "LeakyReLU", [good_dst], [pygraph.LogicalTensor(7, "bf16", (2, 3))], attrs={"alpha": 1.0}),
        pygraph.Op(7, "End", [good_dst, good_src], []),
    ]
    for op in bad_ops:
        with pytest.raises(pygraph.Error) as info:
            graph.add_op(op)
        assert str(info.value)
        assert graph.to_json() == text_before, f"a refused {op!r} changed the graph"
    # Nothing of the refused ops stuck in the native graph either: their op
    # ids and tensor ids are free for ops that use them differently.
    t2 = pygraph.LogicalTensor(2, "f32", (2, 3))
    graph.add_op(pygraph.Op(1, "LeakyReLU", [good_dst], [t2], attrs={"alpha": -1.0}))
    t5, t6 = pygraph.LogicalTensor(5, "f32", (2,)), pygraph.LogicalTensor(6, "f32", (2,))
    graph.add_op(pygraph.Op(5, "LeakyReLU", [t5], [t6], attrs={"alpha": 2.0}))
    graph.finalize()
    partitions = graph.get_partitions()
    assert sorted(p.ops for p in partitions) == [(0, 1), (5,)]
    fused = next(p for p in partitions if p.ops == (0, 1))
    x = _random_f32((2, 3), 8)
    compiled = fused.compile([good_src], [t2], engine)
    assert reference.same_bits(compiled(x), reference.leaky_relu(x, [0.5, -1.0]))
    text_before = graph.to_json()
    with pytest.raises(pygraph.InvalidGraphError):
        graph.add_op(pygraph.Op(9, "LeakyReLU", [good_dst], [pygraph.LogicalTensor(9, "f32", (2, 3))],
                                attrs={"alpha": 1.0}))
    assert graph.to_json() == text_before


def test_failed_compile_leaves_the_partition_usable(engine):
    graph, tensors = _chain([0.5], (2, 3))
    (partition,) = graph.get_partitions()
    bad_requests = [
        ([tensors[0]], [pygraph.LogicalTensor(11, "f32", (3, 2))]),  # dst shape differs
        ([pygraph.LogicalTensor(10, "bf16", (2, 3))], [tensors[1]]),  # contradicts the graph's dtype
        ([pygraph.LogicalTensor(10, "f32", (2, 3), "any")], [tensors[1]]),  # input layout unknown
        ([], [tensors[1]]),
        ([tensors[0], tensors[0]], [tensors[1]]),
        ([pygraph.LogicalTensor(10, "f32", (2, 3), strides=(2**62, 1))], [tensors[1]]),  # size overflows
    ]
    for inputs, outputs in bad_requests:
        with pytest.raises(pygraph.Error):
            partition.compile(inputs, outputs, engine)
    compiled = partition.compile([tensors[0]], [tensors[1]], engine)
    x = _random_f32((2, 3), 3)
    assert reference.same_bits(compiled(x), reference.leaky_relu(x, 0.5))


# --------------------------------------------------------------------------
# Limits: maximum dims, and running out of memory
# --------------------------------------------------------------------------


def test_twelve_dims_work_and_thirteen_are_refused(stream):
    shape = (1, 2) * 6
    x = _random_f32(shape, 12)
    assert reference.same_bits(pygraph.leaky_relu(x, -0.5), reference.leaky_relu(x, -0.5))
    with pytest.raises(pygraph.Error):
        pygraph.LogicalTensor(0, "f32", (1,) * 13)
    with pytest.raises(pygraph.Error):
        pygraph.leaky_relu(np.zeros((1,) * 13, np.float32), 0.5)


_OOM_SCRIPT = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    import pygraph

    pygraph.leaky_relu(np.zeros(8, np.float32), 0.5)  # everything loaded and initialised
    # One op with a 1 MiB name, made before the limit: every graph it is
    # added to copies it natively, so the native allocations run out first.
    op = pygraph.Op(0, "Wildcard", name="w" * 2**20)
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * resource.getpagesize()
    limit = used + 96 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    kept = []
    try:
        for i in range(10**6):
            graph = pygraph.Graph()
            graph.add_op(op)
            kept.append(graph)
    except MemoryError as error:   # pygraph.OutOfMemoryError is a MemoryError too
        kept.clear()
        print("refused:", type(error).__name__, str(error)[:200], flush=True)
    else:
        print("never ran out", flush=True)
    # After running out, the library still works.
    x = np.array([-2.0, 2.0], np.float32)
    assert pygraph.leaky_relu(x, 0.5).tolist() == [-1.0, 2.0]
    print("recovered", flush=True)
    """
)


@pytest.mark.skipif(UNDER_SANITIZER, reason="an address-space limit clashes with ASan's shadow memory")
def test_running_out_of_memory_raises_and_the_library_recovers(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", _OOM_SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "PYTHONSAFEPATH": "1", "PYGRAPH_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "refused: OutOfMemoryError" in result.stdout and "recovered" in result.stdout, result.stdout
