"""pygraph's threads in a process that also runs PyTorch:
``python -m pygraph.benchmarks.next_to_torch [options]``.

PyTorch's CPU ops run on GNU OpenMP, whose idle workers spin for
milliseconds after each parallel region.  On a machine with few cores, a
spinning OpenMP worker holds the CPU that pygraph's worker would use.
`pygraph bench` keeps the two apart on purpose: it waits until every other
thread is off the CPU before each sample, so that each library is measured
with its own pool.  This script measures the opposite case, a process that
uses both libraries: samples of PyTorch's ``leaky_relu`` and of
``pygraph.leaky_relu`` on all threads and on one thread take turns on the
same arrays, with no pause between them.  It prints pygraph's speed-up of
all threads over one thread next to PyTorch's time.  It never asserts
speed; it needs torch (exit status 2 without it).
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional

from . import implementations as impl
from . import harness, machine, report, timing

DEFAULT_SIZES = [100_000, 1_000_000]
DEFAULT_ROUNDS = 41
# Each sample lasts at least this long: a few hundred microseconds is in the
# range of an OpenMP worker's spin after a PyTorch op (milliseconds), so the
# sample after PyTorch's starts while it still spins.
DEFAULT_SAMPLE_US = 300


def parse_arguments(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pygraph.benchmarks.next_to_torch",
        description="pygraph's speed-up from threads while PyTorch's OpenMP workers share the process "
                    "(samples of both take turns, with no pause between them). Never asserts speed.",
    )
    parser.add_argument("--sizes", type=harness._csv(harness._size), default=DEFAULT_SIZES,
                        help=f"element counts (default {','.join(f'{s:g}' for s in DEFAULT_SIZES)})")
    parser.add_argument("--dtypes", type=harness._csv(harness._dtype), default=["f32"],
                        help="comma-separated: f32,bf16,f16 (default f32)")
    parser.add_argument("--placements", type=harness._csv(harness._placement), default=list(impl.PLACEMENTS),
                        help="comma-separated: out,in (default both)")
    parser.add_argument("--threads", type=harness._threads, default="all",
                        help="threads for pygraph and PyTorch, at least 2 (default 'all': every usable CPU)")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help=f"rounds (default {DEFAULT_ROUNDS})")
    parser.add_argument("--min-sample-us", type=float, default=DEFAULT_SAMPLE_US,
                        help=f"least time per sample (default {DEFAULT_SAMPLE_US:g})")
    parser.add_argument("--alpha", type=float, default=0.01, help="LeakyReLU's alpha (default 0.01)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the input data")
    args = parser.parse_args(argv)
    if args.threads < 2:
        parser.error(f"--threads: needs at least 2 (this process may use {machine.usable_cpus()} CPU(s))")
    if args.rounds < 1 or args.min_sample_us <= 0:
        parser.error("--rounds and --min-sample-us must be positive")
    return args


def measure(access: impl.PygraphAccess, dtype_name: str, n: int, placement: str,
            args: argparse.Namespace) -> dict:
    """One set of rounds: PyTorch, pygraph on args.threads, pygraph on 1."""
    w = impl.Workload.create(dtype_name, n, args.alpha, args.seed)
    prepared = impl.prepare_pygraph(access, w)
    pygraph_impls, skipped = impl.pygraph_implementations(access, prepared, w, placement, args.threads)
    wanted = {impl.FUNCTIONAL_KEY, report.one_thread_key(impl.FUNCTIONAL_KEY)}
    pygraph_impls = [record for record in pygraph_impls if record.key in wanted]
    torch_impls, torch_skipped = impl.torch_implementations(w, placement)
    if len(pygraph_impls) != 2 or not torch_impls:
        reasons = "; ".join(f"{s['key']}: {s['reason']}" for s in skipped + torch_skipped)
        raise RuntimeError(f"{dtype_name} n={n} {placement}: cannot measure ({reasons or 'nothing to run'})")
    stats, _ = timing.interleaved_rounds(torch_impls + pygraph_impls, args.rounds, int(args.min_sample_us * 1000))
    return row_of(dtype_name, n, placement, stats, torch_impls[0].key)


def row_of(dtype_name: str, n: int, placement: str, stats: dict, torch_key: str) -> dict:
    """A printed row from one set of rounds: medians, and the speed-up as
    the median of the rounds' one-thread / all-threads ratios."""
    threaded = stats[impl.FUNCTIONAL_KEY]
    alone = stats[report.one_thread_key(impl.FUNCTIONAL_KEY)]
    return {"dtype": dtype_name, "n": n, "placement": placement,
            "torch_ns": stats[torch_key].median_ns, "pygraph_ns": threaded.median_ns,
            "pygraph_1thread_ns": alone.median_ns,
            "speedup": report.paired_ratio(alone.samples_ns, threaded.samples_ns)}


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_arguments(argv)
    try:
        torch = impl.load_torch()
    except impl.Unavailable as error:
        print(f"next_to_torch: {error}; this measurement needs PyTorch", file=sys.stderr)
        return 2
    access = impl.PygraphAccess()
    original_torch_threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    print(f"{args.threads} threads for PyTorch and pygraph; {args.rounds} rounds of samples of "
          f"≥ {args.min_sample_us:g} µs taking turns; medians in µs per call, the speed-up a "
          f"median of the rounds' ratios")
    print(f"{'dtype':5} {'n':>7} {'placement':12} {'torch':>9} {'pygraph':>9} {'1 thread':>9} {'speed-up':>9}")
    try:
        for dtype_name in args.dtypes:
            for n in args.sizes:
                for placement in args.placements:
                    try:
                        row = measure(access, dtype_name, n, placement, args)
                    except RuntimeError as error:
                        print(f"next_to_torch: {error}", file=sys.stderr)
                        return 1
                    print(f"{dtype_name:5} {report.format_size(n):>7} {placement:12} {row['torch_ns'] / 1e3:9.2f} "
                          f"{row['pygraph_ns'] / 1e3:9.2f} {row['pygraph_1thread_ns'] / 1e3:9.2f} "
                          f"{row['speedup']:8.2f}×", flush=True)
    finally:
        access.set_num_threads(0)
        torch.set_num_threads(original_torch_threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
