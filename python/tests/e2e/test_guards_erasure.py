"""Guard (issue 16, row 1): erasure is cumulative and cannot be undone by input.

One build of generated data; then raw erasure files that would stage erased subjects again
(cut to the header, a doubled header with the first copy empty, an empty key, a request
dropped) must each stop the build naming the file, before anything runs, leaving the
published release byte for byte. A request for an id no subject has ('S000000011 ') is
refused by `erasure request`, quarantined as unknown_subject when forced through, and
`erasure verify` says the id is unknown instead of 'ok'."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import PLANTED_KEY, ROOT, SMALL_BUILD_VARS, Build, generate_raw, make_build
from gdpr_pipeline import keys
from gdpr_pipeline.cli import app


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = make_build(tmp_path_factory.mktemp("guard_erasure"), dbt_vars=SMALL_BUILD_VARS)
    generate_raw(build.raw_dir, subjects=300)
    build.dbt("build")
    assert build.returncode == 0, build.output[-4000:]
    return build


def _requests(build: Build) -> tuple[list[str], list[list[str]]]:
    with (build.raw_dir / "erasure_requests.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _broken_copy(built: Build, tmp_path: Path) -> Build:
    broken = make_build(tmp_path, dbt_vars=SMALL_BUILD_VARS)
    shutil.copytree(built.warehouse, broken.warehouse)
    shutil.copytree(built.raw_dir, broken.raw_dir)
    return broken


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (
            "header_only",
            "1 of the 1 erasure requests the vault's tombstone holds are not in this file",
        ),
        ("doubled_header", "the header names column 'subject_id' more than once"),
        ("empty_subject", "erasure requests have an empty subject_id"),
        ("dropped_request", "erasure requests the vault's tombstone holds are not in this file"),
    ],
)
def test_an_erasure_file_that_would_undo_erasure_stops_the_build(
    built: Build, tmp_path: Path, breakage: str, expected: str
) -> None:
    broken = _broken_copy(built, tmp_path)
    path = broken.raw_dir / "erasure_requests.csv"
    header, rows = _requests(broken)
    assert rows, "the generated data has erasure requests"
    if breakage == "header_only":
        _write(path, header, [])
        expected = expected.replace("1 of the 1", f"{len(rows)} of the {len(rows)}")
    elif breakage == "doubled_header":
        _write(
            path,
            ["request_id", "subject_id", "received_at", "subject_id"],
            [[r[0], "", r[2], r[1]] for r in rows],
        )
    elif breakage == "empty_subject":
        _write(path, header, [*rows, ["R-NEW", "", rows[0][2]]])
    else:
        _write(path, header, [*rows[1:], ["R-OTHER", rows[0][1], rows[0][2]]])
    before = _digest(broken.analytics)
    broken.dbt("build")
    assert broken.returncode != 0
    assert str(path) in broken.output and expected in broken.output, broken.output[-3000:]
    assert "Raw input refused; nothing was built or published" in broken.output
    assert _digest(broken.analytics) == before


def _cli_env(monkeypatch: pytest.MonkeyPatch, build: Build) -> None:
    monkeypatch.setenv(keys.ENV_VAR, PLANTED_KEY)
    monkeypatch.setenv("GDPR_WAREHOUSE_DIR", str(build.warehouse))
    monkeypatch.setenv("GDPR_KEY_FILE", str(build.warehouse.parent / "no-key-file"))
    monkeypatch.chdir(ROOT)


def test_an_unknown_id_is_refused_quarantined_and_not_verified(
    built: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = _broken_copy(built, tmp_path)
    _cli_env(monkeypatch, build)
    runner = CliRunner()
    known = "S000000011"
    assert f'"{known}"' in (build.raw_dir / "subjects.csv").read_text()
    padded = known + " "

    refused = runner.invoke(app, ["erasure", "request", padded, "--raw-dir", str(build.raw_dir)])
    assert refused.exit_code == 2
    assert "No subject has the id 'S000000011 '" in refused.output
    assert "--allow-unknown" in refused.output
    _, before = _requests(build)
    forced = runner.invoke(
        app, ["erasure", "request", padded, "--raw-dir", str(build.raw_dir), "--allow-unknown"]
    )
    assert forced.exit_code == 0, forced.output
    assert len(_requests(build)[1]) == len(before) + 1

    build.dbt("build")
    assert build.returncode == 0, build.output[-3000:]
    assert "warn_on_quarantined_records" in build.output and "WARN" in build.output
    with duckdb.connect(str(build.vault), read_only=True) as con:
        quarantined = con.execute(
            "select count(*) from quarantine.quarantine_records where source_table = "
            "'erasure_requests' and rejection_reason = 'unknown_subject' and subject_id = ?",
            [padded],
        ).fetchone()[0]
    assert quarantined == 1

    verify = runner.invoke(app, ["erasure", "verify", padded])
    assert verify.exit_code != 0
    report = json.loads(verify.stdout)
    assert report["ok"] is False and report["unknown_subject"] is True
    assert report["problems"][0].startswith("unknown subject")
    never = runner.invoke(app, ["erasure", "verify", "S-NOBODY"])
    assert never.exit_code != 0
    assert json.loads(never.stdout)["problems"][0] == (
        "unknown subject: no subject and no erasure request has this id"
    )
