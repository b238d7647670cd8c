"""The same dbt project on Apache Spark (dbt-spark, session method, local[2]).

The demo data (1,000 subjects, seed 42) is built on DuckDB (the shared `demo_build`) and on
Spark through `gdpr-pipeline spark-build`, with the same planted key and as_of. Every released
relation must be equal between the engines, row for row, pseudonyms included; and the key and
its HMAC pads must be in no file Spark, dbt or the metastore wrote, nor in Spark's console log.

Run by `make test-spark` (and by `make test` when java is on PATH); needs the `spark` extra.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import PLANTED_KEY, ROOT, Build, make_build
from typer.testing import CliRunner

from gdpr_pipeline import keys, spark_session
from gdpr_pipeline.cli import app

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_build(demo_build: Build, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The demo build again, on Spark, from the very same raw files."""
    build = make_build(tmp_path_factory.mktemp("spark"))
    build.raw_dir = demo_build.raw_dir
    build.spark("build")
    assert build.returncode == 0, build.output[-5000:]
    return build


@pytest.fixture(scope="module")
def spark_reader(spark_build: Build) -> Iterator[Any]:
    """A SparkSession on the Spark build's warehouse and metastore, started after the build
    ended (the embedded Derby metastore admits one process at a time)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GDPR_WAREHOUSE_DIR", str(spark_build.warehouse))
        settings = spark_session.target_settings(ROOT, "spark")
        spark = spark_session.start_session(settings["server_side_parameters"])
    yield spark
    spark.stop()


def _models(build: Build) -> dict[str, dict[str, Any]]:
    """Model nodes of the build's manifest by name (versions by alias: ml_training_set_v2)."""
    manifest = json.loads((build.target / "manifest.json").read_text())
    return {
        node["alias"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def _normalized(value: Any) -> Any:
    """One spelling per value across engines: decimals as fixed-point text, times as ISO text."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _sorted_rows(rows: list[Any]) -> list[tuple[Any, ...]]:
    return sorted((tuple(_normalized(v) for v in row) for row in rows), key=repr)


def test_spark_build_runs_every_node(spark_build: Build) -> None:
    statuses = {r["unique_id"]: r["status"] for r in spark_build.run_results()["results"]}
    models = {node["unique_id"] for node in _models(spark_build).values()}
    assert models and models <= set(statuses)
    failed = {k: v for k, v in statuses.items() if v not in ("success", "pass", "warn")}
    assert not failed


def test_released_relations_equal_between_engines(
    demo_build: Build, spark_build: Build, spark_reader: Any
) -> None:
    releases = [n for n in _models(spark_build).values() if n["config"]["meta"].get("release")]
    expected = {"ml_training_set", "marketing_audience", "release_funnel"}
    assert {n["name"] for n in releases} >= expected
    names = [(n["schema"], n["alias"]) for n in releases]
    # The unsuffixed name of a versioned release is a view on its latest version, on both.
    names += [
        (n["schema"], n["name"])
        for n in releases
        if n.get("version") is not None and n["version"] == n.get("latest_version")
    ]
    with duckdb.connect(str(demo_build.analytics), read_only=True) as analytics:
        for schema, name in names:
            spark_frame = spark_reader.table(f"{schema}.{name}")
            spark_rows = _sorted_rows(spark_frame.collect())
            cursor = analytics.execute(f'select * from "{name}"')
            duckdb_rows = _sorted_rows(cursor.fetchall())
            assert spark_frame.columns == [d[0] for d in cursor.description], name
            assert spark_rows, f"{name} is empty on Spark: nothing was compared"
            assert len(spark_rows) == len(duckdb_rows), name
            assert spark_rows == duckdb_rows, name


def test_spark_pseudonyms_are_the_reference_hmac(spark_build: Build, spark_reader: Any) -> None:
    """Pseudonyms computed on Spark are HMAC-SHA256(key, '<domain>:<subject_id>'), per domain."""
    node = _models(spark_build)["int_subject_pseudonyms"]
    rows = spark_reader.sql(
        "select pseudonym_domain, subject_id, subject_pseudonym, key_id "
        f"from {node['schema']}.{node['alias']}"
    ).collect()
    assert len(rows) > 100
    secret = PLANTED_KEY.encode()
    for domain, subject_id, pseudonym, key_id in rows:
        assert pseudonym == keys.pseudonym(secret, domain, subject_id)
        assert key_id == keys.key_id(secret)


def test_query_plans_redact_the_pads(spark_reader: Any) -> None:
    """A plan names the session variables but prints their values as redacted."""
    key = keys.Key(secret=PLANTED_KEY.encode(), source="test")
    spark_session.declare_key_variables(spark_reader, key)
    plan = "\n".join(
        row[0]
        for row in spark_reader.sql(
            "explain extended select sha2(concat(system.session.gdpr_hmac_inner_pad, "
            "encode(id, 'UTF-8')), 256) from (select cast(rand() as string) as id)"
        ).collect()
    )
    inner, _ = key.hmac_pads()
    assert "gdpr_hmac_inner_pad" in plan
    assert inner.hex().upper() not in plan.upper()


def test_plain_dbt_on_spark_stops_before_building(demo_build: Build, tmp_path: Path) -> None:
    """Without the entry point the key never reached Spark: on-run-start refuses, nothing built."""
    build = make_build(tmp_path)
    build.raw_dir = demo_build.raw_dir
    build.dbt("build", "--target", "spark")
    assert build.returncode != 0
    assert "gdpr-pipeline spark-build" in build.output
    assert not list(build.warehouse.glob("spark/*_releases.db/*"))


def test_spark_build_without_key_stops_before_spark_starts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_ENV_SECRET")}
    env["GDPR_WAREHOUSE_DIR"] = str(tmp_path / "warehouse")
    env["GDPR_KEY_FILE"] = str(tmp_path / "no.key")
    result = CliRunner().invoke(app, ["spark-build", "build"], env=env)
    assert result.exit_code == 2
    assert keys.ENV_VAR in result.output
    assert not (tmp_path / "warehouse").exists()


def test_dbt_args_select_the_spark_target() -> None:
    assert spark_session.dbt_args_for_spark(["build"]) == ["build", "--target", "spark"]
    assert spark_session.dbt_args_for_spark(["run", "-t", "prod"]) == ["run", "-t", "prod"]
    assert spark_session.dbt_args_for_spark(["run", "--target=prod"]) == ["run", "--target=prod"]


def _needles() -> dict[str, bytes]:
    """The key and everything derived from it that lets someone compute pseudonyms."""
    key = keys.Key(secret=PLANTED_KEY.encode(), source="test")
    inner, outer = key.hmac_pads()
    needles = {"key": key.secret, "key hex": key.secret.hex().encode()}
    for name, pad in (("inner pad", inner), ("outer pad", outer)):
        needles[name] = pad
        needles[f"{name} hex"] = pad.hex().encode()
        needles[f"{name} HEX"] = pad.hex().upper().encode()
        needles[f"{name} base64"] = base64.b64encode(pad)
    return needles


def test_key_and_pads_are_in_no_file_spark_wrote(spark_build: Build, spark_reader: Any) -> None:
    """Raw bytes of target/, logs/, the Spark warehouse (tables, Derby metastore, derby.log)
    and Spark's console log. Runs after the other tests, so their session is included."""
    roots = [spark_build.target, spark_build.logs, spark_build.warehouse]
    files = [p for root in roots for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "derby.log" for p in files)
    assert any("metastore_db" in p.parts for p in files)
    assert any(p.suffix == ".parquet" for p in files)
    sources = [(str(p), p.read_bytes()) for p in files]
    sources.append(("spark-build console output", spark_build.output.encode()))
    found = [
        f"{name} in {where}"
        for where, data in sources
        for name, needle in _needles().items()
        if needle in data
    ]
    assert not found, found[:10]
