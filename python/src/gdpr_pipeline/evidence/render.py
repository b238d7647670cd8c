"""The evidence page: one static HTML file, readable without dbt, a server or a network.

No scripts and no external resources: styles are inline, charts are inline SVG, and a
Content-Security-Policy forbids loading anything, so the page reads the same on an
air-gapped laptop, printed, or attached to a ticket. Every value is HTML-escaped.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any
from urllib.parse import quote

STATUS_CLASS = {
    "success": "ok",
    "pass": "ok",
    "warn": "warn",
    "no-op": "muted",
    "skipped": "bad",
    "error": "bad",
    "fail": "bad",
    "runtime error": "bad",
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

CSS = """
:root { --ink:#1d2433; --muted:#5d6678; --line:#d9dee7; --bg:#f6f7f9; --ok:#1f7a45;
  --okbg:#e3f4ea; --warn:#8a5a00; --warnbg:#fdf1d8; --bad:#a32020; --badbg:#fbe4e4; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
  color:var(--ink); background:var(--bg); }
header.top { background:#1d2b45; color:#fff; padding:24px 32px 18px; }
header.top h1 { margin:0 0 4px; font-size:26px; }
header.top p { margin:2px 0; color:#cfd7e6; }
header.top code { color:#fff; }
nav { display:flex; flex-wrap:wrap; gap:6px 18px; padding:10px 32px; background:#fff;
  border-bottom:1px solid var(--line); position:sticky; top:0; z-index:2; }
nav a { color:#1d4f91; text-decoration:none; font-weight:600; font-size:14px; }
main { max-width:1180px; margin:0 auto; padding:8px 32px 48px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:18px 24px;
  margin:18px 0; scroll-margin-top:52px; }
h2 { margin:0 0 10px; font-size:21px; }
h3 { margin:18px 0 6px; font-size:17px; }
p.lead { color:var(--muted); margin-top:0; }
table { border-collapse:collapse; width:100%; margin:6px 0 10px; font-size:14px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top;
  overflow-wrap:anywhere; }
th { background:#f0f2f6; font-weight:600; overflow-wrap:normal; }
td.status { white-space:nowrap; width:1%; }
.sub { display:block; color:var(--muted); font-size:12.5px; }
table.facts th { width:240px; background:none; color:var(--muted); font-weight:500; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code, .mono { font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace; font-size:13px;
  word-break:break-all; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12.5px;
  font-weight:600; white-space:nowrap; }
.ok { color:var(--ok); background:var(--okbg); }
.warn { color:var(--warn); background:var(--warnbg); }
.bad { color:var(--bad); background:var(--badbg); }
.muted { color:var(--muted); background:#eceef2; }
.tiles { display:grid; grid-template-columns:repeat(auto-fit,minmax(200px,1fr)); gap:12px;
  margin:16px 0 0; }
.tile { background:#fff; color:var(--ink); border-radius:8px; padding:10px 14px; }
.tile .label { font-size:12.5px; color:var(--muted); text-transform:uppercase;
  letter-spacing:.03em; }
.tile .value { font-size:19px; font-weight:700; margin-top:2px; }
.activity { border-left:4px solid #3d8fb0; padding:2px 0 2px 16px; margin:16px 0 22px; }
ul.tight { margin:4px 0; padding-left:20px; }
.chart { margin:6px 0 18px; }
.note { color:var(--muted); font-size:13.5px; }
.alert { border:1px solid var(--bad); background:var(--badbg); color:var(--bad); padding:10px 14px;
  border-radius:6px; font-weight:600; }
details summary { cursor:pointer; font-weight:600; margin:6px 0; }
a { color:#1d4f91; }
@media print { nav { position:static; } section { break-inside:avoid-page; } }
"""

SECTIONS = (
    ("run", "The run"),
    ("audit", "Audit trail"),
    ("art30", "Art. 30 record"),
    ("funnel", "Funnel"),
    ("privacy", "Privacy safeguards"),
    ("tests", "Tests"),
    ("model-card", "Model card"),
    ("lineage", "Lineage"),
    ("runs", "Earlier runs"),
)


def _e(value: Any) -> str:
    if value is None:
        return '<span class="note">n/a</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}"
    return escape(str(value))


def _ts(value: Any) -> str:
    """'2026-11-01T00:00:00.000000Z' as '2026-11-01 00:00:00' (the labels say UTC)."""
    if not value:
        return _e(None)
    text = str(value).replace("T", " ").removesuffix("Z")
    return escape(text.split(".")[0].split("+")[0])


def _pill(css_class: str, text: str) -> str:
    return f'<span class="badge {css_class}">{escape(text)}</span>'


def _badge(status: Any) -> str:
    """A status as dbt spells it, coloured by what it means."""
    text = str(status) if status is not None else "n/a"
    return _pill(STATUS_CLASS.get(text, "muted"), text)


def _code(value: Any) -> str:
    return f"<code>{escape(str(value))}</code>" if value not in (None, "") else _e(None)


class _Links:
    def __init__(self, docs: str | None, prefix: str) -> None:
        self.docs = f"{prefix}{docs}" if docs else None

    def node(self, unique_id: str | None, text: str | None = None, graph: str | None = None) -> str:
        """A link to the node's dbt docs page; graph (a selector) opens the lineage graph."""
        label = escape(text or (unique_id or ""))
        if not unique_id or not self.docs:
            return label
        route = DOCS_ROUTE.get(unique_id.split(".")[0])
        if not route:
            return label
        suffix = f"?g_v=1&g_i={quote(graph, safe=':')}" if graph else ""
        return f'<a href="{escape(self.docs)}#!/{route}/{escape(unique_id)}{suffix}">{label}</a>'


def _facts(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="facts">{body}</table>'


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(
        f'<th class="num">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>'
            if i in numeric
            else (
                f'<td class="status">{c}</td>'
                if c.startswith('<span class="badge')
                else f"<td>{c}</td>"
            )
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# --- sections --------------------------------------------------------------------------------


def _header(data: dict[str, Any]) -> str:
    run = data.get("run") or {}
    tests = data.get("test_summary") or {}
    failed = sum(tests.get(s, 0) for s in ("fail", "error", "runtime error", "skipped"))
    audit = data.get("audit") or {}
    published = data.get("published") or {}
    privacy = {r["release_name"]: r for r in (data.get("privacy") or {}).get("releases") or []}
    k_values = [r["k_achieved"] for r in privacy.values() if r.get("k_achieved") is not None]
    tiles = [
        ("Build", _badge(run.get("status"))),
        (
            "Tests",
            " ".join(
                [
                    _pill("ok", f"{tests.get('pass', 0)} pass"),
                    _pill("warn" if tests.get("warn") else "muted", f"{tests.get('warn', 0)} warn"),
                    _pill("bad" if failed else "muted", f"{failed} fail"),
                ]
            ),
        ),
        (
            "Audit trail",
            _pill("ok", "intact") if audit.get("ok") else _pill("bad", "BROKEN"),
        ),
        (
            "Published release",
            _pill("ok", "this run")
            if published.get("is_this_run")
            else _pill("warn", "an earlier run" if published.get("available") else "none"),
        ),
        ("Smallest k achieved", _e(min(k_values)) if k_values else _e(None)),
    ]
    tile_html = "".join(
        f'<div class="tile"><div class="label">{escape(label)}</div>'
        f'<div class="value">{value}</div></div>'
        for label, value in tiles
    )
    return (
        '<header class="top"><h1>Processing evidence: GDPR pipeline</h1>'
        f"<p>dbt invocation <code>{escape(str(run.get('invocation_id')))}</code> "
        f"({escape(str(run.get('command')))}), as of {_ts(run.get('as_of'))} UTC. "
        f"Page generated {_ts(data.get('generated_at'))} UTC.</p>"
        "<p>Declared facts (purposes registry, column classifications, model card) beside "
        "observed facts (audit trail, published releases, tests) for one run.</p>"
        f'<div class="tiles">{tile_html}</div></header>'
    )


def _run_section(data: dict[str, Any], links: _Links) -> str:
    run = data.get("run")
    if not run:
        return (
            '<section id="run"><h2>The run</h2>'
            '<p class="alert">No dbt run is recorded in the audit trail.</p></section>'
        )
    published = data["published"]
    check = data.get("run_results_check") or {}
    if check.get("checked"):
        rr = (
            f"{_badge('pass' if check['agree'] else 'fail')} dbt's run_results.json and the "
            f"audit trail agree on all {check['tests']} test statuses"
            if check["agree"]
            else f"{_badge('fail')} they disagree on: "
            + ", ".join(_code(d) for d in check["differences"])
        )
    else:
        rr = f'<span class="note">{escape(check.get("reason", "not checked"))}</span>'
    nodes = data.get("node_summary") or {}
    rows = [
        ("Invocation id", _code(run["invocation_id"])),
        ("Command", _code(f"dbt {run['command']}")),
        (
            "Outcome",
            f"{_badge(run['status'])} <span class='note'>{escape(run.get('message') or '')}</span>",
        ),
        (
            "Started / ended (UTC)",
            f"{_ts(run['started_at'])} &rarr; {_ts(run['ended_at'])} "
            f"({_e(run['execution_ms'])} ms)",
        ),
        ("as_of (reference time, UTC)", _ts(run["as_of"])),
        (
            "Pseudonymization key id",
            _code(run["key_id"]) + ' <span class="note">(an id, never the key)</span>',
        ),
        ("Git commit", _code(run["git_commit"])),
        (
            "dbt / adapter / engine",
            f"dbt {_e(run['dbt_version'])}, {_e(run['adapter_type'])} adapter "
            f"{_e(run['adapter_version'])}, engine {_e(run['engine_version'])}",
        ),
        ("Variables", _code(run["dbt_vars"])),
        ("Nodes", ", ".join(f"{_badge(k)} {v}" for k, v in sorted(nodes.items()))),
        (
            "Published to analytics.duckdb",
            (
                f"{_pill('ok', 'yes')} releases in analytics.duckdb come from this run"
                if published["is_this_run"]
                else f"{_pill('warn', 'no')} analytics.duckdb holds releases from "
                + (", ".join(_code(i) for i in published["invocation_ids"]) or "no run")
            ),
        ),
        ("Cross-check", rr),
    ]
    release_rows = [
        [
            links.node(None, r["release_name"]),
            _e(r.get("purpose")),
            _e(r.get("version")),
            _code(r.get("dbt_invocation_id")),
            _ts(r.get("published_at")),
        ]
        for r in published.get("releases", [])
    ]
    releases = (
        "<h3>Published releases</h3>"
        + _table(
            ["Relation", "Purpose", "Version", "dbt invocation", "Published at (UTC)"], release_rows
        )
        if release_rows
        else ""
    )
    return f'<section id="run"><h2>The run</h2>{_facts(rows)}{releases}</section>'


def _engine_section(data: dict[str, Any]) -> str:
    """For a build on another engine than DuckDB: which, and in words what its guarantees lack
    next to DuckDB's (empty for DuckDB, whose guarantees the other sections describe)."""
    engine = data.get("engine") or {"name": "duckdb"}
    if engine["name"] == "duckdb":
        return ""
    notes = "".join(f"<li>{escape(note)}</li>" for note in engine.get("notes") or [])
    return (
        f'<section id="engine"><h2>Engine: {escape(engine["name"])}</h2>'
        f'<ul class="engine-notes">{notes}</ul></section>'
    )


def _audit_section(data: dict[str, Any]) -> str:
    audit = data.get("audit") or {}
    status = (
        f"<p>{_pill('ok', 'intact')} {escape(audit.get('message', ''))}</p>"
        if audit.get("ok")
        else f'<p class="alert">{escape(audit.get("message", "Audit trail not verified"))}</p>'
    )
    anchor = audit.get("anchor") or {}
    rows = [
        ("Records", _e(audit.get("records"))),
        ("Invocations recorded", _e(audit.get("invocations"))),
        (
            "Head (last record)",
            f"seq {_e(anchor.get('seq'))}, hash {_code(anchor.get('record_hash'))}",
        ),
        ("First record's hash", _code(anchor.get("genesis_hash"))),
        ("Anchors from earlier evidence checked", _e(audit.get("anchors_checked"))),
    ]
    return (
        '<section id="audit"><h2>Audit trail</h2>'
        '<p class="lead">Every dbt invocation, node result and test result is appended to '
        "<code>audit.trail</code> in the vault by an on-run-end hook. Each record carries the hash "
        "of the one before it, so editing, deleting or reordering any record breaks the chain. "
        "This page records the head hash; <code>gdpr-pipeline evidence verify</code> recomputes "
        "the chain and checks it against the heads recorded by earlier evidence pages.</p>"
        f"{status}{_facts(rows)}</section>"
    )


def _categories(categories: dict[str, list[str]]) -> str:
    if not categories:
        return _e(None)
    return (
        "<ul class='tight'>"
        + "".join(
            f"<li><b>{escape(cls.replace('_', ' '))}</b>: {', '.join(_code(c) for c in cols)}</li>"
            for cls, cols in categories.items()
        )
        + "</ul>"
    )


def _art30_section(data: dict[str, Any], links: _Links) -> str:
    art30 = data["art30"]
    parts = [
        '<section id="art30"><h2>Record of processing activities (Art. 30(1) GDPR)</h2>',
        '<p class="lead">Generated from the purposes registry (<code>seeds/purposes.csv</code>), '
        "the column classifications (<code>meta.personal_data</code>) and exposures in dbt's "
        "manifest, the published privacy report and the model card. Fields in brackets are for "
        "the controller to complete.</p>",
        _facts(
            [
                ("Controller (Art. 30(1)(a))", escape(art30["controller"])),
                ("Data protection officer", escape(art30["dpo"])),
                ("Sources of personal data", ", ".join(_code(s) for s in art30["sources"])),
                (
                    "Categories of personal data collected",
                    _categories(art30["categories_collected"]),
                ),
                ("Pseudonymization key id", _code(art30.get("key_id"))),
            ]
        ),
    ]
    for activity in art30["activities"]:
        views = ", ".join(
            links.node(uid, uid.split(".", 2)[-1]) for uid in activity["released_view_ids"]
        ) or ", ".join(_code(v) for v in activity["released_views"])
        consent = []
        if activity.get("consent_valid_days"):
            consent.append(f"a grant counts for {escape(str(activity['consent_valid_days']))} days")
        if activity.get("min_policy_version"):
            consent.append(f"policy version &ge; {escape(str(activity['min_policy_version']))}")
        model = activity.get("model")
        rows = [
            (
                "Purpose (Art. 30(1)(b))",
                f"<b>{escape(activity['purpose'])}</b>: {escape(activity['description'])}",
            ),
            (
                "Lawful basis",
                escape(activity["lawful_basis_article"])
                + (f" ({'; '.join(consent)})" if consent else ""),
            ),
            ("Data subjects (Art. 30(1)(c))", escape(activity["data_subjects"])),
            (
                "Personal data released (Art. 30(1)(c))",
                _categories(activity["categories_released"]),
            ),
            ("Released views", views),
            (
                "Recipients (Art. 30(1)(d))",
                "<ul class='tight'>"
                + "".join(f"<li>{escape(r)}</li>" for r in activity["recipients"])
                + "</ul>",
            ),
            ("Transfers to third countries (Art. 30(1)(e))", escape(activity["transfers"])),
            ("Time limits for erasure (Art. 30(1)(f))", escape(activity["retention"])),
            (
                "Safeguards (Art. 30(1)(g), Art. 32)",
                "<ul class='tight'>"
                + "".join(f"<li>{escape(s)}</li>" for s in activity["safeguards"])
                + "</ul>",
            ),
        ]
        if model:
            rows.append(
                (
                    "Model trained for this purpose",
                    f"{_code(model['model_id'])}: {escape(str(model['algorithm']))}, trained on "
                    f"{_code(model['trained_on'])} ({_e(model['rows'])} rows) from dbt invocation "
                    f"{_code(model['dbt_invocation_id'])}. "
                    "See <a href='#model-card'>the model card</a>.",
                )
            )
        parts.append(
            f'<div class="activity" id="art30-{escape(activity["purpose"])}">'
            f"<h3>Processing activity: {escape(activity['purpose'])}</h3>{_facts(rows)}</div>"
        )
    parts.append("</section>")
    return "".join(parts)


def _funnel_chart(purpose: dict[str, Any]) -> str:
    stages = purpose["stages"]
    values = [s["subjects"] for s in stages if s["subjects"] is not None]
    top = max(values) if values else 1
    label_w, bar_w, row_h = 250, 560, 30
    height = row_h * len(stages) + 8
    rows = []
    for i, stage in enumerate(stages):
        y = 4 + i * row_h
        value = stage["subjects"]
        colour = STAGE_COLOURS.get(stage["stage"], "#777")
        rows.append(
            f'<text x="{label_w - 10}" y="{y + 19}" text-anchor="end" font-size="13" '
            f'fill="#1d2433">{escape(stage["label"])}</text>'
        )
        if value is None:
            rows.append(
                f'<text x="{label_w + 4}" y="{y + 19}" font-size="13" fill="#5d6678">'
                "aggregate release: no rows per subject</text>"
            )
            continue
        width = max(2, round(bar_w * value / top)) if top else 2
        share = f" ({value / values[0]:.0%})" if values and values[0] else ""
        rows.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{width}" height="{row_h - 8}" rx="3" '
            f'fill="{colour}"><title>{escape(stage["label"])}: {value:,}</title></rect>'
        )
        rows.append(
            f'<text x="{label_w + width + 6}" y="{y + 19}" font-size="13" fill="#1d2433" '
            f'font-weight="600">{value:,}{escape(share)}</text>'
        )
    summary = "; ".join(
        f"{s['label']}: {s['subjects'] if s['subjects'] is not None else 'n/a'}" for s in stages
    )
    return (
        f'<figure class="chart" id="funnel-{escape(purpose["purpose"])}">'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + bar_w + 110}" '
        f'height="{height}" viewBox="0 0 {label_w + bar_w + 110} {height}" '
        f'aria-label="{escape(purpose["purpose"])} funnel: {escape(summary)}">'
        f"<title>{escape(purpose['purpose'])}: {escape(summary)}</title>{''.join(rows)}</svg>"
        "</figure>"
    )


def _funnel_section(data: dict[str, Any]) -> str:
    funnel = data["funnel"]
    if not funnel["purposes"]:
        return (
            '<section id="funnel"><h2>Rows from raw data to release</h2><p class="alert">'
            "No published release_funnel: nothing has been published yet.</p></section>"
        )
    charts = "".join(
        f"<h3>{escape(p['purpose'])}</h3>{_funnel_chart(p)}" for p in funnel["purposes"]
    )
    raw = (
        f"Raw counts were read from <code>{escape(funnel['raw_dir'])}</code> when this page was "
        "generated; the other stages come from <code>release_funnel</code> as published."
        if funnel.get("raw_dir")
        else "The raw files were not found, so the funnel starts after erasure."
    )
    return (
        '<section id="funnel"><h2>Rows from raw data to release, per purpose</h2>'
        '<p class="lead">Subjects at each stage: in the raw file, after erasure requests are '
        "applied, eligible for the purpose (standing consent, or no objection under legitimate "
        "interest), minimized to the allowed columns, and released after k-anonymity "
        "suppression. Percentages are of the first stage.</p>"
        f"{charts}<p class='note'>{raw}</p></section>"
    )


def _privacy_section(data: dict[str, Any], links: _Links) -> str:
    privacy = data["privacy"]
    k_rows = []
    for r in privacy.get("releases") or []:
        k_ok = (r.get("k_achieved") or 0) >= (r.get("k_required") or 0)
        l_cell = _e(None)
        if r.get("l_required") is not None:
            l_ok = (r.get("l_achieved") or 0) >= r["l_required"]
            l_cell = f"{_e(r.get('l_achieved'))} &ge; {_e(r['l_required'])} " + _badge(
                "pass" if l_ok else "fail"
            )
        if r.get("released_subjects") is not None:
            counts = f"{_e(r.get('eligible_subjects'))} &rarr; {_e(r.get('released_subjects'))}"
            suppressed = f"{_e(r.get('suppressed_subjects'))} subjects"
        else:
            counts = '<span class="note">aggregate cells</span>'
            suppressed = f"{_e(r.get('suppressed_cells'))} cells"
        k_rows.append(
            [
                _code(r["release_name"]),
                _e(r.get("purpose")),
                escape(str(r.get("quasi_identifiers") or "")),
                f"{_e(r.get('k_achieved'))} &ge; {_e(r.get('k_required'))} "
                + _badge("pass" if k_ok else "fail"),
                l_cell,
                counts,
                suppressed,
            ]
        )
    quarantine = privacy.get("quarantine")
    if quarantine is None:
        q_html = '<p class="note">The quarantine could not be read from the vault.</p>'
    elif not quarantine:
        q_html = "<p>No input row was rejected.</p>"
    else:
        total = sum(r["rows"] for r in quarantine)
        q_html = _table(
            ["Source table", "Reason", "Rows"],
            [
                [_code(r["source_table"]), _code(r["rejection_reason"]), _e(r["rows"])]
                for r in quarantine
            ]
            + [["<b>Total</b>", "", f"<b>{total:,}</b>"]],
            numeric={2},
        )
    erasures = privacy.get("erasures") or {}
    e_tests = "".join(
        f"<li>{_badge(t['status'])} {_code(t['name'])} ({_e(t['failures'])} failing rows)</li>"
        for t in erasures.get("tests", [])
    )
    return (
        '<section id="privacy"><h2>Privacy safeguards observed</h2>'
        "<h3>k-anonymity and l-diversity achieved</h3>"
        '<p class="lead">Counted over distinct subjects in each published release; subjects in '
        "combinations rarer than k are suppressed, never released.</p>"
        + _table(
            [
                "Release",
                "Purpose",
                "Quasi-identifiers",
                "k achieved ≥ required",
                "l achieved ≥ required",
                "Subjects eligible → released",
                "Suppressed",
            ],
            k_rows,
        )
        + "<h3>Quarantine: rejected input rows by reason</h3>"
        '<p class="lead">Rejected rows are kept in the vault (<code>quarantine_records</code>), '
        "never dropped silently and never released.</p>" + q_html + "<h3>Erasures applied</h3>"
        f"<p>{_e(erasures.get('requests_applied'))} erasure requests were applied before any "
        "processing in this run. Tests that no erased subject is in a release:</p>"
        f"<ul class='tight'>{e_tests or '<li>none ran</li>'}</ul></section>"
    )


def _tests_section(data: dict[str, Any], links: _Links) -> str:
    tests = data.get("tests") or []
    summary = data.get("test_summary") or {}
    rows = []
    for t in tests:
        on = links.node(t["on"], (t["on"] or "").split(".", 2)[-1]) if t.get("on") else ""
        column = f".{_code(t['column'])}" if t.get("column") else ""
        detail = escape(str(t["test"])) + (f" on {on}{column}" if on else "")
        rows.append(
            [
                _badge(t["status"]),
                f"{links.node(t['unique_id'], t['name'])}<span class='sub'>{detail}</span>",
                _e(t["failures"]),
                _e(t["execution_ms"]),
            ]
        )
    counts = ", ".join(f"{_badge(k)} {v}" for k, v in sorted(summary.items()))
    return (
        '<section id="tests"><h2>Tests of this run</h2>'
        f'<p class="lead">All {len(tests)} data and unit tests of the run, as recorded in the '
        f"audit trail, failures first: {counts or 'none'}. A warning reports without failing "
        "the build; the quarantine warning is expected whenever input rows were rejected.</p>"
        + _table(
            ["Status", "Test (kind, on model.column)", "Failing rows", "Time (ms)"],
            rows,
            numeric={2, 3},
        )
        + "</section>"
    )


def _model_card_section(data: dict[str, Any], links: _Links, card_href: str) -> str:
    card = data.get("model_card")
    if not card:
        return (
            '<section id="model-card"><h2>Model card</h2><p class="note">No model has been '
            "trained (artifacts/models/LATEST is missing).</p></section>"
        )
    p, m, purpose = card.get("provenance", {}), card.get("metrics", {}), card.get("purpose", {})
    run = data.get("run") or {}
    same = p.get("dbt_invocation_id") == run.get("invocation_id")
    provenance = [
        ("Model id", _code(card.get("model_id"))),
        ("Created (UTC)", _ts(card.get("created_at"))),
        ("Task / algorithm", f"{_e(card.get('task'))}; {_e(card.get('algorithm'))}"),
        (
            "Trained on",
            f"{_code(p.get('relation'))} (view {_code(p.get('view'))}, "
            f"version {_e(p.get('version'))})",
        ),
        (
            "dbt invocation of that release",
            _code(p.get("dbt_invocation_id"))
            + (
                " " + _pill("ok", "this run")
                if same
                else ' <span class="note">(an earlier run than the one on this page)</span>'
            ),
        ),
        ("as_of (UTC) / key id", f"{_ts(p.get('as_of'))} / {_code(p.get('key_id'))}"),
        (
            "Rows / data fingerprint (SHA-256)",
            f"{_e(p.get('rows'))} / {_code(p.get('data_fingerprint_sha256'))}",
        ),
        (
            "Training pseudonyms (SHA-256 of the sorted list)",
            f"{_e(p.get('training_subjects'))} / {_code(p.get('training_pseudonyms_sha256'))}",
        ),
        (
            "Purpose and lawful basis",
            f"{_code(purpose.get('purpose'))}: {_e(purpose.get('description'))} "
            f"({_e(purpose.get('lawful_basis'))})",
        ),
        (
            "Features",
            ", ".join(
                _code(f)
                for f in (card.get("features") or {}).get("categorical", [])
                + (card.get("features") or {}).get("numeric", [])
            ),
        ),
        ("Label", _code(card.get("label"))),
    ]
    model_m, base_m = m.get("model", {}), m.get("baseline", {})
    metrics = _table(
        ["", "ROC AUC", "Accuracy"],
        [
            ["model", _e(model_m.get("roc_auc")), _e(model_m.get("accuracy"))],
            [
                f"baseline: {_e(base_m.get('name'))}",
                _e(base_m.get("roc_auc")),
                _e(base_m.get("accuracy")),
            ],
        ],
        numeric={1, 2},
    )
    steps = "".join(
        f"<li>{links.node(s.get('node'), s.get('name'))} "
        f"<span class='note'>({escape(str(s.get('type')))})</span>: "
        f"{escape(str(s.get('does') or ''))}</li>"
        for s in card.get("preparation_steps") or []
    )
    limits = "".join(f"<li>{escape(str(x))}</li>" for x in card.get("limitations") or [])
    files = (
        '<p class="note">The card as filed: '
        f'<a href="{escape(card_href)}model_card.md">model_card.md</a>, '
        f'<a href="{escape(card_href)}model_card.json">model_card.json</a> '
        "(copies kept with this run).</p>"
    )
    return (
        '<section id="model-card"><h2>Model card</h2>'
        f"{_facts(provenance)}<h3>Metrics on the held-out split</h3>{metrics}"
        f"<p class='note'>Held out {_e(m.get('held_out_rows'))} rows; trained on "
        f"{_e(m.get('training_rows'))}; positive rate {_e(m.get('positive_rate'))}.</p>"
        f"<h3>Preparation steps (dbt lineage)</h3><ol>{steps}</ol>"
        f"<h3>Known limitations</h3><ul>{limits}</ul>{files}</section>"
    )


def _lineage_section(data: dict[str, Any], links: _Links) -> str:
    lineage = data["lineage"]
    if links.docs:
        intro = (
            "<p>The dbt documentation of this project, generated offline: "
            f'<a href="{escape(links.docs)}">'
            "open the dbt docs</a>. Each name below opens its page there; the graph links open the "
            "lineage graph.</p>"
        )
    else:
        reason = lineage.get("docs_error") or "not generated"
        intro = f'<p class="alert">dbt docs unavailable: {escape(reason)}</p>'
    parts = ['<section id="lineage"><h2>Lineage: from the sources to the model</h2>', intro]
    for exposure in lineage["exposures"]:
        uid, graph = exposure["unique_id"], "+exposure:" + exposure["name"]
        rows = [
            [
                escape(step["resource_type"]),
                links.node(step["unique_id"], step["name"]),
                ", ".join(escape(c) for c in step["personal_data"])
                or '<span class="note">none</span>',
                _badge(step["status"])
                if step["status"]
                else '<span class="note">'
                + (
                    "read by staging"
                    if step["resource_type"] == "source"
                    else "not built in this run"
                )
                + "</span>",
                _e(step["rows"]),
            ]
            for step in exposure["upstream"]
        ]
        parts.append(
            f"<h3>Exposure {links.node(uid, exposure.get('label') or exposure['name'])} "
            f"<span class='note'>(type {escape(str(exposure['type']))}, "
            f"owner {escape(str(exposure['owner']))})</span></h3>"
            f"<p>{links.node(uid, 'Open its lineage graph', graph=graph)}. "
            "Every node it depends on, sources first, with this run's status and rows:</p>"
            + _table(["Type", "Node", "Personal data classes", "Status", "Rows"], rows, numeric={4})
        )
    parts.append("</section>")
    return "".join(parts)


def _runs_section(data: dict[str, Any], prefix: str) -> str:
    runs = data.get("earlier_runs") or []
    if not runs:
        body = '<p class="note">No earlier run has evidence in this directory.</p>'
    else:
        body = _table(
            ["Started (UTC)", "Invocation", "Command", "Outcome", "Tests"],
            [
                [
                    _ts(r.get("started_at")),
                    f'<a href="{escape(prefix + r["href"])}">{escape(r["invocation_id"])}</a>',
                    _e(r.get("command")),
                    _badge(r.get("status")),
                    escape(json.dumps(r.get("tests") or {}, sort_keys=True)),
                ]
                for r in runs
            ],
        )
    return (
        '<section id="runs"><h2>Earlier runs</h2>'
        '<p class="lead">Each run\'s evidence is kept in '
        f"<code>runs/&lt;invocation id&gt;/</code>.</p>{body}</section>"
    )


def render(data: dict[str, Any], *, prefix: str = "", card_href: str = "") -> str:
    """The page for one run. prefix leads from the page to the evidence root (runs/x/ -> ../../)."""
    links = _Links(data["lineage"].get("docs"), prefix)
    engine = _engine_section(data)
    sections = ((("engine", "Engine"),) if engine else ()) + SECTIONS
    nav = "".join(f'<a href="#{sid}">{escape(title)}</a>' for sid, title in sections)
    run_id = (data.get("run") or {}).get("invocation_id") or "no run"
    body = "".join(
        [
            engine,
            _run_section(data, links),
            _audit_section(data),
            _art30_section(data, links),
            _funnel_section(data),
            _privacy_section(data, links),
            _tests_section(data, links),
            _model_card_section(data, links, card_href),
            _lineage_section(data, links),
            _runs_section(data, prefix),
        ]
    )
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">"
        "<link rel='icon' href='data:,'>"
        f"<title>Processing evidence: run {escape(run_id)}</title><style>{CSS}</style></head><body>"
        f"{_header(data)}<nav aria-label='Sections'>{nav}</nav><main>{body}</main></body></html>\n"
    )
