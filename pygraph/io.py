"""Graph files: read, check and write oneDNN's graph JSON format (SPEC §5).

The format is the one oneDNN writes under ``ONEDNN_GRAPH_DUMP=graph`` and
benchdnn ``--graph`` reads (oneDNN: ``src/graph/interface/graph.hpp``
``serialize()``, ``src/graph/interface/op.hpp`` and ``value.hpp``
``save()``, ``src/graph/utils/json.hpp``; benchdnn:
``tests/benchdnn/graph/deserialize.cpp``)::

    {"version": "3.5.0", "engine_kind": "cpu", "fpmath_mode": "strict",
     "fpmath_mode_apply_to_int": "false",
     "input_ports": [0], "output_ports": [1],
     "graph": [{"id": 0, "name": "relu", "kind": "LeakyReLU",
                "attrs": {"alpha": {"type": "f32", "value": 0.01}},
                "inputs":  [{"id": 0, "dtype": "f32", "shape": [2, 3], "stride": [3, 1],
                             "layout_type": "strided", "property_type": "undef"}],
                "outputs": [{"id": 1, ...}]}]}

Public functions: :func:`load` / :func:`loads` (file / text -> :class:`Graph`),
:func:`dump` / :func:`to_json` (graph -> file / text) and :func:`validate` /
:func:`validates` (file / text -> every :class:`Problem`, each with its JSON
path such as ``graph[3].attrs.alpha.value``).

Checking happens in three layers, and a file is reported on all of them at
once:

1. JSON itself, guarded against hostile input: at most
   :data:`MAX_FILE_BYTES`, nesting depth limited by Python's recursion
   limit, integers of at most 4300 digits (Python's own limit) and f32
   values of at most :data:`MAX_NUMBER_DIGITS` significant digits, no
   ``NaN``/``Infinity`` literals, no key twice in one object;
2. the structure of ``schemas/graph.schema.json``, checked here in plain
   Python (``jsonschema`` is a test dependency only; the tests check that the
   two agree), plus what a JSON Schema cannot say (``type`` before
   ``value``, stride length, non-finite f32 spellings);
3. the op schemas and the graph rules, by building the :class:`Graph` op by
   op with the library's own ``add_op`` validation (so no rule is written
   twice) and mapping each error to the op's JSON path; then the port lists
   and ``finalize``.

Decisions where oneDNN or the SPEC are silent (also in the README):

* :func:`load` returns the graph **finalized** — a file describes a complete
  graph, and partitions need a finalized graph.  To extend a loaded graph,
  build a new one from ``graph.ops``.
* Op kinds pygraph does not know (Convolution, Quantize, ...) load as
  Wildcard ops that keep their kind name and typed attributes, and are
  written back under their own kind; one without a name is named
  ``<kind>_<id>`` after its own kind.  A kind that differs from a pygraph
  kind only in letter case (``LeakyRelu``) is an error, not a Wildcard.
* f32 values are written with the shortest decimal text that reads back to
  the same f32 (integral ones without ``.0``, as oneDNN does; ``-0.0`` keeps
  its sign).  JSON has no NaN or infinity and oneDNN writes the invalid
  tokens ``nan``/``inf``; pygraph writes the JSON strings ``"inf"``,
  ``"-inf"``, ``"nan"`` (the quiet NaN 0x7FC00000) and ``"nan(0xHHHHHHHH)"``
  (any other NaN, its exact bits), and reads those plus ``"+inf"``,
  ``"-nan"``, ``"infinity"`` in any letter case.
* bool attributes are written as 0/1 (oneDNN's reader takes nothing else);
  true/false are read too.  ``fpmath_mode_apply_to_int`` is written as the
  string ``"true"``/``"false"``, as oneDNN does.
* Unknown dims and strides are written as INT64_MIN; ``-1`` is read as
  unknown too (SPEC §5), so a file cannot describe a real stride of -1 (an
  element stride oneDNN never writes; other negative strides are read as
  given).  Strides are read only for a strided layout of known rank (and
  written as ``[INT64_MIN]`` otherwise).  oneDNN writes ``[INT64_MIN]`` for any shape that is not fully
  known, so that single-entry shape reads as unknown rank, and a 1-D
  tensor of unknown length is written the same way.
* Keys other than the format's are errors (a typo such as ``"ouputs"`` must
  not pass silently); ``name`` and ``attrs`` of an op, and ``stride``,
  ``layout_type`` (default strided) and ``property_type`` (default undef)
  of a tensor may be omitted.
* ``input_ports`` entries must be graph inputs (consumed, produced by no
  op) and ``output_ports`` entries tensors of the graph; each output port
  ends a fused chain.  When written, the port lists are recomputed from the
  graph, in op order.
* The key order of ``attrs`` is kept as read (oneDNN writes them in hash
  order); attributes of ops built in Python are written in the order the op
  reports them.  ``version`` is kept as read; graphs built in Python are
  written with :data:`DEFAULT_VERSION`.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Iterable, Sequence, Union

import numpy as np

from .errors import Error, InvalidGraphError

__all__ = [
    "DEFAULT_VERSION",
    "MAX_FILE_BYTES",
    "MAX_NUMBER_DIGITS",
    "GraphFileError",
    "Problem",
    "dump",
    "format_f32",
    "graph_ports",
    "load",
    "loads",
    "to_json",
    "validate",
    "validates",
]

#: Largest graph file pygraph reads (bytes of UTF-8 text).  A real dump of a
#: large model is a few MiB; anything past this is refused before parsing.
MAX_FILE_BYTES = 64 * 1024 * 1024

#: Most significant digits of a number with a fraction or exponent that an
#: f32 value is read from (no f32 needs more than 112 for its exact value).
#: Integers are limited by Python itself, to 4300 digits.
MAX_NUMBER_DIGITS = 800

#: The version written for graphs that were not read from a file: the
#: oneDNN format generation pygraph follows (benchdnn's inputs say 3.0.0).
DEFAULT_VERSION = "3.0.0"

#: oneDNN's DNNL_GRAPH_UNKNOWN_DIM, for dims and strides in files.
UNKNOWN_DIM = -(1 << 63)

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_UINT64_MAX = (1 << 64) - 1
_MAX_NDIMS = 12

_ENGINE_KINDS = ("any", "cpu", "gpu")  # oneDNN engine_kind2str
_FPMATH_MODES = ("strict", "bf16", "f16", "tf32", "any")  # oneDNN fpmath_mode2str
_ATTRIBUTE_TYPES = ("f32", "s64", "bool", "string", "f32[]", "s64[]")

# Key order of oneDNN's writer (graph.hpp serialize(), op.hpp and value.hpp
# save()); pygraph writes the same order and reads these keys only.
_TOP_KEYS = (
    "version",
    "engine_kind",
    "fpmath_mode",
    "fpmath_mode_apply_to_int",
    "input_ports",
    "output_ports",
    "graph",
)
_OP_KEYS = ("id", "name", "kind", "attrs", "inputs", "outputs")
_TENSOR_KEYS = ("id", "dtype", "shape", "stride", "layout_type", "property_type")
_ATTR_KEYS = ("type", "value")

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_VERSION = re.compile(r"[0-9]+(\.[0-9]+)*\Z")
_NONFINITE = re.compile(r"([+-]?)(nan|inf|infinity)\Z", re.IGNORECASE)
_NAN_BITS = re.compile(r"nan\(0x([0-9a-f]{8})\)\Z", re.IGNORECASE)
_F32_MAX_HALF_ULP_ABOVE = 2.0**128 - 2.0**103  # values >= this round to inf in f32


# ---------------------------------------------------------------------------
# Problems and the error raised for a bad file
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a graph file.

    Attributes:
        path: where, as a JSON path (``graph[3].attrs.alpha.value``); ``""``
            for the document as a whole.
        message: a plain sentence: what is wrong, expected versus got.
        line, column: the position, for JSON syntax errors (else None).
    """

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path or "(document)"
        if self.line is not None:
            where = f"line {self.line}, column {self.column}"
        return f"{where}: {self.message}"


