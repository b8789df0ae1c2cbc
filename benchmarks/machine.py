"""What the figures were measured on: CPU, cores, load, pygraph's ISA and
kernels, library versions; and what the CPUs deliver together, an
estimate of what threads can gain (CpusTogether)."""

from __future__ import annotations

import os
import platform
import statistics
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


class CpusTogether:
    """Measures, round by round, how much in-cache work the first `num_cpus`
    CPUs this process may use do together, against the fastest of them
    alone (copy_limit_cpus_together in copy_limit.h says how, and why a
    VM's vCPUs may give much less than one CPU's work each).  It is what
    the machine gave threads while a group was measured, so the harness
    takes it in the same rounds as the threaded samples and reports it next
    to their speed-up; an estimate, not a bound (its "alone" phases are as
    noisy as the rest).  With fewer usable CPUs than `num_cpus` it measures
    those there are; unavailable (measure() does nothing) with fewer than
    two, or where the pinned threads cannot run."""

    BYTES_PER_CPU = 16 * 1024  # in every L1 data cache: the CPU's own work, no memory traffic
    PHASE_MS = 20.0

    def __init__(self, copy_ffi: Any, copy_lib: Any, num_cpus: int, phase_ms: float = PHASE_MS) -> None:
        self._ffi, self._lib = copy_ffi, copy_lib
        try:
            allowed = sorted(os.sched_getaffinity(0))
        except AttributeError:  # not Linux: no pinning
            allowed = []
        self.cpus = allowed[:num_cpus]
        self.phase_ms = phase_ms
        self.rounds: list[dict] = []
        self.available = len(self.cpus) >= 2

    def measure(self) -> None:
        """One round: each CPU alone, then all together."""
        if not self.available:
            return
        count = len(self.cpus)
        alone = self._ffi.new("double[]", count)
        together = self._ffi.new("double[]", count)
        status = self._lib.copy_limit_cpus_together(self._ffi.new("int[]", self.cpus), count, self.BYTES_PER_CPU,
                                                    int(self.phase_ms * 1e6), alone, together)
        if status != 0:
            self.available = False
            return
        alone_rates, together_rates = list(alone), list(together)
        fastest = max(alone_rates)
        # A VM may give a CPU no time in a whole phase: that round has no ratio.
        self.rounds.append({"alone_gb_per_s": alone_rates, "together_gb_per_s": together_rates,
                            "ratio": sum(together_rates) / fastest if fastest > 0 else None})

    def as_json(self) -> Optional[dict]:
        ratios = [r["ratio"] for r in self.rounds if r["ratio"] is not None]
        if not ratios:
            return None
        return {"cpus": self.cpus, "bytes_per_cpu": self.BYTES_PER_CPU, "phase_ms": self.phase_ms,
                "median_ratio": statistics.median(ratios), "min_ratio": min(ratios), "max_ratio": max(ratios),
                "rounds": self.rounds}


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
