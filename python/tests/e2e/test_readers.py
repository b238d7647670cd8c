"""The published analytics.duckdb opens in the readers analysts use, not only in DuckDB 2.x.

DuckDB 1.x reads storage formats 64 to 68; the pipeline's DuckDB 2.x writes 69 unless told
otherwise (macros/publish/analytics_storage_version.sql). Each reader runs in a process of its own:
the newest DuckDB 1.x from PyPI in a venv of its own, cached under .venv/ (git-ignored), and the
DuckDB CLI of the same release (PyPI package duckdb-cli).
"""

from __future__ import annotations

import json
import subprocess
import venv
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, Build

READERS_VENV = ROOT / ".venv" / "readers" / "duckdb1"
READER_PACKAGES = ("duckdb<2", "duckdb-cli<2")

# Opens the file read-only with the venv's duckdb, counts every relation, prints JSON.
READ_SCRIPT = """
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
names = [r[0] for r in con.execute(
    "select table_name from information_schema.tables order by table_name").fetchall()]
counts = {n: con.execute(f'select count(*) from "{n}"').fetchone()[0] for n in names}
print(json.dumps({"version": duckdb.__version__, "counts": counts}))
"""


def _readers_venv() -> Path:
    python = READERS_VENV / "bin" / "python"
    stamp = READERS_VENV / ".installed"
    if not stamp.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(READERS_VENV)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *READER_PACKAGES],
            check=True,
            capture_output=True,
            text=True,
        )
        stamp.touch()
    return READERS_VENV


@pytest.fixture(scope="module")
def readers() -> Path:
    return _readers_venv()


def _relations(database: Path) -> dict[str, str]:
    with duckdb.connect(str(database), read_only=True) as con:
        return dict(
            con.execute("select table_name, table_type from information_schema.tables").fetchall()
        )


def _release_relations(database: Path) -> tuple[list[str], list[str]]:
    """The release tables release_metadata names and the latest-version views."""
    with duckdb.connect(str(database), read_only=True) as con:
        releases = [
            r[0] for r in con.execute("select release_name from release_metadata").fetchall()
        ]
        latest = [
            r[0]
            for r in con.execute(
                "select distinct model_name from release_metadata where version = latest_version"
            ).fetchall()
        ]
    return sorted(releases), sorted(latest)


def test_published_file_is_in_a_storage_format_duckdb_1_reads(demo_build: Build) -> None:
    with duckdb.connect(str(demo_build.analytics), read_only=True) as con:
        (storage,) = con.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = 'analytics'"
        ).fetchone() or (None,)
    assert storage == "v1.0.0+", storage
    # The header's format number: 64 is what DuckDB 1.0 to 1.5 and 2.x all read.
    with demo_build.analytics.open("rb") as handle:
        header = handle.read(20)
    assert header[8:12] == b"DUCK", header
    assert int.from_bytes(header[12:20], "little") == 64, header


def test_newest_duckdb_1_python_reads_every_release_and_view(
    demo_build: Build, readers: Path
) -> None:
    completed = subprocess.run(
        [str(readers / "bin" / "python"), "-c", READ_SCRIPT, str(demo_build.analytics)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    read = json.loads(completed.stdout)
    assert read["version"].startswith("1."), read["version"]
    releases, latest = _release_relations(demo_build.analytics)
    relations = _relations(demo_build.analytics)
    assert set(read["counts"]) == set(relations)
    assert set(releases) | set(latest) <= set(read["counts"])
    for name in latest:
        assert relations[name] == "VIEW", name
    with duckdb.connect(str(demo_build.analytics), read_only=True) as con:
        for name, count in read["counts"].items():
            assert con.execute(f'select count(*) from "{name}"').fetchone()[0] == count, name
    assert read["counts"]["ml_training_set"] > 0


def test_duckdb_1_cli_reads_every_release_and_view(demo_build: Build, readers: Path) -> None:
    cli = readers / "bin" / "duckdb"
    assert cli.exists(), f"duckdb-cli installed no {cli}"
    version = subprocess.run(
        [str(cli), "-version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.startswith("v1."), version
    releases, latest = _release_relations(demo_build.analytics)
    queries = "".join(
        f"select '{name}' as relation, count(*) as n from \"{name}\";\n"
        for name in [*releases, *latest, "release_metadata"]
    )
    completed = subprocess.run(
        [str(cli), "-readonly", "-json", str(demo_build.analytics)],
        input=queries,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0 and not completed.stderr, completed.stderr[-2000:]
    rows = [
        row
        for line in completed.stdout.splitlines()
        if line.strip().startswith("[")
        for row in json.loads(line)
    ]
    counted = {row["relation"]: row["n"] for row in rows}
    assert set(counted) == {*releases, *latest, "release_metadata"}
    assert all(n > 0 for name, n in counted.items() if name != "release_funnel"), counted


def test_pandas_reads_the_latest_training_set(demo_build: Build) -> None:
    with duckdb.connect(str(demo_build.analytics), read_only=True) as con:
        frame = con.execute("select * from ml_training_set").df()
        (count,) = con.execute("select count(*) from ml_training_set").fetchone() or (0,)
    assert len(frame) == count > 0
    assert "subject_pseudonym" in frame.columns
