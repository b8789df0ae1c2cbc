"""Turning measurements into a table, a JSON file and a plot.

A *group* is one (dtype, n, threads, placement) measured in one set of
interleaved rounds; group records are plain dicts, exactly as written to the
JSON file.  Every ratio is a median over the group's rounds of the ratio
of the two samples taken in that round (paired_ratio), not a ratio of two
medians:

  of limit   limit time / implementation time  (1.00 = as fast as a copy)
  vs PEER    PEER time / pygraph time          (> 1: pygraph is faster)
  vs 1 thread  time of the same call on one thread, measured in the same
             rounds (its record: one_thread_key) / this time
  CPUs together  in threaded groups, the in-cache work all the group's CPUs
             did at once / the fastest one's alone, median over the same
             rounds (machine.CpusTogether): what the machine gave threads
             then, the scale to read "vs 1 thread" against
"""

from __future__ import annotations

import json
import math
import statistics
from typing import Optional, TextIO

PEERS = ("numpy", "torch", "onednn")
PLACEMENT_TEXT = {"out_of_place": "out-of-place (y = leaky_relu(x))", "in_place": "in place (x = leaky_relu(x))"}


ONE_THREAD_SUFFIX = "_1thread"


def one_thread_key(key: str) -> str:
    """The key of `key`'s one-thread baseline inside a threaded group."""
    return key + ONE_THREAD_SUFFIX


def peer_of(record: dict) -> Optional[str]:
    for peer in PEERS:
        if record["key"].startswith(peer):
            return peer
    return None


def limit_record(group: dict) -> Optional[dict]:
    """The fastest member of the group's limit family: the limit."""
    members = [r for r in group["implementations"] if r["kind"] == "limit"]
    return min(members, key=lambda r: r["median_ns"]) if members else None


def paired_ratio(numerator: list[float], denominator: list[float]) -> float:
    """The median over rounds of numerator's sample / denominator's sample
    in the same round (two implementations' samples, in round order).  On
    a shared VM the machine changes phase within a group, so a group's
    samples often form two clusters, and the medians of two records can
    come from different ones: their quotient then measures the machine.
    The samples of one round share the machine's phase far more often
    (benchmarks/README.md, "Reading the table", has the figures)."""
    return statistics.median(a / b for a, b in zip(numerator, denominator, strict=True))


def _paired(numerator: dict, denominator: dict) -> float:
    return paired_ratio(numerator["samples_ns_per_call"], denominator["samples_ns_per_call"])


def compute_ratios(group: dict) -> dict:
    limit = limit_record(group)
    peers = {peer_of(r): r for r in group["implementations"] if r["kind"] == "peer"}
    by_key = {r["key"]: r for r in group["implementations"]}
    ratios = {}
    for record in group["implementations"]:
        if record["kind"] == "limit":
            continue
        entry = {"of_limit": _paired(limit, record) if limit else None}
        if record["kind"] == "pygraph":
            entry["vs"] = {peer: _paired(r, record) for peer, r in peers.items()}
            baseline = by_key.get(one_thread_key(record["key"]))
            if baseline is not None:
                entry["vs_1_thread"] = _paired(baseline, record)
        ratios[record["key"]] = entry
    return ratios


def cpus_together_ratio(group: dict) -> Optional[float]:
    """The group's median "CPUs together" ratio; None on one thread or
    where it could not be measured."""
    together = group.get("cpus_together")
    return together["median_ratio"] if together else None


def format_size(n: int) -> str:
    """6400000 -> '6.4e6', 100 -> '100'."""
    if n < 10_000:
        return str(n)
    mantissa, exponent = f"{n:.3g}".split("e+") if "e+" in f"{n:.3g}" else (f"{n:.3g}", "0")
    return f"{mantissa}e{int(exponent)}"


def gb_per_s(bytes_per_call: int, ns_per_call: float) -> float:
    return bytes_per_call / ns_per_call if ns_per_call > 0 else math.inf  # bytes/ns == GB/s


def _fmt_ratio(value: Optional[float], percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.0%}" if percent else f"{value:.2f}x"


def _fmt_check(record: dict) -> str:
    check = record.get("check")
    if check is None:
        return "-"
    if check["mismatches"] == 0:
        return "ok"
    return f"{check['mismatches']} differ" + ("" if record["expected_exact"] else " (expected)")


def _threads_text(threads: int) -> str:
    return "1 thread" if threads == 1 else f"{threads} threads"


def group_key(group: dict) -> tuple:
    return (group["dtype"], group["threads"], group["placement"])