class GraphFileError(InvalidGraphError):
    """A graph file (or text) that cannot be loaded.

    ``problems`` lists every problem found (see :func:`validate`); the message
    shows the first few, each with its JSON path.  Being an
    :class:`~pygraph.InvalidGraphError`, it is also a ``pygraph.Error`` and a
    ``ValueError``.
    """

    _SHOWN = 10

    def __init__(self, message: str, status: int | None = None, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message, status)
        self.problems = list(problems)

    @classmethod
    def from_problems(cls, source: str, problems: Sequence[Problem]) -> "GraphFileError":
        count = len(problems)
        lines = [f"{source}: {count} problem{'s' if count != 1 else ''}:"]
        lines += [f"  {problem}" for problem in problems[: cls._SHOWN]]
        if count > cls._SHOWN:
            lines.append(f"  ... and {count - cls._SHOWN} more (`pygraph validate` lists them all)")
        return cls("\n".join(lines), problems=problems)

    def __reduce__(self):
        return (type(self), (self.message, self.status, self.problems))


# ---------------------------------------------------------------------------
# Layer 1: JSON text -> Python values, with hostile input turned into markers
# ---------------------------------------------------------------------------


class _JsonObject(dict):
    """A JSON object; remembers keys that appeared more than once."""

    duplicate_keys: tuple = ()


@dataclass(frozen=True)
class _BadToken:
    """A token that must not be used: a NaN or Infinity literal."""

    text: str
    reason: str


def _object_from_pairs(pairs: list) -> _JsonObject:
    obj = _JsonObject(pairs)
    if len(obj) != len(pairs):
        seen: set = set()
        obj.duplicate_keys = tuple(dict.fromkeys(key for key, _ in pairs if key in seen or seen.add(key)))
    return obj


def _constant_token(text: str) -> _BadToken:
    return _BadToken(
        text,
        f"the literal {text}, which is not JSON; write a non-finite f32 as the string " '"nan", "inf" or "-inf"',
    )


# Integers are left to the decoder (C speed); Python refuses integer texts of
# more than 4300 digits with a ValueError, which _decode_json reports.
# Numbers with a fraction or exponent become Decimals: exact, so that an f32
# is rounded once from the decimal itself (not through a double), and cheap
# to make (a str subclass would be tracked by the garbage collector, which
# makes a file of millions of numbers slow).
_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_from_pairs,
    parse_float=Decimal,
    parse_constant=_constant_token,
)


def _decode_json(text: Union[str, bytes, bytearray]) -> tuple[Any, list[Problem]]:
    """Parse `text`; return (document, []) or (None, [the problem])."""
    if isinstance(text, (bytes, bytearray)):
        if len(text) > MAX_FILE_BYTES:
            return None, [_too_large(len(text))]
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return None, [Problem("", f"the file is not UTF-8 text (byte {exc.start}: {exc.reason})")]
    elif not isinstance(text, str):
        raise TypeError(f"expected JSON text as str or bytes; got {type(text).__name__}")
    elif len(text) > MAX_FILE_BYTES:  # characters >= bytes/4: a cheap, safe first bound
        return None, [_too_large(len(text))]
    else:
        text = text.removeprefix("\ufeff")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        return None, [_too_large(size)]
    try:
        return _DECODER.decode(text), []
    except json.JSONDecodeError as exc:
        return None, [Problem("", f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)]
    except RecursionError:
        return None, [Problem("", "invalid graph file: JSON nested too deeply (a graph file nests 6 levels)")]
    except InvalidOperation:  # Decimal refuses an exponent beyond its context (|exp| > 999999)
        return None, [Problem("", "invalid graph file: a number's exponent is out of any representable range")]
    except ValueError as exc:  # the only other refusal: an integer of more than 4300 digits
        if "digits" in str(exc):
            return None, [Problem("", "invalid graph file: a number has thousands of digits")]
        return None, [Problem("", f"invalid JSON: {exc}")]
    except MemoryError:
        return None, [Problem("", "invalid graph file: not enough memory to read it")]


def _too_large(size: int) -> Problem:
    return Problem("", f"the file is {size} bytes; pygraph reads graph files of at most {MAX_FILE_BYTES} bytes")


# ---------------------------------------------------------------------------
# f32 values: exact reading from decimal text, shortest writing
# ---------------------------------------------------------------------------


def _f32_from_decimal(text: str) -> np.float32 | None:
    """The f32 nearest to the decimal `text` (ties to even), None if that is
    infinite.  Goes through Python's correctly rounded double and corrects
    the one case where rounding twice can differ from rounding once: a
    double that lands exactly halfway between two f32 values."""
    value = float(text)
    if math.isinf(value) or abs(value) >= _F32_MAX_HALF_ULP_ABOVE:
        return None
    with np.errstate(over="ignore", under="ignore"):
        nearest = np.float32(value)
        other = np.nextafter(nearest, np.float32(math.copysign(math.inf, value - float(nearest))))
    if float(nearest) != value and not np.isinf(other):
        if (float(nearest) + float(other)) / 2 == value:
            exact = Fraction(text)
            if exact != Fraction(value):
                nearest = (
                    nearest if abs(exact - Fraction(float(nearest))) < abs(exact - Fraction(float(other))) else other
                )
    if np.isinf(nearest):
        return None
    return nearest


