"""The benchmark of SPEC §7: ``pygraph bench`` (also benchmarks/run.py).

In one process, on the same buffers, it measures pygraph's ways to run
LeakyReLU, the machine's copy limit, NumPy's fastest formulation, PyTorch
and oneDNN (when installed), for every dtype, size, placement (out-of-place, in place) and
thread count asked for, and prints ratios.  It never asserts speed: the
figures are for people (and the issue's targets), the exit status says only
whether the benchmark itself ran.  See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from typing import Optional, TextIO

import numpy as np

from . import implementations as impl
from . import machine, report
from .timing import WARM_NS, IdleThreads, Implementation, interleaved_rounds

# 3e6: 12 MB of f32 output (6 MB of bf16 and f16): elsewhere than on Intel
# inside the range where pygraph tries normal and streaming stores
# (stream_trials.h); on Intel past the streaming crossover (dispatch.c).
# The decades alone left it unmeasured, and pygraph fell behind torch there.
FULL_SIZES = (100, 1_000, 10_000, 100_000, 1_000_000, 3_000_000, 10_000_000, 64_000_000)
QUICK_SIZES = (100, 10_000, 1_000_000)
FULL_ROUNDS, QUICK_ROUNDS = 11, 3
# Sizes from LARGE_SIZE up take one call of tens of milliseconds per sample:
# fewer rounds there (unless --rounds is given) keep a full run to minutes.
# 9, not fewer: at 6.4e7 elements samples on the Xeon VM spread by
# up to 24 %, and medians of 5 moved a row by 10-20 points between runs.
LARGE_SIZE, LARGE_SIZE_ROUNDS = 10_000_000, 9
FULL_MIN_SAMPLE_US, QUICK_MIN_SAMPLE_US = 200.0, 20.0
QUICK_TOGETHER_PHASE_MS = 5.0  # machine.CpusTogether's timed phases in a --quick run
NUMPY_SELECTION_ROUNDS = 3
JSON_FORMAT = "pygraph-bench/2"  # 2: ratios are medians of round ratios (report.paired_ratio)
PLACEMENT_NAMES = {"out": impl.OUT_OF_PLACE, "in": impl.IN_PLACE,
                   impl.OUT_OF_PLACE: impl.OUT_OF_PLACE, impl.IN_PLACE: impl.IN_PLACE}


def _size(text: str) -> int:
    """'1e6', '6.4e7', '1000' -> an element count."""
    value = float(text)
    if not value.is_integer() or value < 1:
        raise argparse.ArgumentTypeError(f"size {text!r} is not a positive whole number of elements")
    return int(value)


def _csv(parse):
    def parse_list(text: str) -> list:
        items = [part.strip() for part in text.split(",") if part.strip()]
        if not items:
            raise argparse.ArgumentTypeError("empty list")
        return [parse(item) for item in items]

    return parse_list


def _dtype(text: str) -> str:
    if text not in impl.DTYPES:
        raise argparse.ArgumentTypeError(f"dtype {text!r}: expected one of {', '.join(impl.DTYPES)}")
    return text


def _threads(text: str) -> int:
    if text == "all":
        return machine.usable_cpus()
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"threads {text!r}: expected a positive integer or 'all'")
    return value


def _offset(text: str) -> int:
    """A byte offset every dtype's elements stay aligned at."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= value < impl.ALIGNMENT or value % 4 != 0:
        raise argparse.ArgumentTypeError(f"an offset is a multiple of 4 below {impl.ALIGNMENT}; got {value}")
    return value


