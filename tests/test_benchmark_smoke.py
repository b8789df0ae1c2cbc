"""The benchmark (benchmarks/, installed as pygraph.benchmarks) runs, writes a
complete JSON file, and measures what it claims to: every implementation's
output is checked bit for bit against pygraph's, the copy limit really
copies.  No timing is ever asserted."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from pygraph.benchmarks import harness, machine, next_to_torch, report, timing
from pygraph.benchmarks import implementations as bench_impl
from pygraph.benchmarks._copy_limit import ffi as copy_ffi
from pygraph.benchmarks._copy_limit import lib as copy_lib

DTYPES = ["f32", "bf16", "f16"]
# 100 and an odd size, so vector tails and unaligned ends are exercised.
SIZES = [100, 1037]
PLACEMENTS = ["out_of_place", "in_place"]
# Buffers where large NumPy arrays often start: every implementation is
# checked there (the kernels' alignment heads run).
OFFSET = 16
PYGRAPH_KEYS = {"pygraph_tensor", "pygraph_arrays", "pygraph_leaky_relu", "pygraph_c"}
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One --quick run on tiny sizes, in a child process: torch and its
    OpenMP runtime stay out of the test process."""
    directory = tmp_path_factory.mktemp("bench")
    json_path = directory / "bench.json"
    png_path = directory / "bench.png"
    command = [sys.executable, "-m", "pygraph.benchmarks.harness", "--quick", "--quiet",
               "--sizes", ",".join(map(str, SIZES)), "--threads", "1,2", "--rounds", "3",
               "--min-sample-us", "5", "--offset", str(OFFSET),
               "--json", str(json_path), "--markdown", str(directory / "bench.md")]
    if HAS_MATPLOTLIB:
        command += ["--plot", str(png_path)]
    # cwd away from the checkout: `python -m` puts the working directory
    # first on sys.path, where ./pygraph has no compiled module.
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=directory)
    assert completed.returncode == 0, completed.stderr
    with open(json_path, encoding="utf-8") as f:
        document = json.load(f)
    return document, completed.stdout, png_path


def test_json_describes_the_machine_and_the_run(quick_run):
    document, _, _ = quick_run
    assert document["format"] == harness.JSON_FORMAT
    machine = document["machine"]
    assert machine["cpu_model"] and machine["usable_cpus"] >= 1
    assert machine["pygraph"]["cpu_isa"] in {"scalar", "avx2", "avx512", "avx512_bf16"}
    assert set(machine["pygraph"]["kernels"]) == set(DTYPES)
    assert isinstance(machine["pygraph"]["kernel_env"], dict)
    assert isinstance(machine["peer_isa_env"], dict)  # the peers' ISA caps, when set
    for name in DTYPES:
        assert name in machine["pygraph"]["kernels"][name]  # e.g. "bf16_lrelu__avx512"
    assert machine["versions"]["numpy"] == np.__version__
    assert (machine["versions"]["torch"] is not None) == HAS_TORCH
    assert (machine["versions"]["onednn"] is not None) == document["config"]["onednn"]
    config = document["config"]
    assert config["sizes"] == SIZES and config["dtypes"] == DTYPES and config["threads"] == [1, 2]
    assert config["rounds"] == 3 and config["offset"] == OFFSET
    assert {group["offset"] for group in document["groups"]} == {OFFSET}  # the buffers really start there


