"""Preference dataset types: Axolotl's `type:` names for DPO/IPO/SimPO/ORPO and KTO, and auto-detection.

Each parser turns one row (a dict) into a `PreferenceRow`. `chatml.*` and `llama3.*` build the final strings
exactly as Axolotl's prompt strategies do; `chat_template.*` and detected rows keep messages, which the
config's chat template renders (core/preference/tokens.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ftui.core.data.model import RowOrigin
from ftui.core.data.rows import RowError, describe, required_str
from ftui.core.preference import rows as r
from ftui.core.preference.rows import EntryKeys, PreferenceRow

Parser = Callable[[dict, EntryKeys, RowOrigin], PreferenceRow]

# Header strings of Axolotl's fixed-format strategies: (system, user + assistant header, end of answer).
FIXED: dict[str, tuple[str, str, str]] = {
    "chatml": (
        "<|im_start|>system\n{}<|im_end|>\n",
        "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n",
        "<|im_end|>",
    ),
    "llama3": (
        "<|start_header_id|>system<|end_header_id|>\n\n{}<|eot_id|>",
        "<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        "<|eot_id|>",
    ),
}

# Axolotl's DPO row shapes of the chatml/llama3 families: function -> (prompt keys, chosen, rejected).
# A key "x[1]" reads the content of the second message of list x (ultrafeedback's chosen/rejected).
PAIR_SHAPES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "default": (("prompt", "input", "question", "instruction"), "chosen|chosen_response", "rejected|rejected_response"),
    "argilla": (("prompt", "input", "question", "instruction"), "chosen|chosen_response", "rejected|rejected_response"),
    "icr": (("input",), "chosen", "rejected"),
    "intel": (("question",), "chosen", "rejected"),
    "prompt_pairs": (("prompt",), "chosen", "rejected"),
    "ultra": (("prompt",), "chosen[1]", "rejected[1]"),
    "argilla_chat": (("chosen[0]",), "chosen[1]", "rejected[1]"),
}  # fmt: skip
KTO_SHAPES: dict[str, tuple[str, ...]] = {
    "argilla": ("instruction",),
    "intel": ("question",),
    "prompt_pairs": ("prompt",),
    "ultra": ("prompt",),
    "argilla_chat": ("completion[0]",),
}


def _read(row: dict, spec: str) -> str:
    """A field by Axolotl's shape spec: `a|b` (the first present), `x[i]` (content of message i)."""
    if spec.endswith("]"):
        name, _, index = spec[:-1].partition("[")
        if name not in row:
            raise RowError(f"missing field '{name}'")
        return r.last_content(row[name], name, int(index))
    keys = tuple(spec.split("|"))
    return required_str(row, r.first_key(row, keys))


def _fixed_pair(family: str, shape: str) -> Parser:
    system_fmt, user_fmt, end = FIXED[family]
    prompt_keys, chosen_spec, rejected_spec = PAIR_SHAPES[shape]

    def parse(row: dict, keys: EntryKeys, origin: RowOrigin) -> PreferenceRow:
        prompt = (
            _read(row, prompt_keys[0])
            if "[" in prompt_keys[0]
            else required_str(row, r.first_key(row, prompt_keys))
        )
        system = None if shape == "argilla_chat" else r.system_of(row)
        text = (system_fmt.format(system) if system else "") + user_fmt.format(prompt)
        chosen, rejected = _read(row, chosen_spec), _read(row, rejected_spec)
        return r.check_pair(PreferenceRow(origin, text, chosen + end, rejected + end))

    return parse


def _fixed_kto(family: str, shape: str) -> Parser:
    system_fmt, user_fmt, end = FIXED[family]
    (prompt_spec,) = KTO_SHAPES[shape]

    def parse(row: dict, keys: EntryKeys, origin: RowOrigin) -> PreferenceRow:
        prompt = _read(row, prompt_spec)
        system = None if shape == "argilla_chat" else r.system_of(row)
        text = (system_fmt.format(system) if system else "") + user_fmt.format(prompt)
        completion = _read(row, "completion[1]" if shape == "argilla_chat" else "completion")
        return PreferenceRow(origin, text, completion + end, label=r.kto_label(row))

    return parse


