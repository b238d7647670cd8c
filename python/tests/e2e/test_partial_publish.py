"""Partial builds publish what they built; the rest is carried over from the published file.

`dbt build -s ml_training_set+`, `dbt build -s state:modified+` and `dbt retry` each publish a new
analytics.duckdb (atomically, as a full build does) in which the releases they built come from
the vault and every other release is copied unchanged from the previous file; release_metadata
names, per release, the invocation that built it (macros/publish/releases_to_publish.sql).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import Build, make_build

TRAINING = ("ml_training_set_v3",)


def _metadata(build: Build) -> dict[str, dict[str, Any]]:
    with duckdb.connect(str(build.analytics), read_only=True) as con:
        cursor = con.execute("select * from release_metadata")
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def _contents(build: Build, relations: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(build.analytics), read_only=True) as con:
        return {
            name: sorted(con.execute(f'select * from "{name}"').fetchall(), key=repr)
            for name in relations
        }


def _invocation(build: Build) -> str:
    return str(build.run_results()["metadata"]["invocation_id"])


@pytest.fixture
def copy(demo_build: Build, tmp_path: Path) -> Build:
    """A build that starts from the demo's vault, analytics file and raw files."""
    build = make_build(tmp_path)
    shutil.copytree(demo_build.warehouse, build.warehouse)
    shutil.copytree(demo_build.raw_dir, build.raw_dir)
    return build


def test_a_selected_build_publishes_what_it_built_and_carries_the_rest(copy: Build) -> None:
    before = _metadata(copy)
    kept = _contents(copy, sorted(set(before) - set(TRAINING)))

    copy.dbt("build", "-s", "ml_training_set+")
    assert copy.returncode == 0, copy.output[-3000:]
    assert "NOT published" not in copy.output
    assert "carried over unchanged" in copy.output
    invocation = _invocation(copy)

    after = _metadata(copy)
    assert set(after) == set(before)
    rebuilt = {name for name, row in after.items() if row["dbt_invocation_id"] == invocation}
    # The training set and what reads it (the privacy report, the funnel); nothing else.
    assert {*TRAINING, "release_privacy_report"} <= rebuilt
    assert "marketing_audience_v1" not in rebuilt
    others = sorted(set(before) - rebuilt)
    for name in rebuilt:
        assert after[name]["is_stale"] is False
    for name in others:
        assert after[name] == {**before[name], "is_stale": False}, name
    kept = {name: rows for name, rows in kept.items() if name in others}
    assert _contents(copy, others) == kept
    assert not (copy.warehouse / "analytics.duckdb.publishing").exists()
    # The latest-version view still answers, in the new file.
    with duckdb.connect(str(copy.analytics), read_only=True) as con:
        assert con.execute("select count(*) from ml_training_set").fetchone()[0] > 0


def test_an_upstream_rebuild_marks_the_releases_below_it_stale(copy: Build) -> None:
    before = _metadata(copy)
    copy.dbt("build", "-s", "int_ml_training_released")
    assert copy.returncode == 0, copy.output[-3000:]
    assert "Warning: stale releases:" in copy.output
    after = _metadata(copy)
    stale = {name for name, row in after.items() if row["is_stale"]}
    assert set(TRAINING) <= stale
    assert "marketing_audience_v1" not in stale
    for name, row in after.items():  # nothing rebuilt: every release carried over
        assert row["dbt_invocation_id"] == before[name]["dbt_invocation_id"], name

    # Rebuilding the release clears the mark.
    copy.dbt("build", "-s", "ml_training_set")
    assert copy.returncode == 0, copy.output[-3000:]
    after = _metadata(copy)
    assert not any(after[name]["is_stale"] for name in TRAINING)


def test_retry_publishes_what_it_built(copy: Build) -> None:
    purchases = copy.raw_dir / "purchases.csv"
    original = purchases.read_text(encoding="utf-8")
    lines = original.splitlines()
    fields = lines[1].split(",")
    fields[3] = '"12,50"'  # amount_eur with a decimal comma: staging stops the build
    lines[1] = ",".join(fields)
    purchases.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = _metadata(copy)

    copy.dbt("build")
    assert copy.returncode != 0
    assert "Analytics database NOT published" in copy.output
    assert _metadata(copy) == before

    purchases.write_text(original, encoding="utf-8")
    copy.dbt("retry")
    assert copy.returncode == 0, copy.output[-3000:]
    assert "NOT published" not in copy.output
    invocation = _invocation(copy)
    after = _metadata(copy)
    rebuilt = {name for name, row in after.items() if row["dbt_invocation_id"] == invocation}
    assert set(TRAINING) <= rebuilt, after
    assert set(after) == set(before)
