"""The foundation end to end: a real dbt build of generated data, read back as its users would."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from conftest import DEMO_AS_OF, PLANTED_KEY, Build, generate_raw
from gdpr_pipeline import keys


def _text_values(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every value of every text column of every table and view in the database."""
    values: set[str] = set()
    columns = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where data_type in ('VARCHAR', 'TEXT') order by all"
    ).fetchall()
    for table, column in columns:
        values.update(
            r[0]
            for r in con.execute(f'select distinct "{column}" from "{table}"').fetchall()
            if r[0]
        )
    return values


def test_analytics_database_opens_alone_and_holds_no_direct_identifier(demo_build: Build) -> None:
    with duckdb.connect(str(demo_build.vault), read_only=True) as vault:
        identities = vault.execute(
            "select subject_id, email, full_name, postcode, cast(birth_date as varchar) from staging.stg_app__subjects"
        ).fetchall()
    forbidden = {value for row in identities for value in row if value}
    assert len(forbidden) > 3000
    # A fresh process, no key in reach, nothing attached: every view must still answer.
    with duckdb.connect(str(demo_build.analytics), read_only=True) as con:
        assert [
            r[0]
            for r in con.execute(
                "select database_name from duckdb_databases() where not internal"
            ).fetchall()
        ] == ["analytics"]
        for (view,) in con.execute(
            "select view_name from duckdb_views() where not internal"
        ).fetchall():
            con.execute(f'select count(*) from "{view}"').fetchone()
        released = _text_values(con)
    assert released, "nothing released"
    assert not (released & forbidden), sorted(released & forbidden)[:5]


def test_releases_and_pointer_views(demo_build: Build) -> None:
    with duckdb.connect(str(demo_build.analytics), read_only=True) as con:
        objects = dict(
            con.execute("select table_name, table_type from information_schema.tables").fetchall()
        )
        pointer = con.execute("select count(*) from ml_training_set").fetchone()[0]
        v3 = con.execute("select count(*) from ml_training_set_v3").fetchone()[0]
        columns = [r[0] for r in con.execute("describe ml_training_set").fetchall()]
    assert objects["ml_training_set"] == "VIEW" and objects["ml_training_set_v3"] == "BASE TABLE"
    # v1 and v2 are no longer published: over all their columns they were not k-anonymous.
    assert "ml_training_set_v1" not in objects and "ml_training_set_v2" not in objects
    assert pointer == v3 > 100
    assert "spend_12m_band" in columns and "spend_12m_eur" not in columns
    assert "generalization_level" not in columns
    for exact in (
        "birth_date",
        "age_years",
        "annual_income_eur",
        "postcode",
        "subject_id",
        "email",
    ):
        assert exact not in columns


def test_every_released_subject_has_standing_consent(demo_build: Build) -> None:
    """Independent of the dbt tests: recompute from the raw events with plain Python."""
    as_of = datetime.fromisoformat(DEMO_AS_OF)
    erased = {
        r["subject_id"]
        for r in csv.DictReader((demo_build.raw_dir / "erasure_requests.csv").open())
    }
    latest: dict[str, tuple[datetime, int, str]] = {}
    for event in csv.DictReader((demo_build.raw_dir / "consent_events.csv").open()):
        if (
            event["purpose"] != "model_training"
            or not event["recorded_at"]
            or event["action"] not in ("grant", "withdraw")
        ):
            continue
        at = datetime.fromisoformat(event["recorded_at"])
        if at > as_of:
            continue
        rank = (at, 1 if event["action"] == "withdraw" else 0, event["action"])
        if event["subject_id"] not in latest or rank[:2] > latest[event["subject_id"]][:2]:
            latest[event["subject_id"]] = (rank[0], rank[1], event["action"])
    standing = {
        keys.pseudonym(PLANTED_KEY.encode(), "model_training", s)
        for s, (at, _, action) in latest.items()
        if action == "grant" and s not in erased and as_of < at + timedelta(days=730)
    }
    with duckdb.connect(str(demo_build.analytics), read_only=True) as con:
        released = {
            r[0] for r in con.execute("select subject_pseudonym from ml_training_set").fetchall()
        }
    assert released and released <= standing


def _copy_raw(demo_build: Build, fresh_build: Build) -> Path:
    shutil.copytree(demo_build.raw_dir, fresh_build.raw_dir)
    return fresh_build.raw_dir


def test_missing_raw_file_names_it(demo_build: Build, fresh_build: Build) -> None:
    raw = _copy_raw(demo_build, fresh_build)
    (raw / "purchases.csv").unlink()
    fresh_build.dbt("build")
    assert fresh_build.returncode != 0
    assert f"Raw file missing: {raw}/purchases.csv or {raw}/purchases.parquet" in fresh_build.output
    assert not fresh_build.analytics.exists()


def test_missing_column_names_file_and_column(demo_build: Build, fresh_build: Build) -> None:
    raw = _copy_raw(demo_build, fresh_build)
    path = raw / "subjects.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace('"postcode"', '"post_code"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fresh_build.dbt("build")
    assert fresh_build.returncode != 0
    assert f"Raw file {path} has no column 'postcode'" in fresh_build.output
    assert not fresh_build.analytics.exists()


@pytest.mark.parametrize(
    ("file", "column", "bad"),
    [
        ("subjects", "birth_date", "1987-02-30"),
        ("purchases", "amount_eur", "12,50"),
        ("consent_events", "recorded_at", "yesterday"),
    ],
)
def test_unparseable_value_names_file_column_and_value(
    demo_build: Build, fresh_build: Build, file: str, column: str, bad: str
) -> None:
    raw = _copy_raw(demo_build, fresh_build)
    path = raw / f"{file}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with (raw / "erasure_requests.csv").open(encoding="utf-8", newline="") as handle:
        erased = {r["subject_id"] for r in csv.DictReader(handle)}
    # Plant the bad value in a row of a subject who is not erased, so staging reads it.
    target = next(i for i, row in enumerate(rows) if row["subject_id"] not in erased)
    rows[target][column] = bad
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    fresh_build.dbt("build")
    assert fresh_build.returncode != 0
    # The value is masked (its first character and length): a bad cell may hold an email.
    masked = f"'{bad[0]}...' ({len(bad)} characters)"
    assert f"{path}: column source.{column}: cannot parse {masked}" in fresh_build.output
    assert bad not in fresh_build.output
    assert not fresh_build.analytics.exists(), "a failed build must publish nothing"


def test_parquet_input_gives_the_same_release(demo_build: Build, fresh_build: Build) -> None:
    generate_raw(fresh_build.raw_dir, fmt="parquet")
    fresh_build.dbt("build")
    assert fresh_build.returncode == 0, fresh_build.output[-3000:]
    query = "select * from ml_training_set order by subject_pseudonym"
    with (
        duckdb.connect(str(demo_build.analytics), read_only=True) as a,
        duckdb.connect(str(fresh_build.analytics), read_only=True) as b,
    ):
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