def _f32_array(items: list) -> np.ndarray | None:
    """`items` (JSON numbers) rounded to f32 all at once, as _f32_from_decimal
    rounds each; None when some item is not a finite number in range (the
    caller then goes item by item)."""
    if not all(type(item) is Decimal or type(item) is int for item in items):
        return None
    if any(_digits(item) > MAX_NUMBER_DIGITS for item in items if type(item) is Decimal):
        return None
    try:
        wide = np.array([float(item) for item in items], dtype=np.float64)
    except OverflowError:  # an integer beyond the double range
        return None
    if wide.size and not (np.abs(wide) < _F32_MAX_HALF_ULP_ABOVE).all():
        return None
    with np.errstate(over="ignore", under="ignore"):
        nearest = wide.astype(np.float32)
        toward = np.where(wide > nearest, np.float32(np.inf), np.float32(-np.inf))
        other = np.nextafter(nearest, toward)
    halfway = (nearest != wide) & np.isfinite(other) & ((nearest.astype(np.float64) + other) / 2 == wide)
    for index in np.flatnonzero(halfway):  # rounding twice may differ: decide from the decimal
        nearest[index] = _f32_from_decimal(str(items[index]))
    return nearest


def _f32_bits(value: np.float32) -> int:
    return int(np.asarray(value, dtype=np.float32).view(np.uint32))


def _f32_of_bits(bits: int) -> np.float32:
    return np.asarray(bits, dtype=np.uint32).view(np.float32)[()]


_QUIET_NAN_BITS = 0x7FC00000


def format_f32(value: Any) -> str:
    """The JSON text of an f32 value: the shortest decimal that reads back to
    the same f32 (``0.01``, ``1``, ``-0.0``, ``1e-45``, ``3.4028235e+38``), or
    for a non-finite value the JSON string ``"inf"``, ``"-inf"``, ``"nan"``
    (0x7FC00000) or ``"nan(0xHHHHHHHH)"`` (any other NaN, its exact bits)."""
    value = np.float32(value) if not isinstance(value, np.float32) else value
    if np.isnan(value):
        bits = _f32_bits(value)
        return '"nan"' if bits == _QUIET_NAN_BITS else f'"nan(0x{bits:08x})"'
    if np.isinf(value):
        return '"inf"' if value > 0 else '"-inf"'
    if value == 0:
        return "-0.0" if math.copysign(1.0, float(value)) < 0 else "0"
    scientific = np.format_float_scientific(value, unique=True, trim="-")
    mantissa, exponent_text = scientific.split("e")
    exponent = int(exponent_text)
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "")
    if -4 <= exponent < 16:  # Python's repr rule: positional in this range
        if exponent >= 0:
            integral = digits[: exponent + 1].ljust(exponent + 1, "0")
            fraction = digits[exponent + 1 :]
            return sign + integral + ("." + fraction if fraction else "")
        return sign + "0." + "0" * (-exponent - 1) + digits
    return sign + digits[0] + ("." + digits[1:] if len(digits) > 1 else "") + f"e{exponent:+03d}"


# ---------------------------------------------------------------------------
# Layer 2: structure (the plain-Python equivalent of graph.schema.json)
# ---------------------------------------------------------------------------

_PathPart = Union[str, int]

#: A file reports at most this many problems (a megabyte of wrong entries
#: would otherwise produce a megabyte of messages).
MAX_PROBLEMS = 1000


class _TooManyProblems(Exception):
    pass


def format_path(parts: Iterable[_PathPart]) -> str:
    """``("graph", 3, "attrs", "alpha")`` -> ``graph[3].attrs.alpha``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(part):
            text += ("." if text else "") + part
        else:
            text += "[" + json.dumps(part, ensure_ascii=False) + "]"
    return text


def _digits(number: Decimal) -> int:
    return len(number.as_tuple().digits)


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def _describe(value: Any) -> str:
    """How a message names a JSON value that was not what it should be."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        text = str(value)
        return f"the integer {text}" if len(text) <= 40 else f"an integer of {len(text.lstrip('-'))} digits"
    if isinstance(value, Decimal):
        text = str(value)
        return f"the number {text}" if len(text) <= 40 else f"a number of {_count(_digits(value), 'digit')}"
    if isinstance(value, _BadToken):
        return value.text
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "..."
        return "the string " + json.dumps(shown, ensure_ascii=False)
    if isinstance(value, list):
        return f"an array of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


@dataclass
class FileTensor:
    """A logical tensor as a file describes it.  ``shape`` is None for an
    unknown rank, entries are UNKNOWN_DIM where unknown; ``strides`` has one
    entry per dim (UNKNOWN_DIM where unknown), or is None when the file gives
    none (dense row-major strides are then assumed when every dim is known)
    or the layout has none."""

    id: int
    dtype: str
    shape: tuple | None
    strides: tuple | None
    layout_type: str
    property_type: str


@dataclass
class FileAttr:
    """A typed attribute value: f32 -> np.float32, f32[] -> np.ndarray of
    float32, s64 -> int, s64[] -> tuple of int, bool -> bool, string -> str."""

    type: str
    value: Any


@dataclass
class FileOp:
    id: int
    name: str | None
    kind: str
    attrs: dict  # name -> FileAttr, in file order
    inputs: list  # of FileTensor
    outputs: list
    index: int  # position in the file's "graph" array


@dataclass
class FileGraph:
    """A graph file, read into plain values (no library objects)."""

    version: str | None = None
    engine_kind: str | None = None
    fpmath_mode: str | None = None
    fpmath_mode_apply_to_int: bool | None = None
    input_ports: list | None = None
    output_ports: list | None = None
    ops: list = field(default_factory=list)
    #: False when some op (or the "graph" array itself) could not be read
    complete: bool = True
    #: False when there is no readable "graph" array at all
    has_ops: bool = True
    #: every tensor id an op names, broken ops included
    tensor_ids: set = field(default_factory=set)
    #: tensor id -> index of the first op producing it, broken ops included
    producer_of: dict = field(default_factory=dict)


