"""Timing: calibrated batches of calls, interleaved rounds, robust statistics.

Every implementation is a zero-argument callable that runs the operation
once on buffers prepared beforehand, so nothing timed allocates a buffer of
ours; the timed loop makes the call as a user writes it (call_loop).  A
*sample* is a batch of calls long enough (>= ``min_sample_ns``) for the
clock's own cost to vanish; its value is the time per call.  A *round*
takes one sample of every implementation, starting from a different one each
round, so that slow drifts of the machine (frequency, a neighbour's load)
touch all implementations alike instead of whichever happened to run then.

Before each sample the harness waits, untimed, until every other thread of
the process is idle (:class:`IdleThreads`).  Thread pools spin-wait after
their work (GNU OpenMP under PyTorch and oneDNN for milliseconds, pygraph's
for up to 1 ms); without the wait, the sample after another implementation's
multi-threaded one would share the cores with that implementation's idle
spinning.  After an idle period, untimed calls of the sampled
implementation then run for at least ``WARM_NS``: on a VM, a vCPU that sat
idle for a few milliseconds runs the next few milliseconds slowly.
Measured on the 2-vCPU Zen 3 VM, f32 1e6 out of place, medians of 25 calls
after a 5 ms sleep: one thread 258, 229, 198, 176 us and on until ~142
after 15 calls; two threads 293, 142, 115, 103 us and on until ~68 after
30; after a 0.5 ms sleep the first call alone was slow.  A single waking
call left the samples of "in-cache" sizes inside that ramp, for every
implementation.  An idle period is the wait above, or, in a group that
runs several threads, the time since the sampled implementation's pool
last ran (its workers sleep while the others are sampled).  One-thread
groups rarely have one (their samples follow each other without a wait),
and warming them anyway left their small-size samples noisier (half the
interquartile range, median over n <= 1e4: 1.4-42 % in 4 runs against
1.3-11 % in 4 runs without, taken alternately), so they are warmed only
after a wait.  In groups with pools, calibration warms up too before it
sizes the samples.  One more untimed call wakes the sampled
implementation's own pool right before the timing, again after every
restore of in-place data (a restore of a large buffer outlasts a short
spin); between the timed calls each pool keeps its own spinning, as in a
loop of a real program.
"""

from __future__ import annotations

import functools
import gc
import itertools
import keyword
import math
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional


@dataclass
class Implementation:
    """One way to compute the operation, ready to be called."""

    key: str  # stable identifier, used in the JSON file
    label: str  # what the table prints
    kind: str  # "pygraph", "limit" or "peer"
    call: Callable[[], object]
    # Untimed work before a run of calls, e.g. restoring the input of an
    # in-place operation; None when the calls can simply repeat.
    prepare: Optional[Callable[[], None]] = None
    # At most this many calls between two prepare() calls (in-place data
    # drifts with every call; see implementations.py).
    max_calls_per_prepare: Optional[int] = None
    # Untimed, before calibration and before every sample: settings this
    # implementation needs while a group mixes them, such as pygraph's
    # thread count for the one-thread baseline measured among threaded calls.
    before_sample: Callable[[], None] = lambda: None
    # Implementations of one limit family (say "copy") are alternatives; the
    # limit is the fastest of them.
    limit_family: Optional[str] = None
    # What this implementation's output is checked against, filled by the
    # harness: see harness.check_outputs.
    expected_exact: bool = True
    note: str = ""
    details: dict = field(default_factory=dict)
    # The timed loop around `call` (call_loop), made on first use.
    loop: Optional[Callable[[Iterable], None]] = field(default=None, init=False, repr=False, compare=False)


def _spellable(name: str) -> bool:
    """Whether `name=` can be written at a call site."""
    return name.isidentifier() and not keyword.iskeyword(name)


