"""Measure the DP analytics release: differencing after one erasure, and utility.

    python python/bench/dp_measure.py --subjects 20000 --work /tmp/dp20k [--erase]

Generates the data (--format parquet or csv, seed 42) unless it is there, builds it as of the demo's as_of
with a throwaway key, and prints, as JSON:
- utility: the mean relative error of the published monthly totals per country group
  (purchases and revenue, summed over the published cells of each month and group) against
  the exact totals of every valid purchase of the eligible subjects (the pre-DP release's
  numbers), and against the contribution-bounded totals (noise and threshold only);
- with --erase: the subject with the most purchases is erased, the project rebuilt, and every
  published cell compared: how many changed, and in how many the difference equals the erased
  subject's exact purchases or revenue in that cell (what differencing would give back).
One measurement, not a test (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from gdpr_pipeline.core.dbt import cli_executable, dbt_command, dbt_env
from gdpr_pipeline.core.paths import find_project_root
from gdpr_pipeline.core.warehouse import open_database
from gdpr_pipeline.rights import request_erasure

ROOT = find_project_root(Path(__file__).resolve().parent)
AS_OF = "2026-11-01 00:00:00"
CELLS = ["purchase_month", "country_group", "category"]


def build(work: Path, key: str) -> float:
    env = dbt_env(
        ROOT,
        {"GDPR_WAREHOUSE_DIR": str(work / "warehouse"), "DBT_ENV_SECRET_PSEUDONYM_KEY": key},
        isolated=True,
    )
    started = dt.datetime.now()
    command = dbt_command(
        ["build"],
        dbt_vars={"raw_dir": str(work / "raw"), "as_of": AS_OF},
        target_path=work / "target",
        log_path=work / "logs",
    )
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stdout[-4000:] + done.stderr[-2000:])
    return (dt.datetime.now() - started).total_seconds()


def query(path: Path, sql: str) -> pd.DataFrame:
    with open_database(path) as con:
        return con.execute(sql).df()


def utility(work: Path) -> dict[str, float]:
    published = query(
        work / "warehouse/analytics.duckdb", "select * from analytics_purchases_monthly"
    )
    vault = work / "warehouse/vault.duckdb"
    exact = query(vault, "select * from intermediate.int_purchases_aggregated_to_monthly_cells")
    bounded = query(vault, "select * from privacy.int_purchases_bounded_to_monthly_cells")
    months = set(bounded.purchase_month)
    keys = ["purchase_month", "country_group"]
    shown = published.groupby(keys)[["purchases", "revenue_eur"]].sum().astype(float)
    truth = exact[exact.purchase_month.isin(months)].groupby(keys)[["purchases", "revenue_eur"]]
    truth = truth.sum().astype(float)
    capped = bounded.assign(revenue_eur=bounded.revenue_cents / 100).groupby(keys)
    capped = capped[["purchases", "revenue_eur"]].sum().astype(float)
    result: dict[str, float] = {"totals": float(len(truth))}
    for name, reference in (("exact", truth), ("bounded", capped)):
        joined = reference.merge(
            shown.add_suffix("_dp"), left_index=True, right_index=True, how="left"
        ).fillna(0.0)
        joined = joined[joined.purchases > 0]
        for measure in ("purchases", "revenue_eur"):
            error = (joined[f"{measure}_dp"] - joined[measure]).abs() / joined[measure]
            result[f"mre_{measure}_vs_{name}"] = round(float(error.mean()), 4)
    by_group = truth.reset_index().groupby("country_group").revenue_eur.mean()
    joined = truth.merge(
        shown.add_suffix("_dp"), left_index=True, right_index=True, how="left"
    ).fillna(0.0)
    joined["rel"] = (joined.revenue_eur_dp - joined.revenue_eur).abs() / joined.revenue_eur
    per_group = joined.reset_index().groupby("country_group").rel.mean()
    result["mre_revenue_vs_exact_by_group"] = {
        group: {
            "mean_monthly_revenue_eur": round(float(by_group[group])),
            "mre": round(float(per_group[group]), 4),
        }
        for group in sorted(per_group.index)
    }
    result["published_cells"] = float(len(published))
    result["public_cells"] = float(len(bounded))
    return result


def differencing(work: Path, key: str) -> dict[str, object]:
    vault = work / "warehouse/vault.duckdb"
    subject = query(
        vault,
        "select p.subject_id from intermediate.int_purchases_classified as p "
        "inner join intermediate.int_subjects_purpose_eligibility as e "
        "on p.subject_id = e.subject_id and e.purpose = 'analytics' and e.is_eligible "
        "where p.rejection_reason is null group by 1 order by count(*) desc, 1 limit 1",
    ).subject_id[0]
    before = query(work / "warehouse/analytics.duckdb", "select * from analytics_purchases_monthly")
    exact_before = query(
        vault, "select * from intermediate.int_purchases_aggregated_to_monthly_cells"
    )
    request_erasure(work / "raw", subject, received_at=dt.datetime(2026, 10, 31, 23))
    seconds = build(work, key)
    after = query(work / "warehouse/analytics.duckdb", "select * from analytics_purchases_monthly")
    exact_after = query(
        vault, "select * from intermediate.int_purchases_aggregated_to_monthly_cells"
    )
    # The subject's exact contribution per cell: what the old release would have given back.
    own = exact_before.merge(exact_after, on=CELLS, how="left", suffixes=("", "_after")).fillna(0)
    own["own_purchases"] = own.purchases - own.purchases_after
    own["own_revenue"] = own.revenue_eur - own.revenue_eur_after
    own = own[own.own_purchases != 0]
    merged = before.merge(after, on=CELLS, how="outer", suffixes=("", "_after"), indicator=True)
    changed = merged[
        (merged._merge != "both")
        | (merged.subjects != merged.subjects_after)
        | (merged.purchases != merged.purchases_after)
        | (merged.revenue_eur != merged.revenue_eur_after)
    ]
    diff = merged.merge(own[[*CELLS, "own_purchases", "own_revenue"]], on=CELLS)
    recovered = diff[
        ((diff.purchases - diff.purchases_after) == diff.own_purchases)
        | (
            (diff.revenue_eur - diff.revenue_eur_after).astype(float)
            == diff.own_revenue.astype(float)
        )
    ]
    return {
        "erased_subject_cells": len(own),
        "erased_subject_purchases": int(own.own_purchases.sum()),
        "published_cells": len(before),
        "published_cells_changed": len(changed),
        "cells_giving_back_the_subject": len(recovered),
        "rebuild_seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--erase", action="store_true")
    parser.add_argument("--format", default="parquet", choices=["csv", "parquet"])
    args = parser.parse_args()
    raw = args.work / "raw"
    if not raw.exists():
        command = [
            cli_executable(),
            "generate",
            "--subjects",
            str(args.subjects),
            "--out",
            str(raw),
        ]
        subprocess.run([*command, "--format", args.format, "--seed", "42"], check=True)
    shutil.rmtree(args.work / "warehouse", ignore_errors=True)  # a fresh draw store
    key = secrets.token_hex(32)
    report: dict[str, object] = {
        "subjects": args.subjects,
        "build_seconds": round(build(args.work, key), 1),
    }
    report["utility"] = utility(args.work)
    if args.erase:
        report["differencing"] = differencing(args.work, key)
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
