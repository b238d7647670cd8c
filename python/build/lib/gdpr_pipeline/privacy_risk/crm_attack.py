"""The CRM attacker of issue 13, played from the raw files.

Staff who hold the CRM and the purchase history know each customer's age, income, country,
purchases, categories and spend in the feature window, and whether the customer bought in the
last 90 days. They also know the release's documented rule: the band edges (vars) and the one
lattice node it was recoded at (release_privacy_report.generalization_node). This module
recomputes every customer's released row from the raw files, independently of the SQL, and
counts for each released row how many customers it could be: the size of the crowd the row
hides in. k-anonymity over all released columns promises at least k_min.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gdpr_pipeline.core.warehouse import in_memory

RELEASE_COLUMNS = (
    "age_band",
    "income_band",
    "country_group",
    "purchases_12m_band",
    "categories_12m_band",
    "spend_12m_band",
    "has_purchase_next_90d",
)
# Released column -> (the exact feature, the var with its fine band edges).
BANDED = {
    "age_band": ("age_years", "age_band_edges"),
    "income_band": ("annual_income_eur", "income_band_edges_eur"),
    "purchases_12m_band": ("purchases_12m", "purchases_12m_band_edges"),
    "categories_12m_band": ("categories_12m", "categories_12m_band_edges"),
    "spend_12m_band": ("spend_12m_eur", "spend_12m_band_edges_eur"),
}


def _read(raw_dir: Path, name: str) -> pd.DataFrame:
    for suffix, reader in ((".csv", "read_csv"), (".parquet", "read_parquet")):
        path = raw_dir / f"{name}{suffix}"
        if path.exists():
            with in_memory() as con:
                return con.execute(f"select * from {reader}(?)", [str(path)]).df()
    raise FileNotFoundError(f"{raw_dir}: no {name}.csv or {name}.parquet")


def crm_features(
    raw_dir: Path,
    as_of: dt.datetime,
    country_groups: Path,
    *,
    label_days: int = 90,
    feature_days: int = 365,
    retention_days: int = 730,
) -> pd.DataFrame:
    """One row per customer the CRM still holds (erased ones are gone), with exact features."""
    erased = set(_read(raw_dir, "erasure_requests")["subject_id"].dropna())
    subjects = _read(raw_dir, "subjects")
    subjects = subjects[~subjects["subject_id"].isin(erased)].copy()
    groups = pd.read_csv(country_groups).set_index("country_code")["country_group"]
    at = pd.Timestamp(as_of)
    birth = pd.to_datetime(subjects["birth_date"])
    had_birthday = (birth.dt.month < at.month) | (
        (birth.dt.month == at.month) & (birth.dt.day <= at.day)
    )
    features = pd.DataFrame(
        {
            "subject_id": subjects["subject_id"],
            "age_years": at.year - birth.dt.year - (~had_birthday).astype(int),
            "annual_income_eur": pd.to_numeric(subjects["annual_income_eur"]),
            "country_group": subjects["country"].map(groups).fillna("Other"),
        }
    )
    purchases = _read(raw_dir, "purchases")
    purchases["purchased_at"] = pd.to_datetime(purchases["purchased_at"])
    purchases = purchases.dropna(subset=["purchase_id", "subject_id", "purchased_at", "amount_eur"])
    purchases = purchases.sort_values(["purchase_id", "purchased_at", "subject_id"])
    purchases = purchases.drop_duplicates("purchase_id")
    purchases = purchases[purchases["subject_id"].isin(features["subject_id"])]
    label_start = at - pd.Timedelta(days=label_days)
    feature_start = label_start - pd.Timedelta(days=feature_days)
    kept = purchases[
        (purchases["purchased_at"] < at)
        & (purchases["purchased_at"] >= at - pd.Timedelta(days=retention_days))
    ]
    window = kept[(kept["purchased_at"] >= feature_start) & (kept["purchased_at"] < label_start)]
    per_subject = window.groupby("subject_id").agg(
        purchases_12m=("purchase_id", "size"),
        spend_12m_eur=("amount_eur", lambda a: float(pd.to_numeric(a).sum())),
        categories_12m=("category", "nunique"),
    )
    bought = set(kept.loc[kept["purchased_at"] >= label_start, "subject_id"])
    features = features.join(per_subject, on="subject_id")
    for column in ("purchases_12m", "spend_12m_eur", "categories_12m"):
        features[column] = features[column].fillna(0)
    features["has_purchase_next_90d"] = features["subject_id"].isin(bought)
    return features.reset_index(drop=True)


def band(values: pd.Series, edges: Sequence[int]) -> np.ndarray:
    """macros/policy/bands.sql, independently: lower edges, 'unknown', 'below <first>'."""
    numbers = pd.to_numeric(values).astype(float)
    out = np.where(numbers.isna(), "unknown", f"below {edges[0]}").astype(object)
    for i, edge in enumerate(edges):
        label = f"{edge}+" if i == len(edges) - 1 else f"{edge}-{edges[i + 1] - 1}"
        out = np.where(numbers.notna() & (numbers >= edge), label, out)
    return out


def parse_node(node: str) -> dict[str, int]:
    """'age_band=1, income_band=0 (discernibility 5)' -> {'age_band': 1, 'income_band': 0}."""
    return {name: int(level) for name, level in re.findall(r"(\w+)=(\d+)", node)}


def recode(
    features: pd.DataFrame, node: Mapping[str, int], dbt_vars: Mapping[str, Any]
) -> pd.DataFrame:
    """Each customer's released row at `node`: level 0 fine edges, 1 coarse, 2 'any'."""
    rows = pd.DataFrame(index=features.index)
    for column, (feature, edges_var) in BANDED.items():
        level = node[column]
        if level == 0:
            rows[column] = band(features[feature], dbt_vars[edges_var])
        elif level == 1:
            rows[column] = band(features[feature], dbt_vars[f"{edges_var}_coarse"])
        else:
            rows[column] = "any"
    rows["country_group"] = features["country_group"] if node["country_group"] == 0 else "any"
    rows["has_purchase_next_90d"] = features["has_purchase_next_90d"].astype(bool)
    return rows[list(RELEASE_COLUMNS)]


def crowd_sizes(release: pd.DataFrame, population: pd.DataFrame) -> pd.Series:
    """For each released row, how many customers of `population` have exactly its values."""
    key = list(RELEASE_COLUMNS)
    sizes = population.groupby(key, dropna=False).size().rename("crowd").reset_index()
    left = release[key].astype({"has_purchase_next_90d": bool})
    merged = left.merge(sizes, on=key, how="left")
    return merged["crowd"].fillna(0).astype(int)
