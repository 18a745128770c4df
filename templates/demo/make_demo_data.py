"""Generate the demo dataset: questions about services, logs, metrics and traces -> a small JSON query language.

The query language (what `obsq_check.py` accepts):
  source   "logs" | "metrics" | "traces"                      (required)
  service  one of SERVICES                                    (required)
  since    one of WINDOWS                                     (required)
  level    "error" | "warn" | "info"                          (logs only)
  metric   one of METRICS                                     (metrics only)
  agg      "avg" | "max" | "p99" | "sum" | "count"            (metrics only)
  min_duration_ms  integer                                    (traces only)
  group_by one of GROUP_BY                                    (optional)
  limit    integer                                            (optional)

Run `python templates/demo/make_demo_data.py` to rewrite observability_queries.jsonl (deterministic, seeded).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SERVICES = ["checkout", "payments", "auth", "search", "cart", "inventory", "frontend", "shipping"]
WINDOWS = {
    "15m": "the last 15 minutes",
    "1h": "the last hour",
    "6h": "the last 6 hours",
    "24h": "the last day",
    "7d": "the past week",
}
LEVELS = {"error": "error", "warn": "warning", "info": "info"}
METRICS = {
    "latency": "latency",
    "error_rate": "error rate",
    "cpu": "CPU usage",
    "memory": "memory usage",
    "requests": "request count",
}
AGGS = {"avg": "average", "max": "maximum", "p99": "99th percentile", "sum": "total", "count": "count of"}
GROUP_BY = {"host": "host", "region": "region", "endpoint": "endpoint", "status_code": "status code"}
FIELDS = ("source", "service", "level", "metric", "agg", "min_duration_ms", "since", "group_by", "limit")

LOG_TEMPLATES = [
    "Show me {level} logs from {service} in {window}",
    "Any {level} logs for the {service} service over {window}?",
    "List {level} level log lines of {service} from {window}",
    "What {level} messages did {service} log in {window}?",
    "Find {service} {level} logs, {window}",
]
METRIC_TEMPLATES = [
    "What is the {agg} {metric} of {service} over {window}?",
    "Show the {agg} {metric} for {service} in {window}",
    "Give me {service} {metric} ({agg}) for {window}",
    "How did the {agg} {metric} of the {service} service look during {window}?",
]
TRACE_TEMPLATES = [
    "Show traces of {service} slower than {ms} ms in {window}",
    "Find {service} requests that took more than {ms}ms during {window}",
    "Which {service} traces exceeded {ms} ms over {window}?",
]
GROUP_SUFFIX = [", grouped by {group}", " broken down by {group}", " per {group}"]
LIMIT_SUFFIX = [", top {limit}", " (only {limit} results)", ", at most {limit}"]

SYSTEM = "Answer with an obsq JSON query."


def make_example(rng: random.Random) -> dict:
    source = rng.choice(["logs", "logs", "metrics", "metrics", "traces"])
    service = rng.choice(SERVICES)
    window = rng.choice(list(WINDOWS))
    query: dict = {"source": source, "service": service}
    words = {"service": service, "window": WINDOWS[window]}
    if source == "logs":
        level = rng.choice(list(LEVELS))
        query["level"] = level
        words["level"] = LEVELS[level]
        text = rng.choice(LOG_TEMPLATES)
    elif source == "metrics":
        metric, agg = rng.choice(list(METRICS)), rng.choice(list(AGGS))
        query["metric"], query["agg"] = metric, agg
        words["metric"], words["agg"] = METRICS[metric], AGGS[agg]
        text = rng.choice(METRIC_TEMPLATES)
    else:
        ms = rng.choice([100, 250, 500, 1000, 2000])
        query["min_duration_ms"] = ms
        words["ms"] = ms
        text = rng.choice(TRACE_TEMPLATES)
    query["since"] = window
    question = text.format(**words)
    is_question = question.endswith("?")
    question = question.rstrip("?")
    if rng.random() < 0.35:
        group = rng.choice(list(GROUP_BY))
        query["group_by"] = group
        question += rng.choice(GROUP_SUFFIX).format(group=GROUP_BY[group])
    if rng.random() < 0.25:
        limit = rng.choice([5, 10, 20, 50])
        query["limit"] = limit
        question += rng.choice(LIMIT_SUFFIX).format(limit=limit)
    question = question[0].upper() + question[1:] + ("?" if is_question else "")
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": question},
            {"role": "assistant", "content": json.dumps(query, separators=(",", ":"))},
        ]
    }


def make_dataset(n: int = 160, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    seen: set[str] = set()
    rows: list[dict] = []
    while len(rows) < n:
        row = make_example(rng)
        key = row["messages"][1]["content"]
        if key not in seen:  # no duplicate questions: the validation split must be unseen
            seen.add(key)
            rows.append(row)
    return rows


def main() -> None:
    out = Path(__file__).parent / "observability_queries.jsonl"
    rows = make_dataset()
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
