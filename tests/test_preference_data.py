"""Preference config keys and data: Axolotl's row shapes, LLaMA-Factory's rows, bad rows, truncation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.config import load_config
from ftui.core.config.check import check_config
from ftui.core.data.report import DataError
from ftui.core.preference.dataset import load_preference_data, preview
from ftui.core.preference.methods import preference_settings
from ftui.core.preference.rows import EntryKeys
from ftui.core.preference.types import KTO_TYPES, PAIR_TYPES
from ftui.core.tokenizer import load_tokenizer


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(text)
    return path


def _config(tmp_path: Path, model: Path, extra: str, data: str = "") -> object:
    return load_config(
        _write(tmp_path, f"base_model: {model}\nchat_template: chatml\n{extra}\n{data}")
    ).config


def test_rl_keys_are_read_with_axolotl_precedence(tmp_path, tiny_chatml_model_dir, shared_datasets):
    data = f"datasets:\n  - path: {shared_datasets / 'dpo_en_demo.json'}\n"
    c = _config(
        tmp_path,
        tiny_chatml_model_dir,
        "rl: dpo\ndpo_beta: 0.3\nrpo_alpha: 0.5\ndpo_label_smoothing: 0.1",
        data,
    )
    s = preference_settings(c)
    assert (s.method, s.beta, s.label_smoothing) == ("dpo", 0.3, 0.1)
    assert s.loss_type == ["sigmoid", "sft"] and s.loss_weights == [1.0, 0.5]
    c = _config(tmp_path, tiny_chatml_model_dir, "rl: orpo\norpo_alpha: 0.2", data)
    assert preference_settings(c).beta == 0.2
    c = _config(tmp_path, tiny_chatml_model_dir, "rl: orpo\norpo_alpha: 0.2\nrl_beta: 0.05", data)
    assert preference_settings(c).beta == 0.05  # rl_beta wins, as in Axolotl
    c = _config(tmp_path, tiny_chatml_model_dir, "rl: ipo", data)
    assert preference_settings(c).loss_type == ["ipo"]
    c = _config(tmp_path, tiny_chatml_model_dir, "rl: simpo\nsimpo_gamma: 1.0\ncpo_alpha: 0", data)
    s = preference_settings(c)
    assert (s.simpo_gamma, s.cpo_alpha, s.uses_reference) == (1.0, 0.0, False)
    c = _config(tmp_path, tiny_chatml_model_dir, "", data)
    assert preference_settings(c) is None


def test_rl_dpo_is_no_longer_unsupported_and_other_keys_warn(
    tmp_path, tiny_chatml_model_dir, shared_datasets
):
    data = f"datasets:\n  - path: {shared_datasets / 'dpo_en_demo.json'}\n"
    report = check_config(
        _write(tmp_path, f"base_model: {tiny_chatml_model_dir}\nrl: dpo\norpo_alpha: 0.1\n{data}")
    )
    assert report.ok and not report.unsupported
    assert any(w.key == "orpo_alpha" and "acts only with rl: orpo" in w.message for w in report.warnings)
    sft = check_config(_write(tmp_path, f"base_model: {tiny_chatml_model_dir}\nrl_beta: 0.2\n{data}"))
    assert any(w.key == "rl_beta" and "supervised fine-tuning" in w.message for w in sft.warnings)
    grpo = check_config(_write(tmp_path, f"base_model: {tiny_chatml_model_dir}\nrl: grpo\n{data}"))
    assert grpo.ok and [u.key for u in grpo.unsupported] == ["rl"]
    typo = check_config(_write(tmp_path, f"base_model: {tiny_chatml_model_dir}\nrl: dpoo\n{data}"))
    assert not typo.ok and "dpo" in typo.errors[0].message
    packed = check_config(
        _write(tmp_path, f"base_model: {tiny_chatml_model_dir}\nrl: dpo\nsample_packing: true\n{data}")
    )
    assert any(e.key == "sample_packing" for e in packed.errors)
    bad_type = check_config(
        _write(
            tmp_path, f"base_model: {tiny_chatml_model_dir}\nrl: kto\n{data.rstrip()}\n    type: chatml.icr\n"
        )
    )
    assert [u.key for u in bad_type.unsupported] == ["datasets[0].type"]


def test_llama_factory_rows_are_detected_and_rendered(tmp_path, tiny_chatml_model_dir, shared_datasets):
    data = f"datasets:\n  - path: {shared_datasets / 'dpo_en_demo.json'}\n"
    c = _config(tmp_path, tiny_chatml_model_dir, "rl: dpo\nsequence_len: 4096", data)
    tok = load_tokenizer(c)
    examples, log, _ = preview(c, tok, 2)
    assert log.count == 0 and len(examples) == 2
    first = examples[0]
    prompt = tok.decode(first.prompt_ids)
    row = json.loads((shared_datasets / "dpo_en_demo.json").read_text())[0]
    assert prompt.endswith(row["conversations"][-1]["value"] + "<|im_end|>\n<|im_start|>assistant\n")
    assert tok.decode(first.chosen_ids) == row["chosen"]["value"] + "<|im_end|>"
    assert tok.decode(first.rejected_ids) == row["rejected"]["value"] + "<|im_end|>"
    full = load_preference_data(c, tok)
    assert len(full.train) + full.dropped_long == 300 and full.bad_rows == 0


def test_truncation_keeps_prompt_end_and_drops_or_cuts(tmp_path, tiny_chatml_model_dir, shared_datasets):
    data = f"datasets:\n  - path: {shared_datasets / 'dpo_en_demo.json'}\n"
    c = _config(
        tmp_path,
        tiny_chatml_model_dir,
        "rl: dpo\nsequence_len: 128\nmax_prompt_len: 32\nexcess_length_strategy: truncate",
        data,
    )
    tok = load_tokenizer(c)
    examples, _, _ = preview(c, tok, 20)
    assert all(len(e.prompt_ids) <= 32 and e.longest <= 128 for e in examples)
    assert any(e.prompt_cut for e in examples) and any(e.answer_cut for e in examples)
    assert all(tok.decode(e.prompt_ids).endswith("<|im_start|>assistant\n") for e in examples)
    dropped = _config(tmp_path, tiny_chatml_model_dir, "rl: dpo\nsequence_len: 128", data)
    result = load_preference_data(dropped, tok)
    assert result.dropped_long > 0 and all(e.longest <= 128 for e in result.train)


AXOLOTL_ROWS = {
    "chatml.intel": {"system": "Be brief.", "question": "2+2?", "chosen": "4", "rejected": "5"},
    "chatml.icr": {"input": "2+2?", "chosen": "4", "rejected": "5"},
    "chatml.prompt_pairs": {"prompt": "2+2?", "chosen": "4", "rejected": "5"},
    "chatml.argilla": {"instruction": "2+2?", "chosen_response": "4", "rejected_response": "5"},
    "chatml.ultra": {
        "prompt": "2+2?",
        "chosen": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}],
        "rejected": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "5"}],
    },
    "chatml.argilla_chat": {
        "chosen": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}],
        "rejected": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "5"}],
    },
}


@pytest.mark.parametrize("type_name", sorted(AXOLOTL_ROWS))
def test_fixed_chatml_types_build_axolotls_strings(type_name):
    from ftui.core.data.model import RowOrigin

    row = PAIR_TYPES[type_name](AXOLOTL_ROWS[type_name], EntryKeys(type=type_name), RowOrigin("f.jsonl", 1))
    system = "<|im_start|>system\nBe brief.<|im_end|>\n" if type_name == "chatml.intel" else ""
    assert row.prompt == system + "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n"
    assert (row.chosen, row.rejected) == ("4<|im_end|>", "5<|im_end|>")
    llama = PAIR_TYPES[type_name.replace("chatml", "llama3")](
        AXOLOTL_ROWS[type_name], EntryKeys(), RowOrigin("f.jsonl", 1)
    )
    assert (
        llama.prompt.endswith("<|start_header_id|>assistant<|end_header_id|>\n\n")
        and llama.chosen == "4<|eot_id|>"
    )


def test_kto_and_user_defined_rows():
    from ftui.core.data.model import RowOrigin

    origin = RowOrigin("f.jsonl", 3)
    row = KTO_TYPES["llama3.ultra"]({"prompt": "hi", "completion": "yo", "label": False}, EntryKeys(), origin)
    assert row.label is False and row.chosen == "yo<|eot_id|>" and row.rejected is None
    keys = EntryKeys.of(
        {
            "path": "x",
            "type": {"field_prompt": "q", "prompt_format": "Q: {prompt}\nA:", "chosen_format": " {chosen}"},
        }
    )
    row = PAIR_TYPES["user_defined.default"]({"q": "hi", "chosen": "a", "rejected": "b"}, keys, origin)
    assert (row.prompt, row.chosen, row.rejected) == ("Q: hi\nA:", " a", "b")


def test_bad_rows_are_reported_with_file_and_line(tmp_path, tiny_chatml_model_dir):
    rows = [
        {"prompt": "a", "chosen": "x", "rejected": "y"},
        {"prompt": "b", "rejected": "y"},
        {"prompt": "c", "chosen": "same", "rejected": "same"},
        {"prompt": "d", "chosen": "x", "rejected": ""},
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    c = _config(
        tmp_path,
        tiny_chatml_model_dir,
        "rl: dpo",
        f"datasets:\n  - path: {path}\n    type: chatml.prompt_pairs\n",
    )
    with pytest.raises(DataError) as err:
        load_preference_data(c, load_tokenizer(c))
    text = err.value.message
    assert "pairs.jsonl:2: missing field 'chosen'" in text
    assert "pairs.jsonl:3: chosen and rejected are the same answer" in text
    assert "pairs.jsonl:4: field 'rejected' is empty" in text


def test_debug_shows_prompt_chosen_rejected_with_labels_after_truncation(
    tmp_path, tiny_chatml_model_dir, shared_datasets, capsys
):
    from ftui.tui.cli import main

    path = _write(
        tmp_path,
        f"base_model: {tiny_chatml_model_dir}\nchat_template: chatml\nrl: dpo\nsequence_len: 96\nmax_prompt_len: 24\n"
        f"excess_length_strategy: truncate\ndatasets:\n  - path: {shared_datasets / 'dpo_en_demo.json'}\n",
    )
    assert main(["debug", str(path), "-n", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "dpo" and len(out["examples"]) == 2
    first = out["examples"][0]
    for part in ("chosen", "rejected"):
        tokens = first[part]["tokens"]
        assert len(tokens) <= 96
        prompt = [t for t in tokens if t["part"] == "prompt"]
        assert len(prompt) == first["prompt_tokens"] <= 24
        assert all(t["label"] == -100 for t in prompt)
        assert all(t["label"] == t["id"] and t["part"] == part for t in tokens[len(prompt) :])
    assert main(["debug", str(path), "-n", "1", "--text-only", "--color", "never"]) == 0
    text = capsys.readouterr().out
    assert "[chosen]" in text and "[rejected]" in text and "max_prompt_len" in text


def test_preprocess_reads_preference_rows_not_sft(tmp_path, tiny_chatml_model_dir, shared_datasets, capsys):
    from ftui.tui.cli import main

    path = _write(
        tmp_path,
        f"base_model: {tiny_chatml_model_dir}\nchat_template: chatml\nrl: dpo\nsequence_len: 128\n"
        f"val_set_size: 10\ndatasets:\n  - path: {shared_datasets / 'dpo_en_demo.json'}\n",
    )
    assert main(["preprocess", str(path)]) == 1  # 8 pairs fit in 128 tokens: none left to train on
    assert "leaving none to train on (292 were longer than sequence_len)" in capsys.readouterr().err
    path.write_text(path.read_text() + "excess_length_strategy: truncate\n")
    assert main(["preprocess", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "dpo" and out["eval_examples"] == 10 and out["bad_rows"] == 0
    assert out["train_examples"] + out["eval_examples"] + out["dropped_too_long"] == 300
    assert out["longest_sequence"] <= 128
