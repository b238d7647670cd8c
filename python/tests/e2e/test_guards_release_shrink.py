"""Guard (issue 16, row 3): no release shrinks silently.

After a good build, settings or input that empty the releases (k_min 100000, a subjects file
cut to its header) or shrink one below release_shrink_min_share of the published rows fail the
build naming the release and both counts; the published file stays byte for byte. Listing the
release in allow_release_shrink lets a reviewed shrink through, and the audit trail says so."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import SMALL_BUILD_VARS, Build, generate_raw, make_build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = make_build(tmp_path_factory.mktemp("guard_shrink"), dbt_vars=SMALL_BUILD_VARS)
    generate_raw(build.raw_dir, subjects=300)
    build.dbt("build")
    assert build.returncode == 0, build.output[-4000:]
    return build


def _copy(built: Build, tmp_path: Path) -> Build:
    build = make_build(tmp_path, dbt_vars=SMALL_BUILD_VARS)
    shutil.copytree(built.warehouse, build.warehouse)
    shutil.copytree(built.raw_dir, build.raw_dir)
    return build


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _counts(analytics: Path) -> dict[str, int]:
    with duckdb.connect(str(analytics), read_only=True) as con:
        names = [r[0] for r in con.execute("select release_name from release_metadata").fetchall()]
        return {n: con.execute(f"select count(*) from {n}").fetchone()[0] for n in names}


def _publish_records(vault: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(vault), read_only=True) as con:
        return con.execute(
            "select status, message from audit.trail where record_type = 'publish' order by seq"
        ).fetchall()


def _empty_subjects(build: Build) -> None:
    subjects = build.raw_dir / "subjects.csv"
    subjects.write_text(subjects.read_text().splitlines()[0] + "\n")


def test_an_unreachable_k_publishes_nothing(built: Build, tmp_path: Path) -> None:
    """k_min 100000: no node of the lattice keeps enough subjects, so the lattice test fails
    the build before the publish step; the last good release stays."""
    build = _copy(built, tmp_path)
    before = _digest(build.analytics)
    build.dbt("build", dbt_vars={"k_min": 100000})
    assert build.returncode != 0
    assert "Analytics database NOT published" in build.output
    assert "exactly_one_chosen_node failed: int_ml_training_lattice" in build.output
    assert _digest(build.analytics) == before
    status, message = _publish_records(build.vault)[-1]
    assert status == "not_published" and "did not succeed" in message


def test_an_emptied_release_is_not_published(built: Build, tmp_path: Path) -> None:
    build = _copy(built, tmp_path)
    counts = _counts(build.analytics)
    before = _digest(build.analytics)
    _empty_subjects(build)
    build.dbt("build")
    assert build.returncode != 0
    assert "Analytics database NOT published" in build.output
    expected = (
        f"ml_training_set_v3 came out empty (0 rows; the published one has "
        f"{counts['ml_training_set_v3']})"
    )
    assert expected in build.output, build.output[-3000:]
    assert _digest(build.analytics) == before
    status, message = _publish_records(build.vault)[-1]
    assert status == "not_published" and "release shrink" in message


def test_a_shrink_below_the_share_is_refused(built: Build, tmp_path: Path) -> None:
    build = _copy(built, tmp_path)
    subjects = build.raw_dir / "subjects.csv"
    lines = subjects.read_text().splitlines()
    kept = lines[1:][: len(lines[1:]) // 4]  # a quarter of the subjects: every release shrinks
    subjects.write_text("\n".join([lines[0], *kept]) + "\n")
    before = _digest(build.analytics)
    build.dbt("build")
    assert build.returncode != 0
    assert "rows, fewer than 50.0% of the" in build.output, build.output[-3000:]
    assert _digest(build.analytics) == before


def test_a_reviewed_shrink_is_allowed_and_recorded(built: Build, tmp_path: Path) -> None:
    build = _copy(built, tmp_path)
    # release_utility too: an empty training set leaves no model to measure.
    allow = [
        "analytics_purchases_monthly",
        "marketing_audience",
        "ml_training_set",
        "release_utility",
    ]
    _empty_subjects(build)
    build.dbt("build", dbt_vars={"allow_release_shrink": allow})
    assert build.returncode == 0, build.output[-3000:]
    assert "Release shrink allowed by var allow_release_shrink" in build.output
    assert _counts(build.analytics)["ml_training_set_v3"] == 0
    status, message = _publish_records(build.vault)[-1]
    assert status == "published" and "shrink allowed by allow_release_shrink" in message
    with duckdb.connect(str(build.vault), read_only=True) as con:
        recorded_vars = con.execute(
            "select dbt_vars from audit.invocations order by seq desc limit 1"
        ).fetchone()[0]
    assert "allow_release_shrink" in recorded_vars
