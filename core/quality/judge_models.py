"""Judge backends: a local transformers model, or an OpenAI-compatible chat endpoint.

Both are an `ask(chats) -> replies` function. The endpoint's key is read from the environment (OPENAI_API_KEY,
or the variable the user names) and only ever goes into the request's Authorization header: never into a
file, an event or an error message.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from ftui.core.errors import UserError

Ask = Callable[[list[list[dict[str, str]]]], list[str]]
DEFAULT_KEY_ENV = "OPENAI_API_KEY"


def local_judge(
    model: str, base_dir: str | None = None, max_new_tokens: int = 200
) -> tuple[Ask, dict[str, Any]]:
    """A transformers model (path, hub id cached offline, .gguf, or `embedded`) answering greedily."""
    import torch
    from ftui.core.generate import GenerationOptions, chat_prompt_ids, generate_batch
    from ftui.core.models.source import resolve_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = resolve_model(model, base_dir)
    kwargs = source.pretrained_kwargs()
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.path, **kwargs)
        network = AutoModelForCausalLM.from_pretrained(source.path, dtype=torch.float32, **kwargs)
    except OSError as exc:
        raise UserError(
            f"cannot load the judge model {model!r}: {exc}", "pass a local model folder or `embedded`"
        ) from None
    network.eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    options = GenerationOptions(max_new_tokens=max_new_tokens)

    def ask(chats: list[list[dict[str, str]]]) -> list[str]:
        prompts = [chat_prompt_ids(tokenizer, chat) for chat in chats]
        return generate_batch(network, tokenizer, prompts, options)

    return ask, {"model": model, "kind": "local"}


def endpoint_judge(
    url: str,
    model: str,
    key_env: str | None = None,
    max_tokens: int = 300,
    timeout_s: float = 120.0,
    retries: int = 2,
) -> tuple[Ask, dict[str, Any]]:
    """`POST {url}/chat/completions` (OpenAI's API shape, temperature 0), one request per chat."""
    variable = key_env or DEFAULT_KEY_ENV
    key = os.environ.get(variable)
    if key_env and not key:
        raise UserError(
            f"--judge-key-env {key_env}: that environment variable is not set", f"export {key_env}=..."
        )
    endpoint = url.rstrip("/")
    if not endpoint.endswith("/chat/completions"):
        endpoint += "/chat/completions"
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"

    def ask(chats: list[list[dict[str, str]]]) -> list[str]:
        return [
            _complete(
                endpoint,
                headers,
                {"model": model, "messages": chat, "temperature": 0, "max_tokens": max_tokens},
                timeout_s,
                retries,
                variable,
            )
            for chat in chats
        ]

    return ask, {"model": model, "kind": "endpoint", "url": url}


def _complete(
    endpoint: str,
    headers: dict[str, str],
    payload: dict[str, Any],
    timeout_s: float,
    retries: int,
    variable: str,
) -> str:
    """One chat completion, retried on rate limits, server errors and lost connections."""
    body = json.dumps(payload).encode()
    for attempt in range(retries + 1):
        request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                data = json.loads(response.read().decode("utf-8"))
            return str(data["choices"][0]["message"]["content"] or "")
        except urllib.error.HTTPError as exc:
            if exc.code in (429, 500, 502, 503) and attempt < retries:
                time.sleep(1.0 * (attempt + 1))
                continue
            hint = (
                f"check the key in ${variable}" if exc.code in (401, 403) else "check --judge-url and --judge"
            )
            raise UserError(
                f"the judge endpoint {endpoint} answered HTTP {exc.code} {exc.reason}", hint
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt < retries:
                time.sleep(1.0 * (attempt + 1))
                continue
            reason = getattr(exc, "reason", exc)
            raise UserError(
                f"cannot reach the judge endpoint {endpoint}: {reason}", "check --judge-url"
            ) from None
        except (ValueError, KeyError, IndexError, TypeError):
            raise UserError(f"the judge endpoint {endpoint} did not answer like an OpenAI chat API") from None
    raise AssertionError("unreachable")
