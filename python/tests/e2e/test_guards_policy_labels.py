"""Guard (issue 16, row 9): consent policy versions are labels as platforms write them.

Labels ('v3', '2024-05', 'privacy-2.1') are ordered by the registry seed policy_versions, never
parsed as numbers. A purpose with no minimum (model_training) takes any label; one with a
minimum (marketing, 2.0) quarantines a grant under an unregistered label as
unknown_policy_version instead of emptying every release."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from conftest import SMALL_BUILD_VARS, Build, generate_raw, make_build

PLATFORM_LABELS = {"1.0": "v3", "2.0": "2024-05", "2.1": "privacy-2.1"}


def _relabel(path: Path) -> dict[str, int]:
    """Write the consent log again with platform labels: model_training grants under the
    platform's labels, marketing grants under 'v3' (not in marketing's registry)."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    relabelled = {"model_training": 0, "marketing": 0}
    for row in rows:
        if row["action"] == "grant" and row["purpose"] in relabelled:
            if row["purpose"] == "model_training":
                row["policy_version"] = PLATFORM_LABELS.get(row["policy_version"], "v3")
            elif row["subject_id"].endswith("7"):
                row["policy_version"] = "v3"
            else:
                continue
            relabelled[row["purpose"]] += 1
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return relabelled


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, dict[str, int]]:
    build = make_build(tmp_path_factory.mktemp("guard_labels"), dbt_vars=SMALL_BUILD_VARS)
    generate_raw(build.raw_dir, subjects=300)
    relabelled = _relabel(build.raw_dir / "consent_events.csv")
    build.dbt("build")
    assert build.returncode == 0, build.output[-4000:]
    return build, relabelled


def test_a_purpose_without_minimum_accepts_any_label(
    labelled: tuple[Build, dict[str, int]],
) -> None:
    build, relabelled = labelled
    assert relabelled["model_training"] > 100
    with duckdb.connect(str(build.vault), read_only=True) as con:
        rejected = con.execute(
            "select count(*) from intermediate.int_consent_events_classified "
            "where purpose = 'model_training' and rejection_reason like '%policy_version'"
        ).fetchone()[0]
        labels = {
            r[0]
            for r in con.execute(
                "select distinct policy_version from intermediate.int_consent_events_to_intervals "
                "where purpose = 'model_training'"
            ).fetchall()
        }
    assert rejected == 0
    assert labels <= set(PLATFORM_LABELS.values()) and len(labels) >= 2
    with duckdb.connect(str(build.analytics), read_only=True) as con:
        assert con.execute("select count(*) from ml_training_set").fetchone()[0] > 0
        assert con.execute("select count(*) from marketing_audience").fetchone()[0] > 0


def test_an_unregistered_label_on_a_purpose_with_a_minimum_is_quarantined(
    labelled: tuple[Build, dict[str, int]],
) -> None:
    build, relabelled = labelled
    with duckdb.connect(str(build.vault), read_only=True) as con:
        reasons = dict(
            con.execute(
                "select rejection_reason, count(*) from intermediate.int_consent_events_classified "
                "where purpose = 'marketing' and policy_version = 'v3' and action = 'grant' "
                "group by all"
            ).fetchall()
        )
        quarantined = con.execute(
            "select count(*) from quarantine.quarantine_records "
            "where rejection_reason = 'unknown_policy_version'"
        ).fetchone()[0]
    assert reasons == {"unknown_policy_version": relabelled["marketing"]}
    assert quarantined == relabelled["marketing"] > 0