def test_every_group_is_measured_with_every_implementation(quick_run):
    document, _, _ = quick_run
    groups = document["groups"]
    expected = {(d, n, t, p) for d in DTYPES for n in SIZES for t in (1, 2) for p in PLACEMENTS}
    assert {(g["dtype"], g["n"], g["threads"], g["placement"]) for g in groups} == expected
    assert len(groups) == len(expected)
    for group in groups:
        itemsize = 4 if group["dtype"] == "f32" else 2
        assert group["bytes_per_call"] == 2 * group["n"] * itemsize
        # The one allowed gap: oneDNN without a 16-bit kernel on this CPU
        # (its 3.2 release has no f16 eltwise without AVX512-FP16, and on a
        # Zen 3, AVX2 only, none for bf16 either).
        onednn_missing = [s for s in group["skipped"] if s["key"] == "onednn" and group["dtype"] in ("bf16", "f16")
                          and "dnnl_unimplemented" in s["reason"]]
        assert group["skipped"] == onednn_missing, group["skipped"]
        assert set(group["settle"]) == {"available", "waits", "timeouts"}
        keys = {r["key"] for r in group["implementations"]}
        assert PYGRAPH_KEYS <= keys
        assert "numpy" in keys
        assert ("torch" in keys) == HAS_TORCH
        assert ("onednn" in keys) == (document["config"]["onednn"] and not onednn_missing)  # measured when found
        families = {r["limit_family"] for r in group["implementations"] if r["kind"] == "limit"}
        assert families == {"copy" if group["placement"] == "out_of_place" else "inplace"}
        if group["threads"] > 1:
            assert any(r["key"].endswith(f"_x{group['threads']}") for r in group["implementations"])
        assert group["limit"]["key"] in keys
        for record in group["implementations"]:
            assert len(record["samples_ns_per_call"]) == 3
            assert record["median_ns"] > 0 and record["gb_per_s"] > 0 and record["calls_per_sample"] >= 1
            assert record["p25_ns"] <= record["median_ns"] <= record["p75_ns"]
        for key in PYGRAPH_KEYS:
            ratio = group["ratios"][key]
            assert ratio["of_limit"] > 0
            expected_peers = {"numpy"} | ({"torch"} if HAS_TORCH else set())
            expected_peers |= {"onednn"} if "onednn" in keys else set()
            assert set(ratio["vs"]) == expected_peers


def round_ratio_median(numerator: dict, denominator: dict) -> float:
    return statistics.median(a / b for a, b in zip(numerator["samples_ns_per_call"],
                                                   denominator["samples_ns_per_call"]))


def test_ratios_pair_the_samples_of_each_round(quick_run):
    """"of limit" and "vs PEER" are medians of per-round ratios, computed
    from the samples the JSON records."""
    document, _, _ = quick_run
    for group in document["groups"]:
        records = {r["key"]: r for r in group["implementations"]}
        limit = records[group["limit"]["key"]]
        for key in PYGRAPH_KEYS:
            ratio = group["ratios"][key]
            assert ratio["of_limit"] == pytest.approx(round_ratio_median(limit, records[key]))
            for peer, value in ratio["vs"].items():
                assert value == pytest.approx(round_ratio_median(records[peer], records[key]))


def test_paired_ratio_compares_samples_of_the_same_round():
    """A machine that slows down between two samples of one round moves
    one median to the slow cluster and leaves the other: the ratio of
    medians would say 2.2, the rounds say 1.1."""
    faster = [1.0, 1.0, 1.0, 2.0, 2.0]
    slower = [1.1, 1.1, 2.2, 2.2, 2.2]
    assert statistics.median(slower) / statistics.median(faster) == pytest.approx(2.2)
    assert report.paired_ratio(slower, faster) == pytest.approx(1.1)
    with pytest.raises(ValueError):
        report.paired_ratio(slower, faster[:-1])  # samples of different rounds never pair


def test_threaded_groups_measure_their_one_thread_baseline_in_the_same_rounds(quick_run):
    """The "vs 1 thread" figures divide by the same call on one thread,
    sampled round by round with the threaded one, not by another group."""
    document, _, _ = quick_run
    for group in document["groups"]:
        records = {r["key"]: r for r in group["implementations"]}
        baselines = {key for key in records if key.endswith(report.ONE_THREAD_SUFFIX)}
        if group["threads"] == 1:
            assert not baselines
            assert all("vs_1_thread" not in ratio for ratio in group["ratios"].values())
            continue
        assert baselines == {report.one_thread_key(key) for key in bench_impl.SCALED_KEYS}
        for key in bench_impl.SCALED_KEYS:
            baseline = records[report.one_thread_key(key)]
            assert len(baseline["samples_ns_per_call"]) == len(records[key]["samples_ns_per_call"])
            assert baseline["check"]["mismatches"] == 0
            assert group["ratios"][key]["vs_1_thread"] == pytest.approx(round_ratio_median(baseline, records[key]))
    summary = {(row["dtype"], row["threads"], row["placement"]): row for row in document["summary"]}
    for (dtype, threads, placement), row in summary.items():
        worst = row["pygraph_arrays_min_vs_1_thread"]
        if threads == 1:
            assert worst is None
            continue
        figures = [g["ratios"]["pygraph_arrays"]["vs_1_thread"] for g in document["groups"]
                   if (g["dtype"], g["threads"], g["placement"]) == (dtype, threads, placement)]
        assert worst["ratio"] == min(figures)


