"""Hypothesis: random YAML documents and random mutations of real configs (Axolotl's examples, the seed,
ftui's own) only ever give `ok` or documented errors - never a traceback - from parse_config, `ftui check`
and save; what opens keeps its meaning through save -> load, and PyYAML decides what a file means."""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml
from ftui.core.config import ConfigError, check_config, load_config, parse_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HERE = Path(__file__).parent
REAL = sorted((HERE / "data" / "axolotl_examples").rglob("*.y*ml")) + sorted(
    (HERE / "data" / "configs").glob("*.yml")
)
SEED = HERE.parent.parent / "shared" / "configs" / "seed_honeycomb_qlora.yml"
if SEED.is_file():
    REAL.append(SEED)
TEXTS = [p.read_text(encoding="utf-8") for p in REAL]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = ["base_model", "datasets", "adapter", "lora_r", "rl", "optimizer", "chat_template", "attn_implementation",
        "gradient_checkpointing", "plugins", "pretraining_dataset", "test_datasets", "eot_tokens", "batch_size",
        "warmup_steps", "logging_steps", "sequence_len", "type", "path", "conversation", "tokens", "qat", "seed"]  # fmt: skip
scalar_words = st.sampled_from(
    ["yes", "no", "on", "off", "~", "null", "1e-5", "2e-4", "0755", "0x1f", "1:20", ".inf", "-.nan", "=", "true",
     "sharegpt", "alpaca", "chatml", "qwen3", "dpo", "offload", "flash", "sdpa", "lora", "qlora", "'quoted'",
     '"tab\\there"', "[]", "{}", "[a, b]", "{a: 1}", "0.2", "-1", "3", "|\n  block\n", "!!binary aGk=",
     "!!python/name:os.system ''", "&anchor x", "*anchor", "2024-01-02"]
)  # fmt: skip


def _line(key: str, value: str, indent: int) -> str:
    return " " * indent + f"{key}: {value}"


@st.composite
def yaml_documents(draw) -> str:
    """Line-based YAML with the quirks users write: repeats, anchors and merges, 1.1 booleans, bad tags,
    odd indentation, block scalars, flow collections - valid or not."""
    lines = ["base: &base", "  lora_r: 8"] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 14))):
        choice = draw(st.integers(0, 9))
        key = draw(st.sampled_from(KEYS) | st.text("abcdefgh_", min_size=1, max_size=6))
        if choice == 0:
            lines += ["datasets:", f"  - path: {draw(scalar_words)}", f"    type: {draw(scalar_words)}"]
        elif choice == 1:
            lines.append("<<: *base")
        elif choice == 2:
            lines.append(draw(st.text(max_size=20)))
        else:
            lines.append(_line(key, draw(scalar_words), draw(st.sampled_from([0, 0, 0, 2, 1]))))
    return "\n".join(lines) + "\n"


def _only_documented_errors(text: str) -> None:
    try:
        loaded = parse_config(text, source="fuzz.yml")
    except ConfigError as err:
        assert err.problems and err.exit_code == 2
        for problem in err.problems:
            assert problem.message and "Traceback" not in problem.message
        return
    from ftui.core.config.yaml_io import to_plain

    assert loaded.source.data == to_plain(yaml.safe_load(text))  # what opens means what PyYAML reads


def _check_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.yml"
    path.write_text(text, encoding="utf-8")
    report = check_config(path)
    as_json = json.loads(json.dumps(report.as_json()))  # always one JSON-able object
    assert as_json["ok"] == (as_json["errors"] == [])
    if report.ok:
        loaded = load_config(path)
        loaded.save()
        assert path.read_text(encoding="utf-8") == text  # untouched: byte for byte
        loaded.config.seed = 1234
        loaded.save()
        again = load_config(path).config
        assert again.seed == 1234
        again.seed = loaded.config.seed
        assert again.model_dump() == loaded.config.model_dump()


@SETTINGS
@given(yaml_documents())
def test_random_yaml_documents_give_ok_or_documented_errors(text):
    _only_documented_errors(text)


@st.composite
def mutated_real_config(draw) -> str:
    """A real config with a few random edits: a line dropped, doubled, re-indented, a value replaced,
    the text cut short, random text inserted."""
    lines = draw(st.sampled_from(TEXTS)).splitlines()
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = rng.randrange(len(lines))
        kind = draw(st.integers(0, 6))
        if kind == 0:
            del lines[i]
        elif kind == 1:
            lines.insert(i, lines[i])  # a repeated key
        elif kind == 2:
            lines[i] = " " + lines[i]
        elif kind == 3 and ":" in lines[i]:
            head = lines[i].split(":", 1)[0]
            lines[i] = f"{head}: {draw(scalar_words)}"
        elif kind == 4:
            lines = lines[: rng.randrange(len(lines) + 1)]
        elif kind == 5:
            lines.insert(i, draw(st.text(max_size=15)))
        else:
            key = draw(st.sampled_from(KEYS))
            lines.append(f"{key}: {draw(scalar_words)}")
    return "\n".join(lines) + "\n"


@SETTINGS
@given(mutated_real_config())
def test_mutated_real_configs_give_ok_or_documented_errors(text):
    _only_documented_errors(text)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=st.one_of(mutated_real_config(), yaml_documents()))
def test_check_and_save_never_break_on_mutated_configs(tmp_path, text):
    _check_file(tmp_path, text)
