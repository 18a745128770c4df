"""Human critiques of generations (the expert's spreadsheet), kept in `RUN_DIR/critiques.jsonl`.

Each mark is one JSON line appended as it is made (prompt, generation, expected, verdict, critique, step,
time), so nothing is lost if the program stops; marking the same generation again appends a newer line with
the same id and reading keeps the last. People who prefer a spreadsheet export a CSV, edit verdicts and
critiques there, and import it back: rows are matched by id, rows without one are added.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.runs.layout import CRITIQUES_FILE

VERDICTS = ("good", "bad")
CSV_COLUMNS = ("id", "verdict", "critique", "prompt", "generation", "expected", "step", "time", "source")
_SPELLINGS = {
    "good": "good", "pass": "good", "passed": "good", "yes": "good", "y": "good", "true": "good", "1": "good",
    "ok": "good", "+": "good", "👍": "good", "✓": "good",
    "bad": "bad", "fail": "bad", "failed": "bad", "no": "bad", "n": "bad", "false": "bad", "0": "bad",
    "-": "bad", "👎": "bad", "✗": "bad",
}  # fmt: skip


@dataclass
class Critique:
    prompt: str
    generation: str
    verdict: str | None  # "good", "bad", or None (not reviewed yet, e.g. a CSV row left blank)
    critique: str = ""
    expected: str | None = None
    step: int | None = None
    time: str = ""
    source: str = "eval"  # eval (monitor samples), chat, import
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = critique_id(self.prompt, self.generation, self.step)
        if not self.time:
            self.time = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def critique_id(prompt: str, generation: str, step: int | None) -> str:
    """The same generation of the same prompt at the same step is one critique (marking it again updates it)."""
    text = f"{prompt}\0{generation}\0{'' if step is None else step}"
    return "c" + hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()


def normal_verdict(value: Any, where: str = "") -> str | None:
    """'good' / 'bad' from the spellings people type in a spreadsheet; None for blank; UserError otherwise."""
    if value is None or str(value).strip() == "":
        return None
    found = _SPELLINGS.get(str(value).strip().lower())
    if found is None:
        raise UserError(
            f"{where}verdict {str(value)!r} must be good or bad", "write good or bad (or leave it blank)"
        )
    return found


def critiques_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / CRITIQUES_FILE


def add_critique(run_dir: str | Path, critique: Critique) -> Path:
    """Append one critique to the run's file (created if needed), flushed to disk before returning."""
    path = critiques_path(run_dir)
    line = json.dumps(critique.to_json(), ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(line)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as exc:
        raise UserError(f"cannot save the critique to {path}: {exc.strerror or exc}") from None
    return path


def _from_json(data: Any, where: str) -> Critique:
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a JSON object")
    known = {f.name for f in fields(Critique)}
    values = {k: v for k, v in data.items() if k in known}
    for key in ("prompt", "generation"):
        if not isinstance(values.get(key), str):
            raise UserError(f"{where}: '{key}' must be text")
    values["verdict"] = normal_verdict(values.get("verdict"), f"{where}: ")
    step = values.get("step")
    values["step"] = int(step) if isinstance(step, (int, float)) and not isinstance(step, bool) else None
    for key in ("critique", "time", "source", "id"):
        values[key] = "" if values.get(key) is None else str(values[key])
    values["source"] = values["source"] or "eval"
    return Critique(**values)


def read_critiques(path: str | Path) -> list[Critique]:
    """The critiques in a critiques.jsonl (or a run folder), the last line per id winning, in first-seen order.
    A torn last line (the program stopped mid-write) is ignored; any other bad line is a UserError."""
    path = Path(path)
    if path.is_dir():
        path = critiques_path(path)
    if not path.exists():
        return []
    if path.suffix.lower() == ".csv":
        return read_csv(path)
    by_id: dict[str, Critique] = {}
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    lines = text.split("\n")
    for number, data in json_lines(path, lines, torn_tail=True):
        critique = _from_json(data, f"{path}:{number}")
        by_id[critique.id] = critique
    return list(by_id.values())


def write_critiques(path: str | Path, critiques: list[Critique]) -> None:
    """Replace a critiques.jsonl with exactly these critiques (atomically)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as stream:
            for critique in critiques:
                stream.write(json.dumps(critique.to_json(), ensure_ascii=False) + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def export_csv(critiques: list[Critique], out: str | Path) -> Path:
    """A spreadsheet of the critiques (UTF-8 with a BOM, so spreadsheet programs read non-ASCII text right)."""
    out = Path(out)
    try:
        with open(out, "w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(CSV_COLUMNS)
            for c in critiques:
                row = c.to_json()
                writer.writerow(["" if row[k] is None else row[k] for k in CSV_COLUMNS])
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out


def read_csv(path: str | Path) -> list[Critique]:
    """Critiques from a CSV with at least prompt, generation and verdict columns; errors say file:line."""
    path = Path(path)
    try:
        stream = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    out = []
    with stream:
        reader = csv.DictReader(stream)
        missing = [c for c in ("prompt", "generation", "verdict") if c not in (reader.fieldnames or [])]
        if missing:
            raise UserError(
                f"{path}: no column {missing[0]!r}", f"the CSV needs the columns {', '.join(CSV_COLUMNS)}"
            )
        line = 2
        for row in reader:
            where = f"{path}:{line}"
            line = reader.line_num + 1
            step = (row.get("step") or "").strip()
            try:
                step_value = int(float(step)) if step else None
            except ValueError:
                raise UserError(f"{where}: step {step!r} is not a number") from None
            out.append(
                Critique(
                    prompt=row.get("prompt") or "",
                    generation=row.get("generation") or "",
                    verdict=normal_verdict(row.get("verdict"), f"{where}: "),
                    critique=row.get("critique") or "",
                    expected=row.get("expected") or None,
                    step=step_value,
                    time=row.get("time") or "",
                    source=row.get("source") or "import",
                    id=(row.get("id") or "").strip(),
                )
            )
    return out


def import_csv(run_dir: str | Path, csv_path: str | Path) -> tuple[int, int]:
    """Merge a spreadsheet's edits into the run's critiques: (updated, added)."""
    path = critiques_path(run_dir)
    current = {c.id: c for c in read_critiques(path)}
    updated = added = 0
    for critique in read_csv(csv_path):
        old = current.get(critique.id)
        if old is None:
            added += 1
        elif (old.verdict, old.critique) != (critique.verdict, critique.critique):
            updated += 1
        current[critique.id] = critique
    if not Path(run_dir).is_dir():
        raise UserError(f"run folder not found: {run_dir}")
    write_critiques(path, list(current.values()))
    return updated, added


def conversation_prompt(messages: list[dict[str, str]]) -> str:
    """The prompt of a chat reply as a critique records it: the user's message, or the whole conversation
    before the reply (one `role: content` paragraph per turn) when there were several turns."""
    if len(messages) == 1:
        return messages[0]["content"]
    return "\n\n".join(f"{m['role']}: {m['content']}" for m in messages)


def run_step(run_dir: str | Path) -> int | None:
    """The last training step a run logged (what a chat with its model was trained for), or None."""
    from ftui.core.events import read_events

    try:
        steps = [e.get("step") for e in read_events(run_dir) if isinstance(e.get("step"), int)]
    except (OSError, ValueError):
        return None
    return max(steps) if steps else None


def json_lines(path: Path, lines: list[str], torn_tail: bool = False) -> Iterator[tuple[int, Any]]:
    """(1-based line number, value) of each non-blank JSON line; a bad line is a UserError naming it. With
    `torn_tail` a bad last line is skipped: with no newline after it, it was written only in part."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            if torn_tail and number == len(lines):
                continue
            raise UserError(f"{path}:{number}: not a JSON line", "fix or remove that line") from None
        yield number, data
