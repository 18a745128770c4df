"""Shared pieces of the wizard's Pilot and snapshot tests: fixed hardware, small projects, waiting for workers."""

from __future__ import annotations

import json
from pathlib import Path

from ftui.core.hardware import Hardware

FIXED_HARDWARE = Hardware(
    gpus=[], cpu_cores=8, cpu_threads=16, ram_total_bytes=32_000_000_000, ram_available_bytes=20_000_000_000
)

ALPACA_ROWS = [
    {"instruction": "Give three tips for staying healthy.", "input": "", "output": "Eat well, sleep, move."},
    {"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"},
    {"instruction": "What is 2 + 2?", "input": "", "output": "4"},
    {"instruction": "Name a colour.", "input": "", "output": "Blue."},
]

CHAT_ROWS = [
    {
        "conversations": [
            {"from": "human", "value": "Hi, who are you?"},
            {"from": "gpt", "value": "I am a helpful assistant."},
            {"from": "human", "value": "What can you do?"},
            {"from": "gpt", "value": "Answer questions."},
        ]
    },
    {"conversations": [{"from": "human", "value": "Say yes."}, {"from": "gpt", "value": "Yes."}]},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def make_project(root: Path) -> Path:
    """data/alpaca.jsonl and data/chat.jsonl under `root`."""
    write_jsonl(root / "data" / "alpaca.jsonl", ALPACA_ROWS)
    write_jsonl(root / "data" / "chat.jsonl", CHAT_ROWS)
    return root


DEMO_CONFIG = """\
# ftui demo: the embedded model, LoRA, a small ShareGPT chat file
base_model: HuggingFaceTB/SmolLM2-135M-Instruct
adapter: lora
lora_r: 16
lora_alpha: 32
lora_dropout: 0.05
lora_target_linear: true
datasets:
  - path: data/chat.jsonl
    type: chat_template
    field_messages: conversations
    message_property_mappings:
      role: from
      content: value
chat_template: tokenizer_default
sequence_len: 1024
micro_batch_size: 2
gradient_accumulation_steps: 4
learning_rate: 0.0002
gradient_checkpointing: true
output_dir: ./outputs/demo
my_team_note: reviewed   # an unknown key: kept and shown on Review
"""


def demo_app(root: Path, step: str = "model"):
    """The wizard on a demo project in `root` (the caller has changed into it), opened on `step`."""
    from ftui.tui.app import FtuiApp, load_state

    make_project(root)
    (root / "cfg.yml").write_text(DEMO_CONFIG, encoding="utf-8")
    app = FtuiApp(load_state(Path("cfg.yml")), start_step=step)
    app.animation_level = "none"  # the step bar's underline slides otherwise: pictures would catch it mid-way
    return app


async def settle_for_picture(pilot) -> None:
    """Every loader finished, the file tree listed, cursors frozen: the same picture on every run."""
    from textual.widgets import DirectoryTree

    await settle(pilot)
    for tree in pilot.app.screen.query(DirectoryTree):
        for _ in range(100):
            if tree.root.children:
                break
            await pilot.pause(0.05)
    freeze_cursors(pilot.app)
    pilot.app.screen.set_focus(None)  # focus lands wherever the last click or mount left it
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.2)
    for widget in pilot.app.screen.query("*"):  # scrollbar thumbs can lag their widget's scroll offset
        if widget.show_vertical_scrollbar:
            widget.vertical_scrollbar.position = widget.scroll_y
            widget.vertical_scrollbar.refresh()
    await pilot.pause(0.2)


async def settle(pilot, timeout: float = 30.0, quiet: int = 6) -> None:
    """Wait until no worker runs (DirectoryTree's endless loader aside) for `quiet` checks in a row."""
    app = pilot.app
    calm = 0
    for _ in range(int(timeout / 0.05)):
        await pilot.pause(0.05)
        busy = [w for w in app.workers if w.is_running and w.group != "_loader"]
        calm = 0 if busy or _pending_one_shot_timers(app) else calm + 1
        if calm >= quiet:
            await pilot.pause()
            return
    raise AssertionError(
        f"workers still running after {timeout}s: {[w.name for w in app.workers if w.is_running]}"
    )


def _pending_one_shot_timers(app) -> bool:
    """A debounce `set_timer` (repeat 0) not fired yet will start a worker: waiting for workers alone races it.

    Only ftui's own timers count (a toast's 5 s timeout is not work); intervals (pollers: repeat None or > 0)
    never end and are not counted. Textual keeps a node's
    timers in the private `_timers`; a Textual without it only loses this extra wait."""
    nodes = [app, app.screen, *app.screen.walk_children()]
    for node in nodes:
        for timer in list(getattr(node, "_timers", ())):
            task = getattr(timer, "_task", None)
            ours = str(getattr(getattr(timer, "_callback", None), "__module__", "")).startswith("ftui.")
            if ours and getattr(timer, "_repeat", None) == 0 and task is not None and not task.done():
                return True
    return False


def freeze_cursors(app) -> None:
    """Snapshots must not depend on the blink phase."""
    from textual.widgets import Input

    for widget in app.screen.query(Input):
        widget.cursor_blink = False
