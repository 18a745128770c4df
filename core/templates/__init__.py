"""Prompt templates (shipped as data in templates/prompts/) and the render + tokenize + mask engine."""

from ftui.core.templates.engine import (
    Tokenizing,
    check_template_fits,
    preview_example,
    tokenize_batch,
    tokenize_example,
)
from ftui.core.templates.jinja_env import TemplateRenderError
from ftui.core.templates.library import (
    PromptTemplate,
    canonical_name,
    list_templates,
    load_template,
    suggest_template,
    template_for,
)
from ftui.core.templates.types import (
    IGNORE_INDEX,
    PARTS,
    BatchResult,
    ExampleStats,
    MaskSettings,
    TokenInfo,
    TokenizedExample,
)

__all__ = [
    "IGNORE_INDEX",
    "PARTS",
    "BatchResult",
    "ExampleStats",
    "MaskSettings",
    "PromptTemplate",
    "TemplateRenderError",
    "TokenInfo",
    "TokenizedExample",
    "Tokenizing",
    "canonical_name",
    "check_template_fits",
    "list_templates",
    "load_template",
    "preview_example",
    "suggest_template",
    "template_for",
    "tokenize_batch",
    "tokenize_example",
]
