"""Write the Axolotl config keys ftui must know into templates/axolotl/keys.json.

NOT part of the test suite and NOT runnable from ftui's venv: it imports Axolotl's own pydantic schema.
Run it once per Axolotl venv (see bench/axolotl/README.md); each run fills in its own section:

    /work/venvs/axolotl-0.19/bin/python bench/axolotl/make_axolotl_keys.py          # section "current"
    /work/venvs/axolotl-0.5/bin/python bench/axolotl/make_axolotl_keys.py --legacy  # section "legacy"
    python3 bench/axolotl/make_axolotl_keys.py --history /path/to/axolotl.git       # section "history"

"current": every top-level key of AxolotlInputConfig, the keys its integrations (plugins) add, the keys
of every dataset entry kind (SFT, DPO, KTO, stepwise), the ChatTemplate and RLType names; optimizers.json:
transformers' OptimizerNames and Axolotl's own optimizers. "legacy": keys of the 0.4.x-era schema
(AxolotlInputConfig v0_4_1) that the current one no longer has - old configs still carry them.
"history": keys of the YAML reference in the README/docs of every release tag (from v0.1.0).
core/config/ignored_keys.py and unsupported.py classify every one of them; tests/test_config_registry.py holds
it to that.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
from pathlib import Path

os.environ.setdefault("AXOLOTL_DO_NOT_TRACK", "1")
DATA = Path(__file__).resolve().parents[2] / "templates" / "axolotl"
OUT = DATA / "keys.json"
OPTIMIZERS = DATA / "optimizers.json"


def plugin_keys(folder: Path) -> list[str]:
    """The top-level keys a plugin adds: the fields of the model its `get_input_args()` names, read from
    the source (importing some plugins needs packages that are not installed)."""
    sources = {p: p.read_text() for p in folder.glob("*.py")}
    names = set()
    for text in sources.values():
        for match in re.finditer(
            r"def get_input_args\(self\)[^:]*:(?:\s*\"\"\".*?\"\"\")?\s*return\s+\"([\w.]+)\"", text, re.S
        ):
            names.add(match.group(1).rsplit(".", 1)[-1])
    keys: set[str] = set()
    for text in sources.values():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.name in names:
                keys |= {
                    item.target.id
                    for item in node.body
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                }
    return sorted(keys)


def current() -> dict:
    import axolotl
    import axolotl.integrations as integrations
    from axolotl.utils.schemas.config import AxolotlInputConfig
    from axolotl.utils.schemas.datasets import (
        DPODataset,
        KTODataset,
        PretrainingDataset,
        SFTDataset,
        StepwiseSupervisedDataset,
    )

    plugins = {
        folder.name: keys
        for folder in sorted(Path(integrations.__path__[0]).iterdir())
        if folder.is_dir() and (keys := plugin_keys(folder))
    }
    from axolotl.utils.schemas import enums
    from axolotl.utils.schemas.enums import ChatTemplate, RLType

    aliases = {f.alias: name for name, f in AxolotlInputConfig.model_fields.items() if f.alias}
    datasets = set()
    for cls in (SFTDataset, DPODataset, KTODataset, StepwiseSupervisedDataset):
        datasets |= set(cls.model_fields)
    return {
        "axolotl": axolotl.__version__,
        "top": sorted(set(AxolotlInputConfig.model_fields) | set(aliases)),
        "aliases": aliases,
        "plugins": plugins,
        "datasets": sorted(datasets),
        "pretraining_dataset": sorted(PretrainingDataset.model_fields),
        "chat_templates": [t.value for t in ChatTemplate],
        "rl": [t.value for t in RLType],
        "attn_implementations": sorted(enums.CANONICAL_ATTN_IMPLS),
        "legacy_attention_flags": dict(enums.LEGACY_ATTN_FLAG_TO_IMPL),
        "attn_short_forms": dict(enums.SHORT_FORM_ALIAS_TO_CANONICAL),
    }


def optimizers() -> dict:
    """transformers' OptimizerNames (importing it pulls in torch, so ftui reads this list instead) and
    Axolotl's own optimizers (CustomSupportedOptimizers)."""
    import transformers
    from axolotl.utils.schemas.enums import CustomSupportedOptimizers
    from transformers.training_args import OptimizerNames

    return {
        "transformers_version": transformers.__version__,
        "transformers": [o.value for o in OptimizerNames],
        "axolotl": [o.value for o in CustomSupportedOptimizers],
    }


def legacy() -> dict:
    from importlib.metadata import version

    import axolotl
    from axolotl.utils.config.models.input.v0_4_1 import AxolotlInputConfig, SFTDataset

    del axolotl
    return {
        "axolotl": version("axolotl") + " (git 3265b70, the last commit with ShareGPT/FastChat)",
        "top": sorted(AxolotlInputConfig.model_fields),
        "datasets": sorted(SFTDataset.model_fields),
    }


def history(repo: str) -> dict:
    """Top-level keys of the YAML reference in Axolotl's README / docs/config.qmd at every release tag
    (configs written before the pydantic schema use them), with the first tag that documents each."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True).stdout

    first: dict[str, str] = {}
    for tag in sorted(git("tag").split(), key=lambda t: [int(x) for x in re.findall(r"\d+", t)]):
        files = set(git("ls-tree", "-r", "--name-only", tag).split())
        for name in ("docs/config.qmd", "README.md"):
            if name not in files:
                continue
            text = git("show", f"{tag}:{name}")
            if name == "README.md" and "All yaml options" not in text:
                continue
            for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
                for line in block.splitlines():
                    if match := re.match(r"^([a-z_][a-z0-9_]*):", line):
                        first.setdefault(match.group(1), tag)
    return {"keys": first}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--legacy", action="store_true", help="read the 0.4.x-era schema (v0_4_1)")
    parser.add_argument("--history", metavar="REPO", help="a git clone of axolotl: read every tag's docs")
    args = parser.parse_args()
    data = json.loads(OUT.read_text()) if OUT.is_file() else {}
    if args.history:
        data["history"] = history(args.history)
        OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        print(f"wrote {OUT}")
        return
    data["legacy" if args.legacy else "current"] = legacy() if args.legacy else current()
    if "legacy" in data and "current" in data:  # keep only what the current schema dropped
        data["legacy"]["top"] = sorted(set(data["legacy"]["top"]) - set(data["current"]["top"]))
        data["legacy"]["datasets"] = sorted(
            set(data["legacy"]["datasets"]) - set(data["current"]["datasets"])
        )
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")
    if not args.legacy:
        OPTIMIZERS.write_text(json.dumps(optimizers(), indent=1) + "\n")
        print(f"wrote {OPTIMIZERS}")


if __name__ == "__main__":
    main()
