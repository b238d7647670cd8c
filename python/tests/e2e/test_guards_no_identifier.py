"""Guard (issue 16, row 5): no identifier in the audit trail, logs or error output.

A raw row that DuckDB cannot read (a byte that is not UTF-8) and a value that does not parse
(an email in birth_date) each stop the build with the file, the line or column, and at most a
masked value. A recognizable planted email, or any subject's email, must then occur nowhere in dbt's output, logs/,
target/run_results.json or the vault's audit trail."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import SMALL_BUILD_VARS, Build, generate_raw, make_build

PLANTED_EMAIL = "planted.leak.7f3a@example.org"
PLANTED_NAME = "Plantedname Leakovic"


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = make_build(
        tmp_path_factory.mktemp("guard_no_identifier_raw"), dbt_vars=SMALL_BUILD_VARS
    )
    generate_raw(build.raw_dir, subjects=200)
    return build.raw_dir


def _row(birth_date: str, name: bytes = PLANTED_NAME.encode()) -> bytes:
    return (
        b'"S000009999","'
        + PLANTED_EMAIL.encode()
        + b'","'
        + name
        + b'",'
        + birth_date.encode()
        + b',"PT","3537-239",14644.00,2022-05-11 01:12:23\n'
    )


def _leaks(build: Build) -> list[str]:
    found = []
    # The planted row, and any generated subject's email (DuckDB's own error quotes a row,
    # and not always the broken one).
    needles = (PLANTED_EMAIL, PLANTED_NAME, "planted.leak", "@example.")
    if any(n in build.output for n in needles):
        found.append("dbt output")
    for path in [*build.logs.rglob("*"), build.target / "run_results.json"]:
        if path.is_file() and any(n.encode() in path.read_bytes() for n in needles):
            found.append(str(path))
    if build.vault.exists():
        with duckdb.connect(str(build.vault), read_only=True) as con:
            has_trail = con.execute(
                "select count(*) from duckdb_tables() where schema_name = 'audit'"
            ).fetchone()[0]
            if has_trail:
                messages = " ".join(
                    str(r[0]) for r in con.execute("select message from audit.trail").fetchall()
                )
                if any(n in messages for n in needles):
                    found.append("audit.trail")
    return found


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            _row("1970-08-01", b"Planted\xfeLeak"),
            "subjects.csv: line 202, column full_name: invalid encoding",
        ),
        (
            _row(PLANTED_EMAIL),
            "subjects.csv: column source.birth_date: cannot parse 'p...' (29 characters) as date",
        ),
    ],
    ids=["invalid_utf8", "email_in_birth_date"],
)
def test_a_broken_raw_row_is_reported_without_its_values(
    raw: Path, tmp_path: Path, row: bytes, expected: str
) -> None:
    build = make_build(tmp_path, dbt_vars=SMALL_BUILD_VARS)
    shutil.copytree(raw, build.raw_dir)
    with (build.raw_dir / "subjects.csv").open("ab") as handle:
        handle.write(row)
    build.dbt("build")
    assert build.returncode != 0
    assert expected in build.output, build.output[-3000:]
    assert _leaks(build) == []
    assert not build.analytics.exists()