class _StructureReader:
    """Walks a parsed document along the graph file schema, collecting every
    problem and the values of everything that is well formed."""

    def __init__(self, data_types: Sequence[str], layout_types: Sequence[str], property_types: Sequence[str]):
        self.data_types = tuple(data_types)
        self.layout_types = tuple(layout_types)
        self.property_types = tuple(property_types)
        self.problems: list[Problem] = []
        self.tensor_ids: set = set()  # every tensor id an op names
        self.producer_of: dict = {}  # tensor id -> index of the first op producing it

    # -- helpers -----------------------------------------------------------

    def problem(self, path: Sequence[_PathPart], message: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            raise _TooManyProblems
        self.problems.append(Problem(format_path(path), message))

    def object(
        self, value: Any, path: Sequence[_PathPart], what: str, keys: Sequence[str], required: Sequence[str]
    ) -> bool:
        """Check that `value` is an object with only `keys` and all of `required`."""
        if isinstance(value, _BadToken):
            self.problem(path, f"{what} must be an object; got {value.reason}")
            return False
        if not isinstance(value, dict):
            self.problem(path, f"{what} must be an object; got {_describe(value)}")
            return False
        ok = True
        for key in getattr(value, "duplicate_keys", ()):
            self.problem(list(path) + [key], f"the key {json.dumps(key)} appears more than once in {what}")
            ok = False
        for key in value:
            if key not in keys:
                self.problem(
                    list(path) + [key],
                    f"unknown key {json.dumps(key, ensure_ascii=False)} in {what}; expected keys: {', '.join(keys)}",
                )
                ok = False
        for key in required:
            if key not in value:
                self.problem(path, f"{what} has no {json.dumps(key)}")
                ok = False
        return ok

    def bad_token(self, value: Any, path: Sequence[_PathPart]) -> bool:
        if isinstance(value, _BadToken):
            self.problem(path, f"invalid value: {value.reason}")
            return True
        return False

    def integer(
        self, value: Any, path: Sequence[_PathPart], what: str, low: int, high: int, range_text: str
    ) -> int | None:
        if self.bad_token(value, path):
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, f"{what} must be an integer in {range_text}; got {_describe(value)}")
            return None
        if not low <= value <= high:
            shown = str(value) if len(str(value)) <= 40 else _describe(value)
            self.problem(path, f"{what} must be an integer in {range_text}; got {shown}")
            return None
        return value

    def uint64(self, value: Any, path: Sequence[_PathPart], what: str) -> int | None:
        return self.integer(value, path, what, 0, _UINT64_MAX, "0..2**64-1")

    def int64(self, value: Any, path: Sequence[_PathPart], what: str) -> int | None:
        return self.integer(value, path, what, _INT64_MIN, _INT64_MAX, "the int64 range")

    def string(self, value: Any, path: Sequence[_PathPart], what: str) -> str | None:
        if self.bad_token(value, path):
            return None
        if type(value) is not str:
            self.problem(path, f"{what} must be a string; got {_describe(value)}")
            return None
        if "\0" in value:
            self.problem(path, f"{what} must not contain a NUL character")
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.problem(path, f"{what} contains an unpaired UTF-16 surrogate escape, which is not text")
            return None
        return value

    def choice(self, value: Any, path: Sequence[_PathPart], what: str, choices: Sequence[str]) -> str | None:
        text = self.string(value, path, what)
        if text is None:
            return None
        if text not in choices:
            hint = ""
            folded = [choice for choice in choices if choice.lower() == text.lower()]
            if folded:
                hint = f" (names are case-sensitive: {folded[0]!r})"
            self.problem(
                path, f"{what} must be one of {', '.join(choices)}; got {json.dumps(text, ensure_ascii=False)}{hint}"
            )
            return None
        return text

    def array(self, value: Any, path: Sequence[_PathPart], what: str) -> list | None:
        if self.bad_token(value, path):
            return None
        if not isinstance(value, list):
            self.problem(path, f"{what} must be an array; got {_describe(value)}")
            return None
        return value

    # -- the document ------------------------------------------------------

    def note_tensor_ids(self, op: dict, index: int) -> None:
        """Remember the tensor ids an op names, even when the op is broken
        (a mistyped key such as "ouputs" included), so that the port lists
        are not reported against a half-read graph."""
        for key, items in op.items():
            if key in _OP_KEYS and key not in ("inputs", "outputs"):
                continue
            for item in items if isinstance(items, list) else ():
                tensor_id = item.get("id") if isinstance(item, dict) else None
                if isinstance(tensor_id, int) and not isinstance(tensor_id, bool):
                    self.tensor_ids.add(tensor_id)
                    if key == "outputs":
                        self.producer_of.setdefault(tensor_id, index)

    def document(self, doc: Any) -> FileGraph:
        """The FileGraph of `doc` (its well-formed parts); problems in self.problems."""
        try:
            return self._document(doc)
        except _TooManyProblems:
            self.problems.append(Problem("", f"more than {MAX_PROBLEMS} problems; stopped looking"))
            return FileGraph(complete=False)

    def _document(self, doc: Any) -> FileGraph:
        graph = FileGraph()
        if not self.object(doc, (), "a graph file", _TOP_KEYS, ("graph",)):
            if not isinstance(doc, dict):
                graph.complete = False
                return graph
        if "version" in doc:
            version = self.string(doc["version"], ("version",), "version")
            if version is not None and not _VERSION.match(version):
                self.problem(
                    ("version",), f'version must look like "3.5.0"; got {json.dumps(version, ensure_ascii=False)}'
                )
            else:
                graph.version = version
        if "engine_kind" in doc:
            graph.engine_kind = self.choice(doc["engine_kind"], ("engine_kind",), "engine_kind", _ENGINE_KINDS)
        if "fpmath_mode" in doc:
            graph.fpmath_mode = self.choice(doc["fpmath_mode"], ("fpmath_mode",), "fpmath_mode", _FPMATH_MODES)
        if "fpmath_mode_apply_to_int" in doc:
            value = doc["fpmath_mode_apply_to_int"]
            if value is True or value is False:
                graph.fpmath_mode_apply_to_int = value
            elif value in ("true", "false"):
                graph.fpmath_mode_apply_to_int = value == "true"
            else:
                self.problem(
                    ("fpmath_mode_apply_to_int",),
                    f'fpmath_mode_apply_to_int must be "true" or "false"; got {_describe(value)}',
                )
        for key in ("input_ports", "output_ports"):
            if key in doc:
                setattr(graph, key, self.id_list(doc[key], (key,), key))
        ops = self.array(doc.get("graph"), ("graph",), "graph") if "graph" in doc else None
        if ops is None:
            graph.complete = graph.has_ops = False
            return graph
        for index, op in enumerate(ops):
            file_op = self.op(op, ("graph", index), index)
            if file_op is None:
                graph.complete = False
            else:
                graph.ops.append(file_op)
        graph.tensor_ids, graph.producer_of = self.tensor_ids, self.producer_of
        return graph

    def id_list(self, value: Any, path: tuple, what: str) -> list | None:
        items = self.array(value, path, what)
        if items is None:
            return None
        ids: list = []
        ok = True
        for index, item in enumerate(items):
            tensor_id = self.uint64(item, path + (index,), f"{what}[{index}]")
            if tensor_id is None:
                ok = False
            elif tensor_id in ids:
                self.problem(path + (index,), f"tensor {tensor_id} is listed twice in {what}")
                ok = False
            else:
                ids.append(tensor_id)
        return ids if ok else None

    def op(self, value: Any, path: tuple, index: int) -> FileOp | None:
        what = "an op"
        if not self.object(value, path, what, _OP_KEYS, ("id", "kind", "inputs", "outputs")):
            if not isinstance(value, dict):
                return None
            ok = False
        else:
            ok = True
        op_id = self.uint64(value["id"], path + ("id",), "op id") if "id" in value else None
        name = self.string(value["name"], path + ("name",), "op name") if "name" in value else None
        kind = None
        if "kind" in value:
            kind = self.string(value["kind"], path + ("kind",), "op kind")
            if kind is not None and not _IDENTIFIER.match(kind):
                self.problem(
                    path + ("kind",),
                    f"op kind must be a name such as LeakyReLU; got {json.dumps(kind, ensure_ascii=False)}",
                )
                kind = None
        attrs = self.attrs(value["attrs"], path + ("attrs",)) if "attrs" in value else {}
        inputs = self.tensors(value.get("inputs"), path + ("inputs",), "inputs") if "inputs" in value else None
        outputs = self.tensors(value.get("outputs"), path + ("outputs",), "outputs") if "outputs" in value else None
        if "name" in value and name is None:
            ok = False
        self.note_tensor_ids(value, index)
        if not ok or None in (op_id, kind, attrs, inputs, outputs):
            return None
        return FileOp(op_id, name, kind, attrs, inputs, outputs, index)

    def attrs(self, value: Any, path: tuple) -> dict | None:
        if not isinstance(value, dict) or isinstance(value, _BadToken):
            self.problem(path, f"attrs must be an object; got {_describe(value)}")
            return None
        ok = True
        for key in getattr(value, "duplicate_keys", ()):
            self.problem(path + (key,), f"the attribute {json.dumps(key)} appears more than once")
            ok = False
        result = {}
        for name, attr in value.items():
            if not _IDENTIFIER.match(name):
                self.problem(
                    path + (name,), f"attribute names are identifiers; got {json.dumps(name, ensure_ascii=False)}"
                )
                ok = False
                continue
            parsed = self.attr(attr, path + (name,), name)
            if parsed is None:
                ok = False
            else:
                result[name] = parsed
        return result if ok else None

    def attr(self, value: Any, path: tuple, name: str) -> FileAttr | None:
        what = f"attribute {name!r}"
        if not self.object(value, path, what, _ATTR_KEYS, _ATTR_KEYS):
            return None
        keys = list(value)
        if keys.index("type") > keys.index("value"):
            self.problem(path, f'{what}: "type" must come before "value" (oneDNN\'s reader needs it first)')
            return None
        attr_type = self.choice(value["type"], path + ("type",), f"the type of {what}", _ATTRIBUTE_TYPES)
        if attr_type is None:
            return None
        parsed = self.attr_value(value["value"], path + ("value",), what, attr_type)
        return None if parsed is None else FileAttr(attr_type, parsed)

    def attr_value(self, value: Any, path: tuple, what: str, attr_type: str) -> Any:
        if attr_type == "f32":
            return self.f32(value, path, f"{what} (f32)")
        if attr_type == "s64":
            return self.int64(value, path, f"{what} (s64)")
        if attr_type == "bool":
            if value is True or value is False:
                return value
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            self.problem(path, f"{what} (bool) must be 0, 1, true or false; got {_describe(value)}")
            return None
        if attr_type == "string":
            return self.string(value, path, f"{what} (string)")
        items = self.array(value, path, f"{what} ({attr_type})")
        if items is None:
            return None
        # Fast paths for long arrays of good values (per-channel scales, ...);
        # any doubt goes item by item, which also words the problems.
        if attr_type == "s64[]":
            if all(type(item) is int for item in items) and (
                not items or (_INT64_MIN <= min(items) and max(items) <= _INT64_MAX)
            ):
                return tuple(items)
            read = self.int64
        else:
            fast = _f32_array(items)
            if fast is not None:
                return fast
            read = self.f32
        values = [read(item, path + (index,), f"{what} ({attr_type}) item {index}") for index, item in enumerate(items)]
        if any(item is None for item in values):
            return None
        return tuple(values) if attr_type == "s64[]" else np.array(values, dtype=np.float32)

    def f32(self, value: Any, path: tuple, what: str) -> np.float32 | None:
        if self.bad_token(value, path):
            return None
        if type(value) is str:
            match = _NONFINITE.match(value)
            if match:
                sign, word = match.group(1), match.group(2).lower()
                if word == "nan":
                    return _f32_of_bits(_QUIET_NAN_BITS | (0x80000000 if sign == "-" else 0))
                return np.float32(-np.inf if sign == "-" else np.inf)
            match = _NAN_BITS.match(value)
            if match:
                bits = int(match.group(1), 16)
                if (bits & 0x7F800000) == 0x7F800000 and (bits & 0x007FFFFF):
                    return _f32_of_bits(bits)
                self.problem(path, f"{what}: nan(0x{bits:08x}) is not the bit pattern of a NaN")
                return None
            self.problem(
                path,
                f'{what} must be a number, or "nan", "inf", "-inf" or "nan(0xHHHHHHHH)"; got {_describe(value)}',
            )
            return None
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            self.problem(path, f"{what} must be a number; got {_describe(value)}")
            return None
        if isinstance(value, Decimal) and _digits(value) > MAX_NUMBER_DIGITS:
            self.problem(path, f"{what}: a number of {_digits(value)} digits (at most {MAX_NUMBER_DIGITS} are read)")
            return None
        text = str(value)
        result = _f32_from_decimal(text)
        if result is None:
            self.problem(path, f"{what}: {text} is outside the f32 range (it would round to infinity)")
            return None
        return result

    def tensors(self, value: Any, path: tuple, what: str) -> list | None:
        items = self.array(value, path, what)
        if items is None:
            return None
        tensors = [self.tensor(item, path + (index,)) for index, item in enumerate(items)]
        return None if any(tensor is None for tensor in tensors) else tensors

    def tensor(self, value: Any, path: tuple) -> FileTensor | None:
        what = "a logical tensor"
        ok = self.object(value, path, what, _TENSOR_KEYS, ("id", "dtype", "shape"))
        if not isinstance(value, dict):
            return None
        tensor_id = self.uint64(value["id"], path + ("id",), "tensor id") if "id" in value else None
        dtype = self.choice(value["dtype"], path + ("dtype",), "dtype", self.data_types) if "dtype" in value else None
        layout: str | None = "strided"
        if "layout_type" in value:
            layout = self.choice(value["layout_type"], path + ("layout_type",), "layout_type", self.layout_types)
        prop: str | None = "undef"
        if "property_type" in value:
            prop = self.choice(value["property_type"], path + ("property_type",), "property_type", self.property_types)
        shape = self.shape(value["shape"], path + ("shape",)) if "shape" in value else None
        strides = self.stride(value["stride"], path + ("stride",)) if "stride" in value else None
        if not ok or None in (tensor_id, dtype, layout, prop, shape) or strides is False:
            return None
        dims = None if shape == "unknown" else tuple(shape)
        if strides is not None:
            strides = self.strides_for(strides, dims, layout, path + ("stride",))
            if strides is False:
                return None
        return FileTensor(tensor_id, dtype, dims, strides, layout, prop)

    def strides_for(self, strides: Any, dims: tuple | None, layout: str, path: tuple) -> Any:
        """The strides to describe the tensor with (a tuple per dim, UNKNOWN_DIM
        where unknown; None for "not given / not applicable"), or False.

        Strides mean something only for a strided layout of known rank; for
        any other layout or an unknown rank they are ignored, whatever they
        say (oneDNN's reader ignores them too, and its writer is not careful
        about what it puts there)."""
        if layout != "strided" or dims is None:
            return None
        if strides == "unknown":
            return (UNKNOWN_DIM,) * len(dims)
        if len(strides) != len(dims):
            self.problem(
                path,
                f"stride has {_count(len(strides), 'entry', 'entries')} but shape has {len(dims)}; they must match",
            )
            return False
        return tuple(strides)

    def shape(self, value: Any, path: tuple) -> Any:
        items = self.array(value, path, "shape")
        if items is None:
            return None
        if len(items) > _MAX_NDIMS:
            self.problem(path, f"a tensor has at most {_MAX_NDIMS} dims; got {len(items)}")
            return None
        dims = []
        ok = True
        for index, item in enumerate(items):
            dim = self.int64(item, path + (index,), "a dim")
            if dim is None:
                ok = False
            elif dim == -1 or dim == UNKNOWN_DIM:
                dims.append(UNKNOWN_DIM)
            elif dim < 0:
                self.problem(path + (index,), f"a dim must be >= 0, or -1 or {UNKNOWN_DIM} for unknown; got {dim}")
                ok = False
            else:
                dims.append(dim)
        if not ok:
            return None
        if dims == [UNKNOWN_DIM]:
            return "unknown"  # oneDNN's spelling of a shape that is not (fully) known
        return dims

    def stride(self, value: Any, path: tuple) -> Any:
        items = self.array(value, path, "stride")
        if items is None:
            return False
        if len(items) > _MAX_NDIMS:
            self.problem(path, f"a tensor has at most {_MAX_NDIMS} strides; got {len(items)}")
            return False
        strides = [self.int64(item, path + (index,), "a stride") for index, item in enumerate(items)]
        if any(stride is None for stride in strides):
            return False
        # -1 reads as unknown, as for dims (SPEC §5).
        strides = [UNKNOWN_DIM if stride == -1 else stride for stride in strides]
        if strides == [UNKNOWN_DIM]:
            return "unknown"
        return strides


