"""Guard (issue 16, row 4): the audit trail tells the truth.

Every invocation is recorded, one stopped in on-run-start included; the publish step writes a
record of its own ('published', or 'not_published' and why) after the rename; the evidence page
shows it; a partial analytics.duckdb.publishing left by a crash is counted by `erasure verify`
and removed at the next start."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import PLANTED_KEY, ROOT, SMALL_BUILD_VARS, Build, generate_raw, make_build
from gdpr_pipeline import keys
from gdpr_pipeline.cli import app
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.evidence.collect import build as build_evidence
from gdpr_pipeline.evidence.collect import verify


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = make_build(tmp_path_factory.mktemp("guard_audit"), dbt_vars=SMALL_BUILD_VARS)
    generate_raw(build.raw_dir, subjects=200)
    build.dbt("build")
    assert build.returncode == 0, build.output[-4000:]
    return build


def _records(vault: Path) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(vault), read_only=True) as con:
        return con.execute(
            "select record_type, status, coalesce(message, '') from audit.trail "
            "where record_type in ('invocation', 'publish') order by seq"
        ).fetchall()


def _env(monkeypatch: pytest.MonkeyPatch, build: Build, tmp_path: Path) -> None:
    monkeypatch.setenv(keys.ENV_VAR, PLANTED_KEY)
    monkeypatch.setenv("GDPR_WAREHOUSE_DIR", str(build.warehouse))
    monkeypatch.setenv("GDPR_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("GDPR_KEY_FILE", str(tmp_path / "no-key-file"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(build.target))
    monkeypatch.chdir(ROOT)


def test_publish_and_an_on_run_start_failure_are_recorded(
    built: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = make_build(tmp_path, dbt_vars=SMALL_BUILD_VARS)
    shutil.copytree(built.warehouse, build.warehouse)
    shutil.copytree(built.raw_dir, build.raw_dir)
    # The publish record follows the invocation's own records, written after the rename.
    assert _records(build.vault)[-2:] == [
        ("invocation", "success", _records(build.vault)[-2][2]),
        ("publish", "published", "published 7 releases (7 built, 0 carried over)"),
    ]

    build.dbt("build", dbt_vars={"as_of": "garbage"})
    assert build.returncode != 0
    assert "keyboard interrupt" not in build.output
    record_type, status, message = _records(build.vault)[-1]
    assert (record_type, status) == ("invocation", "error")
    assert "var as_of = 'garbage'" in message

    _env(monkeypatch, build, tmp_path)
    assert verify(Paths(ROOT)).ok


def test_the_evidence_page_shows_the_publish_status(
    built: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = make_build(tmp_path, dbt_vars=SMALL_BUILD_VARS)
    shutil.copytree(built.warehouse, build.warehouse)
    shutil.copytree(built.raw_dir, build.raw_dir)
    shutil.copytree(built.target, build.target)
    _env(monkeypatch, build, tmp_path)
    result = build_evidence(Paths(ROOT), docs=False)
    data = json.loads((tmp_path / "evidence" / "evidence.json").read_text())
    assert data["publish"] == {
        "status": "published",
        "message": "published 7 releases (7 built, 0 carried over)",
    }
    assert data["privacy_floor"] == {"k_min": 5, "l_min": 2}
    page = result.html.read_text()
    assert (
        "Publish" in page
        and "published 7 releases (7 built, 0 carried over)" in page
        and "k_min &gt;= 5" in page
    )


def test_a_leftover_publishing_file_is_counted_then_removed(
    built: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = make_build(tmp_path, dbt_vars=SMALL_BUILD_VARS)
    shutil.copytree(built.warehouse, build.warehouse)
    shutil.copytree(built.raw_dir, build.raw_dir)
    leftover = build.warehouse / "analytics.duckdb.publishing"
    shutil.copyfile(build.analytics, leftover)  # what a kill -9 during publishing leaves
    _env(monkeypatch, build, tmp_path)
    with (build.raw_dir / "erasure_requests.csv").open() as handle:
        erased = handle.read().splitlines()[1].split(",")[1].strip('"')
    outcome = CliRunner().invoke(app, ["erasure", "verify", erased])
    report = json.loads(outcome.stdout)
    assert report["leftover_publishing_files"] == ["analytics.duckdb.publishing"]
    assert outcome.exit_code != 0
    build.dbt("build", dbt_vars={"k_min": "x"})  # even an invocation that stops at once
    assert not leftover.exists()
