"""Text generation with a run's model and template: batched greedy for evaluations, streaming for chat.

A run directory holds the adapter (or full model), the tokenizer with the chat template used in training,
and `ftui_run.json` naming the resolved base model, so `load_run_model` rebuilds exactly what was trained.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.library_logs import quiet_library_logs
from ftui.core.runs.layout import ADAPTER_CONFIG, model_dir_of, read_run_info, tokenizer_dir

quiet_library_logs()

@dataclass
class GenerationOptions:
    max_new_tokens: int = 256
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    num_beams: int = 1

    def kwargs(self) -> dict[str, Any]:
        sampling = self.temperature > 0
        out: dict[str, Any] = {
            "max_new_tokens": self.max_new_tokens,
            "do_sample": sampling,
            "num_beams": self.num_beams,
        }
        if sampling:
            out.update(temperature=self.temperature, top_p=self.top_p)
        else:
            out.update(temperature=None, top_p=None, top_k=None)
        return out


def load_run_model(run_dir: str | Path, base_override: str | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) of a run: base + LoRA adapter, or a full/merged model folder; eval mode."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    root = Path(run_dir)
    if not root.exists():
        raise UserError(f"run folder not found: {root}", hint="pass a run's output_dir (see `ftui monitor`)")
    weights = model_dir_of(root)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir(root, weights))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    info = read_run_info(root)
    trust = bool(info.get("trust_remote_code", False))
    if (weights / ADAPTER_CONFIG).exists():
        from peft import PeftModel

        base_path = base_override or info.get("base_model_path")
        if not base_path:
            base_path = json.loads((weights / ADAPTER_CONFIG).read_text())["base_model_name_or_path"]
        extra = (
            {"gguf_file": info["base_model_gguf_file"]}
            if info.get("base_model_gguf_file") and not base_override
            else {}
        )
        base = AutoModelForCausalLM.from_pretrained(
            base_path, dtype=torch.float32, trust_remote_code=trust, **extra
        )
        model = PeftModel.from_pretrained(base, weights)
    else:
        model = AutoModelForCausalLM.from_pretrained(weights, dtype=torch.float32, trust_remote_code=trust)
    model.eval()
    return model, tokenizer


def chat_prompt_ids(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    """Token ids of a conversation up to the assistant's turn, with the run's chat template."""
    if not getattr(tokenizer, "chat_template", None):
        text = "\n".join(m["content"] for m in messages) + "\n"
        return tokenizer(text)["input_ids"]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def generate_batch(
    model: Any,
    tokenizer: Any,
    prompts: list[list[int]],
    options: GenerationOptions | None = None,
    batch_size: int = 16,
) -> list[str]:
    """Generate for many tokenized prompts (left-padded batches); returns only the new text of each."""
    import torch

    options = options or GenerationOptions()
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    outputs: list[str] = []
    try:
        with torch.no_grad():
            for start in range(0, len(prompts), batch_size):
                chunk = prompts[start : start + batch_size]
                width = max(len(p) for p in chunk)
                ids = torch.tensor([[pad_id] * (width - len(p)) + list(p) for p in chunk], device=device)
                mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in chunk], device=device)
                out = model.generate(
                    input_ids=ids,
                    attention_mask=mask,
                    pad_token_id=pad_id,
                    use_cache=True,
                    **options.kwargs(),
                )
                for row in out[:, width:]:
                    outputs.append(tokenizer.decode(row, skip_special_tokens=True))
    finally:
        if was_training:
            model.train()
    return outputs


def stream_reply(
    model: Any, tokenizer: Any, messages: list[dict[str, str]], options: GenerationOptions | None = None
) -> Iterator[str]:
    """Yield the assistant's reply piece by piece as it is generated (for the CLI and the TUI chat)."""
    import torch
    from transformers import TextIteratorStreamer

    options = options or GenerationOptions()
    ids = torch.tensor([chat_prompt_ids(tokenizer, messages)], device=next(model.parameters()).device)
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    kwargs = dict(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        streamer=streamer if options.num_beams == 1 else None,
        pad_token_id=pad_id,
        use_cache=True,
        **options.kwargs(),
    )
    if options.num_beams > 1:  # beam search cannot stream: generate, then yield the whole reply
        with torch.no_grad():
            out = model.generate(**kwargs)
        yield tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
        return
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with torch.no_grad():
                model.generate(**kwargs)
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(err)
            streamer.end()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    yield from streamer
    thread.join()
    if errors:
        raise errors[0]
