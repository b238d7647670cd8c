"""The same job in plain pandas, written as a reader of a pandas tutorial would write it.

This is the benchmark's yardstick, not part of the pipeline. It reads the four raw Parquet
files and produces the training set the warehouse releases, with the same rules in their
simplest form:

* erasure: every row of a subject with an erasure request is dropped;
* consent as of ``as_of``: per subject and purpose the latest event at or before ``as_of``
  decides, a withdraw beats a grant recorded at the same instant, a grant under a policy
  version below the purpose's minimum does not count, and a grant expires after the
  purpose's ``consent_valid_days``;
* pseudonyms: HMAC-SHA256 with Python's ``hmac``, message ``<domain>:<subject_id>``;
* features: purchases, spend and distinct categories in the 365 days before the 90-day label
  window, and the label (any purchase in the label window), inside the retention window;
* bands: age, income and country group, as the release carries them.

It does no quarantine, no k-anonymity, no tests and no audit trail, so it does less than the
dbt build; it is run in a subprocess with a memory cap so that a size pandas cannot handle
fails alone instead of taking the machine down.

Run: ``python python/bench/baseline_pandas.py RAW_DIR OUT_FILE --as-of '2026-11-01 00:00:00'``
(the key comes from ``DBT_ENV_SECRET_PSEUDONYM_KEY``, as for dbt).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gdpr_pipeline import keys

AGE_EDGES = [18, 30, 40, 50, 60, 70]
INCOME_EDGES = [0, 20000, 35000, 50000, 75000, 100000]
LABEL_DAYS = 90
FEATURE_DAYS = 365


def band_labels(edges: list[int]) -> list[str]:
    """'18-29', '30-39', ..., '70+', the labels the warehouse's band() macro gives."""
    labels = [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(edges)]
    return [*labels, f"{edges[-1]}+"]


def bands(values: pd.Series, edges: list[int]) -> pd.Series:
    cut = pd.cut(values, bins=[*edges, np.inf], right=False, labels=band_labels(edges))
    out = cut.astype("object")
    out[values < edges[0]] = f"below {edges[0]}"
    out[values.isna()] = "unknown"
    return out


def run(raw_dir: Path, out_file: Path, as_of: str, purposes_csv: Path) -> dict[str, int]:
    key = keys.load_key(key_file=None).secret
    as_of_ts = pd.Timestamp(as_of)
    purposes = pd.read_csv(purposes_csv)

    subjects = pd.read_parquet(raw_dir / "subjects.parquet")
    events = pd.read_parquet(raw_dir / "consent_events.parquet")
    purchases = pd.read_parquet(raw_dir / "purchases.parquet")
    erasures = pd.read_parquet(raw_dir / "erasure_requests.parquet")

    # Erasure: drop the erased subjects everywhere.
    erased = set(erasures["subject_id"])
    subjects = subjects[~subjects["subject_id"].isin(erased)]
    events = events[~events["subject_id"].isin(erased)]
    purchases = purchases[~purchases["subject_id"].isin(erased)]

    # Consent as of: the latest counting event per subject and purpose decides.
    purpose = purposes.set_index("purpose").loc["model_training"]
    events = events.dropna(subset=["event_id", "subject_id", "recorded_at"])
    events = events.drop_duplicates()
    events = events[events["purpose"] == "model_training"]
    events = events[events["action"].isin(["grant", "withdraw"])]
    events = events[events["recorded_at"] <= as_of_ts]
    if isinstance(purpose["min_policy_version"], str):
        minimum = tuple(int(x) for x in purpose["min_policy_version"].split("."))
        version = events["policy_version"].map(lambda v: tuple(int(x) for x in v.split(".")))
        events = events[(events["action"] != "grant") | (version >= minimum)]
    events = events.assign(is_withdraw=events["action"] == "withdraw")
    events = events.sort_values(["subject_id", "recorded_at", "is_withdraw"])
    latest = events.groupby("subject_id").tail(1)
    standing = latest[latest["action"] == "grant"]
    if not pd.isna(purpose["consent_valid_days"]):
        expires = standing["recorded_at"] + pd.to_timedelta(purpose["consent_valid_days"], "D")
        standing = standing[expires > as_of_ts]
    consenting = subjects[subjects["subject_id"].isin(standing["subject_id"])].copy()

    # Pseudonyms: HMAC-SHA256(key, 'model_training:<subject_id>').
    consenting["subject_pseudonym"] = consenting["subject_id"].map(
        lambda s: hmac.new(key, f"model_training:{s}".encode(), hashlib.sha256).hexdigest()
    )

    # Purchase features in the 12 months before the label window, and the label.
    retention_start = as_of_ts - pd.Timedelta(days=int(purpose["retention_days"]))
    label_start = as_of_ts - pd.Timedelta(days=LABEL_DAYS)
    feature_start = label_start - pd.Timedelta(days=FEATURE_DAYS)
    purchases = purchases.drop_duplicates(subset=["purchase_id"])
    purchases = purchases[
        (purchases["purchased_at"] < as_of_ts) & (purchases["purchased_at"] >= retention_start)
    ]
    in_features = purchases[
        (purchases["purchased_at"] >= feature_start) & (purchases["purchased_at"] < label_start)
    ]
    features = in_features.groupby("subject_id").agg(
        purchases_12m=("purchase_id", "count"),
        spend_12m_eur=("amount_eur", "sum"),
        categories_12m=("category", "nunique"),
    )
    labelled = set(purchases.loc[purchases["purchased_at"] >= label_start, "subject_id"])

    training = consenting.merge(features, left_on="subject_id", right_index=True, how="left")
    training[["purchases_12m", "categories_12m"]] = (
        training[["purchases_12m", "categories_12m"]].fillna(0).astype("int64")
    )
    training["spend_12m_eur"] = training["spend_12m_eur"].astype("float64").fillna(0.0)
    training["has_purchase_next_90d"] = training["subject_id"].isin(labelled)

    # Bands: generalized quasi-identifiers.
    birth = pd.to_datetime(training["birth_date"])
    age = as_of_ts.year - birth.dt.year
    age -= (
        (birth.dt.month > as_of_ts.month)
        | ((birth.dt.month == as_of_ts.month) & (birth.dt.day > as_of_ts.day))
    ).astype(int)
    training["age_band"] = bands(age, AGE_EDGES)
    training["income_band"] = bands(training["annual_income_eur"].astype("float64"), INCOME_EDGES)
    groups = pd.read_csv(purposes_csv.with_name("country_groups.csv"))
    training = training.merge(groups, left_on="country", right_on="country_code", how="left")
    training["country_group"] = training["country_group"].fillna("Other")

    release = training[
        [
            "subject_pseudonym",
            "age_band",
            "income_band",
            "country_group",
            "purchases_12m",
            "spend_12m_eur",
            "categories_12m",
            "has_purchase_next_90d",
        ]
    ]
    release.to_parquet(out_file, index=False)
    return {"released_rows": len(release), "input_subjects": len(subjects)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("out_file", type=Path)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--seeds", type=Path, default=Path(__file__).resolve().parents[2] / "seeds")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = run(args.raw_dir, args.out_file, args.as_of, args.seeds / "purposes.csv")
    counts["seconds"] = round(time.perf_counter() - started, 3)
    counts["pid"] = os.getpid()
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