def peers_present(groups: list[dict]) -> list[str]:
    found = {peer_of(r) for g in groups for r in g["implementations"] if r["kind"] == "peer"}
    return [peer for peer in PEERS if peer in found]


def print_tables(groups: list[dict], out: TextIO) -> None:
    """One table per (dtype, threads, placement), rows by size; a "vs"
    column for every peer that was measured."""
    by_key: dict[tuple, list[dict]] = {}
    for group in groups:
        by_key.setdefault(group_key(group), []).append(group)
    peers = peers_present(groups)
    for (dtype, threads, placement), members in by_key.items():
        alpha, offset = members[0]["alpha"], members[0].get("offset", 0)
        where = f" · buffers {offset} bytes past a cache line" if offset else ""
        out.write(f"\n{dtype} · {_threads_text(threads)} · {PLACEMENT_TEXT[placement]} · alpha = {alpha}{where}\n")
        header = (f"{'n':>10}  {'implementation':<54} {'µs/call':>10} {'±%':>5} {'GB/s':>7} {'of limit':>8}"
                  + "".join(f" {'vs ' + peer:>9}" for peer in peers) + "  check")
        out.write(header + "\n" + "-" * len(header) + "\n")
        for group in sorted(members, key=lambda g: g["n"]):
            limit = limit_record(group)
            first = True
            for record in group["implementations"]:
                if record["kind"] == "limit" and record is not limit:
                    continue  # the other limit methods are in the JSON
                ratio = group["ratios"].get(record["key"], {})
                of_limit = 1.0 if record["kind"] == "limit" else ratio.get("of_limit")
                vs = ratio.get("vs", {})
                n_text = f"{format_size(group['n']):>10}" if first else " " * 10
                first = False
                out.write(
                    f"{n_text}  {record['label']:<54.54} {record['median_ns'] / 1000:>10.3f} "
                    f"{record['spread'] * 50:>5.1f} {record['gb_per_s']:>7.2f} {_fmt_ratio(of_limit, True):>8}"
                    + "".join(f" {_fmt_ratio(vs.get(peer)):>9}" for peer in peers)
                    + f"  {_fmt_check(record)}\n"
                )
            for skipped in group["skipped"]:
                out.write(f"{'':>10}  {skipped['label']:<54.54} skipped: {skipped['reason']}\n")
            together = group.get("cpus_together")
            if together:
                measured = sum(r["ratio"] is not None for r in together["rounds"])
                out.write(f"{'':>10}  CPUs together: {together['median_ratio']:.2f}x the in-cache work of the fastest CPU "
                          f"alone (median of {measured} rounds, {together['min_ratio']:.2f}-"
                          f"{together['max_ratio']:.2f}x)\n")
    out.write(
        "\nµs/call: median over rounds; ±%: half the interquartile range, relative; GB/s: bytes read + written "
        "per call / time;\nof limit: limit time / this time; vs PEER: the peer's time / pygraph's time "
        "(> 1 means pygraph is faster);\nratios: the median over rounds of the two samples' ratio in each "
        "round (not the quotient of the µs/call columns);\n"
        "check: output bits compared with pygraph's (limits: with the input).\n"
    )


def summary(groups: list[dict]) -> list[dict]:
    """Per (dtype, threads, placement): the figures the issue's targets are
    stated in.  Reported, never asserted."""
    rows = []
    by_key: dict[tuple, list[dict]] = {}
    for group in groups:
        by_key.setdefault(group_key(group), []).append(group)
    for (dtype, threads, placement), members in by_key.items():
        members = sorted(members, key=lambda g: g["n"])
        largest, smallest = members[-1], members[0]
        row = {"dtype": dtype, "threads": threads, "placement": placement,
               "largest_n": largest["n"], "smallest_n": smallest["n"]}
        for key in ("pygraph_arrays", "pygraph_leaky_relu"):
            ratio = largest["ratios"].get(key)
            row[f"{key}_of_limit_at_largest"] = ratio["of_limit"] if ratio else None
            at_small = next((r for r in smallest["implementations"] if r["key"] == key), None)
            row[f"{key}_us_at_smallest"] = at_small["median_ns"] / 1000 if at_small else None
            worst = None
            for group in members:
                vs_torch = group["ratios"].get(key, {}).get("vs", {}).get("torch")
                if vs_torch is not None and (worst is None or vs_torch < worst[0]):
                    worst = (vs_torch, group["n"])
            row[f"{key}_min_vs_torch"] = {"ratio": worst[0], "n": worst[1]} if worst else None
            row[f"{key}_min_vs_1_thread"] = _min_speedup_over_one_thread(members, key)
        together = [ratio for ratio in map(cpus_together_ratio, members) if ratio is not None]
        row["cpus_together_range"] = [min(together), max(together)] if together else None
        rows.append(row)
    return rows


