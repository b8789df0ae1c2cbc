#!/usr/bin/env bash
# The whole test suite, from a fresh clone, in one command (the README's test
# command; .ci/run runs exactly this first):
#
#   bash tests/run.sh
#
# 1. creates ./.venv (if absent) and installs pygraph with its test extras
#    (a normal, non-editable `pip install`, exactly as a user gets it);
# 2. builds the C library and its test programs in build/ctests and runs them
#    with `meson test`;
# 3. runs the pytest suite against the installed package.  pytest runs with
#    --import-mode=importlib (pyproject.toml), so the source folder ./pygraph
#    (which has no compiled module) is never imported by mistake.
#
# The optional oracles torch==2.13.0 (a CPU wheel the machines carry) and
# onnx==1.22.0 (the last release that ships its backend test data) are
# installed when the registry has them; the tests that use them skip
# otherwise.  PYGRAPH_TEST_ORACLES=0 skips installing them.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${PYGRAPH_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet ".[test]" meson ninja
if [ "${PYGRAPH_TEST_ORACLES:-1}" != 0 ]; then
  "$venv/bin/python" -m pip install --quiet torch==2.13.0 onnx==1.22.0 \
    || echo "note: optional oracles torch/onnx not installed; their tests will skip"
fi

# C tests (meson and ninja come from the venv so a fresh machine needs nothing else).
export PATH="$PWD/$venv/bin:$PATH"
if [ ! -f build/ctests/build.ninja ]; then
  meson setup build/ctests --buildtype=debugoptimized
fi
meson test -C build/ctests --print-errorlogs

# Python tests.  Exit code 5 ("no tests ran") is a failure like any other.
# (the pytest script, not `python -m pytest`: -m would put the repository root
# on sys.path and import the source ./pygraph instead of the installed one)
"$venv/bin/pytest" -q -p no:cacheprovider "$@"
