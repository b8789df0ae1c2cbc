"""The ``pygraph`` command (also ``python -m pygraph``), SPEC §6.

Subcommands::

    pygraph validate FILE...                       every problem of each graph file
    pygraph run FILE [--seed N] [--repeat N] [--policy P] [--json]
                                                   partition, compile, execute, check
    pygraph info [--json]                          version, CPU, kernels, threads, schemas
    pygraph bench [ARGS...]                        the benchmark (benchmarks/, pygraph.benchmarks)

Exit codes (also in ``pygraph --help``):

    0  success: every file is valid / every supported partition matched the
       reference bit for bit
    1  a file has problems, or a result differs from the reference
    2  usage error, a file that cannot be read, or the benchmark harness is
       not installed

``main(argv)`` runs in-process and returns the exit code; it never calls
``sys.exit`` itself (the console script and ``__main__`` do).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import platform
import statistics
import sys
import time
from typing import Any, Callable, Optional, Sequence, TextIO

import numpy as np

from . import reference

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2

_EXIT_CODES_HELP = """\
exit codes:
  0  success: every file is valid, every supported partition matched the
     NumPy reference bit for bit
  1  a file has problems, or a result differs from the reference
  2  usage error, a file that cannot be read, or (bench) the benchmark
     harness is not installed
