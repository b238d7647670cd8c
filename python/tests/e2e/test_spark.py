"""The same dbt project on Apache Spark (dbt-spark, session method, local[2]).

The demo data (1,000 subjects, seed 42) is built on DuckDB (the shared `demo_build`) and on
Spark through `gdpr-pipeline spark-build`, with the same planted key and as_of. Every released
relation must be equal between the engines, row for row, pseudonyms included; and the key and
its HMAC pads must be in no file Spark, dbt or the metastore wrote, nor in Spark's console log.

Run by `make test-spark` (and by `make test` when java is on PATH); needs the `spark` extra.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import PLANTED_KEY, ROOT, Build, make_build
from gdpr_pipeline import keys
from gdpr_pipeline.cli import app
from gdpr_pipeline.engines import spark as spark_session
from key_material import RFC4231, forbidden_patterns, scan_for_leaks

pytestmark = pytest.mark.spark

NOISY_RELEASES = {"analytics_purchases_monthly_v1"}


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


def _models(build: Build, resource_type: str = "model") -> dict[str, dict[str, Any]]:
    """Nodes of the build's manifest by alias (a version by its own: ml_training_set_v3)."""
    manifest = json.loads((build.target / "manifest.json").read_text())
    return {
        node["alias"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == resource_type
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
    # Ephemeral models (the erasure-request base) are inlined into their readers, never run.
    models = {
        node["unique_id"]
        for node in _models(spark_build).values()
        if node["config"]["materialized"] != "ephemeral"
    }
    assert models and models <= set(statuses)
    failed = {k: v for k, v in statuses.items() if v not in ("success", "pass", "warn", "no-op")}
    assert not failed


def test_released_relations_equal_between_engines(
    demo_build: Build, spark_build: Build, spark_reader: Any
) -> None:
    assert_releases_equal(demo_build, spark_build, spark_reader)


def assert_releases_equal(demo_build: Build, spark_build: Build, spark_reader: Any) -> None:
    """Every release of the Spark build equals the DuckDB one, row for row (also used by the
    cluster test)."""
    releases = [n for n in _models(spark_build).values() if n["config"]["meta"].get("release")]
    expected = {"ml_training_set", "marketing_audience", "release_funnel"}
    # A versioned release by its model name (ml_training_set) and its version (_v3).
    assert {n["name"] for n in releases} | {
        n["alias"] for n in releases
    } >= expected | NOISY_RELEASES
    # The DP release is drawn by each engine's own build: test_dp_inputs_and_ledger_* checks it.
    releases = [n for n in releases if n["alias"] not in NOISY_RELEASES]
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
            if name == "release_privacy_report":  # its analytics row counts noisy cells
                spark_frame = spark_frame.where("release_name != 'analytics_purchases_monthly'")
            spark_rows = _sorted_rows(spark_frame.collect())
            where = " where release_name != 'analytics_purchases_monthly'" * (
                name == "release_privacy_report"
            )
            cursor = analytics.execute(f'select * from "{name}"{where}')
            duckdb_rows = _sorted_rows(cursor.fetchall())
            assert spark_frame.columns == [d[0] for d in cursor.description], name
            assert spark_rows, f"{name} is empty on Spark: nothing was compared"
            assert len(spark_rows) == len(duckdb_rows), name
            assert spark_rows == duckdb_rows, name


def test_dp_inputs_and_ledger_equal_between_engines(
    demo_build: Build, spark_build: Build, spark_reader: Any
) -> None:
    """Both engines noise the same un-noised, contribution-bounded cells with the same
    settings and spend the same budget; the noisy values themselves differ by design (each
    engine's driver draws its own), so they are checked for their scale, not compared."""
    spark_models = _models(spark_build)

    def spark_rows(name: str, columns: list[str] | None = None) -> list[tuple[Any, ...]]:
        node = spark_models[name]
        frame = spark_reader.table(f"{node['schema']}.{node['alias']}")
        return _sorted_rows(frame.select(*(columns or frame.columns)).collect())

    with duckdb.connect(str(demo_build.vault), read_only=True) as vault:
        for name, skip in (
            ("int_purchases_bounded_to_monthly_cells", ()),
            ("int_dp_release_parameters", ("dbt_invocation_id",)),
        ):
            node = spark_models[name]
            columns = [
                c for c in spark_reader.table(f"{node['schema']}.{name}").columns if c not in skip
            ]
            duckdb_rows = _sorted_rows(
                vault.execute(f"select {', '.join(columns)} from privacy.{name}").fetchall()
            )
            assert duckdb_rows and spark_rows(name, columns) == duckdb_rows, name
        spent = ["purpose", "period", "epsilon", "delta", "epsilon_cap", "is_renoise"]
        ledger = _sorted_rows(
            vault.execute(f"select {', '.join(spent)} from privacy.dp_budget_ledger").fetchall()
        )
        (months,) = vault.execute(
            "select count(distinct purchase_month) from "
            "privacy.int_purchases_bounded_to_monthly_cells"
        ).fetchone()
        scales = ["subjects_noise_scale", "purchases_noise_scale", "revenue_cents_noise_scale"]
        duckdb_scales = _sorted_rows(
            vault.execute(
                f"select distinct {', '.join(scales)} from privacy.dp_analytics_cells_noised"
            ).fetchall()
        )
    # One first release per closed month, each within dp_epsilon_per_period, on both engines.
    assert len(ledger) == months > 0
    assert all(r[0] == "analytics" and 0 < r[2] <= 1.0 and r[3] == 0 and not r[5] for r in ledger)
    assert spark_rows("dp_budget_ledger", spent) == ledger
    # Spark drew OpenDP noise of the same calibrated scale, for every cell of the key set,
    # month by month.
    draws = spark_rows("dp_analytics_cells_noised", ["draw_id", *scales])
    assert sorted({d[1:] for d in draws}) == duckdb_scales

    def cells_per_month(name: str) -> list[tuple[Any, ...]]:
        node = spark_models[name]
        frame = spark_reader.table(f"{node['schema']}.{node['alias']}")
        return _sorted_rows(frame.groupBy("purchase_month").count().collect())

    assert cells_per_month("dp_analytics_cells_noised") == cells_per_month(
        "int_purchases_bounded_to_monthly_cells"
    )
    # The Spark release publishes the latest draw of each cell whose noisy subject count
    # reaches the threshold, and nothing else: never an un-noised value.
    latest, release = (
        f"{spark_models[n]['schema']}.{spark_models[n]['alias']}"
        for n in ("dp_analytics_cells_latest", "analytics_purchases_monthly_v1")
    )
    expected = _sorted_rows(
        spark_reader.sql(
            "select purchase_month, country_group, category, noisy_subjects, noisy_purchases, "
            f"noisy_revenue_cents from {latest} where noisy_subjects >= threshold"
        ).collect()
    )
    published = _sorted_rows(
        spark_reader.sql(
            "select purchase_month, country_group, category, subjects, purchases, "
            f"cast(round(revenue_eur * 100) as bigint) from {release}"
        ).collect()
    )
    assert published, "Spark published no analytics cell"
    assert published == expected
    with duckdb.connect(str(demo_build.analytics), read_only=True) as analytics:
        columns = [
            d[0]
            for d in analytics.execute(
                "select * from analytics_purchases_monthly limit 0"
            ).description
        ]
    node = spark_models["analytics_purchases_monthly_v1"]
    assert spark_reader.table(f"{node['schema']}.{node['alias']}").columns == columns


def test_seeds_load_identically(demo_build: Build, spark_build: Build, spark_reader: Any) -> None:
    """The registries every rule reads, empty cells (null, not the text 'None') included."""
    seeds = _models(spark_build, "seed").values()
    assert {n["name"] for n in seeds} >= {"purposes", "purpose_columns", "country_groups"}
    with duckdb.connect(str(demo_build.vault), read_only=True) as vault:
        for node in seeds:
            spark_rows = _sorted_rows(
                spark_reader.table(f"{node['schema']}.{node['alias']}").collect()
            )
            duckdb_schema = _models(demo_build, "seed")[node["alias"]]["schema"]
            duckdb_rows = _sorted_rows(
                vault.execute(f'select * from "{duckdb_schema}"."{node["alias"]}"').fetchall()
            )
            assert spark_rows and spark_rows == duckdb_rows, node["name"]


@pytest.fixture(scope="module")
def compiled_for_spark(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The project's HMAC and pseudonym SQL as dbt compiles it for the spark target (no query
    runs, so no Spark starts: the SQL is then run on `spark_reader` with chosen keys)."""
    build = make_build(tmp_path_factory.mktemp("spark-compile"))
    inline = (
        "select {{ hmac_sha256_hex('message') }} as digest, "
        "{{ pseudonymize('domain', 'subject_id') }} as pseudonym from inputs"
    )
    args = ("compile", "--target", "spark", "--no-populate-cache", "--quiet", "--inline", inline)
    completed = build.dbt(*args)
    assert completed.returncode == 0, build.output[-3000:]
    sql = completed.stdout.strip()
    assert "from gdpr_pipeline_key" in sql and PLANTED_KEY not in sql
    return sql


def _spark_hmac(
    spark: Any, sql: str, secret: bytes, rows: list[tuple[bytes, str, str]]
) -> list[tuple[str, str]]:
    """Run the compiled SQL on Spark with the pads of `secret` in the key view."""
    spark_session.register_key(spark, keys.Key(secret=secret, source="test"))
    frame = spark.createDataFrame(
        [(bytearray(m), d, s) for m, d, s in rows],
        "message binary, domain string, subject_id string",
    )
    frame.createOrReplaceTempView("inputs")
    return [(r.digest, r.pseudonym) for r in spark.sql(sql).collect()]


@pytest.mark.parametrize(("key", "data", "expected"), RFC4231)
def test_spark_sql_hmac_matches_rfc4231(
    compiled_for_spark: str, spark_reader: Any, key: bytes, data: bytes, expected: str
) -> None:
    [(digest, _)] = _spark_hmac(spark_reader, compiled_for_spark, key, [(data, "d", "s")])
    assert digest[: len(expected)] == expected


@settings(max_examples=25, deadline=None)
@given(
    secret=st.text(min_size=32, max_size=100),
    pairs=st.lists(
        st.tuples(
            st.sampled_from(["model_training", "marketing", "analytics", "dömäin"]),
            st.text(max_size=40),
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_spark_sql_pseudonym_equals_python_hmac(
    compiled_for_spark: str, spark_reader: Any, secret: str, pairs: list[tuple[str, str]]
) -> None:
    """Random keys and ids, non-ASCII included, against Python's hmac (fewer examples than on
    DuckDB: each one is a Spark job)."""
    rows = [(b"", domain, subject_id) for domain, subject_id in pairs]
    got = [p for _, p in _spark_hmac(spark_reader, compiled_for_spark, secret.encode(), rows)]
    assert got == [keys.pseudonym(secret.encode(), d, s) for d, s in pairs]


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


def test_plans_and_error_messages_never_show_the_pads(spark_reader: Any) -> None:
    """Every EXPLAIN mode, and an analysis error in a query that reads the pads (Spark quotes
    the plan in such a message, and dbt would log it), names the key view, never its values."""
    key = keys.Key(secret=PLANTED_KEY.encode(), source="test")
    spark_session.register_key(spark_reader, key)
    patterns = forbidden_patterns(key.secret)
    for label, pad in zip(("inner pad", "outer pad"), key.hmac_pads(), strict=True):
        patterns[f"{label} (1,2,..)"] = ",".join(map(str, pad)).encode()
        patterns[f"{label} (1, 2, ..)"] = ", ".join(map(str, pad)).encode()
    pseudonym = (
        "sha2(concat((select outer_pad from gdpr_pipeline_key), unhex(sha2(concat("
        "(select inner_pad from gdpr_pipeline_key), encode(id, 'UTF-8')), 256))), 256)"
    )
    query = f"select {pseudonym} as p from (select cast(id as string) as id from range(10))"
    texts = {
        mode: "\n".join(r[0] for r in spark_reader.sql(f"explain {mode} {query}").collect())
        for mode in ("extended", "formatted", "codegen", "cost")
    }
    with pytest.raises(Exception, match="no_such_column") as error:
        spark_reader.sql(f"select p, no_such_column from ({query})").collect()
    texts["analysis error"] = str(error.value)
    assert "gdpr_pipeline_key" in texts["extended"]
    for where, text in texts.items():
        leaks = [label for label, value in patterns.items() if _contains(text, value)]
        assert not leaks, (where, leaks)


def _contains(text: str, value: bytes) -> bool:
    return value.decode("latin-1").upper() in text.upper()


def test_plain_dbt_on_spark_stops_before_building(demo_build: Build, tmp_path: Path) -> None:
    """Without the entry point the key never reached Spark: on-run-start refuses, nothing built."""
    build = make_build(tmp_path)
    build.raw_dir = demo_build.raw_dir
    build.dbt("build", "--target", "spark")
    assert build.returncode != 0
    assert "gdpr-pipeline spark-build" in build.output
    assert not list(build.warehouse.glob("spark/*_releases.db/*"))


def test_spark_build_without_key_stops_before_spark_starts(tmp_path: Path) -> None:
    env = {name: None for name in os.environ if name.startswith("DBT_ENV_SECRET")}
    env["GDPR_WAREHOUSE_DIR"] = str(tmp_path / "warehouse")
    env["GDPR_KEY_FILE"] = str(tmp_path / "no.key")
    result = CliRunner().invoke(app, ["spark-build", "build"], env=env)
    assert result.exit_code == 2, result.output
    assert keys.ENV_VAR in result.output
    assert not (tmp_path / "warehouse").exists()


def test_dbt_args_select_the_spark_target() -> None:
    assert spark_session.dbt_args_for_spark(["build"]) == ["build", "--target", "spark"]
    assert spark_session.dbt_args_for_spark(["run", "-t", "prod"]) == ["run", "-t", "prod"]
    assert spark_session.dbt_args_for_spark(["run", "--target=prod"]) == ["run", "--target=prod"]


@pytest.mark.usefixtures("spark_reader")
def test_key_and_pads_are_in_no_file_spark_wrote(spark_build: Build) -> None:
    """Raw bytes of target/, logs/, the Spark warehouse (tables, Derby metastore, derby.log)
    and the console output of spark-build (dbt's and Spark's own log lines). Runs last, so the
    sessions of the tests above, which declared pads of their own, are scanned as well."""
    files = [p for p in spark_build.warehouse.rglob("*") if p.is_file()]
    assert any(p.name == "derby.log" for p in files)
    assert any("metastore_db" in p.parts for p in files)
    assert any(p.suffix == ".parquet" for p in files)
    patterns = forbidden_patterns(PLANTED_KEY.encode())
    scanned = [spark_build.target, spark_build.logs, spark_build.warehouse]
    leaks = [leak for directory in scanned for leak in scan_for_leaks(directory, patterns)]
    output = spark_build.output.encode()
    leaks += [f"{label} in spark-build output" for label, n in patterns.items() if n in output]
    assert not leaks, leaks[:10]
