"""Config YAML: safe loading, syntax errors with file:line:column, round trip that keeps comments, atomic save."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from ftui.core.config import ConfigError, load_config, parse_config, save_config

CONFIGS = Path(__file__).parent / "data" / "configs"
BASE = "base_model: m\ndatasets:\n  - path: d.json\n"


def only_error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, source="c.yml")
    (problem,) = info.value.problems
    return problem.text("c.yml")


# --- safe loading --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "!!python/object/apply:os.system ['echo pwned > /tmp/ftui_pwned']",
        "!!python/object:os.system {x: 1}",
        "!!python/name:os.system ''",
        "!custom 3",
        "!!binary aGVsbG8=",
    ],
)
def test_tags_that_could_build_objects_are_rejected(value):
    line = only_error(BASE + f"seed: {value}\n")
    assert line.startswith("c.yml:4:7: tag ") and "is not allowed" in line
    assert not Path("/tmp/ftui_pwned").exists()


def test_python_object_tag_message():
    line = only_error("base_model: !!python/object:os.system {}\n")
    assert (
        line
        == "c.yml:1:13: tag !!python/object:os.system is not allowed; configs are plain YAML (no Python objects or custom tags)"
    )


def test_syntax_error_is_one_error_with_line_and_column():
    line = only_error(BASE + "lora_r: [1, 2\nseed: 3\n")
    assert line.startswith("c.yml:5:")  # the flow list never closes; the parser notices on line 5
    assert "invalid YAML" in line
    line = only_error("base_model: m\n  bad indent: 1\n")
    assert line.startswith("c.yml:2:") and "invalid YAML" in line


def test_repeated_key_takes_the_later_value_with_one_warning_naming_both_lines():
    loaded = parse_config(BASE + "seed: 1\nlora_r: 4\nseed: 2\n", source="c.yml")
    assert loaded.config.seed == 2  # PyYAML's (and so Axolotl's) rule
    assert loaded.warnings == [
        "c.yml:6: warning: seed: is set twice (lines 4 and 6); the later value (line 6) is used, as Axolotl does"
    ]
    nested = parse_config("base_model: m\ndatasets:\n  - path: a.json\n    path: b.json\n", source="c.yml")
    assert nested.config.datasets[0].path == "b.json"
    assert nested.notes[0].key == "datasets[0].path" and nested.notes[0].line == 4


def test_yaml_reads_as_pyyaml_reads_it():
    import yaml

    text = (
        BASE
        + "base: &b {lora_r: 4}\nother:\n  <<: *b\n  lora_alpha: 8\n"
        + "load_in_8bit: no\nstrict: yes\nwandb_name: 1e-5\ndebug: off\nseed: 0x10\n"
        + 'wandb_entity: "a\tb"\noutput_dir: ~\n'
    )
    loaded = parse_config(text)
    assert loaded.source.data == yaml.safe_load(text)
    cfg = loaded.config
    assert cfg.load_in_8bit is False and cfg.strict is True and cfg.debug is False and cfg.seed == 16
    assert cfg.wandb_name == "1e-5" and cfg.wandb_entity == "a\tb"  # PyYAML: 1e-5 without a dot is text
    assert cfg.extra_keys["other"] == {"lora_r": 4, "lora_alpha": 8}


def test_a_bare_equals_sign_is_explained():
    line = only_error(BASE + "seed: =\n")
    assert line.startswith("c.yml:4:") and "quote it" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the config is empty"),
        ("# only a comment\n", "the config is empty"),
        ("- a\n- b\n", "must be a mapping of keys to values, not a list"),
        ("just text\n", "must be a mapping of keys to values, not a single value"),
    ],
)
def test_document_must_be_a_mapping(text, expected):
    assert expected in only_error(text)


def test_alias_bomb_and_self_reference_are_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    prev = "a"
    for i in range(1, 9):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
        prev = chr(97 + i)
    assert "too large" in only_error(bomb + BASE)
    # PyYAML builds a mapping that contains itself; ftui refuses it with one message
    assert "refers to the mapping or list that contains it" in only_error("a: &x {b: *x}\n" + BASE)
    from ftui.core.config.yaml_io import to_plain

    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="refers to the mapping"):
        to_plain(loop)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "c.yml"
    path.write_bytes(BASE.encode() + b"output_dir: caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_loading_does_not_import_torch_or_transformers():
    code = (
        "import sys; from ftui.core.config import load_config; "
        f"load_config({str(CONFIGS / 'axolotl_mistral_qlora.yml')!r}); "
        "heavy = [m for m in ('torch', 'transformers', 'datasets', 'peft', 'textual') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# --- round trip ----------------------------------------------------------------------------------------------


def test_axolotl_config_saves_byte_identical(tmp_path):
    path = tmp_path / "qlora.yml"
    shutil.copy(CONFIGS / "axolotl_mistral_qlora.yml", path)
    loaded = load_config(path)
    assert loaded.save() == []
    assert path.read_text() == (CONFIGS / "axolotl_mistral_qlora.yml").read_text()
    assert load_config(path).config == loaded.config


def test_edits_keep_comments_order_and_unknown_keys(tmp_path):
    path = tmp_path / "c.yml"
    shutil.copy(CONFIGS / "commented_full.yml", path)
    loaded = load_config(path)
    cfg = loaded.config
    cfg.learning_rate = 1e-5
    cfg.seed = 7
    cfg.datasets[0].split = "train"
    loaded.save()
    text = path.read_text()
    lines = text.splitlines()
    assert lines[0] == "# My full fine-tune of a small model."
    assert "base_model: ./models/tiny   # a local folder, relative to this file" in lines
    assert "adapter: none" in lines  # unchanged values stay as written
    assert "  # chat rows in OpenAI format" in lines
    assert "sequence_len: 1024  # long enough for most rows" in lines
    assert "num_epochs: 3" in lines
    # new numbers are written so PyYAML (Axolotl's reader) reads a float: 1.0e-05, not 1e-05 (text there)
    assert any(
        x.startswith("learning_rate: 1.0e-05") and x.endswith("# small: full fine-tune") for x in lines
    )
    assert "xformers_attention:     # accepted from Axolotl, not used" in lines
    assert "my_custom_key: keep me" in lines
    assert lines[-1] == "seed: 7"  # new keys go at the end
    # the new dataset key sits inside its entry, before the blank line that ended the block
    start = lines.index("    chat_template: tokenizer_default")
    assert lines[start + 1 : start + 3] == ["    split: train", ""]
    # original key order is kept
    order = [x.split(":")[0] for x in lines if x and not x.startswith((" ", "#"))]
    assert order == [
        "base_model", "adapter", "datasets", "sequence_len", "micro_batch_size", "gradient_accumulation_steps",
        "learning_rate", "num_epochs", "output_dir", "xformers_attention", "my_custom_key", "seed",
    ]  # fmt: skip
    again = load_config(path)
    assert again.config == cfg
    assert again.config.learning_rate == 1e-5 and again.config.datasets[0].split == "train"
    assert again.ignored_keys == [] and again.unknown_keys == ["my_custom_key"]  # xformers_attention: empty


def test_empty_keys_stay_empty_and_changed_ones_get_values(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(BASE + "debug:\nstrict:\nlora_model_dir:\n")
    loaded = load_config(path)
    loaded.config.strict = True
    loaded.save()
    assert path.read_text() == BASE + "debug:\nstrict: true\nlora_model_dir:\n"


def test_removed_keys_disappear_and_secrets_are_never_written(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(BASE + "hf_token: hf_abc\nwandb_api_key: k\nseed: 3\n")
    loaded = load_config(path)
    assert loaded.config.extra_keys["hf_token"] == "hf_abc"
    assert loaded.save() == []  # over the user's own file: their lines stay (it is their file)
    assert path.read_text() == BASE + "hf_token: hf_abc\nwandb_api_key: k\nseed: 3\n"
    loaded.config.seed = 4
    assert loaded.save() == [] and "hf_token: hf_abc\nwandb_api_key: k\nseed: 4" in path.read_text()
    other = tmp_path / "other.yml"
    warnings = loaded.save(other)  # another path: the secrets are left out, with a note each
    assert len(warnings) == 2 and all("was not written" in w for w in warnings)
    assert any("HF_TOKEN" in w for w in warnings) and any("WANDB_API_KEY" in w for w in warnings)
    text = other.read_text()
    assert "hf_abc" not in text and "wandb_api_key" not in text and "seed: 4" in text


def test_save_to_new_file_and_over_an_existing_file(tmp_path):
    loaded = load_config(CONFIGS / "commented_full.yml")
    fresh = tmp_path / "new" / "fresh.yml"
    assert save_config(loaded.config, fresh) == []
    again = load_config(fresh).config
    assert again.base_dir == fresh.parent.resolve()
    again.base_dir = loaded.config.base_dir  # the only difference: relative paths now start from new/
    assert again == loaded.config
    # without a document, save_config reuses the file already at the path, keeping its comments
    target = tmp_path / "existing.yml"
    shutil.copy(CONFIGS / "commented_full.yml", target)
    loaded.config.micro_batch_size = 8
    save_config(loaded.config, target)
    text = target.read_text()
    assert "# My full fine-tune of a small model." in text and "micro_batch_size: 8" in text


def test_round_trip_of_a_config_built_in_code(tmp_path):
    from ftui.core.config import FtuiConfig

    cfg = FtuiConfig(
        base_model="m",
        datasets=[{"path": "d.jsonl", "type": "chat_template", "roles": {"user": ["human"]}}],
        adapter="qlora",
        load_in_4bit=True,
        special_tokens={"pad_token": "<pad>"},
    )
    path = tmp_path / "c.yml"
    save_config(cfg, path)
    again = load_config(path).config
    again.base_dir = None
    assert again == cfg


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "c.yml"
    path.write_text(BASE + "seed: 1\n")
    loaded = load_config(path)
    loaded.config.seed = 2

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        loaded.save()
    assert path.read_text() == BASE + "seed: 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["c.yml"]  # no temporary file left behind


def test_save_keeps_file_permissions(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(BASE)
    path.chmod(0o600)
    loaded = load_config(path)
    loaded.config.seed = 5
    loaded.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_save_refuses_an_invalid_config_and_leaves_the_file(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(BASE + "seed: 1\n")
    loaded = load_config(path)
    loaded.config.lora_r = 0
    loaded.config.adapter = "qlora"
    with pytest.raises(ConfigError) as info:
        loaded.save()
    assert {p.key for p in info.value.problems} == {"adapter", "lora_r"}
    assert "not saved" in (info.value.hint or "")
    assert path.read_text() == BASE + "seed: 1\n"
