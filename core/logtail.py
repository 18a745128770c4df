"""Follow a growing text log (a trainer's stdout/stderr) from its end, incrementally."""

from __future__ import annotations

import os
from pathlib import Path


class LogFollower:
    """The last lines of a growing text log (the trainer's stdout/stderr), read incrementally.

    tqdm redraws with carriage returns: a `\\r` ends a line too, so progress bars don't become one huge line.
    On first read only the last `tail_bytes` are read, so attaching to a long run is instant.
    """

    def __init__(self, path: str | Path, tail_bytes: int = 64 << 10) -> None:
        self.path = Path(path)
        self.offset: int | None = None
        self.tail_bytes = tail_bytes
        self._partial = ""

    def poll(self, max_bytes: int = 1 << 20) -> list[str]:
        try:
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                mid_line = False
                if self.offset is None or size < self.offset:
                    self.offset = max(0, size - self.tail_bytes)
                    self._partial = ""
                    mid_line = self.offset > 0
                f.seek(self.offset)
                chunk = f.read(min(max_bytes, size - self.offset))
        except FileNotFoundError:
            return []
        self.offset += len(chunk)
        text = self._partial + chunk.decode("utf-8", errors="replace")
        parts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if mid_line and len(parts) > 1:
            parts = parts[1:]  # started inside a line: drop its tail
        self._partial = parts.pop()
        return [line for line in parts if line.strip()]
