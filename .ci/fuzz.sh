#!/usr/bin/env bash
# The fuzzing half of CI, run by .ci/run after the main test command:
#
#   bash .ci/fuzz.sh
#
# Two coverage-guided harnesses (tests/fuzz/README.md describes them):
#   c_api         libFuzzer over random programs of C API calls, built with
#                 clang -fsanitize=fuzzer,address,undefined against the
#                 library sources (leak detection on);
#   graph_loader  atheris over pygraph.loads and what a user does next.
# For each: first every input of tests/fuzz/regressions/<harness>/ is
# replayed (each past finding stays fixed), then the harness fuzzes for a
# bounded time from the committed corpus tests/fuzz/corpus/<harness>/.
# Any crash, sanitizer report, leak, timeout or contract violation fails the
# script; the input is saved under $PYGRAPH_FUZZ_DIR/artifacts/ and must be
# added to tests/fuzz/regressions/<harness>/ with the fix.
#
# Knobs (environment): PYGRAPH_FUZZ_SECONDS (per harness, default 60),
# PYGRAPH_FUZZ_DIR (default build-fuzz), PYGRAPH_PYTHON (an interpreter with
# pygraph installed; default .venv/bin/python, installed there if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${PYGRAPH_FUZZ_SECONDS:-60}
out=${PYGRAPH_FUZZ_DIR:-build-fuzz}
mkdir -p "$out"
out=$(cd "$out" && pwd)
mkdir -p "$out/artifacts"
failures=()

# --- clang with libFuzzer (a fresh machine has neither) ----------------------
probe="$out/probe_fuzzer.c"
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe"
if ! clang -fsanitize=fuzzer,address,undefined "$probe" -o "$out/probe_fuzzer" 2>/dev/null; then
  echo "== fuzz: installing clang and its libFuzzer runtime"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
  clang -fsanitize=fuzzer,address,undefined "$probe" -o "$out/probe_fuzzer"
fi

# meson and ninja (and $main_venv): see build_tools.sh.
# shellcheck source=build_tools.sh
. "$root/.ci/build_tools.sh"

# --- c_api: build ---------------------------------------------------------
started=$SECONDS
echo "== fuzz: building the C API harness (clang, libFuzzer + ASan + UBSan)"
# The library gets coverage instrumentation (fuzzer-no-link) and the
# sanitizers; the harness links libFuzzer's main.
if [ ! -f "$out/lib/build.ninja" ]; then
  CC=clang meson setup "$out/lib" -Dtests=false --buildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false \
    "-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
fi
ninja -C "$out/lib" -j2 native/src/libpygraph.a
mapfile -t archives < <(find "$out/lib/native/src" -name '*.a' | sort -r) # libpygraph.a before its parts
clang -g -O1 -std=c11 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -I native/include -I tests/fuzz tests/fuzz/fuzz_c_api.c "${archives[@]}" -lpthread -lm -o "$out/fuzz_c_api"
echo "== fuzz: built in $((SECONDS - started)) s"

export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# --- c_api: replay past findings, then fuzz ------------------------------------
mapfile -t regressions < <(find tests/fuzz/regressions/c_api -type f ! -name '*.md' 2>/dev/null | sort)
if [ "${#regressions[@]}" -gt 0 ]; then
  echo "== fuzz: replaying ${#regressions[@]} c_api regression inputs"
  "$out/fuzz_c_api" "${regressions[@]}" >"$out/c_api_regressions.log" 2>&1 \
    || { tail -50 "$out/c_api_regressions.log"; failures+=("c_api regressions"); }
fi
started=$SECONDS
echo "== fuzz: c_api for ${seconds} s"
mkdir -p "$out/corpus/c_api"
if ! "$out/fuzz_c_api" "$out/corpus/c_api" tests/fuzz/corpus/c_api \
  -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=4096 -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/c_api-" >"$out/c_api.log" 2>&1; then
  tail -80 "$out/c_api.log"
  failures+=("c_api")
fi
grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$out/c_api.log" || true
echo "== fuzz: c_api took $((SECONDS - started)) s"

# --- graph_loader ---------------------------------------------------------
python=${PYGRAPH_PYTHON:-$main_venv/bin/python}
case $python in /*) ;; */*) python=$root/$python ;; *) python=$(command -v "$python") ;; esac
# Checked from the build folder: in the repository root, ./pygraph (the
# sources, no compiled module) would shadow the installed package.
if ! (cd "$out" && "$python" -c 'import pygraph._native') 2>/dev/null; then
  echo "== fuzz: installing pygraph for $python"
  [ -x "$python" ] || python3 -m venv "$main_venv"
  "$python" -m pip install --quiet .
fi
# atheris goes into a folder of its own (on PYTHONPATH), not into the
# user's venv.
if ! (cd "$out" && PYTHONPATH="$out/atheris" "$python" -c 'import atheris') 2>/dev/null; then
  "$python" -m pip install --quiet --target "$out/atheris" atheris
fi
mapfile -t regressions < <(find tests/fuzz/regressions/graph_loader -type f ! -name '*.md' 2>/dev/null | sort)
# Run from the build folder: the repository's ./pygraph (no compiled
# module) must not shadow the installed package.
harness="$root/tests/fuzz/fuzz_graph_loader.py"
if [ "${#regressions[@]}" -gt 0 ]; then
  echo "== fuzz: replaying ${#regressions[@]} graph_loader regression inputs"
  (cd "$out" && PYTHONPATH="$out/atheris" "$python" "$harness" "${regressions[@]/#/$root/}") \
    >"$out/graph_loader_regressions.log" 2>&1 \
    || { tail -50 "$out/graph_loader_regressions.log"; failures+=("graph_loader regressions"); }
fi
started=$SECONDS
echo "== fuzz: graph_loader for ${seconds} s"
mkdir -p "$out/corpus/graph_loader"
if ! (cd "$out" && PYTHONPATH="$out/atheris" "$python" "$harness" "$out/corpus/graph_loader" \
  "$root/tests/fuzz/corpus/graph_loader" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
  -max_len=16384 -dict="$root/tests/fuzz/graph_loader.dict" -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/graph_loader-") \
  >"$out/graph_loader.log" 2>&1; then
  tail -80 "$out/graph_loader.log"
  failures+=("graph_loader")
fi
grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units' "$out/graph_loader.log" || true
echo "== fuzz: graph_loader took $((SECONDS - started)) s"

if [ "${#failures[@]}" -gt 0 ]; then
  echo "fuzz.sh: FAILED: ${failures[*]} (inputs in $out/artifacts; replay one with" >&2
  echo "  PYGRAPH_FUZZ_TRACE=1 $out/fuzz_c_api FILE  or  python tests/fuzz/fuzz_graph_loader.py FILE)" >&2
  exit 1
fi
echo "fuzz.sh: no findings"
