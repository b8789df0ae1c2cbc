"""The thin layer between cffi and the Pythonic classes (pynacl's middle tier).

Every native call goes ``check(lib.pygraph_...(...))``: one status check that
raises the mapped :mod:`pygraph.errors` class with the library's own message
(``pygraph_last_error_message()``, thread-local, so it is read on the thread
that made the call).  Nothing here knows about graphs; it only moves values
across the boundary and guards handles.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

from ._native import ffi, lib
from .errors import InvalidArgumentsError, error_for_status

__all__ = ["ffi", "lib", "check", "last_error_message", "Handle", "to_uint64", "to_int64", "to_c_string"]

_SUCCESS = lib.pygraph_success
_UINT64_MAX = (1 << 64) - 1
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1


def last_error_message() -> str:
    """This thread's message of the last failed native call ("" after a success)."""
    return ffi.string(lib.pygraph_last_error_message()).decode("utf-8", "replace")


def check(status: int) -> None:
    """Raise the exception mapped to `status` (with the native message) unless it is success."""
    if status != _SUCCESS:
        raise error_for_status(status, last_error_message())


def to_uint64(value: Any, what: str) -> int:
    """`value` as an id in 0..2**64-1 (any int-like but bool), else InvalidArgumentsError."""
    if isinstance(value, bool):
        raise InvalidArgumentsError(f"{what}: expected an integer in 0..2**64-1; got the bool {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise InvalidArgumentsError(
            f"{what}: expected an integer in 0..2**64-1; got {type(value).__name__} {value!r}"
        ) from None
    if not 0 <= number <= _UINT64_MAX:
        raise InvalidArgumentsError(f"{what}: expected an integer in 0..2**64-1; got {number}")
    return number


def to_int64(value: Any, what: str) -> int:
    """`value` as an int64 (any int-like but bool), else InvalidArgumentsError."""
    if isinstance(value, bool):
        raise InvalidArgumentsError(f"{what}: expected an integer; got the bool {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise InvalidArgumentsError(f"{what}: expected an integer; got {type(value).__name__} {value!r}") from None
    if not _INT64_MIN <= number <= _INT64_MAX:
        raise InvalidArgumentsError(f"{what}: expected an integer in the int64 range; got {number}")
    return number


def to_c_string(value: Any, what: str) -> bytes:
    """`value` (a str) as NUL-free UTF-8 bytes for a ``const char *`` argument."""
    if not isinstance(value, str):
        raise InvalidArgumentsError(f"{what}: expected a str; got {type(value).__name__} {value!r}")
    encoded = value.encode("utf-8")
    if b"\0" in encoded:
        raise InvalidArgumentsError(f"{what}: must not contain a NUL character; got {value!r}")
    return encoded


class Handle:
    """Owner of one native handle: released by the garbage collector (``ffi.gc``)
    or at once by :meth:`close` / the end of a ``with`` block.

    Closing is idempotent; any use after it raises InvalidArgumentsError
    ("... is closed").  Close a handle only when no other thread uses it.
    """

    __slots__ = ("_ptr", "__weakref__")
    _what = "handle"  # how messages name the object, e.g. "graph"

    def __init__(self, ptr: Any, destroy: Callable[[Any], Any]) -> None:
        self._ptr = ffi.gc(ptr, destroy)

    @property
    def _handle(self) -> Any:
        ptr = self._ptr
        if ptr is None:
            raise InvalidArgumentsError(f"{self._what} is closed")
        return ptr

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._ptr is None

    def close(self) -> None:
        """Release the native object now (idempotent)."""
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            ffi.release(ptr)  # runs the ffi.gc destructor now, and only once

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
