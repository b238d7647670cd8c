"""The Markdown model card (model_card.md), rendered from templates/model_card.md.j2.

Autoescape is off: the card is Markdown, a text file read as-is, and HTML escaping would
write `&lt;` into it instead of `<`. StrictUndefined is on: a field the card names but the
card dict lacks raises instead of leaving a blank in a document filed as evidence.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

TEMPLATE = "model_card.md.j2"

ENVIRONMENT = Environment(
    loader=PackageLoader("gdpr_pipeline.ml", "templates"),
    autoescape=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_markdown(card: dict[str, Any]) -> str:
    """model_card.md for the card train() writes to model_card.json."""
    return ENVIRONMENT.get_template(TEMPLATE).render(card=card)
