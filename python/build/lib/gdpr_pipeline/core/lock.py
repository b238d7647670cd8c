"""A warehouse in use: DuckDB lets one process at a time open a database for writing.

A dbt build holds vault.duckdb for its whole run. A second build, `subject-report` or
`evidence verify` meanwhile get DuckDB's lock error; this turns it into one line that names the
holder, and the exit code 75 (EX_TEMPFAIL, sysexits.h: try again later).
"""

from __future__ import annotations

import re

import duckdb

EX_TEMPFAIL = 75


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse; the message names its pid."""

    def __init__(self, pid: str) -> None:
        super().__init__(
            f"another dbt invocation holds the warehouse (pid {pid}); try again when it ends"
        )
        self.pid = pid


def lock_holder(error: BaseException) -> str | None:
    """The pid in DuckDB's lock error ('unknown' if it names none), or None for another error."""
    text = str(error)
    if not isinstance(error, duckdb.IOException) or "lock" not in text.lower():
        return None
    found = re.search(r"PID (\d+)", text)
    return found.group(1) if found else "unknown"


def connect_read_only(path: str) -> duckdb.DuckDBPyConnection:
    """duckdb.connect(path, read_only=True), raising WarehouseBusy while a build holds it."""
    try:
        return duckdb.connect(path, read_only=True)
    except duckdb.IOException as error:
        pid = lock_holder(error)
        if pid is None:
            raise
        raise WarehouseBusy(pid) from None
