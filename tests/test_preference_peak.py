"""The estimator against a real preference step on CPU, for each method ftui trains with TRL: the live-tensor
peak of step 2 (bench/preference_peak.py, measured as tests/test_memory_peak.py measures SFT).

Measured on 3 Dec 2026 (estimate / measured): DPO 1.02, KTO 1.02, ORPO 0.94, SimPO 0.94; with gradient
checkpointing DPO 1.02, KTO 1.02, ORPO 0.98, SimPO 0.98. Before TRL's fused LM head was counted, DPO was 0.50
and KTO 0.55 (the [tokens x 32768] tile buffer and, on the CPU, its fp32 temporaries were missing).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import preference_peak  # noqa: E402

pytestmark = pytest.mark.slow  # ~10 s per case on 2 CPU cores
TOLERANCE = 0.10  # SFT holds 5%; ORPO and SimPO (CPO) keep TRL's own logits copies, counted as SFT's


@pytest.mark.parametrize(
    ("method", "checkpointing"),
    [("dpo", False), ("kto", False), ("orpo", False), ("simpo", False), ("dpo", True)],
)
def test_estimate_matches_a_real_preference_step(tmp_path: Path, method: str, checkpointing: bool) -> None:
    measured = preference_peak.measure(method, tmp_path, checkpointing)
    estimated = preference_peak.estimate(method, checkpointing)
    assert abs(estimated / measured - 1) <= TOLERANCE, (method, checkpointing, estimated, measured)
