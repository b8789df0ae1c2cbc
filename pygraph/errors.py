"""The exceptions of pygraph (SPEC §3, "Errors in Python").

Every failure of the native library carries a status (oneDNN's
``dnnl_status_t`` values) and a message naming the op, the attribute or port
and expected versus given.  Each status maps to one class below; each class
also inherits the builtin exception a Python user would naturally catch
(``ValueError``, ``TypeError``, ...), so ``except ValueError`` keeps working.

The status values are read from the native library, never written here.
"""

from __future__ import annotations

from ._native import ffi, lib

__all__ = [
    "Error",
    "InvalidArgumentsError",
    "InvalidDataTypeError",
    "InvalidShapeError",
    "InvalidGraphOpError",
    "InvalidGraphError",
    "UnimplementedError",
    "OutOfMemoryError",
    "status_name",
]


def status_name(status: int) -> str:
    """oneDNN's name of `status` ("invalid_arguments", ...; "unknown" outside the enum)."""
    return ffi.string(lib.pygraph_status_name(status)).decode("ascii")


class Error(Exception):
    """Base class of every pygraph error.

    Attributes:
        status: the native status code (an ``int``, oneDNN's value).
        message: the human-readable explanation (also ``str(error)``).
    """

    #: Status a Python-side error of this class reports.  Statuses without a
    #: class of their own (runtime_error, ...) are raised as plain ``Error``.
    status: int = lib.pygraph_runtime_error

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = int(status)

    @property
    def status_name(self) -> str:
        """oneDNN's name of :attr:`status`, e.g. ``"invalid_arguments"``."""
        return status_name(self.status)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status} ({self.status_name}))"

    def __reduce__(self):  # keeps .status through pickling (multiprocessing)
        return (type(self), (self.message, self.status))


class InvalidArgumentsError(Error, ValueError):
    """An argument is missing, out of range, of the wrong kind or inconsistent."""

    status = lib.pygraph_invalid_arguments


class InvalidDataTypeError(Error, TypeError):
    """A data type is outside an op's type constraint or not supported."""

    status = lib.pygraph_invalid_data_type


class InvalidShapeError(Error, ValueError):
    """Dims or strides are wrong, incompatible or too large."""

    status = lib.pygraph_invalid_shape


class InvalidGraphOpError(Error, ValueError):
    """An op breaks its schema (attributes, number of inputs or outputs)."""

    status = lib.pygraph_invalid_graph_op


class InvalidGraphError(Error, ValueError):
    """The graph as a whole is wrong (cycle, state, conflicting tensors)."""

    status = lib.pygraph_invalid_graph


class UnimplementedError(Error, NotImplementedError):
    """A valid request that pygraph does not implement (e.g. compiling an unsupported partition)."""

    status = lib.pygraph_unimplemented


class OutOfMemoryError(Error, MemoryError):
    """An allocation failed; nothing was changed."""

    status = lib.pygraph_out_of_memory


_CLASS_OF_STATUS: dict[int, type[Error]] = {
    cls.status: cls
    for cls in (
        InvalidArgumentsError,
        InvalidDataTypeError,
        InvalidShapeError,
        InvalidGraphOpError,
        InvalidGraphError,
        UnimplementedError,
        OutOfMemoryError,
    )
}


def error_for_status(status: int, message: str) -> Error:
    """The exception for a failed native call (plain :class:`Error` for unmapped statuses)."""
    return _CLASS_OF_STATUS.get(status, Error)(message, status)
