"""The Ollama `Modelfile` next to an exported GGUF: FROM the file, the chat TEMPLATE, the stop tokens.

Ollama templates are Go templates, chat templates are Jinja. Rather than keep a table of known formats,
the Jinja template is rendered with marker messages and cut at the markers: what comes before the first
user turn, between a user and an assistant turn, between an assistant and the next user turn, and after
the last user turn (the generation prompt). Those pieces, put back together by a Go template, give the
same text as the Jinja template for any alternating conversation, with or without a system prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError

SYS, U1, A1, U2 = "FTUIxSYSx1", "FTUIxUSRx1", "FTUIxASTx1", "FTUIxUSRx2"


@dataclass(frozen=True)
class TemplatePieces:
    """Literal text around each turn; `system_head`/`system_to_user` are None if the template has no system."""

    head: str
    user_to_assistant: str
    assistant_to_user: str
    tail: str
    system_head: str | None = None
    system_to_user: str | None = None


def _render(tokenizer: Any, messages: list[tuple[str, str]]) -> str:
    chat = [{"role": role, "content": text} for role, text in messages]
    return tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)


def _cut(text: str, markers: list[str]) -> list[str] | None:
    """The text between consecutive markers (and before the first / after the last); None if one is missing."""
    pieces, pos = [], 0
    for marker in markers:
        at = text.find(marker, pos)
        if at < 0:
            return None
        pieces.append(text[pos:at])
        pos = at + len(marker)
    return [*pieces, text[pos:]]


def template_pieces(tokenizer: Any, strip_bos: bool) -> TemplatePieces:
    """Cut the tokenizer's chat template into the literal pieces around each turn."""
    if not getattr(tokenizer, "chat_template", None):
        raise UserError("the run's tokenizer has no chat template", hint="train with `chat_template:` set")
    pieces = _cut(_render(tokenizer, [("user", U1), ("assistant", A1), ("user", U2)]), [U1, A1, U2])
    if pieces is None:
        raise UserError(
            "the chat template drops message text, so no Ollama TEMPLATE can be derived from it",
            hint="use a chat template that writes each message's content",
        )
    head, u2a, a2u, tail = pieces
    bos = getattr(tokenizer, "bos_token", None)
    if strip_bos and bos and head.startswith(bos):  # llama.cpp adds BOS itself (tokenizer.ggml.add_bos_token)
        head = head[len(bos) :]
    system_head = system_to_user = None
    try:
        with_system = _cut(_render(tokenizer, [("system", SYS), ("user", U1), ("assistant", A1), ("user", U2)]),
                           [SYS, U1, A1, U2])  # fmt: skip
    except Exception:  # templates that refuse a system turn (Gemma 2) raise from Jinja
        with_system = None
    if with_system is not None and with_system[2:] == [u2a, a2u, tail]:
        system_head, system_to_user = with_system[0], with_system[1]
        if strip_bos and bos and system_head.startswith(bos):
            system_head = system_head[len(bos) :]
    return TemplatePieces(head, u2a, a2u, tail, system_head, system_to_user)


def _lit(text: str) -> str:
    """Literal text inside a Go template: only `{{` needs escaping."""
    return text.replace("{{", '{{ "{{" }}')


def go_template(p: TemplatePieces) -> str:
    """The Ollama TEMPLATE: head (or system head + .System), then each turn with the piece before it."""
    if p.system_head is not None:
        start = f"{{{{ if .System }}}}{_lit(p.system_head)}{{{{ .System }}}}{_lit(p.system_to_user)}"
        start += f"{{{{ else }}}}{_lit(p.head)}{{{{ end }}}}"
    else:
        start = _lit(p.head)
    return (
        f"{start}\n"
        "{{- $seen := false }}\n"
        "{{- range $i, $_ := .Messages }}\n"
        "{{- $last := eq (len (slice $.Messages $i)) 1 }}\n"
        f'{{{{- if eq .Role "user" }}}}{{{{ if $seen }}}}{_lit(p.assistant_to_user)}{{{{ end }}}}'
        f"{{{{ .Content }}}}{{{{ if $last }}}}{_lit(p.tail)}{{{{ end }}}}{{{{ $seen = true }}}}\n"
        f'{{{{- else if eq .Role "assistant" }}}}{_lit(p.user_to_assistant)}{{{{ .Content }}}}\n'
        "{{- end }}\n"
        "{{- end }}"
    )


def stop_tokens(tokenizer: Any, model: Any) -> list[str]:
    """The end-of-turn tokens: the tokenizer's EOS and every EOS id the model's generation config names."""
    ids = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids = [ids] if isinstance(ids, int) else list(ids or [])
    if tokenizer.eos_token_id is not None:
        ids.insert(0, tokenizer.eos_token_id)
    stops: list[str] = []
    for token in tokenizer.convert_ids_to_tokens(ids):
        if token and token not in stops:
            stops.append(token)
    return stops


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_modelfile(gguf_path: Path, tokenizer: Any, model: Any, add_bos: bool, notes: list[str]) -> Path:
    """Write `Modelfile` next to the GGUF (`ollama create NAME -f Modelfile` in that folder)."""
    lines = [
        "# Ollama Modelfile written by `ftui export`; use it with:",
        f"#   cd {gguf_path.parent} && ollama create {gguf_path.stem} -f Modelfile",
        f"FROM ./{gguf_path.name}",
    ]
    if getattr(tokenizer, "chat_template", None):
        pieces = template_pieces(tokenizer, strip_bos=add_bos)
        if '"""' in go_template(pieces):
            raise UserError('the chat template contains """, which an Ollama TEMPLATE cannot hold')
        lines.append(f'TEMPLATE """{go_template(pieces)}"""')
        if pieces.system_head is None:
            notes.append("the chat template has no system turn: Ollama's SYSTEM prompt is not used")
    else:
        notes.append("the run's tokenizer has no chat template: the Modelfile has no TEMPLATE (raw prompts)")
    for stop in stop_tokens(tokenizer, model):
        lines.append(f"PARAMETER stop {_quote(stop)}")
    path = gguf_path.parent / "Modelfile"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
