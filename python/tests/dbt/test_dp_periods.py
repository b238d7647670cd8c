"""Closed months are published once: an erasure, a later as_of or --full-refresh changes none of
their values, so no subtraction of two releases gives back a person's purchases; and the budget
ledger refuses a build that would spend beyond the cap, before anything is published.

Starts from a copy of the session's demo build (its warehouse and raw files), so it costs three
builds: after one erasure, one day later with --full-refresh, and one refused by the cap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from conftest import DEMO_AS_OF, DP_INPUT, Build, make_build
from gdpr_pipeline.dp import mechanism as dp
from gdpr_pipeline.rights import request_erasure

pytestmark = pytest.mark.dbt

CELLS = ["purchase_month", "country_group", "category"]
PUBLISHED = "select * from analytics_purchases_monthly order by all"
LEDGER = "select * from privacy.dp_budget_ledger order by draw_id"
EXACT = "select * from intermediate.int_purchases_aggregated_to_monthly_cells"
EXACT_BOUNDED = f"select * from {DP_INPUT}"
DRAWS = "select * from privacy.dp_analytics_cells_noised"


def _query(path: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).df()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def copied(demo_build: Build, tmp_path_factory: pytest.TempPathFactory) -> Build:
    tmp = tmp_path_factory.mktemp("dp-periods")
    build = make_build(tmp)
    shutil.copytree(demo_build.warehouse, build.warehouse)
    shutil.copytree(demo_build.raw_dir, build.raw_dir)
    return build


def _heaviest_analytics_subject(build: Build) -> str:
    """The eligible analytics subject with the most purchases: the easiest to difference."""
    (subject,) = _query(
        build.vault,
        "select purchases.subject_id from intermediate.int_purchases_classified as purchases "
        "inner join intermediate.int_subjects_purpose_eligibility as eligibility "
        "on purchases.subject_id = eligibility.subject_id "
        "and eligibility.purpose = 'analytics' and eligibility.is_eligible "
        "where purchases.rejection_reason is null "
        "group by 1 order by count(*) desc, 1 limit 1",
    ).subject_id
    return subject


def test_no_closed_period_value_changes_after_an_erasure_or_a_day_later(copied: Build) -> None:
    published = _query(copied.analytics, PUBLISHED)
    ledger = _query(copied.vault, LEDGER)
    exact_before = _query(copied.vault, EXACT)
    assert len(published) > 0 and ledger.epsilon.sum() == pytest.approx(len(ledger), rel=1e-6)
    # The open month (the one as_of falls in) is not published.
    as_of = dt.datetime.fromisoformat(DEMO_AS_OF)
    assert published.purchase_month.max() < pd.Timestamp(as_of.replace(day=1))

    subject = _heaviest_analytics_subject(copied)
    request_erasure(copied.raw_dir, subject, received_at=as_of - dt.timedelta(hours=1))
    copied.dbt("build")
    assert copied.returncode == 0, copied.output[-3000:]

    # The attack this stops: without noise and freezing, the exact cells of the two builds
    # differ by exactly the erased subject's purchases.
    exact_after = _query(copied.vault, EXACT)
    merged = exact_before.merge(exact_after, on=CELLS, how="left", suffixes=("", "_after"))
    changed = merged[merged.purchases != merged.purchases_after.fillna(0)]
    assert len(changed) > 0, "the erased subject bought nothing: the test would prove nothing"

    after_erasure = _query(copied.analytics, PUBLISHED)
    pd.testing.assert_frame_equal(after_erasure, published)
    pd.testing.assert_frame_equal(_query(copied.vault, LEDGER), ledger)

    # One day later, and --full-refresh: still the same values, no budget spent.
    day_later = (as_of + dt.timedelta(days=1)).isoformat(sep=" ")
    copied.dbt("build", "--full-refresh", dbt_vars={"as_of": day_later})
    assert copied.returncode == 0, copied.output[-3000:]
    pd.testing.assert_frame_equal(_query(copied.analytics, PUBLISHED), published)
    pd.testing.assert_frame_equal(_query(copied.vault, LEDGER), ledger)


def test_the_ledger_refuses_a_build_beyond_the_cap(copied: Build) -> None:
    ledger = _query(copied.vault, LEDGER)
    spent = float(ledger.epsilon.sum())
    before = _digest(copied.analytics)
    last = ledger.period.max().strftime("%Y-%m")
    cap = spent + 0.5  # room for half a month: re-noising one month needs a whole one
    copied.dbt("build", dbt_vars={"dp_renoise_periods": [last], "dp_epsilon_cap": cap})
    assert copied.returncode != 0
    assert "Privacy budget exceeded for purpose analytics" in copied.output
    assert f"over the cap dp_epsilon_cap = {cap:g}" in copied.output
    assert f"({last})" in copied.output
    assert "Analytics database NOT published" in copied.output
    assert _digest(copied.analytics) == before
    pd.testing.assert_frame_equal(_query(copied.vault, LEDGER), ledger)


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("children", []):
        yield from _plan_nodes(child)


def _scans_of_classified_purchases(vault: Path, where: str) -> list[str]:
    """The filters DuckDB puts on its scans of the classified purchases when the bounded cells
    are read with `where`, each as the scan's plan details."""
    query = f"select * from {DP_INPUT} where {where}"
    with duckdb.connect(str(vault), read_only=True) as con:
        (plan,) = [
            json.loads(row[1]) for row in con.execute(f"explain (format json) {query}").fetchall()
        ]
    details = [
        json.dumps(node.get("extra_info", {})) for root in plan for node in _plan_nodes(root)
    ]
    return [d for d in details if "int_purchases_classified" in d]


