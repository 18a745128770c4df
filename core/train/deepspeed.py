"""`deepspeed:` as Axolotl users write it: a JSON path, Axolotl's `deepspeed_configs/NAME.json`, a bare name
(`zero3_bf16`) or an inline mapping, checked before anything starts.

The shipped configs are Axolotl's own files (templates/deepspeed, NOTICE.md there). The workshop's rule is a
check here: ZeRO-3 must set bf16/fp16 explicitly (ZeRO-3 partitions the model while it is created, before the
trainer fills in `auto`), ZeRO-1/2 may keep `auto`. Explicit numbers must match the ftui config, as the
transformers trainer refuses mismatches only after the model is loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError

INLINE_SOURCE = "<inline deepspeed mapping>"


def _shipped_dir() -> Path:
    """templates/deepspeed, in the repo or installed as ftui.templates."""
    import ftui.templates

    return Path(ftui.templates.__file__).resolve().parent / "deepspeed"


def shipped_names() -> list[str]:
    """The shipped config names, e.g. ["zero1", "zero1_torch_compile", "zero2", ...]."""
    return sorted(p.stem for p in _shipped_dir().glob("*.json"))


@dataclass
class DeepSpeedChoice:
    """A resolved `deepspeed:` value: where its JSON is (None for an inline mapping), what it says."""

    source: str  # as written in the config (for messages)
    path: Path | None
    data: dict[str, Any]
    shipped: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def stage(self) -> int:
        return int((self.data.get("zero_optimization") or {}).get("stage") or 0)

    @property
    def offload_optimizer(self) -> bool:
        return _offloaded(self.data, "offload_optimizer")

    @property
    def offload_params(self) -> bool:
        return _offloaded(self.data, "offload_param")

    def precision(self) -> str | None:
        """bf16, fp16, fp32, auto (left to the trainer) or None (the JSON does not say)."""
        bf16, fp16 = _enabled(self.data, "bf16"), _enabled(self.data, "fp16")
        if bf16 is True:
            return "bf16"
        if fp16 is True:
            return "fp16"
        if "auto" in (bf16, fp16):
            return "auto"
        if bf16 is False or fp16 is False:
            return "fp32"
        return None


def _offloaded(data: dict[str, Any], key: str) -> bool:
    section = (data.get("zero_optimization") or {}).get(key) or {}
    return str(section.get("device", "none")).lower() in ("cpu", "nvme")


def _enabled(data: dict[str, Any], section: str) -> Any:
    value = (data.get(section) or {}).get("enabled")
    return value.lower() if isinstance(value, str) else value


def resolve_deepspeed(value: Any, base_dir: Path | None = None) -> DeepSpeedChoice | None:
    """Find and read the JSON a `deepspeed:` value names; a clear UserError when there is none."""
    if not value:
        return None
    if isinstance(value, dict):
        return DeepSpeedChoice(source=INLINE_SOURCE, path=None, data=dict(value))
    text = str(value).strip()
    path = Path(text).expanduser()
    candidates = [path] if path.is_absolute() else [(base_dir or Path.cwd()) / path, Path.cwd() / path]
    for candidate in candidates:
        if candidate.is_file():
            return DeepSpeedChoice(text, candidate.resolve(), _read_json(candidate, text))
    name = path.name[:-5] if path.name.endswith(".json") else path.name
    shipped = _shipped_dir() / f"{name}.json"
    if shipped.is_file() and (len(path.parts) == 1 or path.parent.name == "deepspeed_configs"):
        return DeepSpeedChoice(text, shipped, _read_json(shipped, text), shipped=True)
    raise UserError(
        f"deepspeed: {text}: no such file (looked in {candidates[0].parent}) and not a shipped config",
        hint="shipped (Axolotl's deepspeed_configs/): " + ", ".join(shipped_names()),
    )


def _read_json(path: Path, source: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise UserError(
            f"deepspeed: {path}: not valid JSON ({err})", hint="fix the file or point at a shipped config"
        ) from None
    except OSError as err:
        raise UserError(f"deepspeed: cannot read {path}: {err.strerror}", hint="check the path") from None
    if not isinstance(data, dict):
        raise UserError(f"deepspeed: {path}: expected a JSON object", hint=f"as in {source}")
    return data


def check_deepspeed(choice: DeepSpeedChoice, config: Any) -> None:
    """The rules that would otherwise break trainer start-up after the model is loaded."""
    where = str(choice.path) if choice.path else choice.source
    if choice.stage == 3:
        for section in ("bf16", "fp16"):
            if _enabled(choice.data, section) == "auto":
                raise UserError(
                    f'deepspeed: {where}: ZeRO-3 needs {section}.enabled set to true or false, not "auto" '
                    "(ZeRO-3 partitions the model as it is created, before the trainer fills in `auto`)",
                    hint="use deepspeed: zero3_bf16 (Axolotl's ZeRO-3 with bf16: true), or write "
                    '"bf16": {"enabled": true} in the JSON; ZeRO-1/2 may keep auto',
                )
        if choice.precision() is None:
            raise UserError(
                f"deepspeed: {where}: ZeRO-3 needs bf16 (or fp16) set explicitly in the JSON",
                hint='add "bf16": {"enabled": true} (or use deepspeed: zero3_bf16)',
            )
    _check_precision_agrees(choice, config, where)
    _check_number(choice, "train_micro_batch_size_per_gpu", getattr(config, "micro_batch_size", None), where)
    _check_number(
        choice, "gradient_accumulation_steps", getattr(config, "gradient_accumulation_steps", None), where
    )


def _check_precision_agrees(choice: DeepSpeedChoice, config: Any, where: str) -> None:
    said = choice.precision()
    if said in (None, "auto"):
        return
    bf16, fp16 = getattr(config, "bf16", "auto"), getattr(config, "fp16", None)
    wanted = "bf16" if bf16 is True else "fp16" if fp16 is True else "fp32" if bf16 is False else None
    if wanted is not None and wanted != said:
        raise UserError(
            f"deepspeed: {where} trains in {said} but the config says {wanted} (bf16: {bf16}, fp16: {fp16})",
            hint=f"make them agree: set bf16/fp16 in the config to {said}, or pick another deepspeed JSON",
        )


def _check_number(choice: DeepSpeedChoice, key: str, wanted: Any, where: str) -> None:
    value = choice.data.get(key, "auto")
    if isinstance(value, int) and wanted is not None and value != wanted:
        config_key = "micro_batch_size" if key.startswith("train_micro") else key
        raise UserError(
            f"deepspeed: {where} sets {key}: {value} but the config says {config_key}: {wanted}",
            hint=f'write "{key}": "auto" in the JSON (the config\'s value is then used)',
        )