"""


# ---------------------------------------------------------------------------
# Output helpers
# ---------------------------------------------------------------------------


def _write_json(stream: TextIO, value: Any) -> None:
    stream.write(json.dumps(value, indent=2, allow_nan=False) + "\n")


def _describe_tensor(lt: Any) -> str:
    """``5:f32[1,32,26,26]`` (``?`` for an unknown dim, ``[?]`` for an unknown rank)."""
    shape = lt.shape
    dims = "?" if shape is None else ",".join("?" if dim == -1 else str(dim) for dim in shape)
    return f"{lt.id}:{lt.dtype}[{dims}]"


def _tensor_json(lt: Any) -> dict:
    return {
        "id": lt.id,
        "dtype": str(lt.dtype),
        "shape": None if lt.shape is None else list(lt.shape),
        "strides": None if lt.strides is None else list(lt.strides),
        "layout_type": str(lt.layout_type),
        "property_type": str(lt.property_type),
    }


def _table(rows: Sequence[Sequence[str]], stream: TextIO) -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        stream.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() + "\n")


class _Progress:
    """A one-line progress indicator on stderr, shown only on a terminal and
    only once a run has taken longer than `delay` seconds."""

    def __init__(self, stream: TextIO, enabled: bool, delay: float = 0.5):
        self.stream = stream
        self.enabled = enabled and getattr(stream, "isatty", lambda: False)()
        self.delay = delay
        self.start = time.perf_counter()
        self.last = 0.0
        self.shown = False

    def update(self, text: str) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.start >= self.delay and now - self.last >= 0.1:
            self.stream.write("\r" + text[:78].ljust(78))
            self.stream.flush()
            self.last = now
            self.shown = True

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 78 + "\r")
            self.stream.flush()
            self.shown = False


# ---------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import io

    results = []
    unreadable = False
    any_problem = False
    for path in args.files:
        try:
            problems = io.validate(sys.stdin.buffer if path == "-" else path)
        except OSError as exc:
            unreadable = True
            results.append({"file": path, "ok": False, "error": f"cannot read: {exc.strerror or exc}", "problems": []})
            continue
        any_problem = any_problem or bool(problems)
        results.append(
            {
                "file": path,
                "ok": not problems,
                "problems": [
                    {"path": p.path, "message": p.message, "line": p.line, "column": p.column} for p in problems
                ],
            }
        )
    if args.json:
        _write_json(out, {"files": results})
    else:
        for result, path in zip(results, args.files):
            if "error" in result:
                err.write(f"{path}: {result['error']}\n")
                continue
            for problem in result["problems"]:
                where = problem["path"] or "(document)"
                if problem["line"] is not None:
                    where = f"line {problem['line']}, column {problem['column']}"
                out.write(f"{path}: {where}: {problem['message']}\n")
            count = len(result["problems"])
            out.write(f"{path}: {_count(count, 'problem') if count else 'ok'}\n")
    if unreadable:
        return EXIT_USAGE
    return EXIT_PROBLEMS if any_problem else EXIT_OK


def _random_values(rng: np.random.Generator, dtype: np.dtype, count: int) -> np.ndarray:
    """`count` random values of `dtype`: mostly normal numbers of both signs,
    and about one in 32 a special value (±0, ±inf, NaN, subnormals, the
    largest finite value) so that every branch of the semantics runs."""
    if dtype == np.bool_:
        return rng.integers(0, 2, count).astype(dtype)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, count, endpoint=True).astype(dtype)
    wide = (rng.standard_normal(count) * 8).astype(np.float32)
    specials = np.array(
        [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-40, -1e-40, 3.4028235e38, -3.4028235e38], np.float32
    )
    chosen = rng.random(count) < 1 / 32
    wide[chosen] = rng.choice(specials, int(chosen.sum()))
    with np.errstate(all="ignore"):
        return wide.astype(dtype)


def _strided_array(lt: Any, dtype: np.dtype, fill: Callable[[int], np.ndarray]) -> np.ndarray:
    """An array laid out exactly as `lt` describes (dims and strides in
    elements, any sign), its memory filled by `fill(count)`."""
    shape = tuple(lt.shape)
    strides = tuple(lt.strides)
    if 0 in shape:
        return np.empty(shape, dtype)
    low = sum(stride * (dim - 1) for dim, stride in zip(shape, strides) if stride < 0)
    high = sum(stride * (dim - 1) for dim, stride in zip(shape, strides) if stride > 0)
    base = fill(high - low + 1)
    return np.lib.stride_tricks.as_strided(
        base[-low:], shape=shape, strides=tuple(stride * dtype.itemsize for stride in strides), writeable=True
    )


def _run_partition(
    partition: Any,
    ops_by_id: dict,
    values: dict,
    args: argparse.Namespace,
    rng: np.random.Generator,
    engine: Any,
    stream: Any,
    progress: _Progress,
) -> dict:
    """Compile and execute one supported partition; check it against the reference."""
    from .arrays import numpy_dtype
    from .runtime import kernel_name

    report: dict = {}
    inputs = partition.input_ports
    for lt in inputs:
        if lt.shape is None or -1 in lt.shape or lt.strides is None:
            report["skipped"] = f"input {_describe_tensor(lt)} has unknown dims or strides"
            return report
    compiled = partition.compile(inputs, partition.output_ports, engine)
    input_arrays = []
    for lt in compiled.inputs:
        dtype = numpy_dtype(lt.dtype)
        produced = values.get(lt.id)
        array = _strided_array(lt, dtype, lambda count, dtype=dtype: _random_values(rng, dtype, count))
        if produced is not None and produced.shape == array.shape and produced.dtype == dtype:
            array[...] = produced  # the value an earlier supported partition computed
        values.setdefault(lt.id, np.array(array))
        input_arrays.append(array)
    output_arrays = []
    for lt in compiled.outputs:
        dtype = numpy_dtype(lt.dtype)
        # Filled with a byte pattern, so that an element the kernel skips shows up as a mismatch.
        output_arrays.append(
            _strided_array(
                lt, dtype, lambda count, dtype=dtype: np.full(count * dtype.itemsize, 0xA5, np.uint8).view(dtype)
            )
        )
    compiled.execute(stream, input_arrays, output_arrays)

    # The reference: the partition's ops one after the other, in NumPy.
    expected: dict = {lt.id: np.array(array) for lt, array in zip(compiled.inputs, input_arrays)}
    for op_id in partition.ops:
        op = ops_by_id[op_id]
        source = expected[op.inputs[0].id]
        expected[op.outputs[0].id] = reference.leaky_relu(source, op.attrs["alpha"])
    mismatches = 0
    elements = 0
    for lt, array in zip(compiled.outputs, output_arrays):
        want = expected[lt.id]
        bits = np.dtype(f"u{array.dtype.itemsize}")
        got_bits = np.ascontiguousarray(array).view(bits)
        want_bits = np.ascontiguousarray(want).view(bits)
        mismatches += int(np.count_nonzero(got_bits != want_bits))
        elements += array.size
        values[lt.id] = np.array(array)

    # Timing: `repeat` more executions on the same buffers.
    times = []
    for index in range(args.repeat):
        progress.update(f"partition {partition.id}: run {index + 1}/{args.repeat}")
        start = time.perf_counter()
        compiled.execute(stream, input_arrays, output_arrays)
        times.append(time.perf_counter() - start)
    progress.done()
    moved = sum(lt.mem_size for lt in compiled.inputs) + sum(lt.mem_size for lt in compiled.outputs)
    dtypes = sorted({str(lt.dtype) for lt in compiled.inputs})
    report.update(
        {
            "kernels": {dtype: kernel_name(dtype) for dtype in dtypes},
            "elements": elements,
            "bytes_moved": moved,
            "repeat": args.repeat,
            "median_s": statistics.median(times) if times else None,
            "min_s": min(times) if times else None,
            "gb_per_s": (moved / statistics.median(times) / 1e9) if times and statistics.median(times) > 0 else None,
            "mismatches": mismatches,
            "bit_exact": mismatches == 0,
        }
    )
    return report


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _format_seconds(seconds: Optional[float]) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import io
    from .engine import Engine, Stream
    from .errors import Error

    try:
        graph = io.load(sys.stdin.buffer if args.file == "-" else args.file)
    except OSError as exc:
        err.write(f"{args.file}: cannot read: {exc.strerror or exc}\n")
        return EXIT_USAGE
    except io.GraphFileError as exc:
        err.write(str(exc) + "\n")
        return EXIT_PROBLEMS
    partitions = graph.get_partitions(args.policy)
    ops_by_id = {op.id: op for op in graph.ops}
    rng = np.random.default_rng(args.seed)
    engine = Engine("cpu", 0)
    stream = Stream(engine)
    progress = _Progress(err, enabled=not args.json)
    values: dict = {}
    reports = []
    failed = False
    for partition in partitions:
        entry = {
            "id": partition.id,
            "supported": partition.is_supported(),
            "ops": [
                {
                    "id": op_id,
                    "kind": ops_by_id[op_id].original_kind or str(ops_by_id[op_id].kind),
                    "name": ops_by_id[op_id].name,
                }
                for op_id in partition.ops
            ],
            "inputs": [_tensor_json(lt) for lt in partition.input_ports],
            "outputs": [_tensor_json(lt) for lt in partition.output_ports],
        }
        if entry["supported"]:
            try:
                entry["run"] = _run_partition(partition, ops_by_id, values, args, rng, engine, stream, progress)
            except Error as exc:
                entry["run"] = {"error": exc.message}
                failed = True
            else:
                failed = failed or entry["run"].get("bit_exact") is False
        reports.append((partition, entry))

    if args.json:
        _write_json(
            out,
            {
                "file": args.file,
                "policy": args.policy,
                "seed": args.seed,
                "partitions": [entry for _, entry in reports],
                "ok": not failed,
            },
        )
        return EXIT_PROBLEMS if failed else EXIT_OK

    supported = sum(1 for _, entry in reports if entry["supported"])
    out.write(
        f"{args.file}: {_count(len(ops_by_id), 'op')}, {_count(len(reports), 'partition')} "
        f"({args.policy} policy), {supported} supported\n\n"
    )
    rows = [("partition", "supported", "ops", "inputs", "outputs")]
    for partition, entry in reports:
        rows.append(
            (
                str(entry["id"]),
                "yes" if entry["supported"] else "no",
                ", ".join(f"{op['id']} {op['kind']}" for op in entry["ops"]),
                " ".join(_describe_tensor(lt) for lt in partition.input_ports),
                " ".join(_describe_tensor(lt) for lt in partition.output_ports),
            )
        )
    _table(rows, out)
    out.write("\n")
    for _, entry in reports:
        run = entry.get("run")
        if run is None:
            continue
        label = f"partition {entry['id']}"
        if "error" in run:
            out.write(f"{label}: FAILED: {run['error']}\n")
        elif "skipped" in run:
            out.write(f"{label}: skipped: {run['skipped']}\n")
        else:
            kernels = ", ".join(run["kernels"].values())
            verdict = (
                "bit-exact against the NumPy reference"
                if run["bit_exact"]
                else f"DIFFERS from the NumPy reference in {run['mismatches']} of {run['elements']} elements"
            )
            speed = "-" if run["gb_per_s"] is None else f"{run['gb_per_s']:.2f} GB/s"
            out.write(
                f"{label}: {run['elements']} elements, {kernels}: {verdict}; "
                f"median of {run['repeat']} runs {_format_seconds(run['median_s'])}, {speed}\n"
            )
    if supported == 0:
        out.write("no supported partition: nothing to run\n")
    return EXIT_PROBLEMS if failed else EXIT_OK


# ---------------------------------------------------------------------------
# info
# ---------------------------------------------------------------------------


def _cmd_info(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import pygraph

    from .runtime import cpu_features, cpu_isa, get_num_threads, kernel_environment, kernel_name
    from .schema import list_schemas, schema

    dtypes = schema("LeakyReLU")["type_constraints"]["T"]
    info = {
        "version": pygraph.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpu_features": cpu_features(),
        "isa": cpu_isa(),
        "max_isa_env": os.environ.get("PYGRAPH_MAX_ISA"),
        "kernel_env": kernel_environment(),
        "kernels": {dtype: kernel_name(dtype) for dtype in dtypes},
        "num_threads": get_num_threads(),
        "num_threads_env": os.environ.get("PYGRAPH_NUM_THREADS"),
        "schemas": list_schemas(),
    }
    if args.json:
        _write_json(out, info)
        return EXIT_OK
    rows = [
        ("pygraph", info["version"]),
        ("python", f"{info['python']} ({info['machine']}), numpy {info['numpy']}"),
        ("cpu features", " ".join(info["cpu_features"]) or "(none of the ones pygraph uses)"),
        ("isa", info["isa"] + (f" (PYGRAPH_MAX_ISA={info['max_isa_env']})" if info["max_isa_env"] else "")),
        ("kernels", ", ".join(f"{dtype}: {name}" for dtype, name in info["kernels"].items())
         + "".join(f" ({name}={value})" for name, value in info["kernel_env"].items() if name != "PYGRAPH_MAX_ISA")),
        (
            "threads",
            str(info["num_threads"])
            + (f" (PYGRAPH_NUM_THREADS={info['num_threads_env']})" if info["num_threads_env"] else ""),
        ),
        ("op schemas", ", ".join(info["schemas"])),
    ]
    _table(rows, out)
    return EXIT_OK


# ---------------------------------------------------------------------------
# bench
# ---------------------------------------------------------------------------


def _cmd_bench(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        benchmarks = importlib.import_module(f"{__package__}.benchmarks")
    except ImportError as exc:
        err.write(
            "pygraph bench: the benchmark harness (pygraph.benchmarks, built from benchmarks/) "
            f"is not installed with this pygraph ({exc}).\n"
        )
        return EXIT_USAGE
    entry = getattr(benchmarks, "main", None)
    if entry is None:
        err.write("pygraph bench: pygraph.benchmarks has no main(argv) entry point.\n")
        return EXIT_USAGE
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            return int(entry(list(args.bench_args)) or 0)
        except SystemExit as exc:  # the harness's own --help and usage errors
            return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE


# ---------------------------------------------------------------------------
# The parser and main()
# ---------------------------------------------------------------------------


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer; got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pygraph",
        description="Read, check and run oneDNN graph files with pygraph's LeakyReLU graph API.",
        epilog=_EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    validate = commands.add_parser(
        "validate",
        help="list every problem of graph files, each with its JSON path",
        description="Check oneDNN graph JSON files: JSON syntax, the structure of schemas/graph.schema.json, "
        "the op schemas (attributes, data types, ports) and the graph rules (ids, producers, ports). "
        "Every problem is printed as FILE: JSON_PATH: message.",
        epilog=_EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="graph files to check (- reads standard input)")
    validate.add_argument("--json", action="store_true", help="print the problems as JSON")
    validate.set_defaults(handler=_cmd_validate)

    run = commands.add_parser(
        "run",
        help="partition a graph file, run its supported partitions on random data and check them",
        description="Load a graph file, print its partitions (id, ops, supported, ports), compile and execute "
        "every supported partition on seeded random data (inputs produced by unsupported partitions get random "
        "data too), compare the result bit for bit with a NumPy reference of the semantics, and report the "
        "median time and the bandwidth (bytes read + written per second).",
        epilog=_EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("file", metavar="FILE", help="the graph file (- reads standard input)")
    run.add_argument("--seed", type=_non_negative_int, default=0, help="seed of the random input data (default 0)")
    run.add_argument("--repeat", type=_non_negative_int, default=10, help="timed executions per partition (default 10)")
    run.add_argument(
        "--policy", choices=("fusion", "debug"), default="fusion", help="partitioning policy (default fusion)"
    )
    run.add_argument("--json", action="store_true", help="print the partitions and results as JSON")
    run.set_defaults(handler=_cmd_run)

    info = commands.add_parser(
        "info",
        help="version, CPU features, kernel per data type, threads, op schemas",
        epilog=_EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    info.add_argument("--json", action="store_true", help="print as JSON")
    info.set_defaults(handler=_cmd_info)

    bench = commands.add_parser(
        "bench",
        help="the benchmark (pygraph vs NumPy, PyTorch, copy bandwidth); `pygraph bench --help` for its options",
        add_help=False,
        epilog=_EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("bench_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    bench.set_defaults(handler=_cmd_bench)
    return parser


def main(
    argv: Optional[Sequence[str]] = None, *, stdout: Optional[TextIO] = None, stderr: Optional[TextIO] = None
) -> int:
    """Run the command line `argv` (default ``sys.argv[1:]``); return the exit code."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["bench"]:
        # Everything after "bench" belongs to the harness's own parser
        # (argparse's REMAINDER would not pass on options such as --help).
        args = argparse.Namespace(handler=_cmd_bench, bench_args=arguments[1:])
    else:
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # help and usage errors
                args = build_parser().parse_args(arguments)
        except SystemExit as exc:  # --help (0) or a usage error (2)
            return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.handler(args, out, err)
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
    except BrokenPipeError:  # `pygraph run ... | head`
        return EXIT_OK
