"""Axolotl's integrations (`plugins: [axolotl.integrations.NAME.Class]`): which ftui can ignore and which
change what is trained. Kept apart from keys because a plugin is Python code ftui never runs."""

from __future__ import annotations

# Axolotl's integrations (`plugins: [axolotl.integrations.NAME.Class]`) by NAME: ("ignored", reason) when
# training is the same without it, ("unsupported", feature) when it changes what is trained. A plugin not
# listed here is Python code ftui does not run: unsupported.
PLUGINS: dict[str, tuple[str, str]] = {
    "liger": ("ignored", "Liger kernels: not needed, ftui acts on the liger_* keys themselves"),
    "cut_cross_entropy": ("ignored", "cut cross-entropy: not needed, ftui acts on cut_cross_entropy itself"),
    "kernels": ("ignored", "MoE/LoRA kernels (speed/memory only)"),
    "lm_eval": ("ignored", "lm-eval benchmarks after training"),
    "swanlab": ("ignored", "SwanLab tracking"),
    "spectrum": ("unsupported", "Spectrum layer selection"),
    "diffusion": ("unsupported", "diffusion language-model training"),
    "kd": ("unsupported", "knowledge distillation"),
    "grokfast": ("unsupported", "Grokfast gradient filter"),
    "densemixer": ("unsupported", "DenseMixer MoE routing"),
    "mora": ("unsupported", "MoRA adapters"),
    "nemo_gym": ("unsupported", "NeMo Gym environments"),
    "hatchery": ("unsupported", "Hatchery remote training"),
    "llm_compressor": ("unsupported", "LLM Compressor sparsity"),
    "expert_parallel": ("unsupported", "expert parallelism"),
}


def plugin_status(plugin: str) -> tuple[str, str]:
    """("ignored" | "unsupported", what it is) for one `plugins:` entry."""
    parts = str(plugin).split(".")
    if len(parts) >= 3 and parts[0] == "axolotl" and parts[1] == "integrations" and parts[2] in PLUGINS:
        return PLUGINS[parts[2]]
    return "unsupported", f"plugin {plugin} (Python code ftui does not run)"
