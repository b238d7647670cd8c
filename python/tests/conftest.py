"""Shared fixtures: a real dbt build of generated data into a temporary warehouse.

Every build here uses a planted, recognizable key so tests can prove it never lands on disk,
and its own target/, logs/ and warehouse directories so tests never touch the developer's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from gdpr_pipeline.core.dbt import cli_executable, dbt_command, dbt_env, dbt_executable
from gdpr_pipeline.synth.generate import generate

ROOT = Path(__file__).resolve().parents[2]
PLANTED_KEY = "PLANTED-test-key-0123456789-abcdefghij-ZYXWVU"  # >= 32 chars, easy to grep
DEMO_AS_OF = "2026-11-01 00:00:00"


@dataclass
class Build:
    """One dbt invocation against a temporary warehouse."""

    root: Path
    warehouse: Path
    target: Path
    logs: Path
    raw_dir: Path
    env: dict[str, str]
    returncode: int = -1
    output: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # Vars every dbt call of this build passes (a call's own dbt_vars win).
    default_vars: dict[str, Any] = field(default_factory=dict)
    timeout: float | None = None  # seconds per command; subprocess.TimeoutExpired past it

    @property
    def vault(self) -> Path:
        return self.warehouse / "vault.duckdb"

    @property
    def analytics(self) -> Path:
        return self.warehouse / "analytics.duckdb"

    def dbt(
        self, *args: str, dbt_vars: dict[str, Any] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run dbt with this build's paths; raw_dir and as_of are set unless overridden."""
        return self._run([dbt_executable()], args, dbt_vars)

    def spark(
        self, *args: str, dbt_vars: dict[str, Any] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The same dbt command on Spark, through `gdpr-pipeline spark-build` (target spark)."""
        return self._run([cli_executable(), "spark-build"], args, dbt_vars)

    def _run(
        self, entry_point: list[str], args: tuple[str, ...], dbt_vars: dict[str, Any] | None
    ) -> subprocess.CompletedProcess[str]:
        command = dbt_command(
            list(args),
            dbt_vars={
                "raw_dir": str(self.raw_dir),
                "as_of": DEMO_AS_OF,
                **self.default_vars,
                **(dbt_vars or {}),
            },
            target_path=self.target,
            log_path=self.logs,
            entry_point=entry_point,
        )
        completed = subprocess.run(
            command,
            cwd=self.root,
            env=self.env,
            text=True,
            capture_output=True,
            check=False,
            timeout=self.timeout,
        )
        self.returncode, self.output = completed.returncode, completed.stdout + completed.stderr
        return completed

    def run_results(self) -> dict[str, Any]:
        return json.loads((self.target / "run_results.json").read_text())


# For builds of a few hundred subjects that test something else: anonymeter's class-level
# singling out is noise there (at 200 subjects, 31 attacks gave 0.74 with a 95% interval of 0.42
# to 1.0, and the gate fails on an interval above max_singling_out_risk), so they lift its
# threshold. Builds of the demo's 1,000 subjects keep it (test_release_privacy, test_policy_checks).
SMALL_BUILD_VARS = {"max_singling_out_risk": 1.0}


def make_build(
    tmp: Path, *, key: str | None = PLANTED_KEY, dbt_vars: dict[str, Any] | None = None
) -> Build:
    env = dbt_env(ROOT, {"GDPR_WAREHOUSE_DIR": str(tmp / "warehouse")}, isolated=True)
    if key is not None:
        env["DBT_ENV_SECRET_PSEUDONYM_KEY"] = key
    return Build(
        root=ROOT,
        warehouse=tmp / "warehouse",
        target=tmp / "target",
        logs=tmp / "logs",
        raw_dir=tmp / "raw",
        env=env,
        default_vars=dict(dbt_vars or {}),
    )


PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")


def copy_project(build: Build, destination: Path) -> Build:
    """The same build, run on a copy of the dbt project that a test may break freely."""
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name)
        else:
            destination.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    env = {**build.env, "DBT_PROFILES_DIR": str(destination)}
    return replace(build, root=destination, env=env)


def edit_project(build: Build, relative: str, old: str, new: str) -> None:
    """Replace `old` by `new` in one file of a copied project; `old` must be there."""
    assert build.root != ROOT, "edit a copy_project() copy, never the real project"
    path = build.root / relative
    text = path.read_text()
    assert old in text, f"{relative} no longer contains {old!r}; update this breakage"
    path.write_text(text.replace(old, new, 1))


def generate_raw(raw_dir: Path, subjects: int = 1000, seed: int = 42, **kwargs: Any) -> None:
    generate(raw_dir, subjects, seed=seed, **kwargs)


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The demo data set (1,000 subjects, seed 42) built once for the whole session."""
    build = make_build(tmp_path_factory.mktemp("demo"))
    generate_raw(build.raw_dir)
    build.dbt("build")
    assert build.returncode == 0, build.output[-5000:]
    return build


@pytest.fixture
def fresh_build(tmp_path: Path) -> Build:
    """A build with its own empty warehouse; the test generates or writes its raw data."""
    return make_build(tmp_path)


# The DP release is noised once per closed month and then frozen, so a warehouse that was built
# before holds other (earlier) draws than a fresh one: releases are compared by the DP release's
# un-noised input instead (test_dp_periods checks the freezing), and so is the privacy report's
# analytics row.
NOISY_RELEASES = ("analytics_purchases_monthly", "analytics_purchases_monthly_v1")
DP_INPUT = "privacy.int_purchases_bounded_to_monthly_cells"
# Columns that name the invocation rather than the data.
PER_RUN_COLUMNS = ("dbt_invocation_id", "published_at")


def relation_rows(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[Any, ...]]:
    """A relation's rows, sorted, without the per-invocation columns."""
    columns = [
        c[0]
        for c in con.execute(f"select * from {relation} limit 0").description
        if c[0] not in PER_RUN_COLUMNS
    ]
    selected = ", ".join(f'"{c}"' for c in columns)
    return sorted(con.execute(f"select {selected} from {relation}").fetchall(), key=repr)


def comparable_releases(build: Build) -> dict[str, list[tuple[Any, ...]]]:
    """Every table and view of analytics.duckdb, rows sorted, in a form that two builds of the
    same data give equal whatever their history: the DP release by its un-noised input."""
    with duckdb.connect(str(build.analytics), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables order by table_name"
            ).fetchall()
        ]
        tables = {
            name: relation_rows(con, f'"{name}"') for name in names if name not in NOISY_RELEASES
        }
    tables["release_privacy_report"] = [
        row for row in tables["release_privacy_report"] if row[0] not in NOISY_RELEASES
    ]
    with duckdb.connect(str(build.vault), read_only=True) as con:
        tables[DP_INPUT] = relation_rows(con, DP_INPUT)
    return tables
