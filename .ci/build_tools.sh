# Sourced by .ci/sanitize.sh and .ci/fuzz.sh (after they set $root and $out):
# puts meson and ninja on PATH — from the main venv when tests/run.sh made
# one, else from a small venv of our own under $out (a fresh machine has
# neither).  Sets $main_venv (absolute) for the caller.
main_venv=${PYGRAPH_VENV:-.venv}
case $main_venv in /*) ;; *) main_venv=$root/$main_venv ;; esac
if ! command -v meson >/dev/null || ! command -v ninja >/dev/null; then
  if [ -x "$main_venv/bin/meson" ]; then
    PATH="$main_venv/bin:$PATH"
  else
    python3 -m venv "$out/tools"
    "$out/tools/bin/pip" install --quiet meson ninja
    PATH="$out/tools/bin:$PATH"
  fi
fi
