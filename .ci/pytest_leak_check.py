"""Runs pytest, then asks LeakSanitizer for leaks while the interpreter is alive.

Used by .ci/sanitize.sh, under LD_PRELOAD of the ASan runtime with
PYTHONMALLOC=malloc (so every Python object lives in the malloc heap that
LeakSanitizer scans) and ASAN_OPTIONS=...:leak_check_at_exit=0.

Why not the usual check at exit: CPython deliberately does not free
everything at shutdown, so an exit-time check reports about a hundred of the
interpreter's own blocks on every run, and a suppression broad enough to hide
them ("any frame in the interpreter") would hide every leak of ours too,
since all our calls come from the interpreter.  While the interpreter is
alive, everything it owns is reachable from its roots; after a full
gc.collect(), a block nobody can reach is a real leak (a pointer the C
library or the binding lost).  Leaked memory never becomes reachable again,
so one check after the whole session finds every leak of the session.
The only suppression needed is for one leak of CPython 3.11 itself
(.ci/lsan.supp says which and why).

Exit status: pytest's, or 1 when pytest passed but LeakSanitizer found
leaks (they are printed on stderr with their allocation stacks).
"""

from __future__ import annotations

import ctypes
import gc
import sys


def main() -> int:
    import pytest

    status = int(pytest.main(sys.argv[1:]))
    gc.collect()
    try:
        leak_check = ctypes.CDLL(None).__lsan_do_recoverable_leak_check
    except AttributeError:
        print("pytest_leak_check: the ASan runtime is not loaded (LD_PRELOAD it)", file=sys.stderr)
        return 2
    leaks_found = leak_check()
    if leaks_found:
        print("pytest_leak_check: LeakSanitizer found leaks (see the reports above)", file=sys.stderr)
        return status or 1
    print("pytest_leak_check: LeakSanitizer found no leaks", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
