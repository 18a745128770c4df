"""Regenerate every SVG in screenshots/: the wizard's four steps (plus the token view with (label, id) pairs and
the help screen), then the run monitor's pictures (screenshots/monitor_screenshots.py).

    python screenshots/make_screenshots.py [OUT_DIR]

The wizard runs on a demo project in a temporary folder (the embedded SmolLM2 model, a small ShareGPT chat
file) with fixed hardware, so the pictures are the same on every machine. Needs the embedded model converted
once (any `ftui` run that loads its tokenizer does that).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZE = (120, 40)
SHOTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("wizard-model.svg", "model", ()),
    ("wizard-data.svg", "data", ()),
    ("wizard-data-pairs.svg", "data", ("tab:#tokens", "l")),
    ("wizard-settings.svg", "settings", ()),
    ("wizard-review.svg", "review", ()),
    ("wizard-help.svg", "model", ("f1",)),
]


async def _shoot(step: str, keys: tuple[str, ...], path: Path) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from ftui.tui.wizard import backend
    from tui_helpers import FIXED_HARDWARE, demo_app, settle_for_picture

    backend.detect_hardware = lambda: FIXED_HARDWARE
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        app = demo_app(Path(tmp), step)
        async with app.run_test(size=SIZE) as pilot:
            await settle_for_picture(pilot)
            for key in keys:
                if key.startswith("tab:"):
                    app.screen.query_one(key[4:]).focus()
                else:
                    await pilot.press(key)
                await pilot.pause(0.3)
            await settle_for_picture(pilot)
            app.save_screenshot(filename=path.name, path=str(path.parent))
        os.chdir(REPO)


def save_wizard_screenshots(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, step, keys in SHOTS:
        asyncio.run(_shoot(step, keys, out_dir / name))
        saved.append(out_dir / name)
    return saved


def main() -> int:
    out_dir = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else REPO / "screenshots"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    for path in save_wizard_screenshots(out_dir):
        print(path)
    sys.path.insert(0, str(REPO / "screenshots"))
    from monitor_screenshots import save_monitor_screenshots

    for path in save_monitor_screenshots(out_dir) or []:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
