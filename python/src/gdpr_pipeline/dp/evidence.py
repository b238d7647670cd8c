"""The differential-privacy part of the evidence page: the mechanism in plain words, its
settings as the last build applied them, the budget ledger, and the measured utility.

`facts` reads the vault read-only (the ledger and the build's parameters: aggregates and
settings, nothing about a person; a Spark build's come from its metastore, through
`read_state`) and `bench/dp_results.json` (one measurement at 1M subjects); the template
`evidence/templates/sections/differential-privacy.html` renders them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from gdpr_pipeline.core.jsonenc import jsonable
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.core.warehouse import WarehouseMissing, open_vault, rows

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


LEDGER_COLUMNS = (
    "purpose, period, epsilon, delta, is_renoise, dbt_invocation_id, noised_at, "
    "epsilon_spent_total, mechanism"
)


def read_state(query: Callable[[str], list[dict[str, Any]]], schema: str) -> dict[str, Any]:
    """The build's DP parameters and the ledger, read with `query` from the engine's privacy
    schema (DuckDB's vault: `privacy`; Spark: `<prefix>_privacy`)."""
    parameters = query(f"select * from {schema}.int_dp_release_parameters")
    ledger = query(
        f"select {LEDGER_COLUMNS} from {schema}.dp_budget_ledger order by noised_at, period"
    )
    return {
        "parameters": parameters[0] if parameters else None,
        "ledger": ledger,
        "ledger_relation": f"{schema}.dp_budget_ledger",
    }


def facts(
    paths: Paths, governance_rounding: Any = None, state: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The mechanism, the last build's settings and the ledger (empty when not built). `state`
    is read_state's result from another engine; by default it is read from the DuckDB vault."""
    data: dict[str, Any] = {
        "plain_words": PLAIN_WORDS,
        "governance_counts": (
            f"rounded to the nearest {governance_rounding}" if governance_rounding else "rounded"
        ),
        "parameters": None,
        "ledger": [],
        "ledger_relation": "privacy.dp_budget_ledger",
        "ledger_home": "in the vault",
        "utility": None,
    }
    results = paths.root / RESULTS
    if results.exists():
        data["utility"] = json.loads(results.read_text())
    if state is None:
        state = _vault_state(paths)
    data.update(jsonable(state))
    return data


def _vault_state(paths: Paths) -> dict[str, Any]:
    if not paths.vault_db.exists():
        return {}
    try:
        with open_vault(paths) as con:
            return read_state(lambda sql: rows(con, sql), "privacy")
    except (WarehouseMissing, duckdb.Error):  # a vault built before the DP step, or busy
        return {}