def call_loop(call: Callable[[], object]) -> Callable[[Iterable], None]:
    """A function that makes `call` once per item of its argument, with the
    call written out in its loop as a user writes it: for a
    ``functools.partial(f, *args, **keywords)``, ``f(a0, a1, k=v)`` with
    the arguments in local variables, as timeit compiles a statement.
    Calling the partial object instead would add dispatch costs that differ
    between callables: measured on Python 3.11, +0.14 us per call for a
    Python function taking out= as a keyword, -0.04 us for a C builtin
    (which takes the partial's stored keyword dict as it is)."""
    if isinstance(call, functools.partial) and all(_spellable(name) for name in call.keywords):
        function, args, keywords = call.func, call.args, call.keywords
    else:
        function, args, keywords = call, (), {}
    bound = {"_function": function}
    arguments = []
    for i, value in enumerate(args):
        bound[f"_arg{i}"] = value
        arguments.append(f"_arg{i}")
    for name, value in keywords.items():
        bound[f"_kw_{name}"] = value
        arguments.append(f"{name}=_kw_{name}")
    # Bound as default values: the loop reads them as fast locals.
    parameters = ", ".join(f"{local}={local}" for local in bound)
    source = (f"def loop(_items, {parameters}):\n"
              f"    for _ in _items:\n"
              f"        _function({', '.join(arguments)})\n")
    namespace = dict(bound)
    exec(source, namespace)
    return namespace["loop"]


def _timed_batch(impl: Implementation, calls: int) -> int:
    """Nanoseconds taken by `calls` back-to-back calls."""
    if impl.loop is None:
        impl.loop = call_loop(impl.call)
    repeat = itertools.repeat(None, calls)  # the cheapest Python loop
    start = time.perf_counter_ns()
    impl.loop(repeat)
    return time.perf_counter_ns() - start


# Untimed calls before a sample that follows an idle period (module
# docstring).
WARM_NS = 3_000_000


def warm_up(impl: Implementation, warm_ns: int, min_calls: int = 1) -> None:
    """Untimed calls, at least `min_calls`, until `warm_ns` have passed;
    in-place data is restored before each (in place a call drifts the
    data)."""
    deadline = time.perf_counter_ns() + warm_ns
    made = 0
    while made < min_calls or time.perf_counter_ns() < deadline:
        if impl.prepare is not None:
            impl.prepare()
        impl.call()
        made += 1


def sample_ns_per_call(impl: Implementation, calls: int, wake: bool = False, warm_ns: int = 0) -> float:
    """One sample: `calls` calls in runs of at most max_calls_per_prepare,
    each run after an untimed prepare(); only the calls are timed.  With
    `warm_ns`, untimed calls run that long first (warm_up).  With
    `wake`, each run starts right after one more, untimed call (counted in
    the run's budget), so a thread pool that fell asleep during prepare()
    or before the sample is awake when the timing starts; a budget of one
    call per prepare() leaves no room for it."""
    impl.before_sample()
    if warm_ns > 0:
        warm_up(impl, warm_ns)
    if impl.prepare is None:
        if wake:
            impl.call()
        return _timed_batch(impl, calls) / calls
    run = impl.max_calls_per_prepare or calls
    wake_each_run = wake and run > 1
    if wake_each_run:
        run -= 1
    total_ns, done = 0, 0
    while done < calls:
        this_run = min(run, calls - done)
        impl.prepare()
        if wake_each_run:
            impl.call()
        total_ns += _timed_batch(impl, this_run)
        done += this_run
    return total_ns / calls


def calibrate(impl: Implementation, min_sample_ns: int, warmup_calls: int = 3, warm_ns: int = 0) -> int:
    """Warms up (warm_up: at least `warmup_calls` calls, for at least
    `warm_ns`), then returns the calls per sample that make one sample
    last at least min_sample_ns (1 for calls slower than that)."""
    impl.before_sample()
    warm_up(impl, warm_ns, min_calls=warmup_calls)
    calls = 1
    while True:
        per_call = sample_ns_per_call(impl, calls)
        if per_call * calls >= min_sample_ns:
            return calls
        # Aim 20% above the target, at most 100x more per step so that one
        # lucky fast first call cannot produce a runaway batch.
        wanted = math.ceil(min_sample_ns * 1.2 / max(per_call, 1.0))
        calls = max(calls + 1, min(wanted, calls * 100))


