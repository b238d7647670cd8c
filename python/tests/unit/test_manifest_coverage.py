"""Test coverage over the manifest: every model has a primary-key test and at least one test.

A primary-key test is `unique` on one column or `unique_combination` on several, attached to
the model. A model whose rows have no key by design says why in `meta.no_primary_key`. A
staging model that keeps a feed's repeated ids as recorded names, in `meta.key_enforced_by`,
the model below it that quarantines the repeats and carries the key test: a test on the
staging view itself would read the raw file again and hold back every model below it
(docs/benchmarks.md). dbt parse needs no key and no warehouse, so this runs on the project as
it is.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from gdpr_pipeline.core.dbt import dbt_command, dbt_env

PRIMARY_KEY_TESTS = {"unique", "unique_combination"}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("manifest")
    env = dbt_env(ROOT, {"GDPR_WAREHOUSE_DIR": str(tmp / "warehouse")}, isolated=True)
    env["GDPR_KEY_FILE"] = str(tmp / "no-such.key")  # parse needs no key
    command = dbt_command(["parse", "--quiet"], target_path=tmp / "target", log_path=tmp / "logs")
    completed = subprocess.run(
        command, cwd=ROOT, env=env, text=True, capture_output=True, check=False
    )
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-3000:]
    return json.loads((tmp / "target" / "manifest.json").read_text())


def _models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == "gdpr_pipeline"
    }


def _name(node: dict[str, Any]) -> str:
    return node["name"] + (f"_v{node['version']}" if node.get("version") is not None else "")


def _tests_of(manifest: dict[str, Any], uid: str) -> list[dict[str, Any]]:
    """Data tests on the model: generic ones attached to it, singular ones reading it alone."""
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and (node.get("attached_node") == uid or node["depends_on"]["nodes"] == [uid])
    ]


def _unit_tests_of(manifest: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        unit
        for unit in manifest.get("unit_tests", {}).values()
        if unit["model"] == node["name"] and unit.get("version") in (None, node.get("version"))
    ]


def test_every_model_has_a_primary_key_test(manifest: dict[str, Any]) -> None:
    missing = sorted(
        _name(node)
        for uid, node in _models(manifest).items()
        if not (node["config"].get("meta") or {}).get("no_primary_key")
        and not _has_primary_key_test(manifest, uid)
    )
    assert not missing, f"models without a unique / unique_combination test: {missing}"


def _primary_key_tests(manifest: dict[str, Any], uid: str) -> list[dict[str, Any]]:
    return [
        test
        for test in _tests_of(manifest, uid)
        if (test.get("test_metadata") or {}).get("name") in PRIMARY_KEY_TESTS
        and test.get("attached_node") == uid
    ]


def _has_primary_key_test(manifest: dict[str, Any], uid: str) -> bool:
    return bool(_primary_key_tests(manifest, uid))


def _key_columns(test: dict[str, Any]) -> list[str]:
    kwargs = (test.get("test_metadata") or {}).get("kwargs") or {}
    return list(kwargs.get("columns") or [kwargs.get("column_name")])


def _key_enforcer(manifest: dict[str, Any], uid: str, node: dict[str, Any]) -> str | None:
    """The model named by a staging model's meta.key_enforced_by: it must read the staging
    model and carry an error-severity key test on exactly the declared key columns."""
    enforced = (node["config"].get("meta") or {}).get("key_enforced_by")
    if not enforced:
        return None
    name = _name(node)
    assert name.startswith("stg_"), f"{name}: key_enforced_by is for staging models only"
    enforcers = [
        child_uid
        for child_uid, child in _models(manifest).items()
        if child["name"] == enforced["model"] and uid in child["depends_on"]["nodes"]
    ]
    assert enforcers, f"{name}: key_enforced_by {enforced['model']!r} is no model that reads it"
    key_tests = [
        test
        for test in _primary_key_tests(manifest, enforcers[0])
        if _key_columns(test) == list(enforced["columns"])
        and str(test["config"].get("severity", "error")).lower() == "error"
    ]
    assert key_tests, (
        f"{enforced['model']} has no error-severity key test on {enforced['columns']} ({name})"
    )
    return enforcers[0]


def test_every_model_has_at_least_one_test(manifest: dict[str, Any]) -> None:
    untested = sorted(
        _name(node)
        for uid, node in _models(manifest).items()
        if not _tests_of(manifest, uid)
        and not _unit_tests_of(manifest, node)
        and not _key_enforcer(manifest, uid, node)
    )
    assert not untested, f"models with no data or unit test: {untested}"


def test_key_enforced_by_names_a_tested_reader(manifest: dict[str, Any]) -> None:
    """Each staging model that leaves its key to a model below says which, and that model
    reads it and tests the key (an assertion in _key_enforcer fails otherwise)."""
    enforced = {
        _name(node): _key_enforcer(manifest, uid, node) for uid, node in _models(manifest).items()
    }
    assert enforced["stg_app__purchases"] == "model.gdpr_pipeline.int_purchases_classified"
    assert (
        enforced["stg_app__consent_events"] == "model.gdpr_pipeline.int_consent_events_classified"
    )


def test_the_governance_releases_test_their_invariants(manifest: dict[str, Any]) -> None:
    singular = {
        node["name"]: node["depends_on"]["nodes"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and not node.get("test_metadata")
    }
    assert singular["assert_privacy_report_meets_k_and_l"] == [
        "model.gdpr_pipeline.release_privacy_report"
    ]
    assert singular["assert_release_funnel_never_grows"] == ["model.gdpr_pipeline.release_funnel"]


def test_sources_are_named_after_their_folder(manifest: dict[str, Any]) -> None:
    for source in manifest["sources"].values():
        folder = Path(source["original_file_path"]).parent.name
        assert source["source_name"] == folder, source["unique_id"]


def test_exposures_depend_only_on_public_models(manifest: dict[str, Any]) -> None:
    for exposure in manifest["exposures"].values():
        for uid in exposure["depends_on"]["nodes"]:
            assert manifest["nodes"][uid]["access"] == "public", (exposure["name"], uid)


def test_every_release_description_names_its_relation_in_analytics_duckdb(
    manifest: dict[str, Any],
) -> None:
    """The lineage names a release by its vault relation; readers query analytics.duckdb, so
    each release's description says which name to query there."""
    unnamed = sorted(
        _name(node)
        for node in _models(manifest).values()
        if (node["config"].get("meta") or {}).get("release")
        and not ("analytics.duckdb" in node["description"] and node["alias"] in node["description"])
    )
    assert not unnamed, (
        f"releases whose description does not name their analytics relation: {unnamed}"
    )
