"""What this machine has: NVIDIA GPUs (through NVML, no torch), CPU cores, RAM, Apple MPS; plus GPU presets.

No GPU is a normal state: `detect_hardware()` then returns an empty `gpus` list. `gpu_stats()` is the cheap
call the run monitor polls (utilisation, memory, temperature, power), kept separate from detection.
"""

from __future__ import annotations

import difflib
import os
import platform
from dataclasses import dataclass, field
from typing import Any

from ftui.core.errors import UserError

MIB = 1024**2


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    total_bytes: int
    free_bytes: int
    compute_capability: tuple[int, int] | None
    bf16: bool  # Ampere (8.0) and newer

    @property
    def label(self) -> str:
        return f"GPU {self.index}: {self.name} ({self.total_bytes / 1024**3:.0f} GiB)"


@dataclass(frozen=True)
class GpuStats:
    index: int
    utilization_pct: int | None
    memory_used_bytes: int
    memory_total_bytes: int
    temperature_c: int | None
    power_w: float | None
    power_limit_w: float | None


@dataclass(frozen=True)
class Hardware:
    gpus: list[GpuInfo] = field(default_factory=list)
    cpu_cores: int = 1  # physical cores where known
    cpu_threads: int = 1
    ram_total_bytes: int = 0
    ram_available_bytes: int = 0
    mps: bool = False  # Apple Silicon GPU (unified memory = RAM)
    driver_version: str | None = None
    nvml_error: str | None = None  # why NVML was unavailable (informational; not an error)

    @property
    def has_cuda(self) -> bool:
        return bool(self.gpus)


@dataclass(frozen=True)
class GpuPreset:
    """A GPU to estimate against without owning it. `memory_bytes` is what nvidia-smi reports as total."""

    name: str
    memory_bytes: int
    compute_capability: tuple[int, int]

    @property
    def bf16(self) -> bool:
        return self.compute_capability >= (8, 0)


# memory.total as nvidia-smi reports it for each card (MiB), compute capability from NVIDIA's CUDA GPU list.
GPU_PRESETS: dict[str, GpuPreset] = {
    p.name: p
    for p in (
        GpuPreset("T4 16G", 15360 * MIB, (7, 5)),
        GpuPreset("A10G 24G", 23028 * MIB, (8, 6)),
        GpuPreset("RTX 3090 24G", 24576 * MIB, (8, 6)),
        GpuPreset("RTX 4090 24G", 24564 * MIB, (8, 9)),
        GpuPreset("L4 24G", 23034 * MIB, (8, 9)),
        GpuPreset("L40S 48G", 46068 * MIB, (8, 9)),
        GpuPreset("A100 40G", 40960 * MIB, (8, 0)),
        GpuPreset("A100 80G", 81920 * MIB, (8, 0)),
        GpuPreset("H100 80G", 81559 * MIB, (9, 0)),
        GpuPreset("H200 141G", 143771 * MIB, (9, 0)),
    )
}


def find_preset(name: str) -> GpuPreset:
    """A preset by name, forgiving case, spaces and a missing memory size ("a100-80g", "h100")."""

    def norm(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    wanted = norm(name)
    for preset in GPU_PRESETS.values():
        if norm(preset.name) == wanted:
            return preset
    prefixed = [p for p in GPU_PRESETS.values() if norm(p.name).startswith(wanted)] if wanted else []
    if len(prefixed) == 1:
        return prefixed[0]
    close = difflib.get_close_matches(name, list(GPU_PRESETS), n=3, cutoff=0.3)
    raise UserError(
        f"unknown GPU preset {name!r}"
        + (f" (ambiguous: {', '.join(p.name for p in prefixed)})" if prefixed else ""),
        hint="choose one of: " + ", ".join(GPU_PRESETS) + (f"; did you mean {close[0]!r}?" if close else ""),
    )


def _nvml() -> Any:
    import pynvml

    pynvml.nvmlInit()
    return pynvml


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def detect_gpus() -> tuple[list[GpuInfo], str | None, str | None]:
    """(gpus, driver version, why NVML is unavailable). Respects CUDA_VISIBLE_DEVICES given as indices."""
    try:
        nv = _nvml()
    except Exception as err:  # no driver / no library / no device: a normal state
        return [], None, f"{type(err).__name__}: {err}"
    try:
        gpus = []
        for index in _visible_indices(nv.nvmlDeviceGetCount()):
            handle = nv.nvmlDeviceGetHandleByIndex(index)
            memory = nv.nvmlDeviceGetMemoryInfo(handle)
            try:
                cc: tuple[int, int] | None = tuple(nv.nvmlDeviceGetCudaComputeCapability(handle))  # type: ignore[assignment]
            except Exception:
                cc = None
            gpus.append(
                GpuInfo(
                    index=index,
                    name=_text(nv.nvmlDeviceGetName(handle)),
                    total_bytes=int(memory.total),
                    free_bytes=int(memory.free),
                    compute_capability=cc,
                    bf16=bool(cc and cc >= (8, 0)),
                )
            )
        driver = _text(nv.nvmlSystemGetDriverVersion())
        return gpus, driver, None
    finally:
        nv.nvmlShutdown()


def _visible_indices(count: int) -> list[int]:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None or visible.strip() == "":
        return list(range(count)) if visible is None else []
    indices = []
    for part in visible.split(","):
        part = part.strip()
        if part.isdigit() and int(part) < count:
            indices.append(int(part))
        elif not part.isdigit():
            return list(range(count))  # UUID form: keep NVML's order rather than guess
    return indices


def detect_hardware() -> Hardware:
    """GPUs, CPU and RAM of this machine (about 50 ms; no torch)."""
    import psutil

    gpus, driver, why = detect_gpus()
    memory = psutil.virtual_memory()
    return Hardware(
        gpus=gpus,
        cpu_cores=psutil.cpu_count(logical=False) or os.cpu_count() or 1,
        cpu_threads=psutil.cpu_count(logical=True) or os.cpu_count() or 1,
        ram_total_bytes=int(memory.total),
        ram_available_bytes=int(memory.available),
        mps=platform.system() == "Darwin" and platform.machine() == "arm64",
        driver_version=driver,
        nvml_error=why,
    )


def gpu_stats() -> list[GpuStats]:
    """Live utilisation, memory, temperature and power of every visible GPU; [] without NVML."""
    try:
        nv = _nvml()
    except Exception:
        return []
    stats = []
    try:
        for index in _visible_indices(nv.nvmlDeviceGetCount()):
            handle = nv.nvmlDeviceGetHandleByIndex(index)
            memory = nv.nvmlDeviceGetMemoryInfo(handle)
            stats.append(
                GpuStats(
                    index=index,
                    utilization_pct=_optional(lambda h=handle: nv.nvmlDeviceGetUtilizationRates(h).gpu),
                    memory_used_bytes=int(memory.used),
                    memory_total_bytes=int(memory.total),
                    temperature_c=_optional(
                        lambda h=handle: nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU)
                    ),
                    power_w=_optional(lambda h=handle: nv.nvmlDeviceGetPowerUsage(h) / 1000.0),
                    power_limit_w=_optional(lambda h=handle: nv.nvmlDeviceGetEnforcedPowerLimit(h) / 1000.0),
                )
            )
    finally:
        nv.nvmlShutdown()
    return stats


def _optional(read: Any) -> Any:
    """Some counters are unsupported on some boards (NVMLError_NotSupported): report None."""
    try:
        return read()
    except Exception:
        return None
