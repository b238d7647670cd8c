"""Incremental builds give exactly the releases of a full build.

One warehouse is built on generated data, then 1% new rows are appended to the raw files
(consent events for existing subjects, withdrawals at the instant of an existing grant,
late-arriving events and purchases, a repeated and a conflicting event_id, a purchase_id
reused at an earlier time, erasure requests) and it is rebuilt incrementally. A second
warehouse is built from scratch on the same files with the same key. Every release, the
pseudonyms included, and the incremental models themselves must be equal, row for row (the
differentially private release by its un-noised input: its noise is drawn once per month).
Moving as_of must recompute every subject, and again match a full build.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pytest

from conftest import Build, comparable_releases, generate_raw, make_build, relation_rows
from gdpr_pipeline.synth.increment import append_increment

pytestmark = pytest.mark.dbt

INCREMENTAL_MODELS = ("int_consent_events_to_intervals", "int_purchases_aggregated_to_subjects")
MOVED_AS_OF = "2026-09-15 12:00:00"


def incremental_tables(build: Build) -> dict[str, list[tuple[Any, ...]]]:
    """The incremental models and the input state kept next to them, in the vault."""
    with duckdb.connect(str(build.vault), read_only=True) as con:
        return {
            name: relation_rows(con, f"intermediate.{name}")
            for model in INCREMENTAL_MODELS
            for name in (model, f"{model}__subject_inputs")
        }


def recomputed(output: str, model: str) -> int:
    found = re.findall(rf"{model}: recomputed the rows of (\d+) subjects", output)
    assert found, f"no recompute line for {model} in the dbt output"
    return int(found[-1])


def assert_same(actual: dict[str, list[Any]], expected: dict[str, list[Any]]) -> None:
    assert sorted(actual) == sorted(expected)
    for name in expected:
        assert actual[name] == expected[name], f"{name} differs from the full build"


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("incremental_raw")
    generate_raw(root / "base", fmt="parquet")
    appended = append_increment(root / "base", root / "plus", fraction=0.01)
    with duckdb.connect() as con:
        erased = {
            r[0]
            for r in con.execute(
                f"select subject_id from read_parquet('{root / 'plus' / 'erasure_requests.parquet'}')"
                " where request_id like 'RI%'"
            ).fetchall()
        }
    return {"base": root / "base", "plus": root / "plus", "appended": appended, "erased": erased}


@pytest.fixture(scope="module")
def incremental(tmp_path_factory: pytest.TempPathFactory, raw: dict[str, Any]) -> dict[str, Any]:
    """Base build, then the incremental build on the appended files."""
    build = make_build(tmp_path_factory.mktemp("incremental"))
    build.dbt("build", dbt_vars={"raw_dir": str(raw["base"])})
    assert build.returncode == 0, build.output[-5000:]
    before = comparable_releases(build)
    build.dbt("build", dbt_vars={"raw_dir": str(raw["plus"])})
    assert build.returncode == 0, build.output[-5000:]
    return {"build": build, "before": before, "output": build.output}


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory, raw: dict[str, Any]) -> Build:
    """The reference: a fresh warehouse built once on the appended files, same key."""
    build = make_build(tmp_path_factory.mktemp("full"))
    build.dbt("build", dbt_vars={"raw_dir": str(raw["plus"])})
    assert build.returncode == 0, build.output[-5000:]
    return build


def test_increment_holds_every_kind_of_new_row(raw: dict[str, Any]) -> None:
    assert raw["appended"]["consent_events"] >= 30
    assert raw["appended"]["purchases"] >= 100
    assert raw["erased"]
    with duckdb.connect() as con:
        events = str(raw["plus"] / "consent_events.parquet")
        withdrawals, same_instant, late = con.execute(
            f"""
            select
                count(*) filter (where event_id like 'EI%' and action = 'withdraw'),
                count(*) filter (where event_id like 'EI%S%'),
                count(*) filter (where event_id like 'EI%' and recorded_at < '2026-06-01')
            from read_parquet('{events}')
            """
        ).fetchone()
        repeated_ids = {
            version: con.execute(
                f"select count(*) from (select event_id from read_parquet('{raw[version]}/"
                "consent_events.parquet') group by event_id having count(*) > 1)"
            ).fetchone()[0]
            for version in ("base", "plus")
        }
    assert withdrawals > 0 and same_instant > 0 and late > 0
    # one exact repeat and one conflicting reuse of existing event_ids
    assert repeated_ids["plus"] > repeated_ids["base"]


def test_increment_is_processed_incrementally(incremental: dict[str, Any]) -> None:
    output = incremental["output"]
    assert "recomputing every subject" not in output
    with duckdb.connect(str(incremental["build"].vault), read_only=True) as con:
        subjects = con.execute("select count(*) from staging.stg_app__subjects").fetchone()[0]
    for model in INCREMENTAL_MODELS:
        changed = recomputed(output, model)
        assert 0 < changed < subjects / 2, (model, changed, subjects)


def test_incremental_build_equals_full_build(incremental: dict[str, Any], full: Build) -> None:
    after = comparable_releases(incremental["build"])
    assert after != incremental["before"], "the increment changed no release: the test is vacuous"
    assert_same(after, comparable_releases(full))
    assert_same(incremental_tables(incremental["build"]), incremental_tables(full))


def test_erased_subjects_leave_the_incremental_models(
    incremental: dict[str, Any], raw: dict[str, Any]
) -> None:
    erased = sorted(raw["erased"])
    with duckdb.connect(str(incremental["build"].vault), read_only=True) as con:
        for model in INCREMENTAL_MODELS:
            for name in (model, f"{model}__subject_inputs"):
                left = con.execute(
                    f"select count(*) from intermediate.{name} where list_contains(?::varchar[], subject_id)",
                    [erased],
                ).fetchone()[0]
                assert left == 0, f"{name} still holds an erased subject"


def test_moving_as_of_recomputes_everyone(
    incremental: dict[str, Any], full: Build, raw: dict[str, Any]
) -> None:
    build = incremental["build"]
    build.dbt("build", dbt_vars={"raw_dir": str(raw["plus"]), "as_of": MOVED_AS_OF})
    assert build.returncode == 0, build.output[-5000:]
    for model in INCREMENTAL_MODELS:
        assert f"{model}: recomputing every subject" in build.output
    full.dbt(
        "build", "--full-refresh", dbt_vars={"raw_dir": str(raw["plus"]), "as_of": MOVED_AS_OF}
    )
    assert full.returncode == 0, full.output[-5000:]
    assert_same(comparable_releases(build), comparable_releases(full))
    assert_same(incremental_tables(build), incremental_tables(full))