# ---------------------------------------------------------------------------
# Layer 3: build the Graph op by op with the library's own validation
# ---------------------------------------------------------------------------


@dataclass
class _FileInfo:
    """What a graph file says beyond its ops, kept on the Graph for writing."""

    version: str
    fpmath_mode: str
    fpmath_mode_apply_to_int: bool


# Attributes that oneDNN's "-partitioning.json" dumps add to every op
# (src/graph/interface/graph.cpp, dnnl_graph_graph_get_partitions).
_PARTITIONING_ANNOTATIONS = ("partition_id", "backend")

# The attribute of a Graph under which io keeps its _FileInfo (Graph objects
# carry a __dict__ for this; nothing else reads it).
_FILE_INFO_ATTRIBUTE = "_io_file_info"


def _enum_names() -> tuple:
    from .enums import DataType, LayoutType, PropertyType

    return tuple(DataType.__members__), tuple(LayoutType.__members__), tuple(PropertyType.__members__)


def _locate_error(message: str, op: FileOp, base: tuple, status: str) -> tuple:
    """The JSON path that a library error about `op` points at: the attribute
    or the port it names, else the op itself."""
    match = re.search(r"\battribute '?\"?([A-Za-z_][A-Za-z0-9_]*)", message)
    if match:
        name = match.group(1)
        if name in op.attrs:
            return base + ("attrs", name) + (("type",) if "type" in message else ())
        return base + ("attrs",)
    # A data type conflict between ports ("input 0 (src) is f32 but output 0
    # (dst) is bf16") points at the output: the input came first.
    match = re.search(r"\bbut (output) (\d+)\b", message) or re.search(r"\b(input|output) (\d+)\b", message)
    if match:
        ports = "inputs" if match.group(1) == "input" else "outputs"
        index = int(match.group(2))
        if index < len(getattr(op, ports)):
            path = base + (ports, index)
            if status == "invalid_data_type":
                return path + ("dtype",)
            if status == "invalid_shape":
                return path + ("shape",)
            return path
        return base + (ports,)
    match = re.search(r"\b(?:tensor|logical tensor) (\d+)\b", message)
    if match:
        tensor_id = int(match.group(1))
        for ports in ("outputs", "inputs"):
            for index, tensor in enumerate(getattr(op, ports)):
                if tensor.id == tensor_id:
                    return base + (ports, index)
    # Port counts: "expected exactly 1 input, got 2".
    match = re.search(r"\bexpected\b[^:]*?\b\d+ (input|output)s?\b", message)
    if match:
        return base + (match.group(1) + "s",)
    if re.search(r"\bop id\b|\bduplicate\b", message, re.IGNORECASE):
        return base + ("id",)
    return base


