"""Today's Axolotl keys are read and acted on: attn_implementation, gradient_checkpointing: offload, float
ratios, batch_size, eot_tokens / train_on_eot, test_datasets, pretraining_dataset, split slices, plugins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.config import ConfigError, load_config, parse_config
from ftui.core.memory import EstimateInput
from ftui.core.train.settings import TrainSettings

BASE = "base_model: m\ndatasets:\n  - path: d.json\n"


def errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(BASE + text, source="c.yml")
    return [p.text("c.yml") for p in info.value.problems]


# --- attention -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "attention", "estimate"),
    [
        ("attn_implementation: flash_attention_2\n", "flash_attention_2", "flash"),
        ("attn_implementation: sdpa\n", "sdpa", "sdpa"),
        ("attn_implementation: eager\n", "eager", "eager"),
        ("attn_implementation: flex_attention\n", "flex_attention", "flash"),
        ("attn_implementation: kernels-community/flash-attn3\n", "kernels-community/flash-attn3", "flash"),
        ("flash_attention: true\n", "flash_attention_2", "flash"),
        ("sdp_attention: true\n", "sdpa", "sdpa"),
        ("eager_attention: true\n", "eager", "eager"),
        ("xformers_attention: true\n", "xformers", "sdpa"),  # Axolotl's patch: ftui runs SDPA
        ("flash_attention: false\n", None, "sdpa"),
    ],
)
def test_attention_backend_from_today_s_key_or_the_old_flags(text, attention, estimate):
    cfg = parse_config(BASE + text).config
    assert cfg.attention == attention
    assert EstimateInput.from_config(cfg).attention == estimate


def test_attention_rules_as_axolotl():
    (line,) = errors("attn_implementation: flash\n")
    assert "use the canonical name 'flash_attention_2'" in line
    (line,) = errors("attn_implementation: flash_attention_2\nsdp_attention: true\n")
    assert line.startswith("c.yml:5: sdp_attention: cannot be combined with attn_implementation")
    warnings = parse_config(BASE + "attn_implementation: sage\n", source="c.yml").warnings
    assert warnings == [
        "c.yml:4: warning: attn_implementation: attention backend 'sage' is an Axolotl patch ftui does not have; "
        "training uses 'sdpa' (the same result, other speed and memory)"
    ]


def test_trainer_attention_on_cpu_is_sdpa_or_the_model_default():
    from ftui.core.train.loading import Precision, attention_implementation

    cpu = Precision(device="cpu", device_name="cpu", bf16=False, fp16=False, tf32=False)
    for raw, expected in (
        ({"attn_implementation": "sdpa"}, "sdpa"),
        ({"attn_implementation": "eager"}, "eager"),
        ({"attn_implementation": "flash_attention_2"}, None),
        ({"attn_implementation": "xformers"}, "sdpa"),
    ):
        assert attention_implementation(TrainSettings.from_config(raw), cpu) == expected


# --- schedule and batch ------------------------------------------------------------------------------------


def test_offload_checkpointing_opens_with_a_warning_and_checkpoints():
    loaded = parse_config(BASE + "gradient_checkpointing: offload\n", source="c.yml")
    assert loaded.config.gradient_checkpointing == "offload" and loaded.config.gradient_checkpointing_on
    assert "does not offload them" in loaded.warnings[0]
    assert TrainSettings.from_config(loaded.config).gradient_checkpointing is True
    assert EstimateInput.from_config(loaded.config).gradient_checkpointing is True


def test_float_ratios_for_steps_and_warmup():
    cfg = parse_config(BASE + "logging_steps: 0.2\nsave_steps: 0.25\nwarmup_steps: 0.1\n").config
    assert (cfg.logging_steps, cfg.save_steps, cfg.warmup_steps) == (0.2, 0.25, 0.1)
    settings = TrainSettings.from_config(cfg)
    assert settings.warmup(200) == 20  # a float below 1 is a fraction of the run, as transformers reads it
    assert TrainSettings.from_config({"warmup_steps": 7}).warmup(200) == 7
    assert TrainSettings.from_config({"warmup_steps": 0, "warmup_ratio": 0.5}).warmup(10) == 5
    (line,) = errors("warmup_steps: 10\nwarmup_ratio: 0.1\n")
    assert "mutually exclusive" in line
    assert parse_config(BASE + "warmup_steps: 0\nwarmup_ratio: 0.1\n")  # Axolotl: 0 is not set


def test_batch_size_sets_gradient_accumulation_and_is_not_written_back(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(BASE + "micro_batch_size: 4\nbatch_size: 32\n")
    loaded = load_config(path)
    assert loaded.config.gradient_accumulation_steps == 8 and loaded.config.effective_batch_size == 32
    loaded.config.seed = 3
    loaded.save()
    assert "gradient_accumulation_steps" not in path.read_text()
    assert load_config(path).config.gradient_accumulation_steps == 8
    assert "set only one of" in errors("batch_size: 32\ngradient_accumulation_steps: 2\n")[0]
    assert "needs micro_batch_size" in errors("batch_size: 32\n")[0]


def test_plugins_and_eot_tokens_take_one_string_or_a_list():
    cfg = parse_config(
        BASE + "plugins: axolotl.integrations.liger.LigerPlugin\neot_tokens: <|im_end|>\n"
    ).config
    assert cfg.plugins == ["axolotl.integrations.liger.LigerPlugin"] and cfg.eot_tokens == ["<|im_end|>"]


# --- end-of-turn tokens -------------------------------------------------------------------------------------


def _tokenized(smollm_dir: Path, **mask):
    from ftui.core.data.model import Example, Message, RowOrigin
    from ftui.core.templates import MaskSettings, tokenize_example
    from ftui.core.tokenizer import load_tokenizer

    tok = load_tokenizer(str(smollm_dir))
    messages = [Message("user", "Hi", "user"), Message("assistant", "Hello", "assistant"),
                Message("user", "Bye", "user"), Message("assistant", "Ciao", "assistant")]  # fmt: skip
    example = Example(kind="chat", source=RowOrigin("x"), messages=messages)
    return tok, tokenize_example(example, "chatml", tok, MaskSettings(**mask))


def test_eot_tokens_and_train_on_eot(smollm_dir):
    tok, plain = _tokenized(smollm_dir)
    start = tok.convert_tokens_to_ids("<|im_start|>")
    assert all(label != start for label in plain.labels)
    # <|im_start|> of the next turn is 3 tokens after a turn's content (<|im_end|>, "\n", <|im_start|>)
    tok, marked = _tokenized(smollm_dir, eot_tokens=("<|im_start|>",), train_on_eot="all")
    trained_starts = [
        i
        for i, (t, label) in enumerate(zip(marked.input_ids, marked.labels, strict=True))
        if t == start == label
    ]
    assert len(trained_starts) >= 2
    from ftui.core.errors import UserError

    with pytest.raises(UserError, match="train_on_eos is 'turn' and train_on_eot 'none'"):
        _tokenized(smollm_dir, train_on_eot="none")  # EOS is the default end-of-turn token: they must agree


# --- data: test_datasets, pretraining_dataset, split slices -------------------------------------------------


def _rows(path: Path, n: int, start: int = 0) -> None:
    path.write_text(
        "".join(
            json.dumps({"instruction": f"q{i}", "output": f"a{i}"}) + "\n" for i in range(start, start + n)
        )
    )


def test_test_datasets_are_the_eval_set(tmp_path, smollm_dir):
    from ftui.core.preprocess import prepare_dataset

    _rows(tmp_path / "train.jsonl", 6)
    _rows(tmp_path / "eval.jsonl", 2, start=100)
    (tmp_path / "c.yml").write_text(
        f"base_model: {smollm_dir}\ndatasets:\n  - path: train.jsonl\n    type: alpaca\n"
        "test_datasets:\n  - path: eval.jsonl\n    type: alpaca\nsequence_len: 64\n"
    )
    prepared = prepare_dataset(load_config(tmp_path / "c.yml").config)
    assert len(prepared.train) == 6 and len(prepared.validation) == 2
    assert (
        "use either test_datasets or a val_set_size split"
        in errors("test_datasets:\n  - path: e.json\nval_set_size: 0.1\n")[0]
    )


def test_pretraining_dataset_is_read_as_completion_text(tmp_path, smollm_dir):
    from ftui.core.preprocess import prepare_dataset

    (tmp_path / "text.jsonl").write_text(
        "".join(json.dumps({"body": f"text number {i}"}) + "\n" for i in range(5))
    )
    (tmp_path / "c.yml").write_text(
        f"base_model: {smollm_dir}\npretraining_dataset:\n  - path: text.jsonl\n    text_column: body\n"
        "max_steps: 3\nsequence_len: 64\n"
    )
    config = load_config(tmp_path / "c.yml").config
    assert config.datasets == [] and config.training_datasets[0].field == "body"
    prepared = prepare_dataset(config)
    assert len(prepared.train) == 5 and all(x != -100 for x in prepared.train[0]["labels"])
    with pytest.raises(ConfigError, match="needs max_steps"):
        parse_config("base_model: m\npretraining_dataset: allenai/c4\n")


@pytest.mark.parametrize(
    ("split", "expected"),
    [("train", list(range(10))), ("train[:20%]", [0, 1]), ("train[5:]", [5, 6, 7, 8, 9]),
     ("train[-3:]", [7, 8, 9]), ("train[10%:30%]", [1, 2]), ("train[:-8]", [0, 1])],
)  # fmt: skip
def test_split_slices_cut_local_files_like_datasets(tmp_path, split, expected):
    from ftui.core.data import iter_examples

    _rows(tmp_path / "d.jsonl", 10)
    examples = list(iter_examples({"path": "d.jsonl", "type": "alpaca", "split": split}, tmp_path))
    assert [int(e.instruction[1:]) for e in examples] == expected


def test_a_local_file_has_only_the_train_split(tmp_path):
    from ftui.core.data import DataError, iter_examples

    _rows(tmp_path / "d.jsonl", 3)
    with pytest.raises(DataError, match="only the `train` split"):
        list(iter_examples({"path": "d.jsonl", "type": "alpaca", "split": "test"}, tmp_path))


def test_deepspeed_and_fsdp_together_are_refused_as_in_axolotl():
    (line,) = errors("deepspeed: ds.json\nfsdp: [full_shard]\n")
    assert line == "c.yml:5: fsdp: deepspeed and fsdp cannot be used together; keep one (as Axolotl)"
