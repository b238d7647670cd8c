"""Issue 13 on the demo build: the training set resists singling out and linkage by staff who
hold the CRM and the purchase history, and the build measures and bounds what is left.

* The CRM attacker recomputes every customer's released row from the raw files
  (gdpr_pipeline.privacy_risk.crm_attack, independent of the SQL) and finds each released row
  among at least k_min customers, even knowing who consented.
* The release is recoded at one lattice node, recorded in the privacy report, not in the rows.
* anonymeter's risks are published with confidence intervals, and a risk above its var, or a
  release that would suppress more than the cap, fails with a message naming it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import DEMO_AS_OF, ROOT, Build
from gdpr_pipeline.privacy_risk import RISKS, crm_attack

pytestmark = pytest.mark.dbt

PROJECT_VARS = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
K_MIN = PROJECT_VARS["k_min"]


def _release(demo_build: Build) -> tuple:
    with duckdb.connect(str(demo_build.analytics), read_only=True) as analytics:
        release = analytics.execute("select * from ml_training_set").df()
        report = analytics.execute(
            "select * from release_privacy_report where release_name = 'ml_training_set'"
        ).df()
        risks = analytics.execute("select * from release_privacy_risk order by risk").df()
    return release, report.iloc[0], risks


def test_the_crm_attacker_finds_every_released_row_among_at_least_k_customers(
    demo_build: Build,
) -> None:
    release, report, _ = _release(demo_build)
    features = crm_attack.crm_features(
        demo_build.raw_dir,
        dt.datetime.fromisoformat(DEMO_AS_OF),
        ROOT / "seeds/country_groups.csv",
        label_days=PROJECT_VARS["label_window_days"],
        feature_days=PROJECT_VARS["feature_window_days"],
    )
    node = crm_attack.parse_node(report.generalization_node)
    population = crm_attack.recode(features, node, PROJECT_VARS)
    with duckdb.connect(str(demo_build.vault), read_only=True) as vault:
        consented = set(
            vault.execute(
                "select subject_id from intermediate.int_subjects_purpose_eligibility"
                " where purpose = 'model_training' and is_eligible"
            )
            .df()
            .subject_id
        )

    crowd_all = crm_attack.crowd_sizes(release, population)
    crowd_consented = crm_attack.crowd_sizes(
        release, population[features.subject_id.isin(consented).to_numpy()]
    )
    assert len(release) > 0
    # Every column the release carries is recomputed: nothing in it is left unexplained.
    assert set(release.columns) == {"subject_pseudonym", "key_id", *crm_attack.RELEASE_COLUMNS}
    assert crowd_all.min() >= crowd_consented.min() >= K_MIN
    # The recomputation is the pipeline's: every released class is found whole among the
    # consented customers (a released person the attacker computed differently would be missing).
    class_sizes = release.groupby(list(crm_attack.RELEASE_COLUMNS)).subject_pseudonym.transform(
        "size"
    )
    assert (crowd_consented.to_numpy() >= class_sizes.to_numpy()).all()


def test_the_release_is_recoded_at_one_node_and_the_report_names_it(demo_build: Build) -> None:
    release, report, _ = _release(demo_build)
    with duckdb.connect(str(demo_build.vault), read_only=True) as vault:
        lattice = vault.execute("select * from intermediate.int_ml_training_lattice").df()
    chosen = lattice[lattice.is_chosen]

    assert "generalization_level" not in release.columns
    assert len(chosen) == 1 and bool(chosen.is_feasible.iloc[0]) and bool(chosen.is_minimal.iloc[0])
    assert len(lattice) == 3**5 * 2  # every node of the lattice was measured
    assert report.generalization_node.startswith(chosen.node.iloc[0])
    assert int(chosen.released_subjects.iloc[0]) == len(release) == report.released_subjects
    # No feasible node lies below the chosen one in every column.
    levels = [c for c in lattice.columns if c.endswith("_level")]
    below = lattice[
        lattice.is_feasible
        & (lattice.node_id != chosen.node_id.iloc[0])
        & (lattice[levels] <= chosen[levels].to_numpy()).all(axis=1)
    ]
    assert below.empty
    assert report.k_exempt_columns.startswith("subject_pseudonym: ")
    assert "key_id: " in report.k_exempt_columns


def test_anonymeter_risks_are_published_with_confidence_intervals(demo_build: Build) -> None:
    _, _, risks = _release(demo_build)
    assert sorted(risks.risk) == sorted(RISKS)
    for row in risks.itertuples():
        assert 0 <= row.ci_low <= row.risk_value <= row.ci_high <= 1, row.risk
        assert row.attacks > 0 and row.is_within_threshold
        assert row.max_risk == PROJECT_VARS[f"max_{row.risk}_risk"]


def test_a_risk_above_its_threshold_or_too_much_suppression_fails_naming_it(
    demo_build: Build, tmp_path: Path
) -> None:
    """`dbt test` on a copy of the demo warehouse with thresholds no release can meet."""
    copy = replace(
        demo_build,
        warehouse=tmp_path / "warehouse",
        target=tmp_path / "target",
        logs=tmp_path / "logs",
        env={**demo_build.env, "GDPR_WAREHOUSE_DIR": str(tmp_path / "warehouse")},
    )
    copy.warehouse.mkdir()
    for name in ("vault.duckdb", "analytics.duckdb"):
        shutil.copy2(demo_build.warehouse / name, copy.warehouse / name)
    copy.dbt(
        "test",
        "--select",
        "release_privacy_risk int_ml_training_lattice",
        dbt_vars={"max_inference_risk": -1, "max_suppressed_share": -1},
    )
    assert copy.returncode == 1, copy.output[-3000:]
    assert "privacy_risk_within_threshold failed: ml_training_set: inference risk " in copy.output
    assert "is above max_inference_risk = -1" in copy.output
    assert "singling_out risk" not in copy.output  # the other risks are within their vars
    assert "exactly_one_chosen_node failed: int_ml_training_lattice: 1 chosen node(s); " in (
        copy.output
    )
    assert "above max_suppressed_share = -1" in copy.output


def test_no_training_row_links_uniquely_to_a_marketing_row(demo_build: Build) -> None:
    """Cross-release linkage on the columns both releases carry: every pair of combinations that
    occur in both holds at least k_min rows on each side, so no row links to exactly one."""
    with duckdb.connect(str(demo_build.analytics), read_only=True) as analytics:
        training = analytics.execute("select * from ml_training_set").df()
        audience = analytics.execute("select * from marketing_audience").df()
    shared = sorted(set(training.columns) & set(audience.columns) - {"subject_pseudonym", "key_id"})
    assert shared  # age_band and country_group
    left = training.groupby(shared).size().rename("training_rows")
    right = audience.groupby(shared).size().rename("audience_rows")
    linked = left.to_frame().join(right, how="inner")
    assert not ((linked.training_rows == 1) & (linked.audience_rows == 1)).any()
    assert (linked.min(axis=1) >= K_MIN).all()
