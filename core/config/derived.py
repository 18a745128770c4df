"""What the config means beyond its keys: values derived from several fields (adapter kind, effective batch,
resolved paths, attention backend, ...), computed here once so the trainer, estimator and wizard read the
same answer from the config instead of each working it out again.

`DerivedValues` is a mixin of `FtuiConfig` (schema.py): the properties read the config's fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ftui.core.config.choices import resolve_attention
from ftui.core.config.sections import canonical_chat_template

if TYPE_CHECKING:
    from ftui.core.config.sections import DatasetConfig

AdapterKind = Literal["lora", "qlora", "full"]


def effective_batch(micro_batch_size: int, gradient_accumulation_steps: int, num_processes: int) -> int:
    """Sequences per optimizer step, the one rule (the config, `ftui train`'s launch line and the wizard)."""
    return micro_batch_size * gradient_accumulation_steps * num_processes


def resolve_against(base: Path | str, value: str | Path) -> Path:
    """A path from a config made absolute against `base` (absolute and `~` paths kept): the one rule."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(base) / path


class DerivedValues:
    """The derived values of `FtuiConfig` (its fields are declared in schema.py)."""

    @property
    def is_lora(self) -> bool:
        """True for LoRA and QLoRA (any adapter training)."""
        return self.adapter in ("lora", "qlora")

    @property
    def is_qlora(self) -> bool:
        return self.adapter == "qlora"

    @property
    def adapter_kind(self) -> AdapterKind:
        """ "lora", "qlora" or "full" (no adapter: every weight is trained)."""
        return self.adapter if self.adapter in ("lora", "qlora") else "full"

    @property
    def effective_batch_size(self) -> int:
        """Sequences per optimizer step: micro_batch_size x gradient_accumulation_steps x num_processes."""
        return effective_batch(self.micro_batch_size, self.gradient_accumulation_steps, self.num_processes)

    @property
    def base_dir(self) -> Path:
        """Folder relative paths are resolved against: the YAML file's folder, else the working directory."""
        return self._base_dir if self._base_dir is not None else Path.cwd()

    @base_dir.setter
    def base_dir(self, value: Path | str | None) -> None:
        self._base_dir = Path(value) if value is not None else None

    def resolve_path(self, value: str | Path) -> Path:
        """A path from the config made absolute against `base_dir` (absolute and `~` paths kept)."""
        return resolve_against(self.base_dir, value)

    @property
    def attention(self) -> str | None:
        """The attention backend asked for: attn_implementation, else the first of Axolotl's legacy flags
        that is true (xformers, sage, flex, flash, sdp, eager - Axolotl's priority), else None."""
        return resolve_attention(self)

    @property
    def gradient_checkpointing_on(self) -> bool:
        """True for `true` and for Axolotl's `offload` / `offload_disk` (checkpointing plus offloading)."""
        return bool(self.gradient_checkpointing)

    @property
    def training_datasets(self) -> list[DatasetConfig]:
        """`datasets` followed by the `pretraining_dataset` entries read as completion data."""
        extra = [entry.as_dataset() for entry in self.pretraining_dataset or []]
        return [*self.datasets, *extra]

    @property
    def chat_template_name(self) -> str | None:
        """`chat_template` with Axolotl aliases mapped to ftui's template names; like Axolotl, a
        `chat_template_jinja` without `chat_template` means "jinja"."""
        if self.chat_template is None and self.chat_template_jinja:
            return "jinja"
        return canonical_chat_template(self.chat_template)

    @property
    def report_targets(self) -> list[str]:
        """Where metrics go (transformers' integration names); [] means events.jsonl only.
        The rule is `core.tracking.report_targets`."""
        from ftui.core.tracking import report_targets

        return report_targets(self)
