"""`ftui chat RUN_DIR --prompt`: greedy, streamed, with the run's template; matches generate_batch."""

from __future__ import annotations

import pytest
from ftui.core.config import load_config
from test_train_support import run_cli, write_config


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, tiny_chatml_model_dir):
    from ftui.core.train.runner import run_training

    folder = tmp_path_factory.mktemp("chat")
    config = write_config(folder, tiny_chatml_model_dir, max_steps=2)
    assert run_training(load_config(config).config, config_dir=folder, quiet=True).status == "finished"
    return folder / "out"


@pytest.mark.slow
def test_chat_prompt_prints_the_greedy_reply(trained_run, tmp_path):
    from ftui.core.generate import GenerationOptions, chat_prompt_ids, generate_batch, load_run_model

    proc = run_cli(
        ["chat", str(trained_run), "--prompt", "What is 2 plus 2?", "--max-new-tokens", "8"], cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    model, tokenizer = load_run_model(trained_run)
    ids = chat_prompt_ids(tokenizer, [{"role": "user", "content": "What is 2 plus 2?"}])
    assert "<|im_start|>assistant" in tokenizer.decode(ids)  # the run's ChatML template
    expected = generate_batch(model, tokenizer, [ids], GenerationOptions(max_new_tokens=8))[0]
    assert proc.stdout.strip() == expected.strip()
    assert expected.strip()


@pytest.mark.slow
def test_stream_reply_yields_pieces_and_beam_search_works(trained_run):
    from ftui.core.generate import GenerationOptions, load_run_model, stream_reply

    model, tokenizer = load_run_model(trained_run)
    messages = [{"role": "user", "content": "Hello"}]
    pieces = list(stream_reply(model, tokenizer, messages, GenerationOptions(max_new_tokens=6)))
    assert len(pieces) >= 1 and "".join(pieces)
    beams = list(stream_reply(model, tokenizer, messages, GenerationOptions(max_new_tokens=6, num_beams=2)))
    assert len(beams) == 1
    sampled = "".join(
        stream_reply(model, tokenizer, messages, GenerationOptions(6, temperature=0.8, top_p=0.9))
    )
    assert isinstance(sampled, str)


def test_chat_bad_options_are_user_errors(tmp_path):
    proc = run_cli(["chat", str(tmp_path), "--prompt", "hi", "--num-beams", "0"], cwd=tmp_path, timeout=60)
    assert proc.returncode == 1 and "error:" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_chat_reads_turns_from_stdin_and_keeps_the_conversation(trained_run, tmp_path):
    proc = run_cli(
        ["chat", str(trained_run), "--max-new-tokens", "4"], cwd=tmp_path, stdin="Hi\nAnd then?\n\n"
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(proc.stdout.splitlines()) >= 2  # one reply per turn; the empty line ends the chat
