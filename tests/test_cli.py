"""The ``pygraph`` command (SPEC §6): output and exit codes of every subcommand.

Run in-process through ``pygraph.cli.main(argv, stdout=..., stderr=...)``,
and once through a subprocess (``python -m pygraph``), as a user runs it.
Exit codes: 0 success, 1 problems found or a result differs from the
reference, 2 usage errors and unreadable files.
"""

from __future__ import annotations

import io as stdio
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

import pygraph
from pygraph import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "graphs"
CHAIN = EXAMPLES / "leaky_relu_chain.json"
INT8 = EXAMPLES / "int8_conv_leaky_relu.json"
BF16 = EXAMPLES / "bf16_matmul_leaky_relu.json"
BAD = EXAMPLES / "bad_graph.json"


def run(*argv):
    """(exit code, stdout, stderr) of ``pygraph ARGV`` run in-process."""
    out, err = stdio.StringIO(), stdio.StringIO()
    code = cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------------------
# usage
# ---------------------------------------------------------------------------


def test_help_documents_the_exit_codes():
    code, out, _ = run("--help")
    assert code == 0
    assert "exit codes:" in out and "1  a file has problems" in out
    for command in ("validate", "run", "info", "bench"):
        assert command in out
    code, out, _ = run("validate", "--help")
    assert code == 0 and "JSON_PATH" in out and "exit codes:" in out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["validate"],
        ["run"],
        ["run", CHAIN, "--repeat", "-1"],
        ["run", CHAIN, "--seed", "x"],
        ["run", CHAIN, "--policy", "greedy"],
        ["info", "--bogus"],
    ],
)
def test_usage_errors_exit_2(argv):
    code, out, err = run(*argv)
    assert code == 2
    assert "usage: pygraph" in err and out == ""


# ---------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------


def test_validate_good_files():
    code, out, err = run("validate", CHAIN, INT8, BF16)
    assert code == 0 and err == ""
    assert out.splitlines() == [f"{CHAIN}: ok", f"{INT8}: ok", f"{BF16}: ok"]


def test_validate_lists_every_problem_with_its_path():
    code, out, err = run("validate", BAD, CHAIN)
    assert code == 1 and err == ""
    lines = out.splitlines()
    problems = [line for line in lines if line.startswith(f"{BAD}: ") and not line.endswith("problems")]
    assert [line.split(": ")[1] for line in problems] == [
        "output_ports[0]",
        "graph[1].attrs",
        "graph[2].attrs.alpha.value",
        "graph[3].attrs.alpha.type",
        "graph[4].inputs[0].dtype",
        "graph[5].outputs[0].dtype",
        "graph[6].attrs.beta",
        "graph[7].id",
        "graph[8].outputs[0]",
        "graph[9].ouputs",
        "graph[9]",
    ]
    assert f"{BAD}: output_ports[0]: tensor 99 is not a tensor of the graph (no op consumes or produces it)" in lines
    assert lines[-2:] == [f"{BAD}: 11 problems", f"{CHAIN}: ok"]


def test_validate_json():
    code, out, _ = run("validate", "--json", BAD, CHAIN)
    assert code == 1
    report = json.loads(out)
    bad, good = report["files"]
    assert (bad["file"], bad["ok"], len(bad["problems"])) == (str(BAD), False, 11)
    assert bad["problems"][0] == {
        "path": "output_ports[0]",
        "line": None,
        "column": None,
        "message": "tensor 99 is not a tensor of the graph (no op consumes or produces it)",
    }
    assert good == {"file": str(CHAIN), "ok": True, "problems": []}


def test_validate_syntax_error_shows_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "graph": [\n    {"id": 0,,}\n  ]\n}\n')
    code, out, _ = run("validate", path)
    assert code == 1
    assert out.splitlines() == [
        f"{path}: line 3, column 14: invalid JSON: Expecting property name enclosed in double quotes",
        f"{path}: 1 problem",
    ]


def test_validate_unreadable_file_exits_2(tmp_path):
    missing = tmp_path / "missing.json"
    code, out, err = run("validate", CHAIN, missing, BAD)
    assert code == 2
    assert f"{missing}: cannot read: No such file or directory" in err
    assert f"{CHAIN}: ok" in out and f"{BAD}: 11 problems" in out
    code, _, err = run("validate", tmp_path)  # a directory
    assert code == 2 and "cannot read" in err
    code, out, _ = run("validate", "--json", missing)
    assert code == 2 and json.loads(out)["files"][0]["error"].startswith("cannot read")


