"""Guards (issue 16) on the warehouse itself, on one build whose warehouse and raw directories
have a quote and a space in their names:

- row 7, paths quoted: every path in SQL is escaped, so `'` or a space in raw_dir or
  GDPR_WAREHOUSE_DIR works;
- row 6, private files: the warehouse, logs/, artifacts/ and the key file are 700 / 600;
- row 8, the key cannot change by accident: a build under another key stops and points to
  `gdpr-pipeline keys rotate`;
- row 10, a busy warehouse: a second build, `subject-report` and `evidence verify` print one
  line naming the holder and exit 75."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import PLANTED_KEY, ROOT, SMALL_BUILD_VARS, Build, generate_raw, make_build
from gdpr_pipeline import keys
from gdpr_pipeline.cli import app
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.ml.train import train

ODD = "o'dd dïr"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    tmp = tmp_path_factory.mktemp("guard_warehouse")
    build = make_build(tmp / ODD, dbt_vars=SMALL_BUILD_VARS)
    build.env["GDPR_WAREHOUSE_DIR"] = str(tmp / ODD / "ware house")
    build.warehouse = tmp / ODD / "ware house"
    build.raw_dir = tmp / ODD / "r'aw"
    generate_raw(build.raw_dir, subjects=200)
    build.dbt("build")
    assert build.returncode == 0, build.output[-4000:]
    return build


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def cli_env(built: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    monkeypatch.setenv(keys.ENV_VAR, PLANTED_KEY)
    monkeypatch.setenv("GDPR_WAREHOUSE_DIR", str(built.warehouse))
    monkeypatch.setenv("GDPR_ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    monkeypatch.setenv("GDPR_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("GDPR_KEY_FILE", str(tmp_path / "no-key-file"))
    monkeypatch.chdir(ROOT)
    return Paths(ROOT)


def test_a_quote_and_a_space_in_the_paths_work(built: Build) -> None:
    with duckdb.connect(str(built.analytics), read_only=True) as con:
        assert con.execute("select count(*) from ml_training_set").fetchone()[0] > 0
    assert "Published 7 releases" in built.output


def test_warehouse_logs_artifacts_and_key_file_are_private(
    built: Build, cli_env: Paths, tmp_path: Path
) -> None:
    assert _mode(built.warehouse) == 0o700
    for path in built.warehouse.iterdir():
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert _mode(built.logs) == 0o700
    assert _mode(built.logs / "dbt.log") == 0o600
    model_dir = train(cli_env).model_dir
    assert _mode(cli_env.artifacts) == _mode(cli_env.models) == _mode(model_dir) == 0o700
    assert _mode(model_dir / "training_pseudonyms.txt") == 0o600
    assert all(_mode(p) == 0o600 for p in model_dir.iterdir())
    key_file = tmp_path / "secrets" / "pseudonym.key"
    keys.write_new_key_file(key_file)
    assert _mode(key_file) == 0o600 and _mode(key_file.parent) == 0o700


def test_another_key_without_a_rotation_stops_the_build(built: Build) -> None:
    published = keys.key_id(PLANTED_KEY.encode())
    other = "ANOTHER-key-0123456789-abcdefghijklmnopqrstuv"
    before = built.analytics.read_bytes()
    env = dict(built.env)
    built.env[keys.ENV_VAR] = other
    try:
        built.dbt("build")
    finally:
        built.env.clear()
        built.env.update(env)
    assert built.returncode != 0
    assert (
        f"The pseudonymization key changed: this build has key id {keys.key_id(other.encode())}, "
        f"the published release was built with key id {published}"
    ) in built.output
    assert "gdpr-pipeline keys rotate" in built.output
    assert built.analytics.read_bytes() == before


@pytest.mark.usefixtures("cli_env")
def test_a_busy_warehouse_gives_one_line_and_exit_75(built: Build) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
            " time.sleep(120)",
            str(built.vault),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        expected = (
            f"another dbt invocation holds the warehouse (pid {holder.pid}); try again when it ends"
        )
        built.dbt("build")
        assert built.returncode == 75, built.output[-2000:]
        assert expected in built.output and "Traceback" not in built.output
        runner = CliRunner()
        for command in (["subject-report", "S000000001"], ["evidence", "verify"]):
            outcome = runner.invoke(app, command)
            assert outcome.exit_code == 75, (command, outcome.output)
            assert expected in outcome.output and "Traceback" not in outcome.output
    finally:
        holder.kill()
        holder.wait()
