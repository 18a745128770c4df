"""FastChat conversation templates (templates/prompts/legacy/fastchat_conversations.yaml) and the turns they make.

Legacy `type: sharegpt` + `conversation: NAME` rendered a conversation as a list of (role prefix, text)
parts: a system part first, then one part per message, each with the template's separators. Axolotl
tokenized every part on its own; `legacy_sharegpt.py` does the same with these parts. The rules per
separator style below are the formats FastChat documents for each style (as Axolotl's `get_turns` laid
them out, which is what decides the tokens).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from ftui.core.errors import UserError


@dataclass(frozen=True)
class Conversation:
    name: str
    system_template: str
    system_message: str
    roles: tuple[str, ...]
    sep_style: str
    sep: str
    sep2: str | None

    def system_prompt(self) -> str:
        return self.system_template.format(system_message=self.system_message)


@lru_cache(maxsize=1)
def _all() -> dict[str, Conversation]:
    from ftui.core.paths import templates_dir
    from ruamel.yaml import YAML

    path = templates_dir() / "prompts" / "legacy" / "fastchat_conversations.yaml"
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8")) or {}
    return {
        name: Conversation(
            name=name,
            system_template=entry.get("system_template") or "{system_message}",
            system_message=entry.get("system_message") or "",
            roles=tuple(entry["roles"]),
            sep_style=entry["sep_style"],
            sep=entry.get("sep") or "",
            sep2=entry.get("sep2"),
        )
        for name, entry in data.items()
    }


def conversation_names() -> list[str]:
    return sorted(_all())


def get_conversation(name: str, default_system_message: str | None = None) -> Conversation:
    """A template by name. `default_system_message` replaces chatml's and llama3's default system text
    (Axolotl's `default_system_message` key, read for those two)."""
    conversations = _all()
    if name not in conversations:
        from ftui.core.config.suggestions import did_you_mean

        raise UserError(
            f"unknown conversation template {name!r} (dataset key `conversation`){did_you_mean(name, conversations)}",
            hint="use a FastChat template name such as alpaca, chatml, vicuna_v1.1, llama-2, mistral, zephyr",
        )
    conv = conversations[name]
    if default_system_message and name in ("chatml", "chatml_glaive", "llama3"):
        conv = replace(conv, system_message=default_system_message)
    return conv


def turns(conv: Conversation, messages: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(role prefix, text) parts of a conversation: the system part (when the style has one), then the
    messages. `messages` holds (template role, text) with the template's own role names."""
    style = conv.sep_style
    system = conv.system_prompt()
    messages = [list(m) for m in messages]
    if style in _SIMPLE:
        return _SIMPLE[style](conv, system, messages)
    if style == "LLAMA2":
        return _llama2(conv, system, messages)
    raise UserError(
        f"conversation template {conv.name!r} has separator style {style}, which ftui does not render"
    )


def _system_with_sep(conv, system):
    return [("", system + conv.sep)]


def _system_with_sep_unless_empty(conv, system):
    return [("", "" if system == "" else system + conv.sep)]


def _system_raw(conv, system):
    return [("", system)]


def _system_with_sep_if_set(conv, system):
    return [("", system + conv.sep)] if conv.system_message else []


def _plain(after_role: str, empty_turn: str, system_part, two_seps: bool = False):
    """The FastChat styles that differ only in what follows the role, the system part and whether the
    separators alternate (sep, sep2): each turn is (role + after_role, text + sep), an empty one
    (role + empty_turn, "")."""

    def style(conv, system, messages):
        seps = [conv.sep, conv.sep2] if two_seps else [conv.sep, conv.sep]
        out = system_part(conv, system)
        for i, (role, text) in enumerate(messages):
            out.append((role + after_role, text + seps[i % 2]) if text else (role + empty_turn, ""))
        return out

    return style


def _rwkv(conv, system, messages):
    out = [("", system)]
    for role, text in messages:
        out.append(
            (role + ": ", text.replace("\r\n", "\n").replace("\n\n", "\n") + "\n\n")
            if text
            else (role + ":", "")
        )
    return out


def _llama3(conv, system, messages):
    out = [("", system)] if conv.system_message else []
    for role, text in messages:
        head = f"<|start_header_id|>{role}<|end_header_id|>\n\n"
        out.append((head, f"{text.strip()}<|eot_id|>") if text else (head, ""))
    return out


def _gemma(conv, system, messages):
    if conv.system_message:
        raise UserError("the gemma conversation template does not support system messages")
    out = []
    for i, (role, text) in enumerate(messages):
        prefix = "<bos>" if i == 0 else ""
        out.append((prefix + "<start_of_turn>" + role + "\n", (text or "") + "<end_of_turn>\n"))
    return out


def _chatglm(conv, system, messages):
    round_add = 1 if conv.name == "chatglm2" else 0
    out = [("", system + conv.sep)] if system else []
    for i, (role, text) in enumerate(messages):
        if i % 2 == 0:
            out.append(("", f"[Round {i // 2 + round_add}]{conv.sep}"))
        out.append((f"{role}：", f"{text}{conv.sep}") if text else (f"{role}：", ""))
    return out


def _chatml(conv, system, messages):
    out = [("", "" if system == "" else system + conv.sep + "\n")]
    for role, text in messages:
        out.append((role + "\n", text + conv.sep + "\n") if text else (role + "\n", ""))
    return out


def _chatglm3(conv, system, messages):
    out = [("", system)] if conv.system_message else []
    for role, text in messages:
        out.append((role + "\n", " " + text) if text else (role, ""))
    return out


def _chatintern(conv, system, messages):
    seps = [conv.sep, conv.sep2]
    out = [("", system)]
    for i, (role, text) in enumerate(messages):
        prefix = "<s>" if i % 2 == 0 else ""
        out.append((prefix + role + ":", text + seps[i % 2] + "\n") if text else (role + ":", ""))
    return out


def _dolly(conv, system, messages):
    seps = [conv.sep, conv.sep2]
    out = [("", system)]
    for i, (role, text) in enumerate(messages):
        suffix = "\n\n" if i % 2 == 1 else ""
        out.append((role + ":\n", text + seps[i % 2] + suffix) if text else (role + ":\n", ""))
    return out


def _phoenix(conv, system, messages):
    out = [("", system)]
    for role, text in messages:
        out.append((role + ": ", "<s>" + text + "</s>") if text else (role + ": " + "<s>", ""))
    return out


_SIMPLE = {
    "ADD_COLON_SINGLE": _plain(": ", ":", _system_with_sep),
    "ADD_COLON_TWO": _plain(": ", ":", _system_with_sep, two_seps=True),
    "ADD_COLON_SPACE_SINGLE": _plain(": ", ": ", _system_with_sep),
    "ADD_NEW_LINE_SINGLE": _plain("\n", "\n", _system_with_sep_unless_empty),
    "NO_COLON_SINGLE": _plain("", "", _system_raw),
    "NO_COLON_TWO": _plain("", "", _system_raw, two_seps=True),
    "RWKV": _rwkv,
    "LLAMA3": _llama3,
    "GEMMA": _gemma,
    "CHATGLM": _chatglm,
    "CHATML": _chatml,
    "CHATGLM3": _chatglm3,
    "CHATINTERN": _chatintern,
    "DOLLY": _dolly,
    "PHOENIX": _phoenix,
    "ROBIN": _plain(":\n", ":\n", _system_with_sep),
    "FALCON_CHAT": _plain(": ", ":", _system_with_sep_if_set),
}


def _llama2(conv, system, messages):
    """Llama-2 style: the system block joins the first user message; `mistral` has its own spacing."""
    out = []
    if conv.name == "mistral":
        has_system = bool(conv.system_message)
        if has_system:
            if messages and messages[0][0] == conv.roles[0]:
                system = conv.system_template.format(system_message=" " + conv.system_message)
                system += messages.pop(0)[1]
            out.append(("", system))
        for i, (role, text) in enumerate(messages):
            if text and i == 0 and not has_system:
                out.append(("", system.strip() + " " + text))
            elif text:
                out.append((role + " ", text))
            else:
                out.append((role, ""))
        return out
    if conv.system_message:
        if messages and messages[0][0] == conv.roles[0]:
            system += messages.pop(0)[1]
        out.append(("", system))
    for i, (role, text) in enumerate(messages):
        if text:
            if (i % 2 == 0 and not conv.system_message) or (i % 2 != 0 and conv.system_message):
                role = "<s> " + role
            out.append((role + " ", text))
        else:
            out.append((role, ""))
    return out
