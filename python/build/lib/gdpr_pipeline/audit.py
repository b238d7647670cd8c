"""The hash-chained audit trail in the vault (schema `audit`): reading it and verifying it.

The on-run-end hook macros/audit/record_audit.sql appends one record per dbt invocation and
one per node or test result to audit.trail. Each record's hash covers its own values and the
hash of the record before it:

    record_hash = sha256_hex(prev_hash || canonical(record))      (prev_hash of seq 1: 64 zeros)

canonical(record) is one line per column of AUDIT_COLUMNS, in that order:
``<column>=<n>:<text>\\n``, or ``<column>=~\\n`` for null, where <text> is the value as text
(varchar as is, bigint in decimal, timestamp as ``%Y-%m-%dT%H:%M:%S.%fZ``) and <n> is its length
in UTF-8 bytes. The macro computes this in SQL; this module recomputes it in Python, so a
verifier needs nothing but the vault file and this page.

On Spark (spark__record_audit, in macros/audit/record_audit.sql) the same records, with the
same canonical form and hashes, are a Parquet table <schema>_audit.trail of the metastore
(gdpr_audit.trail for the `spark` target); `verify_spark` reads it through a SparkSession
started from the target's settings, as spark-build starts it, and checks it with the same walk.
Its evidence anchors are kept apart, under evidence/spark/.

What a chain proves, and what it does not: editing, deleting or reordering any record breaks
the chain at that record, and so does truncating an invocation (its record states how many
results follow). Someone who can write the vault could rewrite the whole tail and recompute
every hash; the head hash each evidence build records (evidence/runs/*/evidence.json) is an
anchor outside the vault that catches that, as long as the evidence is kept apart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from gdpr_pipeline.core.jsonenc import TIMESTAMP_FORMAT
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.core.warehouse import open_vault
from gdpr_pipeline.engines import spark as spark_engine

TRAIL = "audit.trail"
GENESIS_HASH = "0" * 64

# Mirrors audit_columns() in macros/audit/record_audit.sql: (column, text|int|ts), in order.
AUDIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "int"),
    ("record_type", "text"),
    ("invocation_id", "text"),
    ("recorded_at", "ts"),
    ("command", "text"),
    ("unique_id", "text"),
    ("resource_type", "text"),
    ("node_name", "text"),
    ("relation_name", "text"),
    ("status", "text"),
    ("started_at", "ts"),
    ("ended_at", "ts"),
    ("execution_ms", "int"),
    ("rows_affected", "int"),
    ("failures", "int"),
    ("message", "text"),
    ("result_count", "int"),
    ("dbt_version", "text"),
    ("adapter_type", "text"),
    ("adapter_version", "text"),
    ("engine_version", "text"),
    ("git_commit", "text"),
    ("as_of", "ts"),
    ("key_id", "text"),
    ("target_name", "text"),
    ("dbt_vars", "text"),
)
HASH_COLUMNS = ("prev_hash", "record_hash")
SPARK_EVIDENCE_SUBDIR = "spark"  # evidence/spark/: a Spark trail's anchors, apart from DuckDB's


class AuditTrailError(RuntimeError):
    """The trail cannot be read at all (no vault, no audit schema, a changed table shape)."""


def _as_text(value: Any, kind: str) -> str | None:
    if value is None:
        return None
    if kind == "int":
        return str(int(value))
    if kind == "ts":
        return value.strftime(TIMESTAMP_FORMAT)
    return str(value)


def canonical_text(record: Mapping[str, Any]) -> str:
    """The canonical form of one record (see the module docstring)."""
    lines = []
    for name, kind in AUDIT_COLUMNS:
        text = _as_text(record.get(name), kind)
        lines.append(f"{name}=~\n" if text is None else f"{name}={len(text.encode())}:{text}\n")
    return "".join(lines)


def record_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_text(record)).encode()).hexdigest()


def describe(record: Mapping[str, Any]) -> str:
    """How a report names a record: its seq, type and what it is about."""
    what = record.get("node_name") or record.get("command") or ""
    return (
        f"record seq {record.get('seq')} ({record.get('record_type')} {what}, "
        f"invocation {record.get('invocation_id')})"
    )


@dataclass(frozen=True)
class Anchor:
    """A chain head written down outside the vault (by an evidence build)."""

    seq: int
    record_hash: str
    genesis_hash: str
    source: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    invocations: int
    head_seq: int | None
    head_hash: str | None
    genesis_hash: str | None
    broken_seq: int | None = None
    problem: str | None = None
    anchors_checked: int = 0

    @property
    def message(self) -> str:
        if not self.ok:
            return f"Audit trail BROKEN at {self.problem}"
        if not self.records:
            return "Audit trail is empty: no dbt invocation has been recorded yet."
        return (
            f"Audit trail intact: {self.records} records from {self.invocations} invocations, "
            f"head seq {self.head_seq} hash {self.head_hash}; "
            f"{self.anchors_checked} evidence anchor(s) matched."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "invocations": self.invocations,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "genesis_hash": self.genesis_hash,
            "broken_seq": self.broken_seq,
            "problem": self.problem,
            "anchors_checked": self.anchors_checked,
            "message": self.message,
        }


def read_trail(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every record of audit.trail in seq order, as dicts; checks the table's shape first."""
    try:
        columns = [
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'audit' and table_name = 'trail' order by ordinal_position"
            ).fetchall()
        ]
    except duckdb.Error as error:
        raise AuditTrailError(f"Cannot read the audit schema: {error}") from error
    if not columns:
        raise AuditTrailError("The vault has no audit.trail table: no dbt run was recorded.")
    expected = [name for name, _ in AUDIT_COLUMNS] + list(HASH_COLUMNS)
    if columns != expected:
        raise AuditTrailError(
            f"audit.trail has columns {columns}, expected {expected}: the table was altered."
        )
    cursor = con.execute(f"select {', '.join(expected)} from {TRAIL} order by seq")
    return [dict(zip(expected, row, strict=True)) for row in cursor.fetchall()]


