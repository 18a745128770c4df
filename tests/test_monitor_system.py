"""Machine readings: psutil always; GPUs through pynvml when present (faked here: no GPU in CI)."""

from __future__ import annotations

import sys
import types

import pytest
from ftui.tui.monitor.system import SystemSampler


def fake_pynvml(fail_temperature: bool = False) -> types.ModuleType:
    nv = types.ModuleType("pynvml")
    nv.NVML_TEMPERATURE_GPU = 0
    nv.nvmlInit = lambda: None
    nv.nvmlDeviceGetCount = lambda: 2
    nv.nvmlDeviceGetHandleByIndex = lambda i: f"gpu{i}"
    nv.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=90 if h == "gpu0" else 10)
    nv.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(used=5 << 30, total=80 << 30)

    def temperature(handle, sensor):
        if fail_temperature:
            raise RuntimeError("not supported")
        return 65

    nv.nvmlDeviceGetTemperature = temperature
    nv.nvmlDeviceGetPowerUsage = lambda h: 250_000  # milliwatts
    return nv


def test_gpus_from_pynvml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml())
    sample = SystemSampler().sample()
    assert [g.util_percent for g in sample.gpus] == [90.0, 10.0]
    assert sample.gpus[0].temperature_c == 65.0 and sample.gpus[0].power_w == 250.0
    assert sample.gpus[1].mem_total == 80 << 30
    assert 0 <= sample.cpu_percent <= 100 * 64 and 0 < sample.ram_percent <= 100


def test_missing_sensor_is_none_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml(fail_temperature=True))
    gpu = SystemSampler().sample().gpus[0]
    assert gpu.temperature_c is None and gpu.power_w == 250.0


def test_no_driver_means_no_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = types.ModuleType("pynvml")

    def fail() -> None:
        raise OSError("libnvidia-ml.so not found")

    broken.nvmlInit = fail
    monkeypatch.setitem(sys.modules, "pynvml", broken)
    assert SystemSampler().sample().gpus == []