def _placement(text: str) -> str:
    if text not in PLACEMENT_NAMES:
        raise argparse.ArgumentTypeError(f"placement {text!r}: expected 'out' or 'in'")
    return PLACEMENT_NAMES[text]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pygraph bench",
        description="Benchmark pygraph's LeakyReLU against the copy limit, NumPy and PyTorch "
        "(interleaved rounds, medians, ratios). Never asserts speed.",
    )
    parser.add_argument("--sizes", type=_csv(_size), help="element counts, e.g. 1e2,1e6,6.4e7 "
                        f"(default {','.join(f'{s:g}' for s in FULL_SIZES)}; --quick: "
                        f"{','.join(f'{s:g}' for s in QUICK_SIZES)})")
    parser.add_argument("--dtypes", type=_csv(_dtype), default=list(impl.DTYPES),
                        help="comma-separated: f32,bf16,f16 (default all)")
    parser.add_argument("--threads", type=_csv(_threads), default=None,
                        help="comma-separated thread counts, 'all' = every usable CPU (default 1,all)")
    parser.add_argument("--placements", type=_csv(_placement), default=list(impl.PLACEMENTS),
                        help="comma-separated: out,in (default both)")
    parser.add_argument("--rounds", type=int, default=None,
                        help=f"interleaved rounds (default {FULL_ROUNDS}, {LARGE_SIZE_ROUNDS} from "
                        f"{LARGE_SIZE:g} elements; --quick: {QUICK_ROUNDS})")
    parser.add_argument("--min-sample-us", type=float, default=None,
                        help=f"least time per sample; small sizes batch calls to reach it "
                        f"(default {FULL_MIN_SAMPLE_US:g}; --quick: {QUICK_MIN_SAMPLE_US:g})")
    parser.add_argument("--alpha", type=float, default=0.01, help="LeakyReLU's alpha (default 0.01)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the input data")
    parser.add_argument("--offset", type=_offset, default=0,
                        help="bytes past a 64-byte boundary where x and y start: 0, 4, ..., 60 "
                        "(default 0; 16 is where large NumPy arrays often start)")
    parser.add_argument("--quick", action="store_true", help="few sizes, few rounds: a smoke test")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even when installed")
    parser.add_argument("--no-onednn", action="store_true",
                        help="leave oneDNN out even when its library is found (see README)")
    parser.add_argument("--json", metavar="PATH", help="write every raw number and the machine to PATH")
    parser.add_argument("--plot", metavar="PNG", help="draw GB/s against size to PNG (needs matplotlib)")
    parser.add_argument("--markdown", metavar="PATH",
                        help="write Markdown tables of cp(x, out=...) per placement and thread count to PATH")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def _progress(enabled: bool):
    def say(text: str) -> None:
        if enabled:
            print(f"[bench] {text}", file=sys.stderr, flush=True)

    return say


# ---------------------------------------------------------------------------
# One group: a set of interleaved rounds
# ---------------------------------------------------------------------------


def choose_numpy(w: impl.Workload, placement: str, min_sample_ns: int) -> tuple[Optional[Implementation], list]:
    """Times every NumPy candidate briefly and keeps the fastest of those
    that compute SPEC §2's bits on this data (inexact ones are listed in
    the JSON file, never chosen)."""
    candidates = impl.numpy_candidates(w, placement)
    extra = w.in_place_prepare() if placement == impl.IN_PLACE else {}
    trial = [Implementation(c.key, c.label, "peer", c.call, **extra) for c in candidates]
    stats, _ = interleaved_rounds(trial, NUMPY_SELECTION_ROUNDS, min_sample_ns)
    listing = [{"key": c.key, "label": c.label, "exact": c.exact, "formula": c.why,
                "median_ns": round(stats[c.key].median_ns, 3)} for c in candidates]
    exact = [c for c in candidates if c.exact]
    if not exact:
        return None, listing
    best = min(exact, key=lambda c: stats[c.key].median_ns)
    chosen = Implementation("numpy", f"numpy [{best.label.removeprefix('numpy ')}]", "peer", best.call,
                            details={"formulation": best.key, "formula": best.why}, **extra)
    return chosen, listing


def output_mismatches(record: Implementation, w: impl.Workload, placement: str, expected: np.ndarray) -> int:
    """Runs the implementation once on the pristine input and counts the
    elements whose bits differ from `expected`."""
    bits = impl.BITS[w.dtype_name]
    record.before_sample()  # e.g. its own thread count
    w.restore()
    if placement == impl.OUT_OF_PLACE:
        w.y.view(np.uint8).fill(0xFF)  # a NaN pattern: an element left unwritten shows
        record.call()
        produced = w.y
    else:
        record.call()
        produced = w.x
    mismatches = int(np.count_nonzero(produced.view(bits) != expected.view(bits)))
    w.restore()
    return mismatches


def pygraph_output(impls: list[Implementation], w: impl.Workload, placement: str) -> np.ndarray:
    """pygraph's result on the pristine input from the first of its
    implementations: the bits every other implementation is checked
    against (in place and out of place must agree, so one serves both)."""
    w.restore()
    w.y.view(np.uint8).fill(0xFF)
    impls[0].before_sample()
    impls[0].call()
    result = (w.y if placement == impl.OUT_OF_PLACE else w.x).copy()
    w.restore()
    return result


def rounds_for(n: int, args: argparse.Namespace) -> int:
    if args.rounds is not None:
        return args.rounds
    if args.quick:
        return QUICK_ROUNDS
    return LARGE_SIZE_ROUNDS if n >= LARGE_SIZE else FULL_ROUNDS


