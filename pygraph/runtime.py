"""The CPU dispatch and thread controls of the native library.

Every level and thread count gives identical bits (SPEC §2); these exist to
see and steer which kernels run (``pygraph info``, tests of each ISA path).
"""

from __future__ import annotations

import os

from typing import Union

from ._binding import check, ffi, lib, to_c_string
from .enums import DataType
from .errors import InvalidArgumentsError

__all__ = ["cpu_features", "cpu_isa", "set_max_cpu_isa", "kernel_name", "get_num_threads", "set_num_threads"]


def cpu_features() -> list[str]:
    """The CPU features pygraph detected and may use, e.g. ``["avx2", "f16c", "avx512f"]``."""
    text = ffi.new("const char **")
    check(lib.pygraph_get_cpu_features(text))
    return ffi.string(text[0]).decode("ascii").split()


# The environment variables that change which kernels run (the native
# library reads each once, at first use): a run is reproduced only with them.
KERNEL_ENVIRONMENT = ("PYGRAPH_MAX_ISA", "PYGRAPH_KERNEL_TUNING", "PYGRAPH_FAR_MIN_BYTES")


def kernel_environment() -> dict:
    """The KERNEL_ENVIRONMENT variables that are set, with their values."""
    return {name: os.environ[name] for name in KERNEL_ENVIRONMENT if name in os.environ}


def cpu_isa() -> str:
    """The instruction set the kernels use now: "avx512_bf16", "avx512", "avx2" or "scalar".

    "avx512_bf16" (AVX-512 with DQ and AVX512_BF16) improves only the bf16 kernels;
    f32 and f16 run their avx512 kernels there.
    """
    text = ffi.new("const char **")
    check(lib.pygraph_get_cpu_isa(text))
    return ffi.string(text[0]).decode("ascii")


def set_max_cpu_isa(isa: str) -> None:
    """Cap the kernels' instruction set: "scalar", "avx2", "avx512", "avx512_bf16" or "best" (no cap).

    Applies to every execution that starts afterwards (also of partitions
    compiled before); same bits at every level.  The environment variable
    ``PYGRAPH_MAX_ISA`` sets the initial cap.
    """
    check(lib.pygraph_set_max_cpu_isa(to_c_string(isa, "set_max_cpu_isa: isa")))


def kernel_name(dtype: Union[DataType, str]) -> str:
    """The kernel that runs LeakyReLU on `dtype` now, e.g. "f32_lrelu__avx512"."""
    text = ffi.new("const char **")
    check(lib.pygraph_get_kernel_name(DataType.coerce(dtype, "kernel_name: dtype"), text))
    return ffi.string(text[0]).decode("ascii")


def get_num_threads() -> int:
    """Threads an execution may use (the calling thread included)."""
    value = ffi.new("int *")
    check(lib.pygraph_get_num_threads(value))
    return int(value[0])


def set_num_threads(num_threads: int) -> None:
    """Set the threads an execution may use; 0 restores the default
    (``PYGRAPH_NUM_THREADS``, else the CPUs the process may run on)."""
    if isinstance(num_threads, bool) or not isinstance(num_threads, int):
        raise InvalidArgumentsError(f"set_num_threads: expected an int; got {num_threads!r}")
    if not -(2**31) <= num_threads < 2**31:
        raise InvalidArgumentsError(f"set_num_threads: {num_threads} is out of range")
    check(lib.pygraph_set_num_threads(num_threads))