def _min_speedup_over_one_thread(members: list[dict], key: str) -> Optional[dict]:
    """For a threaded group set: the smallest speed-up of `key` over its
    one-thread baseline across sizes, and where (None on one thread)."""
    worst = None
    for group in members:
        speedup = group["ratios"].get(key, {}).get("vs_1_thread")
        if speedup is not None and (worst is None or speedup < worst["ratio"]):
            worst = {"ratio": speedup, "n": group["n"]}
    return worst


def print_summary(rows: list[dict], out: TextIO) -> None:
    out.write("\nSummary (pygraph arrays = cp(x, out=y), func = leaky_relu(x, a, out=y))\n")
    header = (f"{'dtype':<5} {'threads':>7} {'placement':<12} {'of limit @ largest n':>24} "
              f"{'min vs torch (at n)':>34} {'µs @ smallest n':>18} {'min vs 1 thread (at n)':>34} "
              f"{'CPUs together':>15}")
    out.write(header + "\n" + "-" * len(header) + "\n")
    for row in rows:
        def pair(suffix: str, fmt) -> str:
            values = [row[f"pygraph_{k}_{suffix}"] for k in ("arrays", "leaky_relu")]
            return " / ".join(fmt(v) if v is not None else "-" for v in values)

        of_limit = pair("of_limit_at_largest", lambda v: f"{v:.0%}")
        vs_torch = pair("min_vs_torch", lambda v: f"{v['ratio']:.2f}x ({format_size(v['n'])})")
        small = pair("us_at_smallest", lambda v: f"{v:.2f}")
        scaling = pair("min_vs_1_thread", lambda v: f"{v['ratio']:.2f}x ({format_size(v['n'])})")
        together = row.get("cpus_together_range")
        together_text = f"{together[0]:.2f}-{together[1]:.2f}x" if together else ""
        out.write(f"{row['dtype']:<5} {row['threads']:>7} {row['placement']:<12} "
                  f"{of_limit + ' @' + format_size(row['largest_n']):>24} {vs_torch:>34} {small:>18} "
                  f"{scaling if row['threads'] > 1 else '':>34} {together_text:>15}\n")
    if any(row["threads"] > 1 for row in rows):
        out.write("CPUs together: the in-cache work all the CPUs did at once / the fastest one's alone, the least and "
                  "the greatest median\nof the sizes' groups: what the machine gave threads (2 CPUs that share nothing: "
                  "about 2x).\n")


def write_markdown(groups: list[dict], path: str, key: str = "pygraph_arrays") -> None:
    """The README's tables: per placement and thread count, one row per
    dtype and size for the pygraph implementation `key` (default
    ``cp(x, out=...)``), with its ratios; runs with more than one thread
    also get the speedup over the same call on one thread, measured in the
    same rounds, and what the CPUs did together in those rounds (the scale
    to read the speedup against)."""
    dtype_order = {name: i for i, name in enumerate(("f32", "bf16", "f16"))}

    def median_of(group: dict) -> Optional[float]:
        record = next((r for r in group["implementations"] if r["key"] == key), None)
        return record["median_ns"] if record else None

    # oneDNN gets a column when it was measured at all ("-" where it has no
    # kernel for the dtype).
    with_onednn = any("onednn" in g["ratios"].get(key, {}).get("vs", {}) for g in groups)
    lines = []
    for placement, text in PLACEMENT_TEXT.items():
        for threads in sorted({g["threads"] for g in groups if g["placement"] == placement}):
            members = [g for g in groups if g["placement"] == placement and g["threads"] == threads]
            members.sort(key=lambda g: (dtype_order.get(g["dtype"], len(dtype_order)), g["n"]))
            scaling = threads > 1
            lines += ["", f"{text}, {_threads_text(threads)}:", "",
                      "| dtype | n | µs/call | GB/s | of the limit | vs torch | vs NumPy |"
                      + (" vs oneDNN |" if with_onednn else "") + (" vs 1 thread | CPUs together |" if scaling else ""),
                      "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if with_onednn else "")
                      + ("---:|---:|" if scaling else "")]
            for group in members:
                median = median_of(group)
                if median is None:
                    continue
                ratio = group["ratios"][key]
                vs = ratio.get("vs", {})
                cells = [group["dtype"], format_size(group["n"]), f"{median / 1000:.2f}",
                         f"{gb_per_s(group['bytes_per_call'], median):.1f}", _fmt_ratio(ratio["of_limit"], True),
                         f"{vs['torch']:.2f}×" if "torch" in vs else "-",
                         f"{vs['numpy']:.1f}×" if "numpy" in vs else "-"]
                if with_onednn:
                    cells.append(f"{vs['onednn']:.2f}×" if "onednn" in vs else "-")
                if scaling:
                    speedup = ratio.get("vs_1_thread")
                    cells.append(f"{speedup:.2f}×" if speedup is not None else "-")
                    together = cpus_together_ratio(group)
                    cells.append(f"{together:.2f}×" if together is not None else "-")
                lines.append("| " + " | ".join(cells) + " |")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines).lstrip("\n") + "\n")


