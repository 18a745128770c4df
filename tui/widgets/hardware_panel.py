"""The hardware panel: GPUs with free/total memory, CPU cores and RAM; no GPU is said plainly."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.widgets import Static


@dataclass
class GpuView:
    name: str
    free_bytes: int
    total_bytes: int


@dataclass
class HardwareView:
    gpus: list[GpuView] = field(default_factory=list)
    cpu_cores: int = 0
    ram_total_bytes: int = 0
    ram_available_bytes: int = 0
    accelerator_note: str = ""  # e.g. "Apple MPS available"


def render_hardware(view: HardwareView | None) -> Text:
    if view is None:
        return Text("detecting hardware…", style="italic")
    from ftui.core.memory.constants import GIB  # not at import: core.memory's package is not first-screen

    text = Text()
    if view.gpus:
        for index, gpu in enumerate(view.gpus):
            text.append(f"GPU {index}  ", style="bold")
            text.append(f"{gpu.name}  ")
            text.append(f"{gpu.free_bytes / GIB:.1f} / {gpu.total_bytes / GIB:.1f} GiB free\n")
    else:
        text.append("no GPU: will train on CPU", style="bold yellow")
        text.append(f" ({view.accelerator_note})\n" if view.accelerator_note else "\n")
    text.append(f"CPU  {view.cpu_cores} cores   ")
    text.append(f"RAM  {view.ram_available_bytes / GIB:.1f} / {view.ram_total_bytes / GIB:.1f} GiB free")
    return text


class HardwarePanel(Static):
    DEFAULT_CSS = """
    HardwarePanel { border: round $secondary; border-title-color: $secondary; padding: 0 1; height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(render_hardware(None), id=id)
        self.border_title = "Hardware"

    def show(self, view: HardwareView | None) -> None:
        self.update(render_hardware(view))