def _logical_tensor(tensor: FileTensor):
    from .logical_tensor import LogicalTensor

    shape = None if tensor.shape is None else [-1 if dim == UNKNOWN_DIM else dim for dim in tensor.shape]
    strides = None
    if tensor.strides is not None:
        strides = [None if stride == UNKNOWN_DIM else stride for stride in tensor.strides]
    return LogicalTensor(tensor.id, tensor.dtype, shape, tensor.layout_type, strides, tensor.property_type)


def _attribute_argument(attr: FileAttr) -> Any:
    """The Python value Op.set_attr takes for a typed file attribute."""
    if attr.type == "f32":
        return float(attr.value)
    if attr.type == "f32[]":
        return tuple(np.asarray(attr.value, dtype=np.float32).astype(np.float64).tolist())
    return attr.value


class _GraphBuilder:
    """Builds a Graph from a FileGraph op by op, collecting every problem."""

    def __init__(self, file_graph: FileGraph):
        from .graph import Graph
        from .schema import list_schemas

        self.file = file_graph
        self.problems: list[Problem] = []
        self.kinds = tuple(list_schemas())
        try:
            self.graph = Graph(engine_kind=file_graph.engine_kind or "cpu")
        except Error as exc:
            self.problems.append(Problem("engine_kind", exc.message))
            self.graph = Graph()

    def build(self) -> Any:
        for op in self.file.ops:
            self.add(op)
        if self.file.has_ops:
            self.check_ports(self.file.tensor_ids, self.file.producer_of)
        if not self.problems and self.file.complete:
            try:
                self.graph.finalize()
            except Error as exc:
                self.problems.append(Problem("graph", exc.message))
        setattr(
            self.graph,
            _FILE_INFO_ATTRIBUTE,
            _FileInfo(
                self.file.version or DEFAULT_VERSION,
                self.file.fpmath_mode or "strict",
                bool(self.file.fpmath_mode_apply_to_int),
            ),
        )
        return self.graph

    def add(self, op: FileOp) -> None:
        base = ("graph", op.index)
        try:
            pygraph_op = self.make_op(op, base)
            if pygraph_op is not None:
                self.graph.add_op(pygraph_op)
        except Error as exc:
            path = _locate_error(exc.message, op, base, exc.status_name)
            message = exc.message
            if any(name in op.attrs for name in _PARTITIONING_ANNOTATIONS) and path[-2:-1] == ("attrs",):
                message += (
                    "; oneDNN adds partition_id and backend to the ops of its graph-<id>-partitioning.json "
                    "dumps: load the graph-<id>.json dump instead"
                )
            self.problems.append(Problem(format_path(path), message))

    def make_op(self, op: FileOp, base: tuple) -> Any:
        from .op import Op

        if op.kind in self.kinds:
            kind, original_kind = op.kind, None
        else:
            near = [known for known in self.kinds if known.lower() == op.kind.lower()]
            if near:
                self.problems.append(
                    Problem(
                        format_path(base + ("kind",)),
                        f"unknown op kind {op.kind!r}; did you mean {near[0]!r}? (kinds are case-sensitive)",
                    )
                )
                return None
            kind, original_kind = "Wildcard", op.kind
        inputs, outputs = [], []
        for ports, described in (("inputs", inputs), ("outputs", outputs)):
            for index, tensor in enumerate(getattr(op, ports)):
                try:
                    described.append(_logical_tensor(tensor))
                except Error as exc:
                    where = base + (ports, index) + (("shape",) if exc.status_name == "invalid_shape" else ())
                    self.problems.append(Problem(format_path(where), exc.message))
                    return None
        # A foreign op without a name is named after its own kind, as oneDNN
        # would ("Convolution_2"), not after Wildcard.
        name = op.name if op.name is not None or original_kind is None else f"{original_kind}_{op.id}"
        pygraph_op = Op(op.id, kind, inputs, outputs, name=name, original_kind=original_kind)
        for name, attr in op.attrs.items():
            try:
                pygraph_op.set_attr(name, _attribute_argument(attr), attr.type)
            except Error as exc:
                self.problems.append(Problem(format_path(base + ("attrs", name)), exc.message))
                return None
        return pygraph_op

    def check_ports(self, tensor_ids: set, producer_of: dict) -> None:
        for index, tensor_id in enumerate(self.file.input_ports or ()):
            path = format_path(("input_ports", index))
            if tensor_id not in tensor_ids:
                self.problems.append(
                    Problem(path, f"tensor {tensor_id} is not a tensor of the graph (no op consumes or produces it)")
                )
            elif tensor_id in producer_of:
                self.problems.append(
                    Problem(
                        path,
                        f"tensor {tensor_id} is produced by op graph[{producer_of[tensor_id]}], so it is not a graph input",
                    )
                )
        for index, tensor_id in enumerate(self.file.output_ports or ()):
            path = format_path(("output_ports", index))
            if tensor_id not in tensor_ids:
                self.problems.append(
                    Problem(path, f"tensor {tensor_id} is not a tensor of the graph (no op consumes or produces it)")
                )
                continue
            try:
                self.graph.mark_output(tensor_id)
            except Error as exc:
                self.problems.append(Problem(path, exc.message))


