"""Hardware detection: real call on this (GPU-less) machine, and NVML paths through a fake pynvml module."""

from __future__ import annotations

import sys
import types
from collections import namedtuple

import pytest
from ftui.core import hardware
from ftui.core.errors import UserError
from ftui.core.hardware import GPU_PRESETS, detect_hardware, find_preset, gpu_stats

GIB = 1024**3


def test_detect_on_this_machine_without_gpu_is_normal():
    hw = detect_hardware()
    assert hw.cpu_threads >= 1 and hw.cpu_cores >= 1
    assert hw.ram_total_bytes > 256 * 1024**2
    if not hw.gpus:
        assert hw.nvml_error and not hw.has_cuda
        assert gpu_stats() == []


def test_presets_cover_the_common_cards():
    names = set(GPU_PRESETS)
    for expected in (
        "T4 16G",
        "A10G 24G",
        "RTX 3090 24G",
        "RTX 4090 24G",
        "L4 24G",
        "L40S 48G",
        "A100 40G",
        "A100 80G",
        "H100 80G",
        "H200 141G",
    ):
        assert expected in names
    assert not GPU_PRESETS["T4 16G"].bf16 and GPU_PRESETS["A100 40G"].bf16
    assert 15 * GIB <= GPU_PRESETS["T4 16G"].memory_bytes <= 16 * GIB
    assert 139 * GIB <= GPU_PRESETS["H200 141G"].memory_bytes <= 141 * GIB


def test_find_preset_is_forgiving_and_errors_clearly():
    assert find_preset("a100-80g").name == "A100 80G"
    assert find_preset("H100").name == "H100 80G"
    assert find_preset("rtx 4090 24G").name == "RTX 4090 24G"
    with pytest.raises(UserError) as err:
        find_preset("A100")  # 40G or 80G?
    assert "ambiguous" in err.value.message and "A100 80G" in err.value.message
    with pytest.raises(UserError, match="unknown GPU preset"):
        find_preset("Voodoo 2")


def _fake_pynvml(count: int = 2) -> types.ModuleType:
    nv = types.ModuleType("pynvml")
    Mem = namedtuple("Mem", "total free used")
    Util = namedtuple("Util", "gpu memory")
    calls = {"init": 0, "shutdown": 0}
    nv.NVML_TEMPERATURE_GPU = 0
    nv.calls = calls

    def init():
        calls["init"] += 1

    def shutdown():
        calls["shutdown"] += 1

    def not_supported(handle):
        raise RuntimeError("NVMLError_NotSupported")

    nv.nvmlInit = init
    nv.nvmlShutdown = shutdown
    nv.nvmlDeviceGetCount = lambda: count
    nv.nvmlDeviceGetHandleByIndex = lambda i: i
    nv.nvmlDeviceGetName = lambda h: [b"NVIDIA A100-SXM4-80GB", "Tesla T4"][h]
    nv.nvmlDeviceGetMemoryInfo = lambda h: [Mem(80 * GIB, 79 * GIB, GIB), Mem(15 * GIB, 14 * GIB, GIB)][h]
    nv.nvmlDeviceGetCudaComputeCapability = lambda h: [(8, 0), (7, 5)][h]
    nv.nvmlSystemGetDriverVersion = lambda: "550.54"
    nv.nvmlDeviceGetUtilizationRates = lambda h: Util(37 + h, 5)
    nv.nvmlDeviceGetTemperature = lambda h, kind: 60 + h
    nv.nvmlDeviceGetPowerUsage = lambda h: 250_500
    nv.nvmlDeviceGetEnforcedPowerLimit = not_supported
    return nv


def test_nvml_detection_and_stats(monkeypatch):
    fake = _fake_pynvml()
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    hw = detect_hardware()
    assert [g.name for g in hw.gpus] == ["NVIDIA A100-SXM4-80GB", "Tesla T4"]
    a100, t4 = hw.gpus
    assert a100.bf16 and not t4.bf16 and a100.compute_capability == (8, 0)
    assert a100.total_bytes == 80 * GIB and a100.free_bytes == 79 * GIB
    assert hw.driver_version == "550.54" and hw.nvml_error is None
    stats = gpu_stats()
    assert [s.utilization_pct for s in stats] == [37, 38]
    assert stats[1].temperature_c == 61 and stats[0].power_w == pytest.approx(250.5)
    assert stats[0].power_limit_w is None  # unsupported counter -> None, not a crash
    assert fake.calls["init"] == fake.calls["shutdown"] == 2


def test_cuda_visible_devices_filters_gpus(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml())
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert [g.index for g in detect_hardware().gpus] == [1]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert detect_hardware().gpus == []


def test_nvml_failure_means_no_gpu(monkeypatch):
    broken = types.ModuleType("pynvml")

    def fail():
        raise OSError("NVML Shared Library Not Found")

    broken.nvmlInit = fail
    monkeypatch.setitem(sys.modules, "pynvml", broken)
    hw = detect_hardware()
    assert hw.gpus == [] and "NVML Shared Library Not Found" in hw.nvml_error
    assert hardware.gpu_stats() == []