def test_threaded_groups_measure_what_the_cpus_do_together_in_the_same_rounds(quick_run):
    """Every threaded group carries one "CPUs together" measurement per
    round (machine.CpusTogether); the text and the Markdown tables report
    its median, the summary the least and greatest median."""
    document, stdout, _ = quick_run
    allowed = sorted(os.sched_getaffinity(0))
    lines = [line for line in stdout.splitlines() if line.lstrip().startswith("CPUs together:") and line[0] == " "]
    threaded = [g for g in document["groups"] if g["threads"] > 1]
    assert threaded
    for group in document["groups"]:
        together = group["cpus_together"]
        if group["threads"] == 1 or len(allowed) < 2:
            assert together is None
            continue
        if together is None:
            continue  # no CPU got time for a pass alone in any round: checked below that this is rare
        assert together["cpus"] == allowed[:group["threads"]]
        assert together["bytes_per_cpu"] == machine.CpusTogether.BYTES_PER_CPU
        assert together["phase_ms"] == harness.QUICK_TOGETHER_PHASE_MS
        assert len(together["rounds"]) == group["rounds"]
        for measured in together["rounds"]:
            assert len(measured["alone_gb_per_s"]) == len(measured["together_gb_per_s"]) == len(together["cpus"])
            # A VM may give a CPU no time in a whole 5 ms phase: rates may be 0.
            assert min(measured["alone_gb_per_s"]) >= 0 and min(measured["together_gb_per_s"]) >= 0
            fastest = max(measured["alone_gb_per_s"])
            if fastest == 0:
                assert measured["ratio"] is None
            else:
                assert measured["ratio"] == pytest.approx(sum(measured["together_gb_per_s"]) / fastest)
        ratios = [measured["ratio"] for measured in together["rounds"] if measured["ratio"] is not None]
        assert together["median_ratio"] == pytest.approx(statistics.median(ratios))
        assert (together["min_ratio"], together["max_ratio"]) == (min(ratios), max(ratios))
    if len(allowed) < 2:
        return
    measured = [g for g in threaded if g["cpus_together"] is not None]
    assert len(measured) >= len(threaded) - 1
    assert len(lines) == len(measured)  # one line under each measured group's rows
    for row in document["summary"]:
        if row["threads"] == 1:
            assert row["cpus_together_range"] is None
            continue
        medians = [g["cpus_together"]["median_ratio"] for g in measured
                   if (g["dtype"], g["threads"], g["placement"]) == (row["dtype"], row["threads"], row["placement"])]
        assert row["cpus_together_range"] == [min(medians), max(medians)]


def test_cpus_together_measures_each_cpu_alone_then_all_at_once():
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        pytest.skip("needs two usable CPUs")
    cpus = copy_ffi.new("int[]", allowed[:2])
    alone, together = copy_ffi.new("double[2]", [-1.0, -1.0]), copy_ffi.new("double[2]", [-1.0, -1.0])
    worked = False
    for _ in range(5):  # a busy VM may give a CPU no time in a whole phase
        assert copy_lib.copy_limit_cpus_together(cpus, 2, 4096, 5_000_000, alone, together) == 0
        assert min(alone) >= 0 and min(together) >= 0  # every rate written
        worked = max(alone) > 0 and sum(together) > 0
        if worked:
            break
    assert worked


