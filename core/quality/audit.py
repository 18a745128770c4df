"""`audit_config`: read every row of a config's datasets once and flag what would hurt training.

One streaming pass per dataset entry, in source order: exact duplicates by record hash, near duplicates by
MinHash + LSH, empty answers, assertion failures, template markup in messages, and (with a tokenizer) the
token kinds, tokenized in chunks with the same template and mask as preprocessing. Length outliers need the
whole distribution, so they are decided at the end from per-row lengths. Only hashes, signatures and lengths
are kept per row; the rows themselves are read again when someone wants to see them (`rows.read_rows`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ftui.core.assertions import call_assertion
from ftui.core.errors import UserError
from ftui.core.quality.complexity import ComplexityCheck
from ftui.core.quality.markers import marker_finder
from ftui.core.quality.neardup import NearDuplicateIndex
from ftui.core.quality.records import RowFacts, RowReader, open_rows
from ftui.core.quality.report import AuditedFile, AuditReport, Flag, RowTable
from ftui.core.quality.settings import AuditSettings
from ftui.core.quality.tokens import RowTokenizer

CHUNK = 1000
Progress = Callable[[int, float | None], None]  # (rows read, fraction of all bytes or None)


class AuditCancelled(Exception):
    """The caller's `cancelled()` said stop (the TUI left the view)."""