# ---------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------


def test_run_int8_dump():
    code, out, err = run("run", INT8, "--repeat", "3")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"{INT8}: 5 ops, 5 partitions (fusion policy), 1 supported"
    assert lines[2].split() == ["partition", "supported", "ops", "inputs", "outputs"]
    rows = [line.split() for line in lines[3:8]]
    assert [row[:3] for row in rows] == [
        ["0", "no", "0"],
        ["1", "no", "1"],
        ["2", "no", "2"],
        ["3", "yes", "3"],
        ["4", "no", "4"],
    ]
    assert "Convolution" in lines[5] and "1:f32[1,16,28,28] 3:f32[32,16,3,3] 4:f32[32]" in lines[5]
    assert "5:f32[1,32,26,26]" in lines[6] and "6:f32[1,32,26,26]" in lines[6]
    (result,) = [line for line in lines if line.startswith("partition 3:")]
    assert "21632 elements" in result and "bit-exact against the NumPy reference" in result
    assert "median of 3 runs" in result and "GB/s" in result


def test_run_fused_bf16_chain_and_debug_policy():
    code, out, _ = run("run", BF16, "--repeat", "1")
    assert code == 0
    assert "1 LeakyReLU, 2 LeakyReLU" in out and "bf16_lrelu__" in out and "bit-exact" in out
    code, out, _ = run("run", BF16, "--repeat", "1", "--policy", "debug")
    assert code == 0
    assert out.splitlines()[0] == f"{BF16}: 4 ops, 4 partitions (debug policy), 2 supported"
    assert out.count("bit-exact against the NumPy reference") == 2


def test_run_json_is_seeded_and_complete():
    code, out, _ = run("run", CHAIN, "--json", "--seed", "3", "--repeat", "2")
    assert code == 0
    report = json.loads(out)
    assert (report["file"], report["policy"], report["seed"], report["ok"]) == (str(CHAIN), "fusion", 3, True)
    (partition,) = report["partitions"]
    assert partition["supported"] is True
    assert [op["kind"] for op in partition["ops"]] == ["LeakyReLU"] * 3
    assert partition["inputs"][0] == {
        "id": 0,
        "dtype": "f32",
        "shape": [8, 1024],
        "strides": [1024, 1],
        "layout_type": "strided",
        "property_type": "undef",
    }
    result = partition["run"]
    assert result["bit_exact"] is True and result["mismatches"] == 0 and result["elements"] == 8192
    assert result["bytes_moved"] == 2 * 8192 * 4 and result["repeat"] == 2
    assert result["median_s"] > 0 and result["gb_per_s"] > 0
    assert set(result["kernels"]) == {"f32"}


def test_run_feeds_one_supported_partition_into_the_next(tmp_path):
    doc = json.loads(CHAIN.read_text())
    doc["output_ports"] = [1, 3]  # splits the chain: op 0 | ops 1, 2
    path = tmp_path / "split.json"
    path.write_text(json.dumps(doc))
    code, out, _ = run("run", path, "--repeat", "1", "--json")
    assert code == 0
    first, second = json.loads(out)["partitions"]
    assert [op["id"] for op in first["ops"]] == [0] and [op["id"] for op in second["ops"]] == [1, 2]
    assert first["run"]["bit_exact"] and second["run"]["bit_exact"]


def test_run_reports_a_difference_from_the_reference(monkeypatch):
    """The check can fail: with a wrong reference, run says so and exits 1."""
    right = cli.reference.leaky_relu

    def doubled_alpha(values, alpha):
        return right(values, alpha * 2)

    monkeypatch.setattr(cli.reference, "leaky_relu", doubled_alpha)
    code, out, _ = run("run", CHAIN, "--repeat", "1")
    assert code == 1
    assert "DIFFERS from the NumPy reference in" in out


def test_run_skips_a_partition_without_concrete_shapes(tmp_path):
    doc = json.loads(CHAIN.read_text())
    for op in doc["graph"]:
        for lt in op["inputs"] + op["outputs"]:
            lt.update(shape=[-1, 1024], stride=[-(2**63), -(2**63)])
    path = tmp_path / "unknown.json"
    path.write_text(json.dumps(doc))
    code, out, _ = run("run", path)
    assert code == 0
    assert "partition 0: skipped: input 0:f32[?,1024] has unknown dims or strides" in out


def test_run_graph_without_supported_partitions(tmp_path):
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps({"graph": [{"id": 0, "kind": "MatMul", "inputs": [], "outputs": []}]}))
    code, out, _ = run("run", path)
    assert code == 0 and "no supported partition: nothing to run" in out


