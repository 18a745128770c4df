"""Render the legacy types as the Axolotl releases that had them: instruction types (`oasst`,
`alpaca_chat.load_qa`, a `type:` mapping, ...) and ShareGPT with a FastChat conversation template.

Both return `PieceRendered`: Axolotl tokenized each part on its own (prompt and response; or every turn),
and the engine does the same, so ids and labels are Axolotl's (tests/test_axolotl_parity.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ftui.core.errors import UserError
from ftui.core.templates.conversations import Conversation, turns
from ftui.core.templates.instruct import InstructType, PromptStyle
from ftui.core.templates.types import MaskSettings, Piece, PieceRendered

# --- instruction types ---------------------------------------------------------------------------------------


def render_instruct(
    example: Any, instruct: InstructType, style: PromptStyle, settings: MaskSettings
) -> PieceRendered:
    """Prompt (trained only with train_on_inputs, BOS kept) + response (BOS dropped, EOS added)."""
    has_input = bool(example.input)
    if instruct.system_mode == "style":
        system = instruct.system[0] if has_input else instruct.system[1]
    elif instruct.system_mode == "user":  # the row's system field when it has one, else system_prompt
        system = example.system if example.system is not None else instruct.system[0]
    else:
        system = example.system or ""
    prompt = style.system_format.format(system=system) if system and style.system_format else ""
    if has_input:
        prompt += style.turn_format.format(instruction=example.instruction, input=example.input)
    else:
        prompt += style.turn_no_input_format.format(instruction=example.instruction)
    return PieceRendered(
        [
            Piece(prompt, "prompt", settings.train_on_inputs, strip_bos=False),
            Piece(example.output, "assistant", True, strip_bos=True, add_eos=True),
        ]
    )


# --- legacy ShareGPT -------------------------------------------------------------------------------------------

# Axolotl's remapping of the rows' role spellings before the conversation template saw them.
_THREAD_ROLES = {
    "user": "human",
    "human": "human",
    "assistant": "gpt",
    "gpt": "gpt",
    "system": "system",
    "prompter": "human",
}
# Templates that format a role they do not know (tool, function_call, ...) as a turn of its own.
_ROLE_FORMAT = {"chatml": "<|im_start|>{ROLE}", "zephyr": "<|{ROLE}|>", "vicuna_v1.1": "{ROLE}"}


@dataclass(frozen=True)
class LegacyShareGPT:
    """How one `type: sharegpt` entry renders: its conversation template and role settings."""

    conversation: Conversation
    role_key_human: str = "human"
    role_key_model: str = "gpt"
    input_roles: tuple[str, ...] = ()  # `roles: {input: [...], output: [...]}` on the entry
    output_roles: tuple[str, ...] = ()
    eos_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _thread(example: Any) -> list[dict[str, Any]]:
    out = []
    for message in example.messages:
        original = getattr(message, "original_role", message.role)
        role = _THREAD_ROLES.get(original, original)
        weight = 0 if message.train is False else 1
        out.append({"from": role, "value": message.content, "weight": weight})
    return out


def _parts(legacy: LegacyShareGPT, source: list[dict[str, Any]], where: str) -> list[tuple[str, str, int]]:
    """(role prefix, text, weight) parts as Axolotl's ShareGPTPrompterV2 built them."""
    if len(source) < 2:
        raise UserError(f"{where}: a ShareGPT conversation needs at least 2 messages (Axolotl skips none)")
    conv = legacy.conversation
    original = list(source)
    if source[0]["from"] == "system":
        conv = replace(conv, system_message=source[0]["value"])
        source = source[1:]
    roles = {legacy.role_key_human: conv.roles[0], legacy.role_key_model: conv.roles[1]}
    if source and source[0]["from"] not in roles:
        source = source[1:]  # Axolotl skipped a first turn that is not from the human
    messages = []
    for sentence in source:
        role = roles.get(sentence["from"])
        if role is None:
            if conv.name == "llama3":
                role = sentence["from"]
            elif conv.name in _ROLE_FORMAT:
                role = _ROLE_FORMAT[conv.name].format(ROLE=sentence["from"])
            else:
                raise UserError(
                    f"{where}: role {sentence['from']!r} has no place in the {conv.name!r} conversation template",
                    hint="map it with `roles:`, drop those turns, or use type: chat_template with a chat template",
                )
        messages.append((role, sentence["value"]))
    parts = turns(conv, messages)
    if len(parts) == len(original) + 1:
        original = [{"weight": None}, *original]
    elif len(parts) == len(original) - 1:
        original = original[1:]
    weights = [1 if e.get("weight") is None else e["weight"] for e in original]
    return [(role, text, weight) for (role, text), weight in zip(parts, weights, strict=False)]


def render_legacy_sharegpt(
    example: Any, legacy: LegacyShareGPT, settings: MaskSettings, where: str
) -> PieceRendered:
    """Every part tokenized on its own, with Axolotl's rules for which roles are prompt and which are trained."""
    conv = legacy.conversation
    input_roles = {conv.roles[0], *legacy.input_roles}
    if len(conv.roles) == 3:
        input_roles.add(conv.roles[2])
    output_roles = {conv.roles[1], *legacy.output_roles}
    add_eos = not (conv.name == "chatml" and conv.sep == legacy.eos_token)
    train_inputs = settings.train_on_inputs
    pieces = []
    for role, text, weight in _parts(legacy, _thread(example), where):
        lowered = role.lower()
        if any(r.lower() in lowered for r in input_roles):  # `in`: the role carries separators too
            pieces.append(Piece(role + text, "user", train_inputs and weight == 1))
        elif any(r.lower() in lowered for r in output_roles):
            masked = None if train_inputs else role
            pieces.append(Piece(role + text, "assistant", weight != 0, add_eos=add_eos, masked_prefix=masked))
        elif role.strip() == "":
            pieces.append(Piece(text, "system", train_inputs and weight == 1, strip_bos=False))
        # any other role: Axolotl left the part out
    return PieceRendered(pieces)
