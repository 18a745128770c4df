"""What a judge looks at and where its verdicts go: a run's generations (its eval samples and critiques) or a
config's dataset rows, `judgements.jsonl`, and `judge_failed` flags for `data clean`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.quality.critiques import Critique, critique_id, json_lines
from ftui.core.quality.judge import JudgeItem, Judgement
from ftui.core.quality.kinds import JUDGE_FAILED
from ftui.core.quality.report import AuditReport


def items_from_run(run_dir: Path, critiques: list[Critique]) -> list[JudgeItem]:
    """Every critiqued generation (with its human verdict), then every other eval sample of the run."""
    from ftui.core.events import read_events

    items: dict[str, JudgeItem] = {}
    for c in critiques:
        items[c.id] = JudgeItem(c.prompt, c.generation, c.expected, c.verdict, c.step, id=c.id)
    for event in read_events(run_dir):
        if event.get("type") != "eval":
            continue
        step = event.get("step") if isinstance(event.get("step"), int) else None
        for sample in event.get("samples") or []:
            if not isinstance(sample, dict) or not isinstance(sample.get("generated"), str):
                continue
            prompt = str(sample.get("prompt") or "")
            key = critique_id(prompt, sample["generated"], step)
            if key not in items:
                expected = sample.get("expected")
                items[key] = JudgeItem(prompt, sample["generated"], expected, None, step, id=key)
    return list(items.values())


def items_from_rows(config: Any, critiques: list[Critique], limit: int | None = None) -> list[JudgeItem]:
    """One item per dataset row with an answer: its prompt and its (last) answer, and where it is."""
    from ftui.core.quality.records import RowReader, open_rows

    verdicts = {(c.prompt, c.generation): c.verdict for c in critiques}
    items: list[JudgeItem] = []
    for entry in config.datasets:
        _, spec, rows = open_rows(entry, config.base_dir)
        reader = RowReader(spec)
        for raw in rows:
            facts = reader.facts(raw.origin, raw.value, raw.error)
            if not facts.answers:
                continue
            prompt, answer = facts.answers[-1]
            origin = raw.origin
            source = {
                "file": origin.file,
                "line": origin.line if origin.line is not None else origin.index + 1,
                "record": facts.record_hash.hex() if facts.record_hash else None,
            }
            items.append(JudgeItem(prompt, answer, None, verdicts.get((prompt, answer)), source=source))
            if limit is not None and len(items) >= limit:
                return items
    return items


def write_judgements(path: Path, judgements: list[Judgement]) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as stream:
            for judgement in judgements:
                stream.write(json.dumps(judgement.to_json(), ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_judgements(path: Path) -> list[dict[str, Any]]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    return [data for _, data in json_lines(path, lines) if isinstance(data, dict)]


def flag_judged_rows(report: AuditReport, path: Path) -> int:
    """Flag `judge_failed` on the audited rows a judge called bad; their content must not have changed since."""
    where = {}
    for row in range(len(report.rows)):
        where[(report.files[report.rows.file[row]].display, report.rows.line[row])] = row
    flagged = 0
    for number, data in enumerate(read_judgements(path), 1):
        source = data.get("source")
        if data.get("verdict") != "bad" or not isinstance(source, dict):
            continue
        row = where.get((source.get("file"), source.get("line")))
        if row is None or (source.get("record") and source["record"] != report.rows.record_hash(row)):
            raise UserError(
                f"{path}: judgement {number} is about {source.get('file')}:{source.get('line')}, which is not the "
                "row the judge saw (the data changed, or it belongs to another config)",
                "run `ftui judge CONFIG` again on the current data",
            )
        flag = report.flags.setdefault(row, _new_flag())
        if JUDGE_FAILED not in flag.kinds:
            flag.kinds.append(JUDGE_FAILED)
            flag.reasons[JUDGE_FAILED] = str(data.get("critique") or "")[:300]
            flagged += 1
    return flagged


def _new_flag() -> Any:
    from ftui.core.quality.report import Flag

    return Flag()
