"""The preference methods ftui trains, the config keys each one acts on, and their resolved settings.

Axolotl's spelling: `rl: dpo|ipo|simpo|orpo|kto` with `rl_beta` (older: `dpo_beta`), `orpo_alpha`,
`simpo_gamma`, `cpo_alpha`, `dpo_label_smoothing`, `rpo_alpha`, `dpo_loss_type`, `dpo_loss_weights`,
`kto_desirable_weight`, `kto_undesirable_weight`, `precompute_ref_log_probs`, `max_prompt_len`. Defaults are
TRL's (as in Axolotl, which passes only what the config sets). This module is light: no torch, no trl.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SFT = "sft"


@dataclass(frozen=True)
class Method:
    """One preference method: which TRL trainer runs it and what it needs."""

    name: str
    label: str
    trainer: str  # "dpo" | "cpo" | "orpo" | "kto" (TRL's trainer family)
    paired: bool  # chosen + rejected per example (KTO: one completion with a good/bad label)
    reference: bool  # compares against a frozen reference model (ORPO and SimPO do not)
    summary: str
    # TRL 1.16 scores tokens with its fused LM head (trl add_fused_lm_head): no [tokens x vocab] logits, a tile
    # buffer instead (core/memory/preference.py). DPO's and KTO's trainers do; CPO (SimPO) and ORPO keep logits.
    fused_head: bool = False


METHODS: dict[str, Method] = {
    "dpo": Method(
        "dpo", "DPO", "dpo", True, True, "direct preference optimization against a reference", True
    ),
    "ipo": Method("ipo", "IPO", "dpo", True, True, "DPO with the identity (squared) preference loss", True),
    "simpo": Method("simpo", "SimPO", "cpo", True, False, "reference-free, length-normalized margin loss"),
    "orpo": Method("orpo", "ORPO", "orpo", True, False, "SFT loss plus an odds-ratio preference term"),
    "kto": Method("kto", "KTO", "kto", False, True, "unpaired good/bad completions (prospect theory)", True),
}
# Axolotl's other `rl:` values: read, and refused by `ftui train` as not supported (core/config/classify.py).
OTHER_RL: tuple[str, ...] = ("grpo", "gdpo", "ebft")
RL_CHOICES: tuple[str, ...] = (*METHODS, *OTHER_RL)

# TRL 1.16 DPOTrainer's loss types (DPOConfig.loss_type), checked without importing trl.
DPO_LOSS_TYPES: tuple[str, ...] = (
    "sigmoid", "hinge", "ipo", "exo_pair", "nca_pair", "robust", "bco_pair", "sppo_hard", "aot",
    "aot_unpaired", "apo_zero", "apo_down", "discopop", "sft", "sigmoid_norm",
)  # fmt: skip

# Config key -> the methods it acts with. Set for another method (or SFT) it is reported, never silent.
METHOD_KEYS: dict[str, tuple[str, ...]] = {
    "rl_beta": tuple(METHODS),
    "dpo_beta": tuple(METHODS),
    "orpo_alpha": ("orpo",),
    "simpo_gamma": ("simpo",),
    "cpo_alpha": ("simpo",),
    "dpo_label_smoothing": ("dpo",),
    "rpo_alpha": ("dpo",),
    "dpo_loss_type": ("dpo",),
    "dpo_loss_weights": ("dpo",),
    "dpo_use_weighting": ("dpo", "ipo"),
    "kto_desirable_weight": ("kto",),
    "kto_undesirable_weight": ("kto",),
    "precompute_ref_log_probs": ("dpo", "ipo", "kto"),
    "max_prompt_len": tuple(METHODS),
}

# TRL's defaults, in one place (the wizard shows them, the trainer uses them).
DEFAULT_BETA = 0.1
DEFAULT_SIMPO_GAMMA = 0.5
DEFAULT_CPO_ALPHA = 1.0


def method_name(config: Any) -> str:
    """ "sft" or the preference method of a config (an FtuiConfig, a dict or TrainSettings.raw)."""
    value = config.get("rl") if isinstance(config, dict) else getattr(config, "rl", None)
    return value if isinstance(value, str) and value in METHODS else SFT


def method_of(config: Any) -> Method | None:
    name = method_name(config)
    return METHODS.get(name)


@dataclass
class PreferenceSettings:
    """Everything the preference trainers read from a config, resolved (TRL's defaults filled in)."""

    method: str
    beta: float = DEFAULT_BETA
    loss_type: list[str] = field(default_factory=lambda: ["sigmoid"])
    loss_weights: list[float] | None = None
    label_smoothing: float = 0.0
    use_weighting: bool = False
    simpo_gamma: float = DEFAULT_SIMPO_GAMMA
    cpo_alpha: float = DEFAULT_CPO_ALPHA
    desirable_weight: float = 1.0
    undesirable_weight: float = 1.0
    precompute_ref_log_probs: bool = False
    max_prompt_len: int | None = None
    sequence_len: int = 512

    @property
    def info(self) -> Method:
        return METHODS[self.method]

    @property
    def uses_reference(self) -> bool:
        return self.info.reference

    def as_dict(self) -> dict[str, Any]:
        """The method's own numbers, for the run's record and the monitor."""
        out: dict[str, Any] = {"method": self.method, "beta": self.beta}
        if self.info.trainer == "dpo":
            out.update(loss_type=self.loss_type, label_smoothing=self.label_smoothing)
            if self.loss_weights:
                out["loss_weights"] = self.loss_weights
        if self.method == "simpo":
            out.update(simpo_gamma=self.simpo_gamma, cpo_alpha=self.cpo_alpha)
        if self.method == "kto":
            out.update(desirable_weight=self.desirable_weight, undesirable_weight=self.undesirable_weight)
        if self.info.reference:
            out["precompute_ref_log_probs"] = self.precompute_ref_log_probs
        return out


def _get(config: Any, key: str) -> Any:
    return config.get(key) if isinstance(config, dict) else getattr(config, key, None)


def preference_settings(config: Any) -> PreferenceSettings | None:
    """The resolved settings of a preference config, None for SFT. Axolotl's precedence for beta:
    `rl_beta`, then the older `dpo_beta`, then (ORPO) `orpo_alpha`, which TRL reads as its beta."""
    name = method_name(config)
    if name == SFT:
        return None
    s = PreferenceSettings(method=name, sequence_len=int(_get(config, "sequence_len") or 512))
    beta = _get(config, "rl_beta")
    if beta is None:
        beta = _get(config, "dpo_beta")
    if beta is None and name == "orpo":
        beta = _get(config, "orpo_alpha")
    if beta is not None:
        s.beta = float(beta)
    if name == "ipo":
        s.loss_type = ["ipo"]
    elif name == "dpo":
        s.loss_type = list(_get(config, "dpo_loss_type") or ["sigmoid"])
        weights = _get(config, "dpo_loss_weights")
        s.loss_weights = [float(w) for w in weights] if weights else None
        rpo = _get(config, "rpo_alpha")
        if rpo is not None and "sft" not in s.loss_type:  # RPO: DPO plus a weighted NLL term (TRL >= 0.29)
            s.loss_weights = (s.loss_weights or [1.0] * len(s.loss_type)) + [float(rpo)]
            s.loss_type = [*s.loss_type, "sft"]
        s.label_smoothing = float(_get(config, "dpo_label_smoothing") or 0.0)
    if s.info.trainer == "dpo":
        s.use_weighting = bool(_get(config, "dpo_use_weighting"))
    if name == "simpo":
        gamma, alpha = _get(config, "simpo_gamma"), _get(config, "cpo_alpha")
        s.simpo_gamma = DEFAULT_SIMPO_GAMMA if gamma is None else float(gamma)
        s.cpo_alpha = DEFAULT_CPO_ALPHA if alpha is None else float(alpha)
    if name == "kto":
        s.desirable_weight = float(_get(config, "kto_desirable_weight") or 1.0)
        s.undesirable_weight = float(_get(config, "kto_undesirable_weight") or 1.0)
    s.precompute_ref_log_probs = bool(_get(config, "precompute_ref_log_probs")) and s.info.reference
    prompt_len = _get(config, "max_prompt_len")
    s.max_prompt_len = int(prompt_len) if prompt_len else None
    return s