def test_cpus_together_rejects_what_it_cannot_measure_and_writes_nothing():
    alone, together = copy_ffi.new("double[2]", [-1.0, -1.0]), copy_ffi.new("double[2]", [-1.0, -1.0])
    cpu = copy_ffi.new("int[]", [sorted(os.sched_getaffinity(0))[0]])
    measure = copy_lib.copy_limit_cpus_together
    assert measure(cpu, 0, 4096, 1_000_000, alone, together) == -2
    assert measure(copy_ffi.new("int[]", [-1]), 1, 4096, 1_000_000, alone, together) == -2
    assert measure(cpu, 1, 0, 1_000_000, alone, together) == -2
    assert measure(cpu, 1, 4096, 0, alone, together) == -2
    assert measure(cpu, 1, 4096, 1_000_000, copy_ffi.NULL, together) == -2
    assert measure(cpu, 1, 4096, 1_000_000, alone, copy_ffi.NULL) == -2
    assert measure(cpu, 257, 4096, 1_000_000, alone, together) == -2  # more CPUs than it measures
    assert measure(copy_ffi.new("int[]", [1 << 20]), 1, 4096, 1_000_000, alone, together) == -2  # past CPU_SETSIZE
    outside = next(c for c in range(1024) if c not in os.sched_getaffinity(0))
    assert measure(copy_ffi.new("int[]", [outside]), 1, 4096, 1_000_000, alone, together) == -1  # cannot pin there
    assert list(alone) == list(together) == [-1.0, -1.0]


def test_one_thread_baseline_sets_pygraphs_thread_count_before_each_sample():
    import pygraph

    access = bench_impl.PygraphAccess()
    w = bench_impl.Workload.create("f32", 1037, 0.01, seed=1)
    prepared = bench_impl.prepare_pygraph(access, w)
    impls, skipped = bench_impl.pygraph_implementations(access, prepared, w, "out_of_place", threads=3)
    assert not skipped
    by_key = {i.key: i for i in impls}
    try:
        for key in bench_impl.SCALED_KEYS:
            by_key[report.one_thread_key(key)].before_sample()
            assert pygraph.get_num_threads() == 1
            by_key[key].before_sample()
            assert pygraph.get_num_threads() == 3
    finally:
        pygraph.set_num_threads(0)


class _UncallablePartial(functools.partial):
    def __call__(self, *args, **kwargs):
        raise AssertionError("the timed loop went through the partial object")


def test_timed_loop_makes_the_call_as_a_user_writes_it():
    """call_loop writes f(a0, a1, out=y) into the loop itself: the partial
    object is never called, and the function gets exactly its arguments."""
    seen = []

    def operation(*args, **kwargs):
        seen.append((args, kwargs))

    loop = timing.call_loop(_UncallablePartial(operation, 1, "two", out=[3]))
    loop(range(4))
    assert seen == [((1, "two"), {"out": [3]})] * 4
    seen.clear()
    timing.call_loop(lambda: operation("closure"))(range(3))  # any zero-argument callable
    assert seen == [(("closure",), {})] * 3
    seen.clear()
    odd = functools.partial(operation, **{"not a name": 1})  # no call site can spell it: the partial is called
    timing.call_loop(odd)(range(2))
    assert seen == [((), {"not a name": 1})] * 2


def test_before_sample_runs_before_calibration_and_every_sample():
    events = []
    recorded = timing.Implementation("k", "k", "pygraph", call=lambda: events.append("call"),
                                     before_sample=lambda: events.append("setup"))
    timing.interleaved_rounds([recorded], rounds=3, min_sample_ns=1)
    assert events[0] == "setup"  # before calibration's warm-up calls
    assert events.count("setup") >= 1 + 3
    last_setup = len(events) - 1 - events[::-1].index("setup")
    assert events[last_setup + 1:] and set(events[last_setup + 1:]) == {"call"}  # the last sample came after one


