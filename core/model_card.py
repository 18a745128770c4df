"""The model card (README.md) pushed with a run: generated from the run's own records (events.jsonl,
config.yml, ftui_run.json), with huggingface_hub's ModelCard for the metadata block.

It says what a reader of the Hub page needs to reuse or judge the model: base model, data, method,
settings, final metrics, the eval pass rate, and the ftui/library versions that made it.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

from ftui.core.hub_push import run_config
from ftui.core.runs.state import RunState

SETTINGS = (
    "sequence_len",
    "micro_batch_size",
    "gradient_accumulation_steps",
    "num_epochs",
    "max_steps",
    "learning_rate",
    "lr_scheduler",
    "optimizer",
    "warmup_steps",
    "weight_decay",
    "sample_packing",
    "seed",
)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _run_info(run_dir: Path) -> dict[str, Any]:
    from ftui.core.runs.layout import read_run_info

    try:
        return read_run_info(run_dir)
    except (OSError, ValueError):
        return {}


def hub_base_model(run_dir: Path) -> str | None:
    """The base model's Hub id, when it has one (a local folder has none to link to)."""
    from ftui.core.models.embedded import EMBEDDED_MODEL_ID

    info = _run_info(run_dir)
    kind, name = info.get("base_model_kind"), info.get("base_model")
    if kind == "embedded":
        return EMBEDDED_MODEL_ID
    if kind == "hub" and isinstance(name, str):
        return name
    return None


def _method(config: dict[str, Any], merged: bool) -> str:
    adapter = config.get("adapter")
    if adapter in ("lora", "qlora"):
        kind = "QLoRA (4-bit base)" if adapter == "qlora" or config.get("load_in_4bit") else "LoRA"
        text = f"{kind}, r={config.get('lora_r', 8)}, alpha={config.get('lora_alpha', 16)}"
        if config.get("lora_dropout"):
            text += f", dropout={config['lora_dropout']}"
        return text + (" - merged into the base weights" if merged else " - this repo holds the adapter")
    return "full fine-tune of every weight"


def _metrics(state: RunState) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [("steps", str(state.step))]
    if state.final_loss is not None:
        rows.append(("final train loss", f"{state.final_loss:.4f}"))
    if state.best_eval_loss is not None:
        rows.append(("best eval loss", f"{state.best_eval_loss:.4f}"))
    last = state.last_eval or {}
    if isinstance(last.get("eval_loss"), (int, float)):
        rows.append(("final eval loss", f"{last['eval_loss']:.4f}"))
    if isinstance(last.get("assertion_pass_rate"), (int, float)):
        rows.append(
            (
                "eval assertion pass rate",
                f"{last['assertion_pass_rate']:.1%} of {last.get('assertion_total')} prompts",
            )
        )
    if state.duration_s is not None:
        rows.append(("training time", f"{state.duration_s:.0f} s"))
    return rows


def card_text(run_dir: str | Path, repo_id: str, *, merged: bool = False) -> str:
    """README.md for the repo: YAML metadata (base_model, library, tags, datasets) and a readable body."""
    from huggingface_hub import ModelCard, ModelCardData

    root = Path(run_dir)
    state = RunState(root).read_all()
    config = state.config or run_config(root)
    base = hub_base_model(root)
    is_adapter = config.get("adapter") in ("lora", "qlora") and not merged
    datasets = [str(d.get("path")) for d in config.get("datasets") or [] if isinstance(d, dict)]
    hub_datasets = [d for d in datasets if _looks_like_hub_id(d)]
    data = ModelCardData(
        base_model=base,
        library_name="peft" if is_adapter else "transformers",
        tags=["ftui", "fine-tuned", *(["lora"] if config.get("adapter") else [])],
        datasets=hub_datasets or None,
        pipeline_tag="text-generation",
    )
    lines = [f"# {repo_id.split('/')[-1]}", ""]
    origin = f"[{base}](https://huggingface.co/{base})" if base else _local_name(config.get("base_model"))
    lines.append(f"Fine-tuned from {origin} with [ftui](https://pypi.org/project/ftui/).")
    lines += ["", "## Training data", ""]
    lines += [f"- `{d if d in hub_datasets else Path(d).name}`" for d in datasets] or ["- (not recorded)"]
    started = state.started or {}
    if started.get("train_examples") is not None:
        lines.append(
            f"\n{started['train_examples']} training rows, {started.get('eval_examples', 0)} held out for eval."
        )
    lines += ["", "## Method", "", _method(config, merged)]
    if started.get("trainable_params"):
        lines.append(
            f"\n{started['trainable_params']:,} of {started.get('total_params', 0):,} parameters trained."
        )
    lines += ["", "## Settings", "", "| setting | value |", "| --- | --- |"]
    lines += [f"| `{key}` | {config[key]} |" for key in SETTINGS if config.get(key) is not None]
    lines += ["", "## Results", "", "| metric | value |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in _metrics(state)]
    lines += ["", "## Framework versions", ""]
    for package in ("ftui", "transformers", "peft", "torch", "huggingface_hub"):
        if (version := _version(package)) is not None:
            lines.append(f"- {package} {version}")
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n")
    return str(card)


def _local_name(path: Any) -> str:
    """A local model by its folder name only: the card never shows this machine's paths."""
    return f"`{Path(str(path)).name}` (a local model)" if path else "(not recorded)"


def _looks_like_hub_id(path: str) -> bool:
    """`org/name` with no file suffix: a Hub dataset worth linking (local files are named, not linked)."""
    parts = path.split("/")
    return len(parts) == 2 and all(parts) and not path.startswith((".", "~")) and not Path(path).suffix