class Auditor:
    def __init__(
        self,
        config: Any,
        settings: AuditSettings,
        assertion: Callable[..., Any] | None,
        tokenizer: Any | None,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        self.config = config
        self.settings = settings
        self.assertion = assertion
        self.tokenizer = tokenizer
        self.progress = progress
        self.cancelled = cancelled or (lambda: False)
        self.rows = RowTable()
        self.flags: dict[int, Flag] = {}
        self.files: list[AuditedFile] = []
        self.seen: dict[bytes, int] = {}
        self.near = NearDuplicateIndex(settings.near_threshold, settings.ngram, settings.num_perm)
        self.complexity = ComplexityCheck(settings)
        self.pending: list[tuple[int, Any]] = []
        self.inflight: deque[tuple[list[int], int, Future]] = deque()
        # The Rust tokenizer releases the GIL: one thread tokenizes while this one reads, hashes and checks.
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ftui-audit-tokens")
        self.done = 0

    # --- flags ----------------------------------------------------------------------------------------
    def flag(self, row: int, kind: str, reason: str = "", partner: int | None = None) -> None:
        flag = self.flags.setdefault(row, Flag())
        if kind not in flag.kinds:
            flag.kinds.append(kind)
        if reason:
            flag.reasons[kind] = reason
        if partner is not None and flag.partner is None:
            flag.partner = partner

    # --- one entry --------------------------------------------------------------------------------------
    def add_entry(self, entry_index: int, entry: Any, fraction_before: float, share: float) -> None:
        source, spec, stream = open_rows(entry, self.config.base_dir)
        reader = RowReader(spec)
        file_ids = self._files_of(source, entry_index, spec.format)
        row_tokenizer = RowTokenizer(self.config, entry, self.tokenizer) if self.tokenizer else None
        markers = marker_finder(self.tokenizer, row_tokenizer.template if row_tokenizer else None)
        for raw in stream:
            file_id = file_ids.get(raw.origin.file)
            if file_id is None:  # hub rows carry the dataset id as their file
                file_id = file_ids.setdefault(
                    raw.origin.file, self._add_file(raw.origin.file, None, "hub", entry_index, spec.format)
                )
            facts = reader.facts(raw.origin, raw.value, raw.error)
            self.files[file_id].rows += 1
            row = self.rows.add(file_id, raw.origin.line, raw.origin.index, facts.record_hash)
            self._check(row, facts, markers)
            if row_tokenizer is not None and facts.example is not None:
                self.pending.append((row, facts.example))
                if len(self.pending) >= CHUNK:
                    self._tokenize(row_tokenizer)
            self.done += 1
            if self.done % CHUNK == 0:
                if self.cancelled():
                    raise AuditCancelled
                if self.progress is not None:
                    fraction = source.fraction
                    self.progress(self.done, None if fraction is None else fraction_before + share * fraction)
        if row_tokenizer is not None:
            self._tokenize(row_tokenizer, wait=True)

    def _add_file(self, display: str, path: Path | None, kind: str, entry: int, fmt: str) -> int:
        self.files.append(AuditedFile(display=display, path=path, kind=kind, entry=entry, format=fmt))
        return len(self.files) - 1

    def _files_of(self, source: Any, entry: int, fmt: str) -> dict[str, int]:
        return {f.display: self._add_file(f.display, f.path, f.kind, entry, fmt) for f in source.files}

    def _check(self, row: int, facts: RowFacts, markers: Any) -> None:
        exact = False
        if facts.record_hash is not None:
            first = self.seen.setdefault(facts.record_hash, row)
            if first != row:
                self.flag(row, "exact_duplicate", partner=first)
                exact = True
        if facts.problem is not None:
            self.flag(row, facts.problem, facts.reason)
            self.complexity.skip(row)
            return
        if not exact and len(facts.text) >= self.settings.min_near_chars:
            match = self.near.add(row, facts.text)
            if match is not None:
                self.flag(row, "near_duplicate", f"{match.similarity:.0%} similar", partner=match.row)
                self.flags[row].similarity = match.similarity
        for content in facts.contents:
            found = markers.find(content)
            if found:
                self.flag(row, "template_tokens_in_content", f"a message contains {found!r}")
                break
        if self.assertion is not None:
            for prompt, answer in facts.answers:
                if not call_assertion(self.assertion, answer, answer, prompt):
                    self.flag(row, "assertion_failed", "the assertion function returned false")
                    break
        reason = self.complexity.add(row, facts)
        if reason:
            self.flag(row, "low_complexity", reason)

    def _tokenize(self, row_tokenizer: RowTokenizer, wait: bool = False) -> None:
        """Hand the pending examples to the tokenizing thread; take in what it finished (all with `wait`)."""
        if self.pending:
            rows = [row for row, _ in self.pending]
            examples = [example for _, example in self.pending]
            self.pending = []
            limit = row_tokenizer.job.settings.sequence_len
            self.inflight.append((rows, limit, self.pool.submit(row_tokenizer.facts, examples)))
        while self.inflight and (wait or len(self.inflight) > 2 or self.inflight[0][2].done()):
            rows, limit, future = self.inflight.popleft()
            self._token_results(rows, limit, future.result())

    def _token_results(self, rows: list[int], limit: int, results: list[Any]) -> None:
        for row, facts in zip(rows, results, strict=True):
            if facts.error:
                self.flag(row, "bad_row", facts.error)
                continue
            audited = self.files[self.rows.file[row]]
            audited.prompt_lengths.append(facts.tokens - facts.trained)
            audited.answer_lengths.append(facts.trained)
            if facts.too_long:
                self.flag(row, "too_long", f"{facts.tokens} tokens > sequence_len {limit}")
            if facts.trained == 0:
                self.flag(row, "no_trainable_tokens", "every label is masked")

    def finish(self, skipped: dict[str, str]) -> AuditReport:
        self.pool.shutdown(wait=True)
        for row, kind, reason in self.complexity.outliers():
            self.flag(row, kind, reason)
        if self.tokenizer is None:  # lengths in characters, from the complexity check's numbers
            for row, prompt_chars, answer_chars in self.complexity.char_lengths():
                audited = self.files[self.rows.file[row]]
                audited.prompt_lengths.append(prompt_chars)
                audited.answer_lengths.append(answer_chars)
        for flag in self.flags.values():
            flag.kinds.sort(key=_KIND_ORDER.__getitem__)
        return AuditReport(
            files=self.files,
            rows=self.rows,
            flags=dict(sorted(self.flags.items())),
            settings=self.settings,
            unit="tokens" if self.tokenizer is not None else "characters",
            skipped=skipped,
            entries=list(self.config.datasets),
            base_dir=Path(self.config.base_dir),
        )


def _kind_order() -> dict[str, int]:
    from ftui.core.quality.kinds import KINDS

    return {kind: i for i, kind in enumerate(KINDS)}


_KIND_ORDER = _kind_order()


def audit_config(
    config: Any,
    *,
    settings: AuditSettings | None = None,
    assertion: Callable[..., Any] | None = None,
    tokenizer: Any = None,
    use_tokens: bool = True,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> AuditReport:
    """Audit every `datasets:` entry of `config`. The assertion defaults to the config's `eval_assertions`;
    the tokenizer is the config's (loaded here) unless given or `use_tokens` is False (token kinds are then
    reported as skipped). Raises DataError / UserError for what the user must fix first."""
    from ftui.core.assertions import load_assertion

    settings = settings or AuditSettings.from_config(config)
    skipped: dict[str, str] = {}
    if assertion is None and getattr(config, "eval_assertions", None):
        assertion = load_assertion(config.eval_assertions, config.base_dir)
    if assertion is None:
        skipped["assertion_failed"] = "no assertion function (set eval_assertions or pass --assert)"
    if use_tokens and tokenizer is None:
        from ftui.core.tokenizer import load_tokenizer

        tokenizer = load_tokenizer(config)
    if not use_tokens:
        tokenizer = None
    if tokenizer is None:
        for kind in ("too_long", "no_trainable_tokens"):
            skipped[kind] = "token lengths were not measured (--no-tokens)"
    entries = list(config.datasets or [])
    if not entries:
        raise UserError("the config has no `datasets:`", "add at least one entry with a `path:`")
    auditor = Auditor(config, settings, assertion, tokenizer, progress, cancelled)
    try:
        for i, entry in enumerate(entries):
            auditor.add_entry(i, entry, i / len(entries), 1 / len(entries))
    finally:
        auditor.pool.shutdown(wait=True, cancel_futures=True)
    if progress is not None:
        progress(auditor.done, 1.0)
    return auditor.finish(skipped)