def _warm_up_spans(waited: bool, pools_idle: bool) -> list[int]:
    """Runs two rounds of one in-place implementation with a settle()
    returning `waited`; returns, per sample, how long the prepare/call pairs
    that follow settle() ran until the sample's own prepare (0: no
    warm-up)."""
    events = []
    recorded = timing.Implementation(
        "k", "k", "pygraph", call=lambda: events.append(("call", time.perf_counter_ns())),
        prepare=lambda: events.append(("prepare", time.perf_counter_ns())), max_calls_per_prepare=4)
    timing.interleaved_rounds([recorded], rounds=2, min_sample_ns=1,
                              settle=lambda: events.append(("settle", time.perf_counter_ns())) or waited,
                              pools_idle_between_samples=pools_idle)
    settles = [i for i, (what, _) in enumerate(events) if what == "settle"]
    assert len(settles) == 2
    spans = []
    for i, end in zip(settles, settles[1:] + [len(events)]):
        sample = [what for what, _ in events[i + 1:end]]
        # The sample itself: prepare, the waking call, the timed calls
        # (calibration gave one call per sample: min_sample_ns=1).
        assert sample[-3:] == ["prepare", "call", "call"]
        warm = events[i + 1:end - 3]
        assert [what for what, _ in warm] == ["prepare", "call"] * (len(warm) // 2)  # each warm call restored
        spans.append(events[end - 3][1] - warm[0][1] if warm else 0)  # until the sample's prepare
    return spans


def test_samples_after_an_idle_period_start_with_warm_up_calls(monkeypatch):
    """A sample after settle() waited, or in a group whose pools idle
    between samples, is preceded by untimed calls lasting at least WARM_NS
    (a VM's idle vCPU runs its next milliseconds slowly), each after a
    restore, so warm-up never drifts in-place data; other samples are not."""
    monkeypatch.setattr(timing, "WARM_NS", 2_000_000)
    assert all(span >= timing.WARM_NS for span in _warm_up_spans(waited=True, pools_idle=False))
    assert all(span >= timing.WARM_NS for span in _warm_up_spans(waited=False, pools_idle=True))
    assert _warm_up_spans(waited=False, pools_idle=False) == [0, 0]


def test_idle_threads_says_whether_it_waited(monkeypatch):
    """settle() returns True exactly when it had to wait (the warm-up after
    an idle period depends on it), a timed-out wait included."""
    settle = timing.IdleThreads(timeout_s=0.01)
    if not settle.available:
        pytest.skip("no /proc/self/task here: IdleThreads never waits")
    running = iter([0])
    monkeypatch.setattr(settle, "running_threads", lambda: next(running, 0))
    assert settle() is False and settle.waits == 0
    running = iter([1, 1, 0])
    assert settle() is True and settle.waits == 1 and settle.timeouts == 0
    monkeypatch.setattr(settle, "running_threads", lambda: 1)
    assert settle() is True and settle.timeouts == 1


def test_calibration_warms_up_in_groups_with_pools(monkeypatch):
    """With pools idle between samples, calibration runs WARM_NS of calls
    before sizing the samples, so they are sized at speed; otherwise it
    makes its three warm-up calls and one sizing call."""
    monkeypatch.setattr(timing, "WARM_NS", 2_000_000)
    for pools_idle in (True, False):
        events = []
        recorded = timing.Implementation("k", "k", "pygraph", call=lambda: events.append(time.perf_counter_ns()))
        timing.interleaved_rounds([recorded], rounds=1, min_sample_ns=1,
                                  settle=lambda: events.append("settle") and False,
                                  pools_idle_between_samples=pools_idle)
        calibration = events[:events.index("settle")]  # the first settle() ends calibration
        if pools_idle:
            assert calibration[-1] - calibration[0] >= timing.WARM_NS
        else:
            assert len(calibration) == 4


def test_what_is_measured_computes_pygraphs_bits(quick_run):
    """Every implementation expected to be exact (all of pygraph's, the
    chosen NumPy formulation, torch and oneDNN on this zero-free data) produced
    exactly pygraph's bits; the limits reproduced their input; pygraph
    agreed with an independent NumPy evaluation of SPEC §2."""
    document, _, _ = quick_run
    for group in document["groups"]:
        assert group["pygraph_vs_spec_reference_mismatches"] == 0
        for record in group["implementations"]:
            where = (group["dtype"], group["n"], group["threads"], group["placement"], record["key"])
            if record["kind"] != "peer" or record["key"] == "numpy":
                assert record["expected_exact"], where
            if record["expected_exact"]:
                assert record["check"]["mismatches"] == 0, where
            expected_reference = "input" if record["kind"] == "limit" else "pygraph"
            assert record["check"]["compared_with"] == expected_reference, where
        chosen = next(r for r in group["implementations"] if r["key"] == "numpy")
        listed = {c["key"]: c for c in group["numpy_candidates"]}
        assert listed[chosen["details"]["formulation"]]["exact"]


def test_inexact_numpy_candidate_is_listed_but_not_chosen(quick_run):
    """alpha = 0.01 is not a bf16 number: multiplying in bf16 rounds it
    first, so that formulation is marked inexact and never measured as
    NumPy's."""
    document, _, _ = quick_run
    for group in document["groups"]:
        if group["dtype"] == "bf16":
            listed = {c["key"]: c for c in group["numpy_candidates"]}
            assert listed["numpy_native_mul_max"]["exact"] is False


def test_alpha_above_one_rules_out_the_maximum_formulation(tmp_path):
    """max(x, a*x) is LeakyReLU only for alpha <= 1: with alpha = 2 the
    benchmark must measure a masked formulation, and every check holds."""
    json_path = tmp_path / "alpha2.json"
    completed = subprocess.run(
        [sys.executable, "-m", "pygraph.benchmarks.harness", "--quiet", "--alpha", "2", "--sizes", "257",
         "--dtypes", "f32,bf16", "--threads", "1", "--rounds", "1", "--min-sample-us", "5", "--no-torch",
         "--no-onednn", "--json", str(json_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    document = json.loads(json_path.read_text(encoding="utf-8"))
    for group in document["groups"]:
        listed = {c["key"]: c for c in group["numpy_candidates"]}
        assert not any(c["exact"] for key, c in listed.items() if "mul_max" in key)
        chosen = next(r for r in group["implementations"] if r["key"] == "numpy")
        assert "mul_max" not in chosen["details"]["formulation"]
        assert all(r["check"]["mismatches"] == 0 for r in group["implementations"])


def _until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def test_idle_threads_waits_for_a_running_thread_and_gives_up_in_time():
    settle = timing.IdleThreads(timeout_s=0.05)
    if not settle.available:
        pytest.skip("no /proc/self/task on this platform")
    # A thread asleep on an event: once the kernel shows it off the CPU,
    # settle() does not wait.
    asleep = threading.Event()
    sleeper = threading.Thread(target=asleep.wait)
    sleeper.start()
    try:
        assert _until(lambda: settle.running_threads() == 0)
        settle()
        assert (settle.waits, settle.timeouts) == (0, 0)
    finally:
        asleep.set()
        sleeper.join()
    # pbkdf2_hmac computes without the GIL: a thread that stays running.
    # Once, in a CI run while another job loaded the machine, settle() saw
    # it off the CPU within the 50 ms and stopped waiting, as it should for
    # a thread that is (cause unknown; a thread can leave R for a page
    # fault, for one); so the check takes the first of three tries that
    # saw it running throughout.
    for _ in range(3):
        settle = timing.IdleThreads(timeout_s=0.05)
        started = threading.Event()

        def compute() -> None:
            started.set()
            hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 3_000_000)

        busy = threading.Thread(target=compute)
        busy.start()
        try:
            started.wait()
            assert _until(lambda: settle.running_threads() == 1)
            before = time.monotonic()
            settle()
            waited = time.monotonic() - before
        finally:
            busy.join()
        if settle.timeouts == 1:
            break
    assert (settle.waits, settle.timeouts) == (1, 1) and waited >= 0.05


def test_table_and_plot_are_written(quick_run):
    _, stdout, png_path = quick_run
    for dtype in DTYPES:
        assert f"{dtype} · 1 thread · out-of-place" in stdout
        assert f"{dtype} · 2 threads · in place" in stdout
    assert "of limit" in stdout and "vs torch" in stdout and "Summary" in stdout
    if HAS_MATPLOTLIB:
        assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_markdown_tables_have_a_row_per_dtype_and_size(quick_run):
    document, _, png_path = quick_run
    text = (png_path.parent / "bench.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| dtype")]
    assert len(rows) == len(document["groups"])  # every (dtype, n, threads, placement) once
    assert "in place (x = leaky_relu(x)), 2 threads:" in text
    header_2_threads = text.split("2 threads:")[1].splitlines()[2]
    assert header_2_threads.endswith("vs 1 thread | CPUs together |")
    measured_onednn = any(r["key"] == "onednn" for g in document["groups"] for r in g["implementations"])
    columns = 8 + measured_onednn  # "vs oneDNN" when it was measured
    for row in rows:
        # Threaded tables add "vs 1 thread" and "CPUs together".
        assert row.count("|") in (columns, columns + 2) and row.split("|")[1].strip() in DTYPES


def test_plot_without_matplotlib_says_how_to_install_it(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    assert harness.main(["--quick", "--plot", str(tmp_path / "x.png")]) == 2
    assert "pip install 'pygraph[bench]'" in capsys.readouterr().err


@pytest.mark.parametrize("arguments", [["--sizes", "0"], ["--sizes", "1.5"], ["--dtypes", "f64"],
                                       ["--threads", "0"], ["--placements", "sideways"],
                                       ["--offset", "2"], ["--offset", "64"], ["--offset", "x"]])
def test_bad_arguments_exit_with_usage_error(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        harness.main(arguments)
    assert exit_info.value.code == 2
    assert "pygraph bench" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# next_to_torch: pygraph's threads while PyTorch's OpenMP workers spin
# ---------------------------------------------------------------------------


def test_next_to_torch_without_torch_says_it_needs_it(monkeypatch, capsys):
    def no_torch():
        raise bench_impl.Unavailable("torch is not installed (test)")

    monkeypatch.setattr(bench_impl, "load_torch", no_torch)
    assert next_to_torch.main(["--threads", "2"]) == 2
    assert "needs PyTorch" in capsys.readouterr().err


@pytest.mark.parametrize("arguments", [["--threads", "1"], ["--sizes", "0"], ["--rounds", "0"],
                                       ["--min-sample-us", "0"], ["--dtypes", "f64"]])
def test_next_to_torch_bad_arguments_exit_with_usage_error(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        next_to_torch.main(["--threads", "2", *arguments] if arguments[0] != "--threads" else arguments)
    assert exit_info.value.code == 2
    assert "next_to_torch" in capsys.readouterr().err


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_next_to_torch_prints_a_row_per_size_and_placement(tmp_path):
    """In a child process, like the benchmark: torch's OpenMP runtime stays
    out of the test process.  Sizes above and below the threshold for
    threads; two threads even on a one-CPU machine (the pool then runs
    calls alone, which is what the row reports)."""
    command = [sys.executable, "-m", "pygraph.benchmarks.next_to_torch", "--sizes", "1000,100000",
               "--dtypes", "f32,bf16", "--threads", "2", "--rounds", "2", "--min-sample-us", "20"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    rows = [line.split() for line in completed.stdout.splitlines() if line.startswith(("f32 ", "bf16 "))]
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (dtype, report.format_size(size), placement) for dtype in ("f32", "bf16") for size in (1000, 100000)
        for placement in ("out_of_place", "in_place")]
    for row in rows:
        times = [float(value) for value in row[3:6]]
        assert all(t > 0 for t in times), row
        # The speed-up is the median of the rounds' ratios, not the
        # quotient of the printed medians (row_of, tested below).
        assert row[6].endswith("×") and float(row[6].removesuffix("×")) > 0, row


def test_next_to_torch_speedup_is_one_thread_over_all_threads_round_by_round():
    """The speed-up pairs each round's samples: one thread's time over all
    threads' (> 1 when threads help), not the quotient of the medians."""
    one = report.one_thread_key(bench_impl.FUNCTIONAL_KEY)
    stats = {"torch": timing.stats_of([5.0] * 5),
             bench_impl.FUNCTIONAL_KEY: timing.stats_of([1.0, 1.0, 1.0, 2.0, 2.0]),
             one: timing.stats_of([1.1, 1.1, 2.2, 2.2, 2.2])}
    row = next_to_torch.row_of("f32", 100_000, "in_place", stats, "torch")
    assert row["speedup"] == pytest.approx(1.1)  # the quotient of the medians is 2.2
    assert row["pygraph_ns"] == 1.0 and row["pygraph_1thread_ns"] == 2.2 and row["torch_ns"] == 5.0


# ---------------------------------------------------------------------------
# The copy-limit module itself
# ---------------------------------------------------------------------------

COPY_METHODS = ["COPY_LIMIT_REP_MOVSB", "COPY_LIMIT_MEMCPY", "COPY_LIMIT_STREAM"]
INPLACE_METHODS = ["COPY_LIMIT_RMW_TEMPORAL", "COPY_LIMIT_RMW_STREAM"]
# Around the 64-byte line and the 4096-byte chunk a thread gets.
LENGTHS = [0, 1, 31, 63, 64, 65, 255, 256, 257, 4095, 4096, 4097, 3 * 4096 + 77, 1 << 17]


def _pointer(array: np.ndarray, offset: int = 0):
    return copy_ffi.cast("char *", array.ctypes.data) + offset


@pytest.mark.parametrize("method", COPY_METHODS)
@pytest.mark.parametrize("threads", [None, 1, 3])
def test_copy_limit_copies_exactly_and_nothing_else(method, threads):
    value = getattr(copy_lib, method)
    if not copy_lib.copy_limit_available(value):
        pytest.skip(f"{method} is not available on this CPU")
    rng = np.random.default_rng(1)
    for length in LENGTHS:
        for src_offset, dst_offset in [(0, 0), (3, 17), (64, 1)]:
            src = rng.integers(0, 256, length + 128, dtype=np.uint8)
            dst = np.full(length + 128, 0xA5, dtype=np.uint8)
            before = dst.copy()
            if threads is None:
                status = copy_lib.copy_limit_copy(value, _pointer(dst, dst_offset), _pointer(src, src_offset), length)
            else:
                status = copy_lib.copy_limit_copy_threads(value, _pointer(dst, dst_offset), _pointer(src, src_offset),
                                                          length, threads)
            assert status == 0
            assert np.array_equal(dst[dst_offset:dst_offset + length], src[src_offset:src_offset + length])
            assert np.array_equal(dst[:dst_offset], before[:dst_offset])  # nothing before
            assert np.array_equal(dst[dst_offset + length:], before[dst_offset + length:])  # nothing after


@pytest.mark.parametrize("method", INPLACE_METHODS)
@pytest.mark.parametrize("threads", [None, 1, 3])
def test_in_place_limit_reads_and_writes_every_byte(method, threads):
    value = getattr(copy_lib, method)
    if not copy_lib.copy_limit_available(value):
        pytest.skip(f"{method} is not available on this CPU")
    rng = np.random.default_rng(2)
    for length in LENGTHS:
        for offset in (0, 5, 64):
            original = rng.integers(0, 256, length + 128, dtype=np.uint8)
            buffer = original.copy()

            def run(xor_byte):
                if threads is None:
                    return copy_lib.copy_limit_inplace(value, _pointer(buffer, offset), length, xor_byte)
                return copy_lib.copy_limit_inplace_threads(value, _pointer(buffer, offset), length, xor_byte, threads)

            assert run(0x5A) == 0  # a visible change proves every byte was written
            expected = original.copy()
            expected[offset:offset + length] ^= 0x5A
            assert np.array_equal(buffer, expected)
            assert run(0) == 0  # what the benchmark does: the bytes keep their values
            assert np.array_equal(buffer, expected)


def test_copy_limit_rejects_what_it_cannot_do():
    buffer = np.zeros(64, dtype=np.uint8)
    assert copy_lib.copy_limit_copy(copy_lib.COPY_LIMIT_RMW_TEMPORAL, _pointer(buffer), _pointer(buffer), 8) == -1
    assert copy_lib.copy_limit_inplace(copy_lib.COPY_LIMIT_MEMCPY, _pointer(buffer), 8, 0) == -1
    assert copy_lib.copy_limit_copy(copy_lib.COPY_LIMIT_MEMCPY, copy_ffi.NULL, _pointer(buffer), 8) == -2
    assert copy_lib.copy_limit_inplace(copy_lib.COPY_LIMIT_RMW_TEMPORAL, _pointer(buffer), 8, 256) == -2
    assert copy_lib.copy_limit_copy_threads(copy_lib.COPY_LIMIT_MEMCPY, _pointer(buffer), _pointer(buffer), 8, 0) == -2
    assert copy_ffi.string(copy_lib.copy_limit_vector_isa()).decode() in {"avx512", "avx2", "none"}
