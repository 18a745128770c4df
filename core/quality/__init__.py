"""The data quality workbench: audit a config's datasets, write a curated copy, keep human critiques of
generations, and ask a judge model for verdicts (the workshop's loop: assert, dedupe, critique, judge, retrain).

    report = audit_config(config)                       # every row checked; report.to_json() is the CLI's JSON
    clean_dataset(report, drop={"exact_duplicate"}, out=Path("clean.jsonl"))

Importing this package is cheap; datasketch, the tokenizer and judge models load only when used.
"""

from ftui.core.quality.audit import AuditCancelled, audit_config
from ftui.core.quality.kinds import DROP_KINDS, JUDGE_FAILED, KINDS, TOKEN_KINDS, parse_kinds
from ftui.core.quality.report import AuditedFile, AuditReport, Flag
from ftui.core.quality.settings import AuditSettings

__all__ = [
    "DROP_KINDS",
    "JUDGE_FAILED",
    "KINDS",
    "TOKEN_KINDS",
    "AuditCancelled",
    "AuditReport",
    "AuditSettings",
    "AuditedFile",
    "Flag",
    "audit_config",
    "parse_kinds",
]
