"""The one place that opens the two DuckDB databases (and scratch in-memory ones).

Readers open the vault and the analytics database read-only, so a running build is never
blocked by a reader and a reader can never change what was published. A missing database
raises the caller's own error class, so each command keeps its own message and exit code. A
database a build holds raises WarehouseBusy (core/lock.py): the CLI exits 75.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from gdpr_pipeline.core.lock import WarehouseBusy, lock_holder
from gdpr_pipeline.core.paths import Paths


class WarehouseMissing(RuntimeError):
    """A database the caller needs has not been built yet."""


def open_database(
    path: Path, *, error: type[Exception] = WarehouseMissing
) -> duckdb.DuckDBPyConnection:
    """A database file, read-only; `error` names the file when it is missing or unreadable."""
    if not path.exists():
        raise error(f"{path} does not exist: run `dbt build` (or `make run`) first.")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as failure:
        pid = lock_holder(failure)
        if pid is not None:
            raise WarehouseBusy(pid) from None
        raise error(f"Cannot open {path} read-only: {failure}") from failure
    except duckdb.Error as failure:
        raise error(f"Cannot open {path} read-only: {failure}") from failure


def open_vault(
    paths: Paths, *, error: type[Exception] = WarehouseMissing
) -> duckdb.DuckDBPyConnection:
    """The vault, read-only. Staging views read the raw files by the path given at build
    time, which may be relative to the project root, so that is where DuckDB looks."""
    con = open_database(paths.vault_db, error=error)
    con.execute("set file_search_path = ?", [str(paths.root)])
    return con


def open_analytics(
    paths: Paths, *, error: type[Exception] = WarehouseMissing
) -> duckdb.DuckDBPyConnection:
    """The published analytics database, read-only: no direct identifiers, no key needed."""
    return open_database(paths.analytics_db, error=error)


def in_memory() -> duckdb.DuckDBPyConnection:
    """A scratch database in memory: for reading files and attaching databases."""
    return duckdb.connect()


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    """A query's rows as dicts keyed by column name."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def rows_if_present(
    con: duckdb.DuckDBPyConnection, table: str, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    """A query's rows, or none when `table` was not built (some relations are built by one
    engine only, e.g. anonymeter's risks on DuckDB)."""
    present = con.execute(
        "select count(*) from information_schema.tables where table_name = ?", [table]
    ).fetchone()
    return rows(con, sql, params) if present and present[0] else []