def _chat_default(row: dict, keys: EntryKeys, origin: RowOrigin) -> PreferenceRow:
    """chat_template.default: messages + chosen + rejected (each a text, a message or a list)."""
    field_messages = keys.field_messages or "messages"
    if field_messages not in row:
        raise RowError(f"missing field '{field_messages}'")
    prompt = r.messages(row[field_messages], field_messages, keys)
    chosen = r.answer(row.get(keys.field_chosen), keys.field_chosen, keys)
    rejected = r.answer(row.get(keys.field_rejected), keys.field_rejected, keys)
    return r.check_pair(PreferenceRow(origin, _with_system(row, prompt), chosen, rejected))


def _chat_argilla(row: dict, keys: EntryKeys, origin: RowOrigin) -> PreferenceRow:
    """chat_template.argilla(_chat): chosen and rejected are whole conversations; the prompt is chosen's
    turns before the last (a `prompt` field replaces a single user turn, as Axolotl's ORPO strategy)."""
    chosen_turns = r.messages(row.get(keys.field_chosen), keys.field_chosen, keys)
    rejected_turns = r.messages(row.get(keys.field_rejected), keys.field_rejected, keys)
    if len(chosen_turns) < 2:
        raise RowError(f"field '{keys.field_chosen}' needs the prompt turns and the answer (2+ messages)")
    prompt = chosen_turns[:-1]
    if isinstance(row.get("prompt"), str) and len(prompt) == 1 and prompt[0]["role"] == "user":
        prompt = [{"role": "user", "content": row["prompt"]}]
    chosen, rejected = chosen_turns[-1]["content"], rejected_turns[-1]["content"]
    for name, value in ((keys.field_chosen, chosen), (keys.field_rejected, rejected)):
        if not value.strip():
            raise RowError(f"the last message of '{name}' is empty")
    return r.check_pair(PreferenceRow(origin, _with_system(row, prompt), chosen, rejected))


def _with_system(row: dict, prompt: list[dict[str, str]]) -> list[dict[str, str]]:
    system = r.system_of(row)
    if system and not any(m["role"] == "system" for m in prompt):
        return [{"role": "system", "content": system}, *prompt]
    return prompt


def _user_defined_pair(row: dict, keys: EntryKeys, origin: RowOrigin) -> PreferenceRow:
    c = keys.custom
    prompt = required_str(row, c.get("field_prompt", "prompt"))
    system = row.get(c.get("field_system", "system")) or ""
    prompt_format = c.get("prompt_format") or "{prompt}"
    try:
        text = prompt_format.format(prompt=prompt, system=system)
        chosen = (c.get("chosen_format") or "{chosen}").format(
            chosen=required_str(row, c.get("field_chosen", "chosen"))
        )
        rejected = (c.get("rejected_format") or "{rejected}").format(
            rejected=required_str(row, c.get("field_rejected", "rejected"))
        )
    except (KeyError, IndexError, ValueError) as err:
        raise RowError(f"the type's *_format strings do not fill: {err}") from None
    return r.check_pair(PreferenceRow(origin, text, chosen, rejected))


def _user_defined_kto(row: dict, keys: EntryKeys, origin: RowOrigin) -> PreferenceRow:
    c = keys.custom
    prompt = required_str(row, c.get("field_prompt", "prompt"))
    system = row.get(c.get("field_system", "system")) or ""
    try:
        text = (c.get("prompt_format") or "{prompt}").format(prompt=prompt, system=system)
        completion = (c.get("completion_format") or "{completion}").format(
            completion=required_str(row, c.get("field_completion", "completion"))
        )
    except (KeyError, IndexError, ValueError) as err:
        raise RowError(f"the type's *_format strings do not fill: {err}") from None
    return PreferenceRow(origin, text, completion, label=r.kto_label(row, c.get("field_label", "label")))