def spark_trail(schema: str) -> str:
    """The trail's table on Spark: in the audit layer of the target's schema prefix."""
    return f"{schema}_audit.trail"


def read_spark_trail(spark: Any, schema: str) -> list[dict[str, Any]]:
    """Every record of <schema>_audit.trail in seq order, as dicts, from a SparkSession.

    Timestamps are read as timestamp_ntz (their UTC wall time), so the text hashed is the one
    the hook hashed whatever the Python process's time zone."""
    table = spark_trail(schema)
    if not spark.catalog.tableExists(table):
        raise AuditTrailError(f"The metastore has no {table} table: no Spark run was recorded.")
    columns = spark.table(table).columns
    expected = [name for name, _ in AUDIT_COLUMNS] + list(HASH_COLUMNS)
    if columns != expected:
        raise AuditTrailError(
            f"{table} has columns {columns}, expected {expected}: the table was altered."
        )
    kinds = dict(AUDIT_COLUMNS)
    select = ", ".join(
        f"cast({name} as timestamp_ntz) as {name}" if kinds.get(name) == "ts" else name
        for name in expected
    )
    rows = spark.sql(f"select {select} from {table} order by seq").collect()
    return [row.asDict() for row in rows]


def verify_spark(paths: Paths, target: str, *, use_anchors: bool = True) -> VerifyResult:
    """Recompute the chain of a Spark target's trail (a session started as spark-build starts
    it, from profiles.yml; no key needed) and check the anchors of evidence/spark/."""
    settings = spark_engine.target_settings(spark_engine.profiles_dir([], paths.root), target)
    spark = spark_engine.start_session(settings.get("server_side_parameters") or {})
    try:
        records = read_spark_trail(spark, settings["schema"])
    finally:
        spark.stop()
    anchors = read_anchors(paths.evidence / SPARK_EVIDENCE_SUBDIR) if use_anchors else ()
    return verify_records(records, anchors)


# A break in the chain: the record that breaks it (None when it is missing), its seq, and why.
Break = tuple[Mapping[str, Any] | None, int, str]


def _seq_break(record: Mapping[str, Any], expected_seq: int) -> Break | None:
    seq = record["seq"]
    if seq == expected_seq:
        return None
    if seq < expected_seq:
        return record, seq, f"out of order (expected seq {expected_seq})"
    missing = f"seq {expected_seq}" if seq == expected_seq + 1 else f"seqs {expected_seq}-{seq - 1}"
    return record, expected_seq, f"found where seq {expected_seq} belongs; {missing} deleted"


def _hash_break(record: Mapping[str, Any], previous_hash: str) -> Break | None:
    if record_hash(record["prev_hash"], record) != record["record_hash"]:
        return (
            record,
            record["seq"],
            "its values do not match its hash: the record was edited or moved",
        )
    if record["prev_hash"] != previous_hash:
        return (
            record,
            record["seq"],
            "its prev_hash is not the hash of the record before it: a record before it "
            "was replaced, deleted or reordered",
        )
    return None


