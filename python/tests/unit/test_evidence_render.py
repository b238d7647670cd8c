"""The evidence page and the Markdown model card, rendered from their templates without dbt.

A fixed evidence dict stands in for collect(); the tests check what the templates promise:
every value escaped, a missing key an error rather than a blank, badges chosen from the
status (never from the text of a cell), the stylesheet inlined under the page's CSP.
"""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from importlib.resources import files
from typing import Any

import pytest
from jinja2 import UndefinedError

from gdpr_pipeline.evidence.render import SECTIONS, funnel_chart, render
from gdpr_pipeline.ml.card import render_markdown

HOSTILE = '<script>alert("x")</script>'
RUN_ID = "0d4beeae-395d-4bf7-bf03-ba5f62648394"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)


def _card() -> dict[str, Any]:
    return {
        "model_id": "20261101T000000Z-377b5ba5",
        "created_at": "2026-11-01T00:00:00+00:00",
        "task": "binary classification",
        "algorithm": "HistGradientBoostingClassifier",
        "features": {"categorical": ["age_band", "country_group"], "numeric": ["orders_90d"]},
        "label": "has_purchase_next_90d",
        "provenance": {
            "database": "warehouse/analytics.duckdb",
            "view": "ml_training_set",
            "relation": "ml_training_set_v2",
            "version": 2,
            "dbt_invocation_id": RUN_ID,
            "dbt_version": "1.11.0",
            "as_of": "2026-11-01 00:00:00",
            "key_id": "k-1234abcd",
            "rows": 812,
            "data_fingerprint_sha256": "ab" * 32,
            "training_subjects": 812,
            "training_pseudonyms_sha256": "cd" * 32,
            "pseudonym_domain": "model_training",
        },
        "purpose": {
            "purpose": "model_training",
            "description": "train the purchase propensity model",
            "lawful_basis": "consent",
            "retention_days": "365",
        },
        "preparation_steps": [
            {
                "node": "model.gdpr_pipeline.ml_training_set.v2",
                "type": "model",
                "name": "ml_training_set",
                "does": "The training set.",
            }
        ],
        "metrics": {
            "held_out_rows": 203,
            "training_rows": 609,
            "positive_rate": 0.31,
            "model": {"roc_auc": 0.71, "accuracy": 0.7},
            "baseline": {"name": "prior", "roc_auc": 0.5, "accuracy": 0.69},
        },
        "limitations": ["Rows are pseudonymous, not anonymous: a < b & c."],
    }