def _kto_chat(row: dict, keys: EntryKeys, origin: RowOrigin) -> PreferenceRow:
    """TRL's unpaired rows: prompt (text or messages) + completion (text or messages) + label."""
    if "prompt" not in row:
        raise RowError("missing field 'prompt'")
    prompt = r.messages(row["prompt"], "prompt", keys)
    completion = r.answer(row.get("completion"), "completion", keys)
    return PreferenceRow(origin, _with_system(row, prompt), completion, label=r.kto_label(row))


def _detected_pair(row: dict, keys: EntryKeys, origin: RowOrigin) -> PreferenceRow:
    """No `type:`: LLaMA-Factory's conversations + chosen + rejected, TRL's prompt + chosen + rejected (text
    or messages), or chosen/rejected conversations with the prompt inside (TRL's implicit prompt)."""
    for name in ("conversations", "messages", "prompt"):
        if name in row:
            return _chat_default(row, EntryKeys(**{**keys.__dict__, "field_messages": name}), origin)
    if isinstance(row.get(keys.field_chosen), list):
        return _chat_argilla(row, keys, origin)
    raise RowError(
        "cannot read a preference pair: expected conversations/messages/prompt with chosen and rejected "
        f"(keys here: {', '.join(map(str, row)) or 'none'})"
    )


def _registry() -> tuple[dict[str, Parser], dict[str, Parser]]:
    pairs: dict[str, Parser] = {
        "chat_template.default": _chat_default,
        "chat_template.argilla": _chat_argilla,
        "chat_template.argilla_chat": _chat_argilla,
        "user_defined.default": _user_defined_pair,
    }
    kto: dict[str, Parser] = {"user_defined.default": _user_defined_kto, "chat_template.default": _kto_chat}
    for family in FIXED:
        for shape in PAIR_SHAPES:
            pairs[f"{family}.{shape}"] = _fixed_pair(family, shape)
        for shape in KTO_SHAPES:
            kto[f"{family}.{shape}"] = _fixed_kto(family, shape)
    return pairs, kto


PAIR_TYPES, KTO_TYPES = _registry()


def canonical_type(name: str) -> str:
    """Axolotl's loader reads `chatml` as `chatml.default`, `chat_template` as `chat_template.default`."""
    return name if "." in name else f"{name}.default"


def types_for(method: str) -> dict[str, Parser]:
    return KTO_TYPES if method == "kto" else PAIR_TYPES


def type_names(method: str) -> list[str]:
    return sorted(types_for(method))


def preference_type_status(name: str, method: str) -> str | None:
    """For a preference method: "ok", "unsupported" (an Axolotl strategy ftui does not render) or
    "unknown" (a typo); None when `method` is not a preference method ftui trains."""
    from ftui.core.preference.methods import METHODS

    if method not in METHODS:
        return None
    if canonical_type(name) in types_for(method):
        return "ok"
    return "unsupported" if "." in name or ":" in name else "unknown"


def parser_for(keys: EntryKeys, method: str, first_row: Any = None) -> Parser:
    """The parser of one dataset entry: its `type:`, else detected from the first row."""
    if keys.type is not None:
        parser = types_for(method).get(canonical_type(keys.type))
        if parser is None:
            from ftui.core.errors import UserError

            raise UserError(
                f"dataset type {keys.type!r} is not a preference type ftui renders for rl: {method}",
                hint="use one of " + ", ".join(type_names(method)) + " (docs/preference.md)",
            )
        return parser
    if method == "kto":
        return _kto_chat
    if first_row is not None and not isinstance(first_row, dict):
        raise RowError(f"a preference row must be an object, got {describe(first_row)}")
    return _detected_pair
