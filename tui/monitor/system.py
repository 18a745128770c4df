"""Live machine readings for the monitor: CPU/RAM via psutil, GPU utilisation/temperature/power via pynvml.

No Textual here: the monitor calls `SystemSampler.sample()` about once a second and keeps short histories
for sparklines. pynvml is optional at run time (no NVIDIA driver on CPU machines): GPUs are then empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psutil


@dataclass(frozen=True)
class GpuSample:
    index: int
    util_percent: float
    temperature_c: float | None
    power_w: float | None
    mem_used: int
    mem_total: int


@dataclass(frozen=True)
class SystemSample:
    cpu_percent: float
    ram_percent: float
    ram_used: int
    ram_total: int
    gpus: list[GpuSample] = field(default_factory=list)


class SystemSampler:
    """Reads the machine; pynvml is initialised once and left alone when absent or failing."""

    def __init__(self) -> None:
        self._nvml = None
        self._handles: list = []
        try:
            import pynvml

            pynvml.nvmlInit()
            self._nvml = pynvml
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        except Exception:  # no driver, no GPU, no library: CPU-only readings
            self._nvml = None
        psutil.cpu_percent(None)  # the first call primes the counter

    def sample(self) -> SystemSample:
        mem = psutil.virtual_memory()
        return SystemSample(
            cpu_percent=psutil.cpu_percent(None),
            ram_percent=mem.percent,
            ram_used=int(mem.used),
            ram_total=int(mem.total),
            gpus=self._gpus(),
        )

    def _gpus(self) -> list[GpuSample]:
        if self._nvml is None:
            return []
        nv = self._nvml
        out = []
        for index, handle in enumerate(self._handles):
            try:
                util = nv.nvmlDeviceGetUtilizationRates(handle).gpu
                mem = nv.nvmlDeviceGetMemoryInfo(handle)
                temp = _try(lambda h=handle: nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU))
                power = _try(lambda h=handle: nv.nvmlDeviceGetPowerUsage(h) / 1000.0)
                out.append(GpuSample(index, float(util), temp, power, int(mem.used), int(mem.total)))
            except Exception:  # a GPU that fell off the bus must not crash the monitor
                continue
        return out


def _try(read):
    try:
        return float(read())
    except Exception:
        return None
