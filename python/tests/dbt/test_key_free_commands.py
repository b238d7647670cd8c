"""Commands that compute no pseudonym run without the key; anything that would compute one stops.

The plugin (engines/duckdb_plugin.py) lets dbt ls, parse, compile, docs generate and show open
the connection without a key; it then sets no HMAC pads, and the hmac_sha256_hex macro stops any
query that reaches a pseudonym with the same message a keyless build gets.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import Build, make_build

NO_KEY = "No pseudonymization key"


@pytest.fixture
def keyless(demo_build: Build, tmp_path: Path) -> Build:
    """The demo's warehouse and raw files, with no key in the environment or on disk."""
    build = make_build(tmp_path, key=None)
    build.env["GDPR_KEY_FILE"] = str(tmp_path / "no-such.key")
    shutil.copytree(demo_build.warehouse, build.warehouse)
    shutil.copytree(demo_build.raw_dir, build.raw_dir)
    return build


@pytest.mark.parametrize(
    "command",
    [
        ("ls",),
        ("parse",),
        ("compile",),
        ("docs", "generate"),
        ("show", "-s", "ml_training_set", "--limit", "3"),
        ("show", "-s", "marketing_audience", "--limit", "3"),
    ],
    ids=lambda c: "-".join(c[:2]),
)
def test_command_runs_without_the_key(keyless: Build, command: tuple[str, ...]) -> None:
    keyless.dbt(*command)
    assert keyless.returncode == 0, keyless.output[-3000:]
    assert NO_KEY not in keyless.output
    if command[0] == "show":
        assert "subject_pseudonym" in keyless.output  # the released rows, read as they are
    if command[0] == "docs":
        # The file sources are in the catalog, with the columns DuckDB reads from each file.
        catalog = json.loads((keyless.target / "catalog.json").read_text())
        manifest = json.loads((keyless.target / "manifest.json").read_text())
        for uid, source in manifest["sources"].items():
            entry = catalog["sources"].get(uid)
            assert entry, f"{uid} is not in the catalog"
            assert entry["metadata"]["type"] == "EXTERNAL FILE"
            assert Path(entry["metadata"]["comment"]).parent == keyless.raw_dir
            assert set(source["columns"]) <= {c.lower() for c in entry["columns"]}, uid


def test_computing_a_pseudonym_without_the_key_stops_with_the_clear_message(
    keyless: Build,
) -> None:
    keyless.dbt("show", "--inline", "select {{ pseudonymize(\"'ml'\", \"'S-1'\") }} as p")
    assert keyless.returncode != 0
    assert NO_KEY in keyless.output
    assert "DBT_ENV_SECRET_PSEUDONYM_KEY" in keyless.output  # says how to set one
    # The model that computes the pseudonyms: show runs its SQL, which stops the same way.
    keyless.dbt("show", "-s", "int_subject_pseudonyms", "--limit", "1")
    assert keyless.returncode != 0
    assert NO_KEY in keyless.output


@pytest.mark.parametrize("command", [("build",), ("run", "-s", "ml_training_set"), ("test",)])
def test_commands_that_write_still_need_the_key(keyless: Build, command: tuple[str, ...]) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in keyless.warehouse.iterdir()}
    keyless.dbt(*command)
    assert keyless.returncode != 0
    assert NO_KEY in keyless.output
    assert {p.name: p.stat().st_mtime_ns for p in keyless.warehouse.iterdir()} == before
