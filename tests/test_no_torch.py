"""The inspection loop never imports torch: check, debug, preprocess and estimate.

Each command runs in its own Python process (torch, once imported, stays in sys.modules) and reports whether
`torch` is in sys.modules when it is done. Caches are filled first (the embedded model's tokenizer folder is
extracted from its GGUF once, also without torch). No time is measured here (bench/ does that).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tui_helpers import ALPACA_ROWS, CHAT_ROWS, write_jsonl

RUN_CLI = """\
import sys
from ftui.tui.cli import main
code = main(sys.argv[1:])
print("TORCH", "torch" in sys.modules, file=sys.stderr)
sys.exit(code)
"""


def run_python(code: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def torch_line(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("TORCH ")]
    assert lines, proc.stderr[-2000:]
    return lines[-1]


@pytest.fixture
def configs(tmp_path: Path, mistral_tokenizer_dir: Path, tiny_mistral_model_dir: Path) -> dict[str, Path]:
    """An embedded-model config (chat data) and a local-folder config (Mistral v1 tokenizer, alpaca data)."""
    from ftui.core.models.embedded import embedded_tokenizer_dir

    embedded_tokenizer_dir()  # fill the cache once (also torch-free; tested below in a fresh cache)
    write_jsonl(tmp_path / "data" / "alpaca.jsonl", ALPACA_ROWS)
    write_jsonl(tmp_path / "data" / "chat.jsonl", CHAT_ROWS)
    embedded = tmp_path / "embedded.yml"
    embedded.write_text(
        "base_model: embedded\nadapter: lora\nlora_r: 8\nlora_target_linear: true\n"
        "datasets:\n  - path: data/chat.jsonl\n    type: chat_template\n    field_messages: conversations\n"
        "    message_property_mappings: {role: from, content: value}\n"
        "chat_template: tokenizer_default\nsequence_len: 256\noutput_dir: ./out\n",
        encoding="utf-8",
    )
    mistral = tmp_path / "mistral.yml"
    mistral.write_text(
        f"base_model: {tiny_mistral_model_dir}\nadapter: qlora\nload_in_4bit: true\nlora_r: 8\n"
        "lora_target_linear: true\ndatasets:\n  - path: data/alpaca.jsonl\n    type: alpaca\n"
        "sequence_len: 128\nval_set_size: 1\noutput_dir: ./out\n",
        encoding="utf-8",
    )
    return {"embedded": embedded, "mistral": mistral}


@pytest.mark.parametrize("which", ["embedded", "mistral"])
@pytest.mark.parametrize(
    "command", [["check"], ["debug", "-n", "2"], ["preprocess", "--json"], ["estimate"]], ids=lambda c: c[0]
)
def test_inspection_commands_do_not_import_torch(configs, which: str, command: list[str]):
    config = configs[which]
    proc = run_python(RUN_CLI, [command[0], str(config), *command[1:]], config.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert torch_line(proc) == "TORCH False", proc.stderr[-2000:]
    if command[0] == "preprocess":
        from datasets import load_from_disk

        opened = load_from_disk(json.loads(proc.stdout)["path"])
        assert set(opened.keys()) == ({"train", "validation"} if which == "mistral" else {"train"})


def test_the_embedded_tokenizer_is_extracted_from_the_gguf_without_torch(tmp_path: Path, smollm_dir: Path):
    """A fresh cache: the tokenizer folder comes from the GGUF header alone and matches the full conversion."""
    code = (
        "import sys\nfrom ftui.core.models.embedded import embedded_tokenizer_dir\n"
        "print(embedded_tokenizer_dir())\nprint('TORCH', 'torch' in sys.modules, file=sys.stderr)\n"
    )
    env_cache = tmp_path / "cache"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=600,
        env={**__import__("os").environ, "FTUI_CACHE": str(env_cache)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert torch_line(proc) == "TORCH False"
    folder = Path(proc.stdout.strip())
    assert folder.parent.parent == env_cache
    full = smollm_dir  # converted by transformers from the same GGUF (weights too)
    assert (folder / "tokenizer.json").read_bytes() == (full / "tokenizer.json").read_bytes()
    assert (folder / "chat_template.jinja").read_text() == (full / "chat_template.jinja").read_text()
    config = json.loads((folder / "config.json").read_text())
    reference = json.loads((full / "config.json").read_text())
    for key in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                "intermediate_size", "vocab_size", "tie_word_embeddings", "rms_norm_eps", "bos_token_id",
                "eos_token_id", "max_position_embeddings"):  # fmt: skip
        assert config[key] == pytest.approx(reference[key], rel=1e-6), key  # eps: float32 in the file


WIZARD_WALK = """\
import asyncio, sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from tui_helpers import settle
from ftui.tui.app import FtuiApp, load_state

async def walk():
    app = FtuiApp(load_state(Path(sys.argv[1])))
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        shown = {}
        for key, widget in (("f2", "#model-memory"), ("f3", "#dataset-stats"), ("f4", "#settings-memory"),
                            ("f5", "#review-memory")):
            await pilot.press(key)
            await settle(pilot, timeout=240)
            shown_widget = app.screen.query_one(widget)
            if widget == "#dataset-stats":
                shown[widget] = str(shown_widget.render())
            else:  # a memory panel: an estimate was computed
                shown[widget] = shown_widget.view.total_bytes > 0
        print("SHOWN", repr(shown), file=sys.stderr)
        print("TORCH", "torch" in sys.modules, file=sys.stderr)
        app.exit()

asyncio.run(asyncio.wait_for(walk(), 500))
"""


@pytest.mark.slow
@pytest.mark.parametrize("which", ["embedded", "mistral"])
def test_wizard_up_to_launch_does_not_import_torch(configs, which: str):
    """Model -> Data (token-mask preview, dataset stats) -> Settings (memory estimate) -> Review, no torch."""
    config = configs[which]
    proc = run_python(WIZARD_WALK, [str(config), str(Path(__file__).parent)], config.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert torch_line(proc) == "TORCH False", proc.stderr[-3000:]
    shown = next(line for line in proc.stderr.splitlines() if line.startswith("SHOWN "))
    assert "examples," in shown and " tokens," in shown and "False" not in shown, shown  # the work was done
