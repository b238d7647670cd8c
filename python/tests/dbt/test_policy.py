"""gdpr_pipeline.policy: the static column policy on a real `dbt parse` manifest."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import ROOT, Build, copy_project, edit_project, make_build
from gdpr_pipeline import policy

pytestmark = pytest.mark.dbt

AUDIENCE_SQL = "models/marts/marketing/marketing_audience.sql"
AUDIENCE_YML = "models/marts/marketing/_marketing__models.yml"


def parse(build: Build) -> dict:
    build.dbt("parse", "--warn-error")
    assert build.returncode == 0, build.output[-3000:]
    return policy.load_manifest(build.target / "manifest.json")


def test_the_vocabulary_is_the_one_the_dbt_macros_use() -> None:
    macro = (ROOT / "macros/policy/personal_data_classes.sql").read_text()
    listed = re.search(r"return\((\[[^\]]*\])\)", macro)
    assert listed, "personal_data_classes() no longer returns a list literal"
    assert tuple(ast.literal_eval(listed.group(1))) == policy.CLASSES


def test_the_real_project_passes(tmp_path: Path) -> None:
    build = make_build(tmp_path)
    manifest = parse(build)

    assert policy.check_manifest(manifest) == []
    releases = [n for n in manifest["nodes"].values() if policy._is_release(n)]
    assert len(releases) >= 5  # the check saw the releases, not an empty project


def test_a_broken_project_fails_naming_each_model_and_column(tmp_path: Path) -> None:
    build = copy_project(make_build(tmp_path), tmp_path / "project")
    # 1. a declared column loses its class
    edit_project(
        build,
        AUDIENCE_YML,
        "            personal_data: non_personal\n",
        "",
    )
    # 2. a direct identifier and 3. a column outside marketing's allowlist enter the release
    edit_project(
        build,
        AUDIENCE_YML,
        "      - name: age_band\n",
        "      - name: email\n        data_type: string\n"
        "        config: {meta: {personal_data: direct_identifier}}\n"
        "      - name: account_created_year\n        data_type: integer\n"
        "        config: {meta: {personal_data: behavioural}}\n"
        "      - name: age_band\n",
    )
    edit_project(
        build,
        AUDIENCE_SQL,
        "        candidates.key_id,\n",
        "        candidates.key_id,\n        'x' as email,\n        1 as account_created_year,\n",
    )
    # 4. the training set loses its k-anonymity test
    edit_project(
        build,
        "models/marts/ml/_ml__models.yml",
        "      - k_anonymous:\n          arguments:\n"
        "            quasi_identifiers: [age_band, income_band, country_group, purchases_12m_band,"
        " categories_12m_band, spend_12m_band, has_purchase_next_90d]\n"
        "            k: \"{{ var('k_min') }}\"\n",
        "",
    )
    manifest = parse(build)  # all of it parses: only the policy catches it

    found = {str(v) for v in policy.check_manifest(manifest)}
    assert found == {
        "marketing_audience_v1.key_id: no valid meta.personal_data class (got None)",
        "marketing_audience_v1.email: direct_identifier in a release",
        "marketing_audience_v1.email: not in the allowlist of purpose marketing",
        "marketing_audience_v1.account_created_year: not in the allowlist of purpose marketing",
        # Every released column counts in k: the two new columns are in no k test.
        *(
            f"marketing_audience_v1.{column}: meta.quasi_identifiers is not every column but "
            "the k_exempt ones (counted ['account_created_year', 'age_band', 'country_group', "
            "'email', 'generalization_level'], declared ['age_band', 'country_group', "
            "'generalization_level'])"
            for column in ("account_created_year", "email")
        ),
        "marketing_audience_v1: no k_anonymous test over ['account_created_year', 'age_band',"
        " 'country_group', 'email', 'generalization_level']",
        "ml_training_set_v3: no k_anonymous test over ['age_band', 'categories_12m_band',"
        " 'country_group', 'has_purchase_next_90d', 'income_band', 'purchases_12m_band',"
        " 'spend_12m_band']",
    }

    # What `make lint` runs: the module exits non-zero and prints each violation.
    completed = subprocess.run(
        [sys.executable, "-m", "gdpr_pipeline.policy", str(build.target / "manifest.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1
    assert (
        "Column policy: marketing_audience_v1.email: direct_identifier in a release"
        in completed.stderr
    )
    assert "8 violation(s)" in completed.stdout


def test_docs_show_each_released_column_with_its_class_and_purpose(
    demo_build: Build, tmp_path: Path
) -> None:
    """`dbt docs generate`: the catalog has every built column of every release, and the
    manifest the docs site renders gives each its class (column meta) and purpose (model meta)."""
    # The demo warehouse, but a target of its own: the shared build's artifacts stay intact.
    docs = replace(demo_build, target=tmp_path / "target", logs=tmp_path / "logs")
    docs.dbt("docs", "generate")
    assert docs.returncode == 0, docs.output[-3000:]
    manifest = policy.load_manifest(docs.target / "manifest.json")
    catalog = policy.load_manifest(docs.target / "catalog.json")
    purposes = set(policy.read_allowlist(policy.allowlist_path(manifest))) | {"governance"}

    releases = [n for n in manifest["nodes"].values() if policy._is_release(n)]
    assert releases
    for node in releases:
        label = policy.node_label(node)
        assert node["meta"].get("purpose") in purposes, label  # shown in the model's Details
        built = catalog["nodes"][node["unique_id"]]["columns"]
        assert built, label
        declared = {name.lower(): column for name, column in node["columns"].items()}
        for name in built:
            column = declared[name.lower()]
            # The docs site lists column.meta under each column's Details.
            assert column["meta"].get("personal_data") in policy.CLASSES, f"{label}.{name}"