def test_run_bad_and_missing_files():
    code, out, err = run("run", BAD)
    assert code == 1 and out == ""
    assert err.startswith(f"{BAD}: 11 problems:") and "graph[7].id" in err
    code, out, err = run("run", EXAMPLES / "missing.json")
    assert code == 2 and "cannot read: No such file or directory" in err


# ---------------------------------------------------------------------------
# info and bench
# ---------------------------------------------------------------------------


def test_info():
    code, out, _ = run("info")
    assert code == 0
    assert out.splitlines()[0].split() == ["pygraph", pygraph.__version__]
    assert f"kernels       f32: {pygraph.kernel_name('f32')}" in out
    assert f"threads       {pygraph.get_num_threads()}" in out
    assert "op schemas    End, LeakyReLU, Wildcard" in out


def test_info_json():
    code, out, _ = run("info", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["version"] == pygraph.__version__
    assert info["isa"] == pygraph.cpu_isa() and info["cpu_features"] == pygraph.cpu_features()
    assert info["kernels"] == {dtype: pygraph.kernel_name(dtype) for dtype in ("f32", "bf16", "f16")}
    assert info["num_threads"] == pygraph.get_num_threads()
    assert info["schemas"] == pygraph.list_schemas()
    assert set(info["kernel_env"]) <= {"PYGRAPH_MAX_ISA", "PYGRAPH_KERNEL_TUNING", "PYGRAPH_FAR_MIN_BYTES"}


def test_info_records_the_kernel_environment(monkeypatch):
    monkeypatch.setenv("PYGRAPH_KERNEL_TUNING", "intel")
    monkeypatch.delenv("PYGRAPH_FAR_MIN_BYTES", raising=False)
    code, out, _ = run("info", "--json")
    assert code == 0 and json.loads(out)["kernel_env"]["PYGRAPH_KERNEL_TUNING"] == "intel"
    code, out, _ = run("info")
    assert code == 0 and "(PYGRAPH_KERNEL_TUNING=intel)" in out


def test_bench_without_the_harness_exits_2(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygraph.benchmarks", None)  # import fails
    code, out, err = run("bench", "--quick")
    assert code == 2 and out == ""
    assert "the benchmark harness (pygraph.benchmarks, built from benchmarks/) is not installed" in err


def test_bench_passes_every_argument_to_the_harness(monkeypatch):
    seen = []

    def fake_main(argv):
        seen.append(argv)
        print("bench output")
        return 3

    monkeypatch.setitem(sys.modules, "pygraph.benchmarks", types.SimpleNamespace(main=fake_main))
    monkeypatch.setattr(pygraph, "benchmarks", sys.modules["pygraph.benchmarks"], raising=False)
    code, out, _ = run("bench", "--help", "--sizes", "100")
    assert (code, seen, out) == (3, [["--help", "--sizes", "100"]], "bench output\n")


# ---------------------------------------------------------------------------
# as a user runs it
# ---------------------------------------------------------------------------


def test_python_dash_m_pygraph(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pygraph", "validate", str(BAD), str(CHAIN)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 1
    assert f"{BAD}: graph[7].id: " in result.stdout and f"{CHAIN}: ok" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "pygraph", "run", str(INT8), "--repeat", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "bit-exact" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "pygraph", "validate", "-"],
        input=BAD.read_text(),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 1 and '-: graph[9]: an op has no "outputs"' in result.stdout


def test_run_honours_the_file_strides(tmp_path):
    """Column-major and negative strides from the file: the random inputs and
    the outputs are laid out exactly so, and the check still holds."""
    doc = json.loads(CHAIN.read_text())
    doc["graph"][0]["inputs"][0]["stride"] = [1, 8]
    doc["graph"][0]["outputs"][0]["stride"] = doc["graph"][1]["inputs"][0]["stride"] = [-1024, 1]
    doc["graph"][2]["outputs"][0]["stride"] = [1, 8]
    doc["output_ports"] = [1, 3]
    path = tmp_path / "strided.json"
    path.write_text(json.dumps(doc))
    code, out, _ = run("run", path, "--repeat", "1", "--json")
    assert code == 0
    first, second = json.loads(out)["partitions"]
    assert first["inputs"][0]["strides"] == [1, 8] and second["inputs"][0]["strides"] == [-1024, 1]
    assert first["run"]["bit_exact"] and second["run"]["bit_exact"]