def measure_group(
    w: impl.Workload, placement: str, threads: int, impls: list[Implementation], skipped: list,
    numpy_listing: list, pygraph_bits: np.ndarray, args: argparse.Namespace, say,
) -> dict:
    """One set of interleaved rounds over `impls`, then every output check."""
    rounds = rounds_for(w.n, args)
    settle = IdleThreads()
    cpus_together = each_round = None
    if threads > 1:
        # What the CPUs give together, in the same rounds as the samples:
        # on a VM it changes from second to second.
        cpus_together = machine.CpusTogether(*impl.load_copy_limit(), threads,
                                             phase_ms=QUICK_TOGETHER_PHASE_MS if args.quick else
                                             machine.CpusTogether.PHASE_MS)
        idle_before_measuring = IdleThreads()  # its own: `settle` counts the samples' waits

        def each_round() -> None:
            if cpus_together.available:
                idle_before_measuring()  # no pool spinning while the CPUs are measured
                cpus_together.measure()

    stats, calls = interleaved_rounds(
        impls, rounds, int(args.min_sample_us * 1000),
        progress=lambda text: say(f"{w.dtype_name} n={report.format_size(w.n)} {_threads_text(threads)} "
                                  f"{placement}: {text}"),
        settle=settle, pools_idle_between_samples=threads > 1, each_round=each_round,
    )
    records = []
    bytes_per_call = 2 * w.nbytes  # every element read once and written once
    for record in impls:
        s = stats[record.key]
        entry = {"key": record.key, "label": record.label, "kind": record.kind,
                 "limit_family": record.limit_family, "calls_per_sample": calls[record.key],
                 **s.as_json(), "gb_per_s": report.gb_per_s(bytes_per_call, s.median_ns),
                 "expected_exact": record.expected_exact, "note": record.note, "details": record.details}
        if record.kind == "limit":
            # A copy must reproduce its input; the in-place pass xors with 0.
            entry["check"] = {"compared_with": "input",
                              "mismatches": output_mismatches(record, w, placement, w.x0)}
        else:
            entry["check"] = {"compared_with": "pygraph",
                              "mismatches": output_mismatches(record, w, placement, pygraph_bits)}
        records.append(entry)
    group = {"dtype": w.dtype_name, "n": w.n, "threads": threads, "placement": placement, "alpha": w.alpha,
             "offset": w.x.ctypes.data % impl.ALIGNMENT,  # where x and y start in a cache line (--offset)
             "bytes_per_call": bytes_per_call, "rounds": rounds,
             "settle": {"available": settle.available, "waits": settle.waits, "timeouts": settle.timeouts},
             "implementations": records,
             "skipped": skipped, "numpy_candidates": numpy_listing,
             "cpus_together": cpus_together.as_json() if cpus_together is not None else None}
    group["ratios"] = report.compute_ratios(group)
    limit = report.limit_record(group)
    group["limit"] = {"key": limit["key"], "median_ns": limit["median_ns"]} if limit else None
    return group


def _threads_text(threads: int) -> str:
    return "1 thread" if threads == 1 else f"{threads} threads"