def _evidence() -> dict[str, Any]:
    """One run's evidence, with every section filled in."""
    return {
        "generated_at": "2026-11-01T00:05:00+00:00",
        "run": {
            "invocation_id": RUN_ID,
            "command": "build",
            "status": "success",
            "message": None,
            "started_at": "2026-11-01T00:00:00.123456Z",
            "ended_at": "2026-11-01T00:01:00.654321Z",
            "execution_ms": 60531,
            "as_of": "2026-11-01T00:00:00Z",
            "key_id": "k-1234abcd",
            "git_commit": "a8f4cfa",
            "dbt_version": "1.11.0",
            "adapter_type": "duckdb",
            "adapter_version": "1.11.0",
            "engine_version": "2.0.0",
            "dbt_vars": '{"as_of": "2026-11-01 00:00:00"}',
        },
        "tests": [
            {
                "unique_id": "test.gdpr_pipeline.not_null_subjects_email",
                "name": "not_null_subjects_email",
                "test": "not_null",
                "on": "model.gdpr_pipeline.stg_app__subjects",
                "column": "email",
                "status": "fail",
                "failures": 3,
                "execution_ms": 1250,
            },
            {
                "unique_id": "test.gdpr_pipeline.odd_status",
                "name": "odd_status",
                "test": "singular test",
                "on": None,
                "column": None,
                "status": "something new",
                "failures": 0,
                "execution_ms": 12,
            },
        ],
        "test_summary": {"fail": 1, "pass": 40},
        "node_summary": {"success": 30},
        "run_results_check": {"checked": True, "agree": True, "differences": [], "tests": 2},
        "published": {
            "available": True,
            "invocation_ids": [RUN_ID],
            "is_this_run": True,
            "releases": [
                {
                    "release_name": "ml_training_set_v2",
                    "purpose": "model_training",
                    "version": 2,
                    "dbt_invocation_id": RUN_ID,
                    "published_at": "2026-11-01T00:01:00Z",
                }
            ],
        },
        "audit": {
            "ok": True,
            "records": 41,
            "invocations": 1,
            "anchors_checked": 0,
            "message": "41 records, chain intact",
            "anchor": {"seq": 41, "record_hash": "ef" * 32, "genesis_hash": "01" * 32},
        },
        "art30": {
            "controller": "[controller name and contact]",
            "dpo": "[DPO contact]",
            "sources": ["app.subjects"],
            "categories_collected": {"direct_identifier": ["email", "full_name"]},
            "key_id": "k-1234abcd",
            "activities": [
                {
                    "purpose": "model_training",
                    "description": "train the purchase propensity model",
                    "lawful_basis_article": "Art. 6(1)(a) consent",
                    "consent_valid_days": 365,
                    "min_policy_version": "v2",
                    "released_views": ["ml_training_set_v2"],
                    "released_view_ids": ["model.gdpr_pipeline.ml_training_set.v2"],
                    "data_subjects": "customers",
                    "categories_released": {"pseudonym": ["subject_pseudonym"]},
                    "recipients": ["Purchase propensity model (data science)"],
                    "transfers": "none",
                    "retention": "365 days",
                    "safeguards": ["HMAC pseudonyms with key k-1234abcd"],
                    "model": {
                        "model_id": "20261101T000000Z-377b5ba5",
                        "algorithm": "HistGradientBoostingClassifier",
                        "trained_on": "ml_training_set_v2",
                        "rows": 812,
                        "dbt_invocation_id": RUN_ID,
                    },
                }
            ],
        },
        "funnel": {
            "raw_dir": "data/raw",
            "purposes": [
                {
                    "purpose": "model_training",
                    "stages": [
                        {"stage": "raw", "label": "raw subjects", "subjects": 1000},
                        {"stage": "input", "label": "after erasure", "subjects": 992},
                        {"stage": "eligible", "label": "eligible", "subjects": 880},
                        {"stage": "minimized", "label": "minimized", "subjects": 880},
                        {"stage": "released", "label": "released", "subjects": 812},
                    ],
                },
                {
                    "purpose": "analytics",
                    "stages": [
                        {"stage": "raw", "label": "raw subjects", "subjects": 1000},
                        {"stage": "released", "label": "released", "subjects": None},
                    ],
                },
            ],
        },
        "privacy": {
            "releases": [
                {
                    "release_name": "ml_training_set_v2",
                    "purpose": "model_training",
                    "quasi_identifiers": "age_band, income_band",
                    "k_required": 5,
                    "k_achieved": 3,
                    "l_required": None,
                    "eligible_subjects": 880,
                    "released_subjects": 812,
                    "suppressed_subjects": 68,
                }
            ],
            "quarantine": [
                {"source_table": "subjects", "rejection_reason": "invalid_email", "rows": 1500}
            ],
            "erasures": {"requests_applied": 8, "tests": []},
        },
        "model_card": _card(),
        "lineage": {
            "docs": "docs/index.html",
            "docs_error": None,
            "exposures": [
                {
                    "unique_id": "exposure.gdpr_pipeline.purchase_propensity_model",
                    "name": "purchase_propensity_model",
                    "label": "Purchase propensity model",
                    "type": "ml",
                    "owner": "Data science",
                    "upstream": [
                        {
                            "unique_id": "source.gdpr_pipeline.app.subjects",
                            "resource_type": "source",
                            "name": "subjects",
                            "personal_data": ["direct_identifier"],
                            "status": None,
                            "rows": None,
                        },
                        {
                            "unique_id": "model.gdpr_pipeline.ml_training_set.v2",
                            "resource_type": "model",
                            "name": "ml_training_set",
                            "personal_data": ["pseudonym"],
                            "status": "success",
                            "rows": 812,
                        },
                    ],
                }
            ],
        },
        "earlier_runs": [
            {
                "started_at": "2026-10-01T00:00:00Z",
                "href": "runs/earlier/index.html",
                "invocation_id": "earlier",
                "command": "build",
                "status": "error",
                "tests": {"pass": 40, "fail": 1},
            }
        ],
    }