def _document_order(problem: Problem) -> tuple:
    """Sort key: problems in the order of the document (top-level key, then op)."""
    head = re.match(r"([A-Za-z_]+)(?:\[(\d+)\])?", problem.path)
    if head is None:
        return (-1, -1)
    key = head.group(1)
    rank = _TOP_KEYS.index(key) if key in _TOP_KEYS else len(_TOP_KEYS)
    return (rank, int(head.group(2)) if head.group(2) else -1)


def _check(text: Union[str, bytes, bytearray]) -> tuple[list[Problem], Any]:
    """(every problem in `text`, in document order; the finalized Graph, or
    None when there is a problem)."""
    doc, problems = _decode_json(text)
    if problems:
        return problems, None
    reader = _StructureReader(*_enum_names())
    file_graph = reader.document(doc)
    problems = list(reader.problems)
    if not isinstance(doc, dict) or len(problems) >= MAX_PROBLEMS:
        return problems, None
    builder = _GraphBuilder(file_graph)
    graph = builder.build()
    problems += builder.problems
    problems.sort(key=_document_order)
    return problems, None if problems else graph


# ---------------------------------------------------------------------------
# Writing: Graph -> oneDNN's layout (two-space indent, one item per line)
# ---------------------------------------------------------------------------


class _Token(str):
    """JSON text written as is (pre-formatted f32 values)."""


def _json_text(value: Any, indent: str = "") -> str:
    """`value` laid out as oneDNN's json_writer_t does (the layout of
    ``json.dumps(indent=2)``); the depth is that of a graph file, so the
    recursion is bounded."""
    if isinstance(value, _Token):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):  # not written by pygraph (bools are 0/1), kept for completeness
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{json.dumps(key, ensure_ascii=False)}: {_json_text(item, inner)}" for key, item in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if all(type(item) is int or type(item) is _Token for item in value):  # dims, ids, attribute arrays
            items = (inner + str(item) for item in value)
        else:
            items = (inner + _json_text(item, inner) for item in value)
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    raise TypeError(f"cannot write {type(value).__name__} to a graph file")


def _attribute_document(attr_type: str, value: Any) -> dict:
    if attr_type == "f32":
        written: Any = _Token(format_f32(np.float32(value)))
    elif attr_type == "f32[]":
        # Long arrays (per-channel scales) repeat values: format each once.
        bits = np.asarray(value, dtype=np.float32).view(np.uint32)
        unique, positions = np.unique(bits, return_inverse=True)
        texts = [_Token(format_f32(f32)) for f32 in unique.view(np.float32)]
        written = [texts[position] for position in positions.tolist()]
    elif attr_type == "bool":
        written = 1 if value else 0  # oneDNN writes and reads bools as 0/1
    elif attr_type == "s64[]":
        written = [int(item) for item in value]
    elif attr_type == "s64":
        written = int(value)
    else:
        written = str(value)
    return {"type": attr_type, "value": written}


