"""The shipped demo: config loads, data is what the generator makes, every reference answer passes the
assertion and typical wrong outputs fail it."""

from __future__ import annotations

import importlib.util
import json

import pytest
from ftui.core.config import load_config
from ftui.core.paths import templates_dir
from ftui.core.train.evaluation import call_assertion, load_assertion

DEMO = templates_dir() / "demo"


def _generator():
    spec = importlib.util.spec_from_file_location("make_demo_data", DEMO / "make_demo_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_config_points_at_shipped_files():
    loaded = load_config(templates_dir() / "configs" / "demo.yml")
    config = loaded.config
    assert config.base_model == "embedded" and config.adapter == "lora"
    assert config.resolve_path(config.datasets[0].path).is_file()
    assert config.eval_assertions and config.val_set_size >= 8
    assert not loaded.unknown_keys


def test_shipped_data_is_the_generators_output():
    rows = [json.loads(line) for line in (DEMO / "observability_queries.jsonl").read_text().splitlines()]
    assert rows == _generator().make_dataset()
    questions = [r["messages"][1]["content"] for r in rows]
    assert len(set(questions)) == len(questions) >= 150


def test_reference_answers_pass_and_wrong_outputs_fail():
    check = load_assertion("obsq_check.py:is_valid_query", DEMO)
    rows = [json.loads(line) for line in (DEMO / "observability_queries.jsonl").read_text().splitlines()]
    assert all(call_assertion(check, r["messages"][2]["content"], "", "") for r in rows)
    wrong = [
        "Here are the error logs for checkout.",
        '{"source": "logs", "service": "checkout"}',  # no since
        '{"source": "logs", "service": "checkout", "since": "1h", "metric": "cpu"}',  # metric on logs
        '{"source": "logs", "service": "billing", "since": "1h"}',  # unknown service
        '{"source": "logs", "service": "checkout", "since": "1h", "query": "x"}',  # unknown field
        '{"source": "traces", "service": "auth", "since": "1h", "min_duration_ms": "500"}',  # not an int
        '{"source": "metrics", "service": "auth", "since": "1h"',  # truncated
    ]
    assert not any(call_assertion(check, w, "", "") for w in wrong)


@pytest.mark.parametrize("signature", ["(output)", "(output, expected)", "(*args)"])
def test_assertion_functions_may_take_fewer_arguments(tmp_path, signature):
    (tmp_path / "c.py").write_text(f"def f{signature}:\n    return True\n")
    assert call_assertion(load_assertion("c.py:f", tmp_path), "o", "e", "p") is True
    (tmp_path / "d.py").write_text("def f(output):\n    raise ValueError('bad')\n")
    assert call_assertion(load_assertion("d.py:f", tmp_path), "o", "e", "p") is False
