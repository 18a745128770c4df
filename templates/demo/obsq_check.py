"""Assertion for the demo (`eval_assertions: ../demo/obsq_check.py:is_valid_query`).

A generation passes when it is one JSON object that uses only known fields with allowed values, has the
required fields, and only the fields its `source` allows. It does not demand the exact expected query:
it measures whether the model has learned the language, which the base model has not.
"""

from __future__ import annotations

import json

SOURCES = {"logs", "metrics", "traces"}
SERVICES = {"checkout", "payments", "auth", "search", "cart", "inventory", "frontend", "shipping"}
WINDOWS = {"15m", "1h", "6h", "24h", "7d"}
LEVELS = {"error", "warn", "info"}
METRICS = {"latency", "error_rate", "cpu", "memory", "requests"}
AGGS = {"avg", "max", "p99", "sum", "count"}
GROUP_BY = {"host", "region", "endpoint", "status_code"}
ONLY_FOR = {"level": "logs", "metric": "metrics", "agg": "metrics", "min_duration_ms": "traces"}
ENUMS = {
    "source": SOURCES,
    "service": SERVICES,
    "since": WINDOWS,
    "level": LEVELS,
    "metric": METRICS,
    "agg": AGGS,
    "group_by": GROUP_BY,
}
INTS = {"min_duration_ms", "limit"}


def is_valid_query(output: str, expected: str | None = None, prompt: str | None = None) -> bool:
    try:
        query = json.loads(output.strip())
    except (json.JSONDecodeError, ValueError):
        return False
    if not isinstance(query, dict) or not {"source", "service", "since"} <= query.keys():
        return False
    for key, value in query.items():
        if key in ENUMS:
            if value not in ENUMS[key]:
                return False
        elif key in INTS:
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                return False
        else:
            return False
        if key in ONLY_FOR and query["source"] != ONLY_FOR[key]:
            return False
    return True


def matches_expected(output: str, expected: str, prompt: str | None = None) -> bool:
    """Stricter check (exact query) for reporting: the generation equals the reference JSON."""
    try:
        return json.loads(output.strip()) == json.loads(expected.strip())
    except (json.JSONDecodeError, ValueError):
        return False
