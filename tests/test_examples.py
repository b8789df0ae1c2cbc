"""The examples (examples/*.py) run and succeed, as a user runs them: each in
its own Python process, from a folder that is not the repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
GRAPHS = sorted(p for p in (EXAMPLES / "graphs").glob("*.json") if not p.name.startswith("bad"))


def run_example(*argv):
    result = subprocess.run(
        [sys.executable, *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parent.parent.parent,
    )
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    assert result.stderr == ""
    return result.stdout


def test_the_examples_are_there():
    assert {p.name for p in SCRIPTS} >= {"build_graph.py", "inference_loop.py", "run_dump.py"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_runs(script):
    run_example(script)


def test_build_graph_output():
    out = run_example(EXAMPLES / "build_graph.py")
    assert "partition 1: supported=True ops=[1, 2] ['LeakyReLU', 'LeakyReLU']" in out
    assert "bit-exact against NumPy" in out and "read back: identical" in out


def test_inference_loop_output():
    out = run_example(EXAMPLES / "inference_loop.py")
    assert "predictions equal to plain NumPy: True; activations bit-exact: True" in out


@pytest.mark.parametrize("graph", GRAPHS, ids=lambda p: p.name)
def test_run_dump_on_every_example_graph(graph):
    out = run_example(EXAMPLES / "run_dump.py", graph)
    assert "pygraph ran" in out and "matches NumPy" in out
    assert "graph output" in out
