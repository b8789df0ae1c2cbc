"""Many threads on one compiled partition, and the GIL released while executing.

Nothing here measures time: correctness is asserted, and GIL release is
observed as another thread's progress during an execution."""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
import time

import numpy as np

import pygraph

from pygraph import reference
from builders import compile_for


def test_many_threads_execute_one_compiled_partition():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((64, 1000)).astype(np.float32)
    compiled = compile_for(x, [0.125])
    expected = reference.leaky_relu(x, 0.125)
    stream = pygraph.Stream(pygraph.Engine())
    failures: list = []
    start = threading.Barrier(8)

    def worker(index: int) -> None:
        start.wait()
        for round_ in range(25):
            out = np.empty_like(x)
            if (index + round_) % 3 == 0:
                compiled.execute(stream, [x], [out])
            elif (index + round_) % 3 == 1:
                compiled(x, out=out)
            else:
                out = pygraph.leaky_relu(x, 0.125)
            if not reference.same_bits(out, expected):
                failures.append((index, round_))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_errors_are_per_thread():
    compiled = compile_for(np.zeros(4, np.float32), [0.5])
    messages: list = []

    def bad() -> None:
        for _ in range(50):
            try:
                compiled.execute(None, [np.zeros(5, np.float32)], [np.zeros(4, np.float32)])
            except pygraph.InvalidShapeError as exc:
                messages.append(exc.message)

    def good() -> None:
        for _ in range(50):
            compiled(np.zeros(4, np.float32))

    threads = [threading.Thread(target=f) for f in (bad, good, bad, good)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(messages) == 100 and all("[5]" in m for m in messages)


@contextlib.contextmanager
def gil_spinner():
    """A thread that counts while it holds the GIL; yields its counter (a
    one-item list).  It takes the GIL only when the main thread gives it
    up: the switch interval is made far longer than the test, and the
    spinner hands the GIL back after every step (sleep(0) releases it).  So
    the counter moves during a call only if the call released the GIL.
    (The same loop around a pure-Python computation sees no progress.)"""
    counter = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            counter[0] += 1
            time.sleep(0)

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(60.0)
    thread = threading.Thread(target=spin)
    try:
        thread.start()
        yield counter
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(old_interval)


def test_execution_releases_the_gil():
    x = np.linspace(-1, 1, 1 << 23, dtype=np.float32)
    out = np.empty_like(x)
    compiled = compile_for(x, [0.5])
    progressed = False
    with gil_spinner() as counter:
        for _ in range(100):  # the spinner may not be scheduled during one particular call
            before = counter[0]
            compiled(x, out=out)
            if counter[0] != before:
                progressed = True
                break
    assert progressed
    assert reference.same_bits(out, reference.leaky_relu(x, 0.5))


def test_small_calls_keep_the_gil():
    # The converse, for run_unary's choice (_native_init.c,
    # RELEASE_GIL_MIN_BYTES): a 100-element call keeps the GIL, as giving it
    # away would cost a noticeable share of the call and could leave it
    # waiting a switch interval to get it back.
    x = np.linspace(-1, 1, 100, dtype=np.float32)
    out = np.empty_like(x)
    compiled = compile_for(x, [0.5])
    # Everything that may still release the GIL happens first: leaky_relu's
    # first call compiles (cffi calls), its second may replace a last-hit
    # entry whose partition then dies (a cffi destructor), and the
    # collector frees what earlier tests left.
    for _ in range(2):
        compiled(x, out=out)
        pygraph.leaky_relu(x, 0.5, out=out)
    gc.collect()
    with gil_spinner() as counter:
        time.sleep(0.01)  # the spinner is running and waits for the GIL
        before = counter[0]
        for _ in range(1000):
            compiled(x, out=out)
            pygraph.leaky_relu(x, 0.5, out=out)
        after = counter[0]
    assert after == before
    assert reference.same_bits(out, reference.leaky_relu(x, 0.5))


def test_a_child_forked_after_use_works():
    import os

    import pytest

    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    x = np.linspace(-1, 1, 1 << 20, dtype=np.float32)
    expected = reference.leaky_relu(x, 0.5)
    assert reference.same_bits(pygraph.leaky_relu(x, 0.5), expected)  # the thread pool has run
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        try:
            ok = reference.same_bits(pygraph.leaky_relu(x, 0.5), expected)
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _pool_workers() -> list[int]:
    """Thread ids of this process's pygraph workers (Linux: by thread name)."""
    import os

    workers = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                if f.read().strip() == "pygraph-worker":
                    workers.append(int(tid))
        except OSError:  # the thread exited meanwhile
            pass
    return workers


def test_a_woken_worker_is_kept_off_the_callers_cpu():
    """A worker woken from sleep for a call may not run on the caller's CPU
    (threadpool.c: some schedulers queue it behind the caller there, and it
    then runs none of the call)."""
    import os

    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("thread names and affinity are read from Linux's /proc")
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        pytest.skip("needs two CPUs")
    x = np.linspace(-1, 1, 1 << 20, dtype=np.float32)  # 2^19 elements per thread: the pool runs
    out = np.empty_like(x)
    pygraph.set_num_threads(2)
    try:
        pygraph.leaky_relu(x, 0.5, out=out)  # starts a worker (earlier tests may have started more)
        workers = _pool_workers()
        assert workers, "the pool's workers are named pygraph-worker"
        for tid in workers:  # forget what earlier calls set
            os.sched_setaffinity(tid, allowed)
        masks = []
        for _ in range(50):  # until a call finds its worker asleep (it spins 1 ms after a job)
            time.sleep(0.01)
            pygraph.leaky_relu(x, 0.5, out=out)
            masks = [os.sched_getaffinity(tid) for tid in workers]
            if any(mask != allowed for mask in masks):
                break
        # The job's one worker (others, if any, are not the job's) lost the
        # caller's CPU and nothing else.
        changed = [mask for mask in masks if mask != allowed]
        assert len(changed) == 1, (allowed, masks)
        assert changed[0] < allowed and len(allowed - changed[0]) == 1, (allowed, masks)
        assert reference.same_bits(out, reference.leaky_relu(x, 0.5))
    finally:
        pygraph.set_num_threads(0)


def _context_switches(tid: int) -> int:
    """How often thread `tid` has left its CPU, for any reason: a thread
    that sleeps throughout keeps the same count."""
    counts = []
    with open(f"/proc/self/task/{tid}/status") as f:
        for line in f:
            if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                counts.append(int(line.split()[1]))
    assert len(counts) == 2, f"no context switch counts in /proc/self/task/{tid}/status"
    return sum(counts)


def _pinned_calls(caller_cpus: set, worker_cpus: set) -> tuple[dict, dict, list]:
    """Five 2-thread calls from this thread, limited to `caller_cpus`, with
    the pool's workers limited to `worker_cpus` and asleep at the start:
    each worker's context switches before and after, and its CPUs after."""
    import os

    x = np.linspace(-1, 1, 1 << 20, dtype=np.float32)  # the pool runs for two threads
    out = np.empty_like(x)
    expected = reference.leaky_relu(x, 0.5)
    allowed = os.sched_getaffinity(0)
    pygraph.set_num_threads(2)
    try:
        pygraph.leaky_relu(x, 0.5, out=out)  # the pool has a worker
        workers = _pool_workers()
        assert workers, "the pool's workers are named pygraph-worker"
        for tid in workers:
            os.sched_setaffinity(tid, worker_cpus)
        os.sched_setaffinity(0, caller_cpus)  # this thread only: pid 0 is the calling thread
        time.sleep(0.05)  # the workers stop spinning (1 ms after a job) and sleep
        before = {tid: _context_switches(tid) for tid in workers}
        for _ in range(5):
            out.fill(0)
            pygraph.leaky_relu(x, 0.5, out=out)
            assert reference.same_bits(out, expected)
        time.sleep(0.05)  # a worker woken meanwhile has left its CPU again
        after = {tid: _context_switches(tid) for tid in workers}
        return before, after, [os.sched_getaffinity(tid) for tid in workers]
    finally:
        os.sched_setaffinity(0, allowed)
        pygraph.set_num_threads(0)


def test_a_caller_and_workers_on_one_cpu_run_alone():
    """Where the caller and the workers may use one CPU only (taskset -c 0
    with two threads asked for), a call never wakes a worker: it could only
    take turns with the caller there (threadpool.c)."""
    import os

    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("thread states and affinity are read from Linux's /proc")
    cpu = min(os.sched_getaffinity(0))
    before, after, _ = _pinned_calls({cpu}, {cpu})
    assert after == before, "a sleeping worker was woken for a caller on one CPU"


def test_a_pinned_caller_is_helped_by_workers_that_may_run_elsewhere():
    """A calling thread pinned to its CPU (the process is not) still gets
    the workers' help, on the workers' other CPUs."""
    import os

    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("thread states and affinity are read from Linux's /proc")
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        pytest.skip("needs two CPUs")
    cpu = min(allowed)
    before, after, masks = _pinned_calls({cpu}, allowed)
    woken = [tid for tid in before if after[tid] != before[tid]]
    assert woken, "no worker was woken for a pinned caller whose workers may use other CPUs"
    assert any(mask == allowed - {cpu} for mask in masks), (allowed, masks)

