"""FSDP as Axolotl users write it -> accelerate's `fsdp_config` (the keys `accelerate config` writes).

Both generations of Axolotl configs are read: FSDP1 (`fsdp: [full_shard, auto_wrap, offload]` with
`fsdp_config: {fsdp_offload_params: ..., fsdp_transformer_layer_cls_to_wrap: ...}`) and FSDP2
(`fsdp_version: 2` with un-prefixed `fsdp_config: {reshard_after_forward: true, offload_params: ...}`).
Axolotl strips the `fsdp_` prefix (its check_fsdp_config_kwargs_prefix); so does ftui.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ftui.core.errors import UserError

STRATEGIES = ("FULL_SHARD", "SHARD_GRAD_OP", "HYBRID_SHARD", "NO_SHARD")
# Axolotl's fsdp_config keys (schemas/fsdp.py) that accelerate's launcher reads, by their accelerate name.
PASSED = (
    "offload_params", "sync_module_states", "cpu_ram_efficient_loading", "use_orig_params",
    "state_dict_type", "auto_wrap_policy", "transformer_layer_cls_to_wrap", "min_num_params",
    "activation_checkpointing", "backward_prefetch", "forward_prefetch",
)  # fmt: skip
ALIASES = {"transformer_cls_to_wrap": "transformer_layer_cls_to_wrap"}


@dataclass
class FsdpPlan:
    version: int
    strategy: str  # one of STRATEGIES
    config: dict[str, Any]  # accelerate's fsdp_config: fsdp_version, fsdp_reshard_after_forward, ...
    not_passed: list[str] = field(default_factory=list)  # keys read but not handed to accelerate

    @property
    def sharding(self) -> str:
        """The estimator's name for it."""
        return {"FULL_SHARD": "fsdp", "SHARD_GRAD_OP": "zero2", "HYBRID_SHARD": "hybrid"}.get(
            self.strategy, "ddp"
        )

    @property
    def offload_params(self) -> bool:
        return bool(self.config.get("fsdp_offload_params"))


def _bare(key: str) -> str:
    key = key[len("fsdp_") :] if key.startswith("fsdp_") and key != "fsdp_version" else key
    return ALIASES.get(key, key)


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def fsdp_plan(fsdp: Any, fsdp_config: dict[str, Any] | None, fsdp_version: Any = None) -> FsdpPlan | None:
    """None when the config asks for no FSDP (neither `fsdp:` nor `fsdp_config:`, as Axolotl decides)."""
    if not fsdp and not fsdp_config:
        return None
    options = [str(o).lower() for o in (fsdp if isinstance(fsdp, list) else str(fsdp or "").split())]
    raw = {_bare(k): _bool(v) for k, v in (fsdp_config or {}).items()}
    version = int(fsdp_version or raw.pop("fsdp_version", None) or raw.pop("version", None) or 1)
    raw.pop("fsdp_version", None)
    raw.pop("version", None)
    if version not in (1, 2):
        raise UserError(f"fsdp_version: {version} is not 1 or 2", hint="write fsdp_version: 2 (FSDP2)")
    strategy = _strategy(options, raw, version)
    out: dict[str, Any] = {"fsdp_version": version}
    if version == 1:
        out["fsdp_sharding_strategy"] = strategy
        out["fsdp_reshard_after_forward"] = strategy
    else:
        out["fsdp_reshard_after_forward"] = strategy == "FULL_SHARD"
    if "offload" in options:
        raw.setdefault("offload_params", True)
    if "auto_wrap" in options:
        raw.setdefault("auto_wrap_policy", "TRANSFORMER_BASED_WRAP")
    not_passed = []
    for key, value in raw.items():
        if key in PASSED:
            out[f"fsdp_{key}"] = value
        elif key not in ("sharding_strategy", "reshard_after_forward"):
            not_passed.append(key)
    return FsdpPlan(version, strategy, out, not_passed)


def _strategy(options: list[str], raw: dict[str, Any], version: int) -> str:
    strategy = "FULL_SHARD"
    for option in options:
        if option.upper() in STRATEGIES:
            strategy = option.upper()
    if raw.get("sharding_strategy"):
        strategy = str(raw["sharding_strategy"]).upper()
    reshard = raw.get("reshard_after_forward")
    if isinstance(reshard, bool):
        strategy = "FULL_SHARD" if reshard else "SHARD_GRAD_OP"
    elif isinstance(reshard, str) and reshard.upper() in STRATEGIES:
        strategy = reshard.upper()
    if strategy not in STRATEGIES:
        raise UserError(
            f"fsdp_config: sharding strategy {strategy!r} is not one of {', '.join(STRATEGIES)}",
            hint="FSDP2: reshard_after_forward: true (full shard) or false (shard grads and optimizer)",
        )
    if version == 2 and strategy in ("HYBRID_SHARD", "NO_SHARD"):
        raise UserError(
            f"fsdp_version: 2 has no {strategy.lower()} strategy (FSDP2 shards with reshard_after_forward)",
            hint="use fsdp_version: 1 for hybrid_shard, or reshard_after_forward: true/false with FSDP2",
        )
    return strategy


def fsdp_flags(plan: FsdpPlan) -> list[str]:
    """The same settings as `accelerate launch` flags."""
    args = ["--use_fsdp"]
    for key, value in plan.config.items():
        if key == "fsdp_sharding_strategy":
            continue  # deprecated in accelerate; fsdp_reshard_after_forward carries it
        if isinstance(value, bool):
            value = "true" if value else "false"
        args += [f"--{key}", str(value)]
    return args
