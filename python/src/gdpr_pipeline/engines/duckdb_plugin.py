"""dbt-duckdb plugin: hands the pseudonymization key to DuckDB without putting it in SQL.

dbt refuses DBT_ENV_SECRET_* variables in models, and DuckDB stores every view's SQL in the
database file, so the key cannot travel as SQL text. Instead this plugin, configured in
profiles.yml, reads the key when dbt opens the connection and sets the HMAC pads as DuckDB
session variables on every cursor. Session variables live in memory only: they are not in the
database file, the compiled SQL, target/ or logs/. The `pseudonymize` macro reads them with
getvariable(), so the SQL that dbt compiles and logs names the variables, never their values.

Commands that compute no pseudonym (dbt ls, parse, compile, show, docs generate, debug) run
without a key: the plugin then sets no pads, only the reason, and the `hmac_sha256_hex` macro
stops any query that would compute a pseudonym with that reason. Every other command (build,
run, test, seed, snapshot, retry) still stops at connection time, before anything is written.

The plugin also registers two narrow file functions the publish step needs to swap the
analytics database atomically (DuckDB SQL cannot rename files).
"""

from __future__ import annotations

import json
import os
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.flags import get_flags

from gdpr_pipeline import keys
from gdpr_pipeline.core.lock import EX_TEMPFAIL, WarehouseBusy, connect_read_only, lock_holder
from gdpr_pipeline.core.private import make_private, private_dir

INNER_PAD_VARIABLE = "gdpr_hmac_inner_pad"
OUTER_PAD_VARIABLE = "gdpr_hmac_outer_pad"
KEY_ID_VARIABLE = "gdpr_key_id"
# Read by the audit hook: the Jinja context knows dbt's version but not the adapter's.
ADAPTER_VERSION_VARIABLE = "gdpr_dbt_adapter_version"
ADAPTER_VERSION = version("dbt-duckdb")
# Read by the on-run-start guard check_key_unchanged (macros/guards/check_key_unchanged.sql).
PUBLISHED_KEY_ID_VARIABLE = "gdpr_published_key_id"
ROTATION_KEY_ID_VARIABLE = "gdpr_rotation_next_key_id"
# Set instead of the pads when the command needs no key: why there is none (no secret in it).
KEY_PROBLEM_VARIABLE = "gdpr_key_problem"
# dbt commands (flags.WHICH) that read or compile SQL but compute no pseudonym on their own.
KEY_FREE_COMMANDS = frozenset({"list", "parse", "compile", "show", "generate", "serve", "debug"})


def _command() -> str | None:
    """The running dbt command (flags.WHICH), or None outside a dbt invocation."""
    return getattr(get_flags(), "WHICH", None)


def exit_if_busy(database: Path) -> None:
    """A second dbt invocation on a warehouse in use stops here, before dbt opens the vault and
    buries the lock error under tracebacks: one line, exit code 75 (EX_TEMPFAIL)."""
    if not database.exists():
        return
    try:
        duckdb.connect(str(database)).close()
    except duckdb.IOException as error:
        pid = lock_holder(error)
        if pid is None:
            raise
        sys.stderr.write(f"{WarehouseBusy(pid)}\n")
        sys.stderr.flush()
        os._exit(EX_TEMPFAIL)


