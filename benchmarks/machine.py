"""What the figures were measured on: CPU, cores, load, pygraph's ISA and
kernels, library versions."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any, Optional

import numpy as np


# PyTorch's and oneDNN's ISA caps (ATen's CPU capability, oneDNN's max ISA).
PEER_ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")


def _kernel_environment() -> dict:
    from pygraph.runtime import kernel_environment  # the package the harness measures

    return kernel_environment()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_identity() -> Optional[str]:
    """'family 6 model 207 stepping 2': tells CPU generations apart where the
    model name (e.g. under a hypervisor) does not."""
    fields = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    break  # the first CPU is enough
                name, _, value = line.partition(":")
                fields[name.strip()] = value.strip()
    except OSError:
        return None
    if "cpu family" not in fields:
        return None
    return f"family {fields['cpu family']} model {fields.get('model')} stepping {fields.get('stepping')}"


def caches() -> dict:
    """Cache sizes of CPU 0 as the kernel reports them, e.g. {'L1d': '48K'}."""
    result = {}
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        entries = sorted(os.listdir(base))
    except OSError:
        return result
    for entry in entries:
        if not entry.startswith("index"):
            continue
        try:
            values = [open(os.path.join(base, entry, name), encoding="utf-8").read().strip()
                      for name in ("level", "type", "size")]
        except OSError:
            continue
        level, kind, size = values
        suffix = {"Data": "d", "Instruction": "i"}.get(kind, "")
        result[f"L{level}{suffix}"] = size
    return result


def usable_cpus() -> int:
    """CPUs this process may run on (affinity, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def load_average() -> Optional[list[float]]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _version(module_name: str) -> Optional[str]:
    try:
        module = __import__(module_name)
    except ImportError:
        return None
    return getattr(module, "__version__", "unknown")


def machine_info(access: Any, dtype_names: list[str], copy_limit_isa: str, torch_version: Optional[str]) -> dict:
    """`access` is implementations.PygraphAccess."""
    kernels = {}
    for name in dtype_names:
        try:
            kernels[name] = access.kernel_name(name)
        except Exception as error:
            kernels[name] = f"unknown ({error})"
    info = {
        "cpu_model": cpu_model(),
        "cpu_identity": cpu_identity(),
        "caches": caches(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable_cpus(),
        "platform": platform.platform(),
        "load_average_at_start": load_average(),
        "pygraph": {
            "version": access.version(),
            "cpu_isa": access.cpu_isa(),
            "cpu_features": access.cpu_features(),
            "kernels": kernels,
            "default_num_threads": access.get_num_threads(),
            "max_isa_env": os.environ.get("PYGRAPH_MAX_ISA"),
            "kernel_env": _kernel_environment(),
        },
        "copy_limit_vector_isa": copy_limit_isa,
        # The peers' own ISA caps, so that a run of everyone capped alike
        # (say to AVX2) says so.
        "peer_isa_env": {name: os.environ.get(name) for name in PEER_ISA_VARIABLES if name in os.environ},
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "ml_dtypes": _version("ml_dtypes"),
            "cffi": _version("cffi"),
            "torch": torch_version,
        },
    }
    if torch_version is not None:
        import torch

        info["torch_default_num_threads"] = torch.get_num_threads()
    return info
