"""Engine and Stream (SPEC §3): where partitions compile and execute.

pygraph runs on the CPU: ``Engine("cpu", 0)`` is the only engine, and
executions are synchronous, so ``Stream.wait()`` returns at once.
"""

from __future__ import annotations

import threading
from typing import Union

from ._binding import Handle, check, ffi, lib
from .enums import EngineKind
from .errors import InvalidArgumentsError

__all__ = ["Engine", "Stream", "default_engine", "default_stream"]


class Engine(Handle):
    """A compute engine: ``Engine(kind="cpu", index=0)``.

    Any other kind is :class:`~pygraph.UnimplementedError`, any other index
    :class:`~pygraph.InvalidArgumentsError` (the native library decides).
    """

    __slots__ = ("_kind", "_index")
    _what = "engine"

    def __init__(self, kind: Union[EngineKind, str] = "cpu", index: int = 0) -> None:
        engine_kind = EngineKind.coerce(kind, "Engine: kind")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise InvalidArgumentsError(f"Engine: index must be a non-negative int; got {index!r}")
        out = ffi.new("pygraph_engine **")
        check(lib.pygraph_engine_create(out, engine_kind, index))
        super().__init__(out[0], lib.pygraph_engine_destroy)
        self._kind = engine_kind
        self._index = index

    @property
    def kind(self) -> EngineKind:
        """The engine kind (cpu)."""
        kind = ffi.new("pygraph_engine_kind *")
        check(lib.pygraph_engine_get_kind(self._handle, kind))
        return EngineKind(kind[0])

    @property
    def index(self) -> int:
        """The engine's index among engines of its kind."""
        return self._index

    def __repr__(self) -> str:
        state = ", closed" if self.closed else ""
        return f"Engine(kind='{self._kind}', index={self._index}{state})"


class Stream(Handle):
    """An execution stream on `engine`: ``Stream(engine)``.

    Executions are synchronous (outputs are written when ``execute``
    returns); :meth:`wait` exists for oneDNN parity and returns at once.
    """

    __slots__ = ("_engine",)
    _what = "stream"

    def __init__(self, engine: Engine) -> None:
        if not isinstance(engine, Engine):
            raise InvalidArgumentsError(f"Stream: expected an Engine; got {type(engine).__name__}")
        out = ffi.new("pygraph_stream **")
        check(lib.pygraph_stream_create(out, engine._handle))
        super().__init__(out[0], lib.pygraph_stream_destroy)
        # The native stream does not need its engine; this is for `.engine` only.
        self._engine = engine

    @property
    def engine(self) -> Engine:
        """The engine the stream was created on."""
        return self._engine

    def wait(self) -> None:
        """Wait until every execution submitted to the stream is done (immediate)."""
        check(lib.pygraph_stream_wait(self._handle))

    def __repr__(self) -> str:
        state = ", closed" if self.closed else ""
        return f"Stream({self._engine!r}{state})"


_default_lock = threading.Lock()
_default: list = []  # [engine, stream] once created


def _defaults() -> list:
    if not _default:
        with _default_lock:
            if not _default:
                engine = Engine()
                _default.extend((engine, Stream(engine)))
    return _default


def default_engine() -> Engine:
    """The process-wide cpu engine used when none is given."""
    return _defaults()[0]


def default_stream() -> Stream:
    """The process-wide stream used by ``cp(x)`` and :func:`pygraph.leaky_relu`."""
    return _defaults()[1]