def write_json(path: str, document: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1)
        f.write("\n")


PLOT_STYLE = {"pygraph": "-", "limit": ":", "peer": "--"}
# One legend entry per implementation, whatever the placement.
PLOT_LABELS = {
    "pygraph_tensor": "pygraph cp.execute(Tensor)",
    "pygraph_arrays": "pygraph cp(x, out=)",
    "pygraph_leaky_relu": "pygraph leaky_relu(x, a, out=)",
    "pygraph_c": "pygraph C execute_buffers (cffi)",
    "limit": "limit: copy | in-place read+write",
    "numpy": "numpy, fastest formulation",
    "torch": "torch leaky_relu(out=) | leaky_relu_",
    "onednn": "oneDNN eltwise_relu primitive",
}


def _plot_lines(members: list[dict]) -> dict[str, tuple[str, str, list]]:
    """key -> (label, kind, [(n, GB/s)]); the limit is one line: the fastest
    method at each size."""
    lines: dict[str, tuple[str, str, list]] = {}
    for group in members:
        limit = limit_record(group)
        for record in group["implementations"]:
            if record["kind"] == "limit":
                if record is not limit:
                    continue
                key = "limit"
            elif record["key"].endswith(ONE_THREAD_SUFFIX):
                continue  # the one-thread panels show it
            else:
                key = record["key"]
            label = PLOT_LABELS.get(key, record["label"])
            lines.setdefault(key, (label, record["kind"], []))[2].append((group["n"], record["gb_per_s"]))
    return lines


def plot(groups: list[dict], path: str, machine: dict) -> None:
    """GB/s against size (log-log), one line per implementation, one panel
    per dtype (rows) and thread count and placement (columns); one legend,
    one colour per implementation in every panel."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    dtypes = list(dict.fromkeys(g["dtype"] for g in groups))
    columns = list(dict.fromkeys((g["threads"], g["placement"]) for g in groups))
    height = 3.4 * len(dtypes) + 0.9  # inches; the last 0.9 hold the legend
    figure, axes = plt.subplots(len(dtypes), len(columns), figsize=(4.6 * len(columns), height),
                                squeeze=False, sharex=True)
    colours: dict[str, str] = {}
    legend: dict[str, object] = {}
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for row, dtype in enumerate(dtypes):
        for column, (threads, placement) in enumerate(columns):
            ax = axes[row][column]
            members = sorted((g for g in groups if (g["dtype"], g["threads"], g["placement"]) ==
                              (dtype, threads, placement)), key=lambda g: g["n"])
            for key, (label, kind, points) in _plot_lines(members).items():
                colour = colours.setdefault(key, palette[len(colours) % len(palette)])
                xs, ys = zip(*points)
                (line,) = ax.plot(xs, ys, PLOT_STYLE.get(kind, "-"), color=colour, marker="o", markersize=3)
                legend.setdefault(key, (line, label))
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(True, which="both", alpha=0.3)
            ax.set_title(f"{dtype}, {_threads_text(threads)}, {placement.replace('_', '-')}", fontsize=10)
            if column == 0:
                ax.set_ylabel("GB/s (read + written)")
            if row == len(dtypes) - 1:
                ax.set_xlabel("elements")
    handles = [line for line, _ in legend.values()]
    labels = [label for _, label in legend.values()]
    figure.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8, frameon=False)
    figure.suptitle(f"pygraph LeakyReLU, GB/s against size — {machine.get('cpu_model', '')}, "
                    f"{machine.get('usable_cpus')} CPUs", fontsize=11)
    figure.tight_layout(rect=(0, 0.8 / height, 1, 1))
    figure.savefig(path, dpi=110)
    plt.close(figure)