def _tensor_document(lt: Any) -> dict:
    # LogicalTensor.__reduce__ gives the full description, unknown strides
    # included: (id, dtype, shape, layout_type, strides, property_type).
    tensor_id, dtype, shape, layout, strides, prop = lt.__reduce__()[1]
    if shape is None:
        shape_out: list = [UNKNOWN_DIM]
    else:
        shape_out = [UNKNOWN_DIM if dim == -1 else dim for dim in shape]
    if layout == "strided" and shape is not None and (strides is not None or len(shape) == 0):
        stride_out = [UNKNOWN_DIM if stride is None else stride for stride in (strides or ())]
    else:
        stride_out = [UNKNOWN_DIM]  # oneDNN's spelling of "not known"
    return {
        "id": tensor_id,
        "dtype": dtype,
        "shape": shape_out,
        "stride": stride_out,
        "layout_type": layout,
        "property_type": prop,
    }


def _op_document(op: Any) -> dict:
    types = op.attr_types
    return {
        "id": op.id,
        "name": op.name,
        "kind": op.original_kind or op.kind.value,
        "attrs": {name: _attribute_document(types[name], value) for name, value in op.attrs.items()},
        "inputs": [_tensor_document(lt) for lt in op.inputs],
        "outputs": [_tensor_document(lt) for lt in op.outputs],
    }


def graph_ports(ops: Sequence[Any], marked: Iterable[int] = ()) -> tuple[list[int], list[int]]:
    """(input port ids, output port ids) of a graph, in op order.

    Inputs are tensors some op consumes and no op produces; outputs are
    tensors no op but End consumes (never consumed, or consumed by End) and
    the tensors in `marked` (``Graph.output_ids``, a file's output_ports).
    Outputs are ordered by where they are produced (then, for a graph input
    that is also an output, where it is first consumed), never by why they
    are outputs: reading the ports back marks them all, and writing again
    must give the same order (the graph-loader fuzzer found an End-consumed
    tensor that moved when it came back marked).
    """
    produced = {lt.id for op in ops for lt in op.outputs}
    consumed_by_compute = {lt.id for op in ops if op.kind.value != "End" for lt in op.inputs}
    marked = list(marked)
    is_output = set(marked)
    is_output.update(lt.id for op in ops if op.kind.value == "End" for lt in op.inputs)
    is_output.update(produced - consumed_by_compute)
    inputs: dict[int, None] = {}
    outputs: dict[int, None] = {}
    for op in ops:
        for lt in op.inputs:
            if lt.id not in produced:
                inputs.setdefault(lt.id)
        for lt in op.outputs:
            if lt.id in is_output:
                outputs.setdefault(lt.id)
    for op in ops:  # outputs no op produces: graph inputs passed through
        for lt in op.inputs:
            if lt.id in is_output:
                outputs.setdefault(lt.id)
    for tensor_id in marked:
        outputs.setdefault(tensor_id)
    return list(inputs), list(outputs)


def to_json(graph: Any) -> str:
    """`graph` as oneDNN graph JSON text (ending in a newline).

    Key order and layout are oneDNN's; ``input_ports`` and ``output_ports``
    are computed from the graph (see :func:`graph_ports`); a graph read from
    a file keeps its version, fpmath_mode and fpmath_mode_apply_to_int, and
    its foreign ops their kind names.  ``loads(to_json(g))`` describes the
    same graph, and writing it again gives the same text.
    """
    from .graph import Graph

    if not isinstance(graph, Graph):
        raise TypeError(f"to_json: expected a pygraph.Graph; got {type(graph).__name__}")
    info = getattr(graph, _FILE_INFO_ATTRIBUTE, None) or _FileInfo(DEFAULT_VERSION, "strict", False)
    ops = graph.ops
    input_ports, output_ports = graph_ports(ops, graph.output_ids)
    document = {
        "version": info.version,
        "engine_kind": str(graph.engine_kind),
        "fpmath_mode": info.fpmath_mode,
        "fpmath_mode_apply_to_int": "true" if info.fpmath_mode_apply_to_int else "false",
        "input_ports": input_ports,
        "output_ports": output_ports,
        "graph": [_op_document(op) for op in ops],
    }
    return _json_text(document) + "\n"


def dump(graph: Any, file: Any) -> None:
    """Write `graph` as oneDNN graph JSON to `file` (a path, or an object with
    ``write(str)``).  See :func:`to_json`."""
    text = to_json(graph)
    if hasattr(file, "write"):
        file.write(text)
        return
    with open(file, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(text)


# ---------------------------------------------------------------------------
# Reading and checking: the public entry points
# ---------------------------------------------------------------------------


def _read_source(file: Any) -> Union[str, bytes]:
    """The content of `file` (a path or an object with ``read()``), at most
    MAX_FILE_BYTES + 1 of it (enough to tell that it is too large).  OSError
    (missing file, permission) propagates, as from ``open``."""
    if hasattr(file, "read"):
        return file.read(MAX_FILE_BYTES + 1)
    with open(file, "rb") as stream:
        return stream.read(MAX_FILE_BYTES + 1)


def _source_name(file: Any) -> str:
    if hasattr(file, "read"):
        return str(getattr(file, "name", "<stream>"))
    return os.fspath(file) if isinstance(file, (str, os.PathLike)) else str(file)


def validates(text: Union[str, bytes, bytearray]) -> list[Problem]:
    """Every problem in the graph file text `text` (``[]`` for a good one):
    JSON syntax, structure, op schemas, graph rules and port lists, in
    document order, each with its JSON path and a plain sentence."""
    return _check(text)[0]


def validate(file: Any) -> list[Problem]:
    """Every problem in the graph file `file` (a path or a readable object);
    ``[]`` for a good one.  See :func:`validates`.  A file that cannot be
    opened raises OSError."""
    return validates(_read_source(file))


def loads(text: Union[str, bytes, bytearray]) -> Any:
    """The finalized :class:`~pygraph.Graph` that graph file text `text`
    describes.  A bad file raises :class:`GraphFileError` (a
    ``pygraph.InvalidGraphError``) whose ``problems`` lists every problem."""
    return _load(text, "<string>")


def load(file: Any) -> Any:
    """The finalized :class:`~pygraph.Graph` of the graph file `file` (a path,
    or an object with ``read()``).  A bad file raises :class:`GraphFileError`
    listing its problems with their JSON paths; a file that cannot be opened
    raises OSError, as ``open`` does."""
    return _load(_read_source(file), _source_name(file))


def _load(text: Union[str, bytes, bytearray], source: str) -> Any:
    problems, graph = _check(text)
    if problems:
        raise GraphFileError.from_problems(source, problems)
    return graph