class Plugin(BasePlugin):
    """Loads the key at connection time; fails before anything is written when it is missing."""

    # What initialize() finds on disk; these defaults serve a plugin made without it (the HMAC
    # tests configure a bare connection with a test key): no published release, no rotation.
    _key_problem = ""
    _published_key_id = ""
    _rotation_key_id = ""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        key_file = plugin_config.get("key_file")
        self._key: keys.Key | None = None
        self._key_problem = ""
        try:
            self._key = keys.load_key(
                env_var=plugin_config.get("key_env_var", keys.ENV_VAR),
                key_file=Path(key_file) if key_file else None,
            )
        except keys.KeyProblem as problem:
            if _command() not in KEY_FREE_COMMANDS:
                raise
            self._key_problem = str(problem)
        self._warehouse = private_dir(
            Path(plugin_config.get("warehouse_dir", "warehouse")).resolve()
        )
        make_private(self._warehouse)
        # Everything this dbt process creates from here on (vault.duckdb, its .wal and .tmp/,
        # analytics.duckdb, target/) is owner-only; dbt opened logs/dbt.log before, so it is
        # made private here.
        os.umask(0o077)
        log_path = getattr(get_flags(), "LOG_PATH", None)
        if log_path:
            make_private(Path(log_path))
        exit_if_busy(self._warehouse / "vault.duckdb")
        # A publish interrupted by a crash, kill -9 or a full disk leaves this file behind,
        # with pseudonyms in it: it never becomes the release, so it goes at the next start.
        self._remove_file(str(self._warehouse / "analytics.duckdb.publishing"))
        self._published_key_id, self._rotation_key_id = self._key_ids_on_record()

    def _key_ids_on_record(self) -> tuple[str, str]:
        """The key id of the published release and the next key id of a rotation in progress
        ('' when none), for the on-run-start guard check_key_unchanged: a build under another
        key must go through `gdpr-pipeline keys rotate`."""
        published = ""
        analytics = self._warehouse / "analytics.duckdb"
        if analytics.exists():
            with connect_read_only(str(analytics)) as con:
                found = con.execute("select distinct key_id from release_metadata").fetchall()
            published = ",".join(sorted(str(r[0]) for r in found))
        rotating = ""
        state_file = self._warehouse / "key_rotation.json"
        if state_file.exists():
            rotation = json.loads(state_file.read_text()).get("rotation") or {}
            if rotation.get("status") in ("building", "build_failed", "awaiting_cutover"):
                rotating = rotation.get("next_key_id") or ""
        return published, rotating

    def configure_connection(self, conn: Any) -> None:
        self._configure(conn)

    def configure_cursor(self, cursor: Any) -> None:
        # Each dbt thread gets its own DuckDB connection; variables and functions are per
        # connection, so every cursor is configured again.
        self._configure(cursor)

    def _configure(self, con: Any) -> None:
        if self._key is None:
            con.execute(f"set variable {KEY_PROBLEM_VARIABLE} = ?", [self._key_problem])
        else:
            inner, outer = self._key.hmac_pads()
            # Bound parameters: the pads never appear in statement text.
            con.execute(f"set variable {INNER_PAD_VARIABLE} = ?::blob", [inner])
            con.execute(f"set variable {OUTER_PAD_VARIABLE} = ?::blob", [outer])
            con.execute(f"set variable {KEY_ID_VARIABLE} = ?", [self._key.key_id])
        con.execute(f"set variable {ADAPTER_VERSION_VARIABLE} = ?", [ADAPTER_VERSION])
        con.execute(f"set variable {PUBLISHED_KEY_ID_VARIABLE} = ?", [self._published_key_id])
        con.execute(f"set variable {ROTATION_KEY_ID_VARIABLE} = ?", [self._rotation_key_id])
        for name, function, arity in (
            ("gdpr_remove_file", self._remove_file, 1),
            ("gdpr_replace_file", self._replace_file, 2),
        ):
            try:
                con.create_function(
                    name, function, ["VARCHAR"] * arity, "VARCHAR", side_effects=True
                )
            except Exception as error:  # already registered on this connection
                if "already exists" not in str(error):
                    raise

    def _inside_warehouse(self, path: str) -> Path:
        resolved = Path(path).resolve()
        if resolved.parent != self._warehouse:
            raise ValueError(f"{path} is outside the warehouse directory {self._warehouse}")
        return resolved

    def _remove_file(self, path: str) -> str:
        target = self._inside_warehouse(path)
        for candidate in (target, target.with_name(target.name + ".wal")):
            candidate.unlink(missing_ok=True)
        return str(target)

    def _replace_file(self, source: str, destination: str) -> str:
        """Atomic on POSIX: readers see the old file or the new one, never a half-written one."""
        src, dst = self._inside_warehouse(source), self._inside_warehouse(destination)
        os.replace(src, dst)
        dst.with_name(dst.name + ".wal").unlink(missing_ok=True)
        return str(dst)