def measure_size(
    access: impl.PygraphAccess, torch, onednn, dtype_name: str, n: int, args: argparse.Namespace, say
) -> list[dict]:
    """Every (threads, placement) group of one dtype and size, on buffers
    allocated once."""
    say(f"{dtype_name} n={report.format_size(n)}: allocating and compiling")
    w = impl.Workload.create(dtype_name, n, args.alpha, args.seed, args.offset)
    prepared = impl.prepare_pygraph(access, w)
    min_sample_ns = int(args.min_sample_us * 1000)
    numpy_choice: dict[str, tuple] = {}  # NumPy is single-threaded: chosen once per placement
    pygraph_bits = spec_mismatches = None
    groups = []
    for threads in args.threads:
        access.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        if onednn is not None:
            onednn.set_num_threads(threads)
        for placement in args.placements:
            pygraph_impls, skipped = impl.pygraph_implementations(access, prepared, w, placement, threads)
            if not pygraph_impls:
                raise RuntimeError("no pygraph implementation could run: "
                                   + "; ".join(f"{s['key']}: {s['reason']}" for s in skipped))
            if pygraph_bits is None:
                pygraph_bits = pygraph_output(pygraph_impls, w, placement)
                # pygraph itself against an independent NumPy evaluation of SPEC §2.
                bits = impl.BITS[dtype_name]
                expected = impl.reference_leaky_relu(w.x0, args.alpha)
                spec_mismatches = int(np.count_nonzero(pygraph_bits.view(bits) != expected.view(bits)))
                del expected
            limits, limit_skipped = impl.limit_implementations(w, placement, threads)
            if placement not in numpy_choice:
                say(f"{dtype_name} n={report.format_size(n)} {placement}: choosing NumPy's fastest formulation")
                numpy_choice[placement] = choose_numpy(w, placement, min_sample_ns)
            numpy_impl, numpy_listing = numpy_choice[placement]
            peers = [numpy_impl] if numpy_impl is not None else []
            peer_skipped = []
            if torch is not None:
                torch_impls, torch_skipped = impl.torch_implementations(w, placement)
                peers += torch_impls
                peer_skipped += torch_skipped
            if onednn is not None:
                onednn_impls, onednn_skipped = impl.onednn_implementations(w, placement)
                peers += onednn_impls
                peer_skipped += onednn_skipped
            group = measure_group(w, placement, threads, pygraph_impls + limits + peers,
                                  skipped + limit_skipped + peer_skipped, numpy_listing, pygraph_bits, args, say)
            group["pygraph_vs_spec_reference_mismatches"] = spec_mismatches
            groups.append(group)
    return groups


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def run(args: argparse.Namespace, out: TextIO) -> dict:
    say = _progress(not args.quiet)
    access = impl.PygraphAccess()
    copy_ffi, copy_lib = impl.load_copy_limit()
    torch = None
    if not args.no_torch:
        try:
            torch = impl.load_torch()
        except impl.Unavailable as error:
            say(f"{error}: PyTorch is left out")
    onednn = None
    if not args.no_onednn:
        try:
            onednn = impl.OneDnn.load()
        except impl.Unavailable as error:
            say(f"{error}: oneDNN is left out")
    info = machine.machine_info(access, args.dtypes, copy_ffi.string(copy_lib.copy_limit_vector_isa()).decode(),
                                torch.__version__ if torch else None)
    info["versions"]["onednn"] = onednn.version if onednn else None
    started = datetime.datetime.now(datetime.timezone.utc)
    original_torch_threads = torch.get_num_threads() if torch else None
    groups = []
    try:
        for dtype_name in args.dtypes:
            dtype_groups = []
            for n in args.sizes:
                dtype_groups += measure_size(access, torch, onednn, dtype_name, n, args, say)
            report.print_tables(dtype_groups, out)  # each dtype's tables as soon as they are complete
            out.flush()
            groups += dtype_groups
    finally:
        access.set_num_threads(0)  # back to pygraph's default
        if torch is not None:
            torch.set_num_threads(original_torch_threads)
        if onednn is not None:
            onednn.set_num_threads(machine.usable_cpus())  # GNU OpenMP's default
    info["load_average_at_end"] = machine.load_average()
    summary = report.summary(groups)
    report.print_summary(summary, out)
    return {
        "format": JSON_FORMAT,
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": info,
        "config": {"sizes": args.sizes, "dtypes": args.dtypes, "threads": args.threads,
                   "placements": args.placements, "rounds": args.rounds,
                   "default_rounds": {"below_large_size": FULL_ROUNDS, "large_size": LARGE_SIZE,
                                      "from_large_size": LARGE_SIZE_ROUNDS, "quick": QUICK_ROUNDS},
                   "min_sample_us": args.min_sample_us, "warm_up_us_after_idle": WARM_NS / 1000,
                   "alpha": args.alpha, "seed": args.seed, "offset": args.offset, "quick": args.quick,
                   "in_place_calls_per_restore": impl.in_place_calls_per_restore(args.alpha),
                   "torch": torch is not None, "onednn": onednn is not None},
        "groups": groups,
        "summary": summary,
    }


def main(argv: Optional[list[str]] = None) -> int:
    parser = build_parser()
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--"]:  # a wrapper that forwards "bench -- ARGS" verbatim
        argv = argv[1:]
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = list(QUICK_SIZES if args.quick else FULL_SIZES)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.min_sample_us is None:
        args.min_sample_us = QUICK_MIN_SAMPLE_US if args.quick else FULL_MIN_SAMPLE_US
    if args.threads is None:
        args.threads = [1, machine.usable_cpus()]
    args.threads = list(dict.fromkeys(args.threads))  # "1,all" on one CPU is just 1
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("pygraph bench: --plot needs matplotlib: pip install 'pygraph[bench]' "
                  "(or pip install matplotlib)", file=sys.stderr)
            return 2
    try:
        document = run(args, sys.stdout)
    except ImportError as error:
        print(f"pygraph bench: cannot import what the benchmark needs: {error}", file=sys.stderr)
        return 1
    if args.json:
        report.write_json(args.json, document)
        print(f"\nwrote {args.json}")
    if args.plot:
        report.plot(document["groups"], args.plot, document["machine"])
        print(f"wrote {args.plot}")
    if args.markdown:
        report.write_markdown(document["groups"], args.markdown)
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
