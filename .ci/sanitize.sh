#!/usr/bin/env bash
# The sanitizer half of CI (SPEC §8: no leaks, no out-of-bounds access, no
# undefined behaviour), run by .ci/run after the main test command:
#
#   bash .ci/sanitize.sh
#
# 1. Builds the library and the C tests with AddressSanitizer +
#    UndefinedBehaviorSanitizer (gcc) and runs `meson test`.
# 2. Builds the Python extension against ASan in its own venv and build
#    folder, and runs the pytest suite with the ASan runtime preloaded
#    (LD_PRELOAD of gcc's libasan.so: the interpreter itself is not
#    instrumented, and ASan must be the first library loaded), leak
#    detection on (see .ci/pytest_leak_check.py for how, and .ci/lsan.supp
#    for the one leak of CPython 3.11 itself that is suppressed).
#
# Every report is fatal: halt_on_error for both sanitizers, and
# -fno-sanitize-recover so UBSan aborts instead of printing and going on.
#
# Knobs (environment): PYGRAPH_SANITIZE_DIR (default build-sanitize),
# PYGRAPH_SANITIZE_PYTEST_ARGS (extra pytest arguments, e.g. -k reliability),
# PYGRAPH_SANITIZE_SKIP_PYTHON=1 (C part only), PYGRAPH_SANITIZE_SKIP_C=1
# (Python part only).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${PYGRAPH_SANITIZE_DIR:-build-sanitize}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# meson and ninja (and $main_venv): see build_tools.sh.
# shellcheck source=build_tools.sh
. "$root/.ci/build_tools.sh"

asan_runtime=$(gcc -print-file-name=libasan.so)
if [ ! -e "$asan_runtime" ]; then
  echo "sanitize.sh: gcc has no libasan.so (install gcc's libasan)" >&2
  exit 1
fi

export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
sanitize_args=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized
  "-Dc_args=-fno-sanitize-recover=all -fno-omit-frame-pointer")

if [ "${PYGRAPH_SANITIZE_SKIP_C:-0}" != 1 ]; then
  started=$SECONDS
  echo "== sanitize: C library + C tests (ASan + UBSan)"
  if [ ! -f "$out/c/build.ninja" ]; then
    meson setup "$out/c" "${sanitize_args[@]}"
  fi
  ninja -C "$out/c" -j2
  meson test -C "$out/c" --print-errorlogs --num-processes 2
  echo "== sanitize: C part took $((SECONDS - started)) s"
fi

if [ "${PYGRAPH_SANITIZE_SKIP_PYTHON:-0}" = 1 ]; then
  exit 0
fi

started=$SECONDS
echo "== sanitize: Python extension against ASan"
venv="$out/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet meson-python meson ninja cffi
# --no-build-isolation: the build uses the venv's meson-python, so the
# setup-args below reach meson; the build folder is kept for a quick rebuild.
setup_args=()
for arg in "${sanitize_args[@]}"; do setup_args+=("-Csetup-args=$arg"); done
"$venv/bin/python" -m pip install --quiet --no-build-isolation \
  -Cbuild-dir="$out/python-build" "${setup_args[@]}" ".[test]"
echo "== sanitize: ASan extension built in $((SECONDS - started)) s"

started=$SECONDS
echo "== sanitize: pytest with the ASan runtime preloaded"
# PYTHONMALLOC=malloc: objects live in the malloc heap LeakSanitizer scans
# (pymalloc arenas are mmap'd and invisible to it).  leak_check_at_exit=0:
# the check runs in .ci/pytest_leak_check.py while the interpreter is alive.
# PYGRAPH_SANITIZER tells the tests that RSS figures mean nothing here (ASan
# keeps freed memory in quarantine) and that loops may be shortened.
# fast_unwind_on_malloc=0 + malloc_context_size=8 + .ci/lsan.supp: see that
# file (one leak of CPython 3.11 itself, suppressed by its exact frame).
env LD_PRELOAD="$asan_runtime" PYTHONMALLOC=malloc PYGRAPH_SANITIZER=address \
  ASAN_OPTIONS="$ASAN_OPTIONS:leak_check_at_exit=0:fast_unwind_on_malloc=0:malloc_context_size=8" \
  LSAN_OPTIONS="suppressions=$root/.ci/lsan.supp:print_suppressions=1" \
  "$venv/bin/python" .ci/pytest_leak_check.py -q -p no:cacheprovider ${PYGRAPH_SANITIZE_PYTEST_ARGS:-}
echo "== sanitize: pytest under ASan took $((SECONDS - started)) s"