@dataclass
class Stats:
    samples_ns: list[float]
    median_ns: float
    p25_ns: float
    p75_ns: float
    min_ns: float

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median."""
        return (self.p75_ns - self.p25_ns) / self.median_ns if self.median_ns > 0 else 0.0

    def as_json(self) -> dict:
        return {
            "samples_ns_per_call": [round(s, 3) for s in self.samples_ns],
            "median_ns": round(self.median_ns, 3),
            "p25_ns": round(self.p25_ns, 3),
            "p75_ns": round(self.p75_ns, 3),
            "min_ns": round(self.min_ns, 3),
            "spread": round(self.spread, 5),
        }


def stats_of(samples: list[float]) -> Stats:
    ordered = sorted(samples)
    if len(ordered) >= 2:
        p25, _, p75 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        p25 = p75 = ordered[0]
    return Stats(list(samples), statistics.median(ordered), p25, p75, ordered[0])


class IdleThreads:
    """Waits until every thread of this process but the caller is off the
    CPU (Linux: state ``R`` in /proc/self/task/*/stat means running or
    runnable; a spin-waiting pool thread is ``R``).  Elsewhere it returns at
    once.  `waits` and `timeouts` count what happened, for the JSON file."""

    TASKS = "/proc/self/task"
    POLL_S = 0.0002

    def __init__(self, timeout_s: float = 0.2) -> None:
        self.timeout_s = timeout_s
        self.available = os.path.isdir(self.TASKS)
        self.waits = 0  # calls that found a thread running and waited
        self.timeouts = 0  # calls that gave up after timeout_s

    def running_threads(self) -> int:
        """How many other threads of this process are running or runnable."""
        me = str(threading.get_native_id())
        running = 0
        for tid in os.listdir(self.TASKS):
            if tid == me:
                continue
            try:
                with open(f"{self.TASKS}/{tid}/stat", "rb") as f:
                    stat = f.read()
            except OSError:  # the thread exited meanwhile
                continue
            # "tid (comm) S ...": comm may hold spaces and parentheses.
            state = stat[stat.rfind(b")") + 2:stat.rfind(b")") + 3]
            running += state == b"R"
        return running

    def __call__(self) -> bool:
        """Waits; returns whether it had to (this thread slept meanwhile)."""
        if not self.available or not self.running_threads():
            return False
        self.waits += 1
        deadline = time.monotonic() + self.timeout_s
        while self.running_threads():
            if time.monotonic() >= deadline:
                self.timeouts += 1
                return True
            time.sleep(self.POLL_S)
        return True


def interleaved_rounds(
    impls: list[Implementation],
    rounds: int,
    min_sample_ns: int,
    progress: Optional[Callable[[str], None]] = None,
    settle: Optional[Callable[[], bool]] = None,
    pools_idle_between_samples: bool = False,
    each_round: Optional[Callable[[], None]] = None,
) -> tuple[dict[str, Stats], dict[str, int]]:
    """Calibrates every implementation, then takes `rounds` rounds of one
    sample each, rotating the starting implementation every round.  With
    `settle`, each sample starts (untimed) with settle(), which returns
    whether it waited; then, after a wait or always when
    `pools_idle_between_samples` (the implementations run thread pools;
    without `settle` it changes nothing; calibration warms up the same
    way), with WARM_NS of its implementation's calls; and each run of timed
    calls comes right after one untimed call of its implementation: the
    other implementations' pools are idle, the machine is back to speed and
    its own pool is awake.  `each_round`, untimed, runs after every
    round's samples: a measurement of the machine taken in the same rounds
    (harness: what the CPUs deliver together).  Returns per-key statistics
    and calls per sample."""
    calls = {}
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as timeit does: a collection inside a sample is noise
    try:
        warm_always = settle is not None and pools_idle_between_samples
        for impl in impls:
            calls[impl.key] = calibrate(impl, min_sample_ns, warm_ns=WARM_NS if warm_always else 0)
        samples: dict[str, list[float]] = {impl.key: [] for impl in impls}
        for r in range(rounds):
            start = r % len(impls)
            for impl in impls[start:] + impls[:start]:
                warm_ns = 0
                if settle is not None:
                    waited = settle()
                    warm_ns = WARM_NS if waited or pools_idle_between_samples else 0
                samples[impl.key].append(
                    sample_ns_per_call(impl, calls[impl.key], wake=settle is not None, warm_ns=warm_ns))
            if each_round is not None:
                each_round()
            if progress is not None:
                progress(f"round {r + 1}/{rounds}")
    finally:
        if gc_was_enabled:
            gc.enable()
    return {key: stats_of(values) for key, values in samples.items()}, calls
