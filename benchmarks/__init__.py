"""pygraph's benchmark (SPEC §7), installed as ``pygraph.benchmarks``.

Run it with ``pygraph bench`` or ``python benchmarks/run.py``; the entry
point is :func:`pygraph.benchmarks.harness.main`.  ``_copy_limit`` is the
compiled copy and in-place floor the figures are compared with.
"""


def main(argv: "list[str] | None" = None) -> int:
    """Runs the benchmark (``pygraph bench``); see harness.main."""
    from .harness import main as harness_main  # numpy & co. only when asked for

    return harness_main(argv)
