"""The policy checks fail the build when they should, naming the model and the column.

Each test breaks a copy of the dbt project in one way (the real project is never touched),
runs a real `dbt build` of only what the check needs, into a fresh warehouse, and asserts
that the build fails, on which node, and with which message.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from conftest import Build, copy_project, edit_project, generate_raw, make_build

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("policy_raw")
    generate_raw(raw)
    return raw


@pytest.fixture
def broken(tmp_path: Path, raw_dir: Path) -> Build:
    """A build of a private copy of the project, for one test to break."""
    build = copy_project(make_build(tmp_path), tmp_path / "project")
    build.raw_dir = raw_dir
    return build


def not_ok(build: Build) -> dict[str, str]:
    """unique_id -> status of every node that errored or failed."""
    return {
        result["unique_id"]: result["status"]
        for result in build.run_results()["results"]
        if result["status"] in ("error", "fail")
    }


def stored_failures(build: Build, test_prefix: str) -> list[tuple]:
    """The failing rows dbt stored for the one test whose name starts with test_prefix."""
    with duckdb.connect(str(build.vault), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'test_failures' and table_name like ?",
                [f"{test_prefix}%"],
            ).fetchall()
        ]
        assert len(tables) == 1, tables
        return con.execute(f'select * from test_failures."{tables[0]}"').fetchall()


def declare_candidate_column(build: Build, column: str, personal_data: str) -> None:
    """Declares and classifies a column added to the audience candidates (vault only), so the
    release, not the intermediate model, is where the check stops it."""
    edit_project(
        build,
        INTERMEDIATE_YML,
        "  - name: int_marketing_audience_candidates\n"
        "    description: Subjects with standing marketing consent, before generalization"
        " (vault only).\n    columns:\n",
        "  - name: int_marketing_audience_candidates\n"
        "    description: Subjects with standing marketing consent, before generalization"
        " (vault only).\n    columns:\n"
        f"      - name: {column}\n"
        f"        config: {{meta: {{personal_data: {personal_data}}}}}\n",
    )


ML_CANDIDATES = "models/intermediate/int_ml_training_candidates.sql"
AUDIENCE_CANDIDATES = "models/intermediate/int_marketing_audience_candidates.sql"
INTERMEDIATE_YML = "models/intermediate/_intermediate__models.yml"
AUDIENCE_SQL = "models/marts/marketing/marketing_audience.sql"
AUDIENCE_YML = "models/marts/marketing/_marketing__models.yml"


def test_an_undeclared_column_fails_the_build_on_a_fresh_warehouse(broken: Build) -> None:
    # A postcode slips into an intermediate model (no contract there) without a YAML entry.
    edit_project(
        broken,
        ML_CANDIDATES,
        "subjects.annual_income_eur,\n",
        "subjects.annual_income_eur,\n        subjects.postcode as surprise_postcode,\n",
    )
    broken.dbt(
        "build", "--select", "+int_ml_training_candidates", "--indirect-selection", "cautious"
    )

    assert broken.returncode != 0
    assert (
        "Column policy: int_ml_training_candidates.surprise_postcode: "
        "built but not declared and classified" in broken.output
    )
    assert not_ok(broken) == {"model.gdpr_pipeline.int_ml_training_candidates": "error"}


def test_a_declared_column_without_a_class_fails_the_build(broken: Build) -> None:
    edit_project(
        broken,
        AUDIENCE_YML,
        "      - name: age_band\n        data_type: string\n"
        "        config: {meta: {personal_data: quasi_identifier}}\n",
        "      - name: age_band\n        data_type: string\n",
    )
    broken.dbt(
        "build",
        "--select",
        "+marketing_audience",
        "assert_every_column_classified",
        "--indirect-selection",
        "cautious",
    )

    assert broken.returncode != 0
    message = "Column policy: marketing_audience_v1.age_band: no valid meta.personal_data class"
    assert message in broken.output
    failed = not_ok(broken)
    assert failed["model.gdpr_pipeline.marketing_audience.v1"] == "error"  # the post-hook
    assert failed["test.gdpr_pipeline.assert_every_column_classified"] == "fail"
    assert ("marketing_audience_v1", "age_band") in {
        row[:2] for row in stored_failures(broken, "assert_every_column_classified")
    }


def test_a_direct_identifier_in_a_release_fails_and_nothing_is_published(broken: Build) -> None:
    # The email travels into the marketing audience, honestly classified, contract and all.
    edit_project(
        broken,
        AUDIENCE_CANDIDATES,
        "        pseudonyms.key_id,\n        coalesce",
        "        pseudonyms.key_id,\n        subjects.email,\n        coalesce",
    )
    declare_candidate_column(broken, "email", "direct_identifier")
    edit_project(
        broken,
        AUDIENCE_SQL,
        "        candidates.key_id,\n",
        "        candidates.key_id,\n        candidates.email,\n",
    )
    edit_project(
        broken,
        AUDIENCE_YML,
        "      - name: age_band\n",
        "      - name: email\n        data_type: string\n"
        "        config: {meta: {personal_data: direct_identifier}}\n"
        "      - name: age_band\n",
    )
    broken.dbt("build")  # the whole build: it is the one that would publish

    assert broken.returncode != 0
    assert "Column policy: marketing_audience_v1.email: direct_identifier in a release" in (
        broken.output
    )
    failed = not_ok(broken)
    assert failed["model.gdpr_pipeline.marketing_audience.v1"] == "error"
    assert failed["test.gdpr_pipeline.assert_every_column_classified"] == "fail"
    assert "Analytics database NOT published" in broken.output
    assert not broken.analytics.exists()


def test_a_column_outside_the_purpose_allowlist_fails_the_build(broken: Build) -> None:
    # Classified and contracted, but marketing's allowlist does not name it.
    edit_project(
        broken,
        AUDIENCE_CANDIDATES,
        "        pseudonyms.key_id,\n        coalesce",
        "        pseudonyms.key_id,\n"
        "        cast(year(subjects.created_at) as integer) as account_created_year,\n"
        "        coalesce",
    )
    declare_candidate_column(broken, "account_created_year", "behavioural")
    edit_project(
        broken,
        AUDIENCE_SQL,
        "        candidates.key_id,\n",
        "        candidates.key_id,\n        candidates.account_created_year,\n",
    )
    edit_project(
        broken,
        AUDIENCE_YML,
        "      - name: age_band\n",
        "      - name: account_created_year\n        data_type: integer\n"
        "        config: {meta: {personal_data: behavioural}}\n"
        "      - name: age_band\n",
    )
    broken.dbt(
        "build",
        "--select",
        "+marketing_audience",
        "purpose_columns",  # the allowlist: a parent of the test, not of the model
        "--indirect-selection",
        "cautious",
    )

    assert broken.returncode != 0
    assert (
        "columns_allowed_by_purpose failed: marketing_audience_v1.account_created_year "
        "is not in the allowlist of purpose marketing" in broken.output
    )
    assert [uid.rsplit(".", 1)[0] for uid in not_ok(broken)] == [
        "test.gdpr_pipeline.columns_allowed_by_purpose_marketing_audience_v1_marketing"
    ]
    rows = stored_failures(broken, "columns_allowed_by_purpose_marketing_audience_v1")
    assert [row[1:] for row in rows] == [("marketing", "account_created_year")]


def test_a_release_that_skips_generalization_fails_k_and_l(broken: Build) -> None:
    # The training set is "generalized" with k = 1 and l = 1: the finest node, no suppression.
    for model in (
        "models/intermediate/int_ml_training_lattice.sql",
        "models/intermediate/int_ml_training_released.sql",
    ):
        edit_project(broken, model, "k=var('k_min'),", "k=1,")
        edit_project(broken, model, "l=var('l_min'),", "l=1,")
    broken.dbt("build", "--select", "+ml_training_set", "--indirect-selection", "cautious")

    assert broken.returncode != 0
    failed = not_ok(broken)
    for version in (3,):
        assert f"k_anonymous failed: ml_training_set_v{version}: " in broken.output
        assert (
            "combination(s) of (age_band, income_band, country_group, purchases_12m_band, "
            "categories_12m_band, spend_12m_band, has_purchase_next_90d) held by fewer than 5 "
            "distinct subjects" in broken.output
        )
        assert f"l_diverse failed: ml_training_set_v{version}.has_purchase_next_90d: " in (
            broken.output
        )
        assert any(
            uid.startswith(f"test.gdpr_pipeline.k_anonymous_ml_training_set_v{version}")
            for uid in failed
        )
    small_classes = stored_failures(broken, "k_anonymous_ml_training_set_v3")
    assert small_classes
    assert all(1 <= row[-1] < 5 for row in small_classes)  # (every column, subjects)