def test_the_draw_step_bounds_only_the_months_it_reads(demo_build: Build) -> None:
    """The bounded cells are a view, and the noising step reads them through `month_range`:
    that range must reach the scan of the purchases, below both windows, or every build bounds
    every month again (docs/benchmarks.md, fourth round). An IN list does not get there."""
    months = [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    ranged = _scans_of_classified_purchases(demo_build.vault, dp.month_range(months))
    assert ranged and all("date_trunc" in scan for scan in ranged), ranged
    listed = _scans_of_classified_purchases(
        demo_build.vault, "purchase_month in (date '2026-09-01', date '2026-10-01')"
    )
    assert listed and not any("date_trunc" in scan for scan in listed)


def test_a_month_that_closes_since_is_noised_alone(copied: Build) -> None:
    """A build a month later noises the month that closed, from that month's bounded cells
    (the only ones it reads), and leaves every published month as it was."""
    ledger = _query(copied.vault, LEDGER)
    published = _query(copied.analytics, PUBLISHED)
    drawn = set(_query(copied.vault, DRAWS).draw_id)
    month_later = dt.datetime.fromisoformat(DEMO_AS_OF) + dt.timedelta(days=31)
    copied.dbt("build", dbt_vars={"as_of": month_later.replace(day=1).isoformat(sep=" ")})
    assert copied.returncode == 0, copied.output[-3000:]

    draws = _query(copied.vault, DRAWS)
    new = draws[~draws.draw_id.isin(drawn)]
    closed = dt.date.fromisoformat(DEMO_AS_OF[:10])
    assert set(pd.to_datetime(new.purchase_month).dt.date) == {closed}
    exact = _query(copied.vault, f"{EXACT_BOUNDED} where purchase_month = date '{closed}'")
    assert len(new) == len(exact) > 0
    assert set(zip(new.country_group, new.category, strict=True)) == set(
        zip(exact.country_group, exact.category, strict=True)
    )
    assert len(_query(copied.vault, LEDGER)) == len(ledger) + 1
    after = _query(copied.analytics, PUBLISHED)
    kept = after[after.purchase_month.isin(published.purchase_month)].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, published)