class _Elements(HTMLParser):
    """Every element's tag, attributes and own text, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text: list[str] = []
        self.elements.append((tag, dict(attrs), text))
        if tag not in ("meta", "link", "rect"):
            self.open.append(text)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("meta", "link", "rect") and self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1].append(data)


def _elements(html: str) -> list[tuple[str, dict[str, str | None], str]]:
    parser = _Elements()
    parser.feed(html)
    return [(tag, attrs, "".join(text).strip()) for tag, attrs, text in parser.elements]


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">.*?</section>', html, re.S)
    assert match, section_id
    return match.group(0)


def test_page_has_every_section_the_csp_and_the_stylesheet_inline() -> None:
    html = render(_evidence())
    elements = _elements(html)
    ids = [attrs.get("id") for tag, attrs, _ in elements if tag == "section"]
    assert ids == [section_id for section_id, _ in SECTIONS]
    nav = [
        attrs["href"]
        for tag, attrs, _ in elements
        if tag == "a" and attrs.get("href", "")[:1] == "#"
    ]
    assert nav[: len(SECTIONS)] == [f"#{section_id}" for section_id, _ in SECTIONS]
    (csp,) = [a["content"] for t, a, _ in elements if t == "meta" and "http-equiv" in a]
    assert csp == CSP
    css = (files("gdpr_pipeline.evidence") / "templates" / "evidence.css").read_text()
    assert f"<style>{css}</style>" in html
    # Offline: no script, no stylesheet or image from anywhere, no absolute URL but the SVG
    # namespace.
    assert "<script" not in html and '<link rel="stylesheet"' not in html
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"] * 2
    assert html.startswith("<!doctype html>") and html.endswith("</html>\n")


def test_every_value_is_escaped() -> None:
    data = _evidence()
    data["model_card"]["model_id"] = HOSTILE
    data["art30"]["activities"][0]["model"]["model_id"] = HOSTILE
    data["art30"]["activities"][0]["purpose"] = 'x" onmouseover="alert(1)'
    data["tests"][0]["name"] = HOSTILE
    data["privacy"]["releases"][0]["quasi_identifiers"] = '<span class="badge ok">pass</span>'
    data["lineage"]["docs"] = 'docs/"><script>x</script>'
    html = render(data)
    assert "<script" not in html
    assert html.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") == 3
    activity_ids = [a["id"] for t, a, _ in _elements(html) if t == "div" and "id" in a]
    assert activity_ids == ['art30-x" onmouseover="alert(1)']
    assert 'id="art30-x&#34; onmouseover=&#34;alert(1)"' in html
    # A cell whose text looks like a badge is text, not a badge and not a status cell.
    privacy = _section(html, "privacy")
    assert "<td>&lt;span class=&#34;badge ok&#34;&gt;pass&lt;/span&gt;</td>" in privacy
    assert 'href="docs/&#34;&gt;&lt;script&gt;x&lt;/script&gt;#!/model/' in html


def test_a_missing_key_is_an_error_naming_it() -> None:
    for path in (("art30", "controller"), ("tests", 0, "unique_id"), ("run", "git_commit")):
        data = _evidence()
        parent: Any = data
        for key in path[:-1]:
            parent = parent[key]
        del parent[path[-1]]
        with pytest.raises(UndefinedError, match=str(path[-1])):
            render(data)
    # Keys the page treats as optional stay optional.
    data = _evidence()
    for key in ("model_card", "earlier_runs", "test_summary", "run_results_check"):
        del data[key]
    assert "No model has been trained" in render(data)


def test_badges_follow_the_status() -> None:
    html = render(_evidence())
    tests = _section(html, "tests")
    assert '<td class="status"><span class="badge bad">fail</span></td>' in tests
    # A status dbt may add later is shown, uncoloured.
    assert '<td class="status"><span class="badge muted">something new</span></td>' in tests
    assert tests.count('<td class="status">') == 2
    assert '<span class="badge bad">fail</span> 1, <span class="badge ok">pass</span> 40' in tests
    # k achieved below k required fails, in a plain cell (the cell leads with the numbers).
    privacy = _section(html, "privacy")
    assert '<td>3 &ge; 5 <span class="badge bad">fail</span></td>' in privacy
    # A source has no status: a note, not a status cell; a built model has a badge.
    lineage = _section(html, "lineage")
    assert '<td><span class="note">read by staging</span></td>' in lineage
    assert '<td class="status"><span class="badge ok">success</span></td>' in lineage
    runs = _section(html, "runs")
    assert '<td class="status"><span class="badge bad">error</span></td>' in runs
    header = html[: html.index("<nav")]
    assert '<span class="badge bad">1 fail</span>' in header
    assert '<div class="value">3</div>' in header  # the smallest k achieved


def test_numbers_timestamps_and_links_read_as_before() -> None:
    html = render(_evidence(), prefix="../../", card_href="")
    run = _section(html, "run")
    assert "2026-11-01 00:00:00 &rarr; 2026-11-01 00:01:00 (60,531 ms)" in run
    quarantine = _section(html, "privacy")
    assert '<td class="num">1,500</td>' in quarantine and "<b>1,500</b>" in quarantine
    lineage = _section(html, "lineage")
    graph = (
        '<a href="../../docs/index.html#!/exposure/exposure.gdpr_pipeline.purchase_propensity_model'
        '?g_v=1&amp;g_i=%2Bexposure:purchase_propensity_model">Open its lineage graph</a>'
    )
    assert graph in lineage
    assert '<a href="../../runs/earlier/index.html">earlier</a>' in html
    assert '<a href="model_card.md">model_card.md</a>' in _section(html, "model-card")
    assert "policy version &ge; v2" in _section(html, "art30")


def test_funnel_is_an_svg_chart_per_purpose() -> None:
    data = _evidence()
    funnel = _section(render(data), "funnel")
    assert funnel.count("<svg ") == 2
    training = re.search(
        r'<figure class="chart" id="funnel-model_training">.*?</figure>', funnel, re.S
    )
    assert training
    widths = [int(w) for w in re.findall(r'<rect [^>]*width="(\d+)"', training.group(0))]
    assert widths == [560, 556, 493, 493, 455]
    assert "812 (81%)" in training.group(0)
    assert "aggregate release: no rows per subject" in funnel
    chart = funnel_chart(data["funnel"]["purposes"][1])
    assert [bar["value"] for bar in chart["bars"]] == [1000, None]
    assert "width" not in chart["bars"][1]


def test_model_card_markdown_is_not_html_escaped_but_strict() -> None:
    card = _card()
    markdown = render_markdown(card)
    assert markdown.startswith("# Model card: 20261101T000000Z-377b5ba5\n")
    assert "- Rows are pseudonymous, not anonymous: a < b & c.\n" in markdown
    assert "1. `ml_training_set` (model): The training set.\n" in markdown
    # A blank line ends the metrics table, so the note is not read as one more row.
    assert "| 0.5 | 0.69 |\n\nHeld out 203 of 812 rows; positive rate 0.31.\n" in markdown
    assert markdown.endswith("c.\n")
    broken = copy.deepcopy(card)
    del broken["provenance"]["key_id"]
    with pytest.raises(UndefinedError, match="key_id"):
        render_markdown(broken)