def _truncation_break(invocation: Mapping[str, Any] | None, results_seen: int) -> Break | None:
    """An invocation followed by fewer (or more) results than it declares."""
    if invocation is None or invocation["result_count"] is None:
        return None
    if results_seen == invocation["result_count"]:
        return None
    return (
        invocation,
        invocation["seq"],
        f"it declares {invocation['result_count']} results but {results_seen} follow it: "
        "result records were deleted",
    )


def _chain_break(records: Sequence[Mapping[str, Any]]) -> Break | None:
    """Walk the chain from seq 1: the first record whose seq, hash or invocation is wrong."""
    previous_hash = GENESIS_HASH
    invocation: Mapping[str, Any] | None = None
    results_seen = 0
    for expected_seq, record in enumerate(records, start=1):
        problem = _seq_break(record, expected_seq) or _hash_break(record, previous_hash)
        if problem:
            return problem
        if record["record_type"] == "invocation":
            problem = _truncation_break(invocation, results_seen)
            if problem:
                return problem
            invocation, results_seen = record, 0
        elif invocation is None or record["invocation_id"] != invocation["invocation_id"]:
            return record, record["seq"], "it does not follow the record of its invocation"
        elif record["record_type"] != "publish":
            # The publish step's record (published / not_published) is not a dbt result.
            results_seen += 1
        previous_hash = record["record_hash"]
    return _truncation_break(invocation, results_seen)


def _anchor_break(
    by_seq: Mapping[int, Mapping[str, Any]], genesis: str | None, anchor: Anchor
) -> Break | None:
    """Does the chain still hold the head an evidence build wrote down?"""
    record = by_seq.get(anchor.seq)
    if record is None:
        return (
            None,
            anchor.seq,
            f"missing, but {anchor.source} recorded it as the chain's head: "
            "the trail was truncated or replaced",
        )
    if genesis != anchor.genesis_hash:
        return (
            by_seq[1],
            1,
            f"its hash differs from the first record named in {anchor.source}: the trail "
            "was replaced (if the warehouse was recreated on purpose, archive that evidence)",
        )
    if record["record_hash"] != anchor.record_hash:
        return (
            record,
            anchor.seq,
            f"its hash differs from the head recorded in {anchor.source}: the trail was rewritten",
        )
    return None


def verify_records(
    records: Sequence[Mapping[str, Any]], anchors: Iterable[Anchor] = ()
) -> VerifyResult:
    """Walk the chain from seq 1, then check the anchors; report the first break."""
    genesis = records[0]["record_hash"] if records else None
    head = records[-1] if records else None
    base = {
        "records": len(records),
        "invocations": sum(1 for r in records if r["record_type"] == "invocation"),
        "head_seq": head["seq"] if head else None,
        "head_hash": head["record_hash"] if head else None,
        "genesis_hash": genesis,
    }
    problem = _chain_break(records)
    checked = 0
    if problem is None:
        by_seq = {r["seq"]: r for r in records}
        for anchor in anchors:
            problem = _anchor_break(by_seq, genesis, anchor)
            if problem:
                break
            checked += 1
    if problem is None:
        return VerifyResult(ok=True, anchors_checked=checked, **base)
    record, seq, why = problem
    named = describe(record) if record is not None else f"record seq {seq}"
    return VerifyResult(ok=False, broken_seq=seq, problem=f"{named}: {why}", **base)


def read_anchors(evidence_dir: Path) -> list[Anchor]:
    """The chain heads recorded by earlier evidence builds (evidence/runs/*/evidence.json)."""
    anchors = []
    for path in sorted(evidence_dir.glob("runs/*/evidence.json")):
        try:
            head = json.loads(path.read_text())["audit"]["anchor"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if head and head.get("seq") is not None:
            anchors.append(
                Anchor(
                    seq=int(head["seq"]),
                    record_hash=head["record_hash"],
                    genesis_hash=head["genesis_hash"],
                    source=str(path),
                )
            )
    return anchors


def connect_vault(paths: Paths) -> duckdb.DuckDBPyConnection:
    return open_vault(paths, error=AuditTrailError)


def verify(paths: Paths, *, use_anchors: bool = True) -> VerifyResult:
    """Recompute the chain from the vault, opened read-only, and check the evidence anchors."""
    with connect_vault(paths) as con:
        records = read_trail(con)
    return verify_records(records, read_anchors(paths.evidence) if use_anchors else ())
