"""The differential-privacy part of the evidence page: the mechanism in plain words, its
settings as the last build applied them, the budget ledger, and the measured utility.

`facts` reads the vault read-only (the ledger and the build's parameters: aggregates and
settings, nothing about a person) and `bench/dp_results.json` (one measurement at 1M
subjects); `section` renders them as one HTML section of the evidence page.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

import duckdb

from gdpr_pipeline.audit import jsonable
from gdpr_pipeline.core.paths import Paths

SECTION_ID = "differential-privacy"
SECTION_TITLE = "Differential privacy"
RESULTS = Path("bench") / "dp_results.json"

PLAIN_WORDS = [
    "The analytics release (purchases by month, country group and category) does not show "
    "true counts. Every number in it has random noise added, drawn by OpenDP, a vetted "
    "differential-privacy library, from a discrete Laplace distribution. The noise is large "
    "enough that whether any one person's purchases are in the data or not changes the "
    "probability of seeing any particular release by at most a factor e^epsilon (epsilon per "
    "month is below). Readers of the release are told the values are noisy: each row carries "
    "the noise scale of each measure.",
    "For that to hold, one person's influence is capped before noise is added: at most a fixed "
    "number of cells per month, of purchases per cell, and of euros per purchase (the bounds "
    "below). A person with more purchases counts only up to the bounds.",
    "Each month is noised once, when it has ended, and then frozen: later builds, erasures and "
    "rebuilds reuse the stored noisy values. Comparing two releases, before and after someone "
    "is erased, therefore shows no difference at all, so nothing about that person can be "
    "worked out by subtraction. The month in progress is not published.",
    "Cells whose noisy number of people is below the threshold are left out (this decision is "
    "made on noisy values, so it reveals nothing extra). Every month published spends privacy "
    "budget; the ledger below records each spend, and a build that would take the total over "
    "the cap fails before anything is published. Noising a month again is only possible on "
    "explicit request, and it spends the budget again.",
    "The governance reports (funnel and privacy report) are not differentially private: the "
    "exact versions stay in the vault, and the analytics database gets their counts rounded.",
]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [{k: jsonable(v) for k, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def facts(paths: Paths, governance_rounding: Any = None) -> dict[str, Any]:
    """The mechanism, the last build's settings and the ledger (empty when not built)."""
    data: dict[str, Any] = {
        "plain_words": PLAIN_WORDS,
        "governance_counts": (
            f"rounded to the nearest {governance_rounding}" if governance_rounding else "rounded"
        ),
        "parameters": None,
        "ledger": [],
        "utility": None,
    }
    results = paths.root / RESULTS
    if results.exists():
        data["utility"] = json.loads(results.read_text())
    if not paths.vault_db.exists():
        return data
    try:
        with duckdb.connect(str(paths.vault_db), read_only=True) as con:
            parameters = _rows(con, "select * from privacy.int_dp_release_parameters")
            data["parameters"] = parameters[0] if parameters else None
            data["ledger"] = _rows(
                con,
                "select purpose, period, epsilon, delta, is_renoise, dbt_invocation_id, "
                "noised_at, epsilon_spent_total, mechanism from privacy.dp_budget_ledger "
                "order by noised_at, period",
            )
    except duckdb.Error:  # a vault built before the DP step, or busy
        pass
    return data


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _v(value: Any) -> str:
    return escape("n/a" if value is None else str(value))


def section(data: dict[str, Any]) -> str:
    dp = data.get("differential_privacy") or {}
    words = "".join(f"<p>{escape(p)}</p>" for p in dp.get("plain_words", []))
    p = dp.get("parameters") or {}
    ledger = dp.get("ledger") or []
    spent = ledger[-1]["epsilon_spent_total"] if ledger else 0.0
    settings = _table(
        ["Setting", "Value", "var"],
        [
            [
                "epsilon per month (delta = 0: pure DP)",
                _v(p.get("epsilon_per_period")),
                "dp_epsilon_per_period",
            ],
            ["lifetime cap per person (analytics)", _v(p.get("epsilon_cap")), "dp_epsilon_cap"],
            ["epsilon spent so far", f"{spent:g}", "ledger"],
            [
                "cells per person per month, at most",
                _v(p.get("max_cells_per_subject")),
                "dp_max_cells_per_subject",
            ],
            [
                "purchases per person per cell, at most",
                _v(p.get("max_purchases_per_cell")),
                "dp_max_purchases_per_cell",
            ],
            [
                "amount per purchase, clamped to [0, U] EUR",
                _v(p.get("max_amount_eur")),
                "dp_max_amount_eur",
            ],
            ["threshold on the noisy subject count", _v(p.get("threshold")), "dp_threshold"],
            [
                "governance counts in analytics.duckdb",
                _v(dp.get("governance_counts")),
                "governance_count_rounding",
            ],
        ],
    )
    mechanism = escape(ledger[-1]["mechanism"]) if ledger else "not run yet"
    rows = [
        [
            _v(r["purpose"]),
            _v(str(r["period"])[:7]),
            f"{r['epsilon']:.4g}",
            f"{r['delta']:g}",
            "re-noised" if r["is_renoise"] else "first release",
            f"<code>{_v(r['dbt_invocation_id'])}</code>",
            f"{r['epsilon_spent_total']:.4g}",
        ]
        for r in ledger
    ]
    ledger_html = (
        _table(
            ["Purpose", "Period", "epsilon", "delta", "Kind", "dbt invocation", "Total spent"], rows
        )
        if rows
        else "<p>No period has been published yet.</p>"
    )
    utility = dp.get("utility")
    if utility:
        u = utility.get("utility", {})
        utility_html = (
            f"<p>Measured once at {utility.get('subjects', 0):,} subjects: the published "
            "monthly totals per country group differ from the exact totals by "
            f"{100 * u.get('mre_revenue_eur_vs_exact', 0):.1f}% (revenue) and "
            f"{100 * u.get('mre_purchases_vs_exact', 0):.1f}% (purchases) on average "
            "(docs/benchmarks.md). Small groups are noisier than large ones.</p>"
        )
    else:
        utility_html = "<p>No utility measurement (bench/dp_results.json) is available.</p>"
    return (
        f'<section id="{SECTION_ID}"><h2>{SECTION_TITLE}: the analytics release is noisy</h2>'
        f"{words}<h3>Mechanism and settings</h3><p><code>{mechanism}</code></p>{settings}"
        f"<h3>Privacy budget ledger</h3>{ledger_html}<h3>Utility</h3>{utility_html}</section>"
    )
