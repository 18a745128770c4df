"""Rendering chat templates in a sandbox, the way transformers renders them.

Chat templates (shipped ones and a model's own) are untrusted code: they run in jinja2's immutable sandbox
with the same settings and helpers transformers gives them (trim_blocks, lstrip_blocks, loop controls,
`tojson`, `raise_exception`, `strftime_now`, `{% generation %}`), so the text is byte-identical.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from ftui.core.errors import UserError


class TemplateRenderError(UserError):
    """The template refused the conversation (e.g. roles that do not alternate) or failed to render."""


@lru_cache(maxsize=32)
def compile_template(source: str) -> Any:
    import jinja2
    from jinja2.ext import Extension, loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class GenerationTag(Extension):
        """`{% generation %}...{% endgeneration %}` (assistant-mask markers): render the body unchanged."""

        tags = {"generation"}

        def parse(self, parser: Any) -> Any:
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

        def _render(self, caller: Any) -> str:
            return caller()

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    def tojson(
        x: Any,
        ensure_ascii: bool = False,
        indent: Any = None,
        separators: Any = None,
        sort_keys: bool = False,
    ) -> str:
        return json.dumps(
            x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
        )

    def strftime_now(fmt: str) -> str:
        return datetime.now().strftime(fmt)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateRenderError(
            f"the chat template does not parse: {exc.message} (template line {exc.lineno})",
            hint="fix the template, or pick a shipped one with `chat_template:`",
        ) from None


def render_chat(
    source: str,
    messages: list[dict[str, Any]],
    context: dict[str, Any],
    tools: list[Any] | None = None,
    add_generation_prompt: bool = False,
    where: str = "",
) -> str:
    """Render `messages` with a chat template; template errors become a `TemplateRenderError` naming `where`."""
    import jinja2

    template = compile_template(source)
    try:
        return template.render(
            messages=messages, tools=tools, add_generation_prompt=add_generation_prompt, **context
        )
    except jinja2.TemplateError as exc:
        place = f"{where}: " if where else ""
        raise TemplateRenderError(
            f"{place}the chat template refused this conversation: {exc}",
            hint="check the roles of this example, or choose another `chat_template`",
        ) from None
