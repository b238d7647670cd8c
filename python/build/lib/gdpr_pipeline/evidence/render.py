"""The evidence page: one static HTML file, readable without dbt, a server or a network.

No scripts and no external resources: the stylesheet (templates/evidence.css) is inlined,
charts are inline SVG, and a Content-Security-Policy forbids loading anything, so the page
reads the same on an air-gapped laptop, printed, or attached to a ticket.

The markup lives in Jinja2 templates (templates/page.html, one partial per section in
templates/sections/, shared macros in templates/_macros.html). Autoescape is on, so every
value from the evidence is escaped unless a macro adds the tags around it; StrictUndefined
turns a key the page needs but the evidence lacks into an error instead of a blank cell.
This module only computes what a template cannot say simply: links into the dbt docs, the
funnel chart's geometry and the text forms of numbers and timestamps.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

STATUS_CLASS = {
    "success": "ok",
    "pass": "ok",
    "warn": "warn",
    "no-op": "muted",
    "skipped": "bad",
    "error": "bad",
    "fail": "bad",
    "runtime error": "bad",
    "published": "ok",
    "not_published": "bad",
}
DOCS_ROUTE = {
    "model": "model",
    "seed": "seed",
    "source": "source",
    "exposure": "exposure",
    "test": "test",
    "unit_test": "unit_test",
    "snapshot": "snapshot",
}
STAGE_COLOURS = {
    "raw": "#8c96a8",
    "input": "#5b7bb4",
    "eligible": "#3d8fb0",
    "minimized": "#2f9e8f",
    "released": "#2e7d4f",
}
# (id, navigation title); the section's partial is templates/sections/<id>.html.
SECTIONS = (
    ("run", "The run"),
    ("audit", "Audit trail"),
    ("art30", "Art. 30 record"),
    ("funnel", "Funnel"),
    ("privacy", "Privacy safeguards"),
    ("differential-privacy", "Differential privacy"),
    ("tests", "Tests"),
    ("model-card", "Model card"),
    ("lineage", "Lineage"),
    ("runs", "Earlier runs"),
)
# Shown first, and only for a build on another engine than DuckDB (data["engine"]).
ENGINE_SECTION = ("engine", "Engine")
STYLESHEET = "evidence.css"


class _Links:
    def __init__(self, docs: str | None, prefix: str) -> None:
        self.docs = f"{prefix}{docs}" if docs else None

    def href(self, unique_id: str | None, graph: str | None = None) -> str | None:
        """The node's page in the dbt docs (graph, a selector, opens the lineage graph), if any."""
        if not unique_id or not self.docs:
            return None
        route = DOCS_ROUTE.get(unique_id.split(".")[0])
        if not route:
            return None
        suffix = f"?g_v=1&g_i={quote(graph, safe=':')}" if graph else ""
        return f"{self.docs}#!/{route}/{unique_id}{suffix}"


def _text(value: Any) -> str:
    """A value as the page writes it: yes/no, numbers with thousands separators (None is n/a)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,}"
    return str(value)


def _timestamp(value: Any) -> str:
    """'2026-11-01T00:00:00.000000Z' as '2026-11-01 00:00:00' (the labels say UTC)."""
    text = str(value).replace("T", " ").removesuffix("Z")
    return text.split(".")[0].split("+")[0]


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def funnel_chart(purpose: dict[str, Any]) -> dict[str, Any]:
    """The geometry of one purpose's funnel: a bar per stage, widths relative to the largest."""
    stages = purpose["stages"]
    values = [s["subjects"] for s in stages if s["subjects"] is not None]
    top = max(values) if values else 1
    label_w, bar_w, row_h = 250, 560, 30
    bars = []
    for i, stage in enumerate(stages):
        value = stage["subjects"]
        bar = {"label": stage["label"], "value": value, "y": 4 + i * row_h}
        if value is not None:
            bar["width"] = max(2, round(bar_w * value / top)) if top else 2
            bar["colour"] = STAGE_COLOURS.get(stage["stage"], "#777")
            bar["share"] = f" ({value / values[0]:.0%})" if values and values[0] else ""
        bars.append(bar)
    summary = "; ".join(
        f"{s['label']}: {s['subjects'] if s['subjects'] is not None else 'n/a'}" for s in stages
    )
    return {
        "purpose": purpose["purpose"],
        "summary": summary,
        "width": label_w + bar_w + 110,
        "height": row_h * len(stages) + 8,
        "label_w": label_w,
        "bar_h": row_h - 8,
        "bars": bars,
    }


LOADER = PackageLoader("gdpr_pipeline.evidence", "templates")


def _environment() -> Environment:
    environment = Environment(
        loader=LOADER,
        # Every template here is HTML (with inline SVG): escape everything, always.
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(text=_text, timestamp=_timestamp, canonical_json=_canonical_json)
    environment.globals.update(STATUS_CLASS=STATUS_CLASS, funnel_chart=funnel_chart)
    return environment


ENVIRONMENT = _environment()


def stylesheet() -> Markup:
    """templates/evidence.css, to inline in <style> (the CSP allows no stylesheet file)."""
    css, _, _ = LOADER.get_source(ENVIRONMENT, STYLESHEET)
    # Inside <style> entities are not decoded, so the CSS goes in unescaped; it is our own
    # file, and it must not be able to close the element.
    if "</" in css:
        raise ValueError(f"{STYLESHEET} must not contain '</': it is inlined in a <style> element")
    return Markup(css)


def _other_engine(data: dict[str, Any]) -> bool:
    return (data.get("engine") or {"name": "duckdb"})["name"] != "duckdb"


def _engine_section(data: dict[str, Any]) -> str:
    """templates/sections/engine.html for a build on another engine than DuckDB: which, and in
    words what its guarantees lack next to DuckDB's (empty for DuckDB, whose guarantees the
    other sections describe)."""
    if not _other_engine(data):
        return ""
    return ENVIRONMENT.get_template("sections/engine.html").render(data=data)


def render(data: dict[str, Any], *, prefix: str = "", card_href: str = "") -> str:
    """The page for one run. prefix leads from the page to the evidence root (runs/x/ -> ../../)."""
    return ENVIRONMENT.get_template("page.html").render(
        data=data,
        links=_Links(data["lineage"].get("docs"), prefix),
        prefix=prefix,
        card_href=card_href,
        sections=((ENGINE_SECTION,) if _other_engine(data) else ()) + SECTIONS,
        css=stylesheet(),
    )
