"""The evidence page of a Spark build: the same facts, read from the metastore.

A SparkSession is started from the target's settings, as spark-build starts it (no key: only
the audit trail and aggregates are read), and it reads what collect.py reads from DuckDB's
files: the audit trail (<schema>_audit.trail), the quarantine counts, the privacy report and
the funnel (<schema>_releases), the DP parameters and budget ledger (<schema>_privacy). There is no release_metadata table on Spark (nothing is
published, the releases schema is the boundary), so the releases and their invocation come
from the manifest and this run's audit records. The page states in words what differs.
"""

from __future__ import annotations

import json
from typing import Any

from gdpr_pipeline.audit import SPARK_EVIDENCE_SUBDIR, read_spark_trail
from gdpr_pipeline.core.jsonenc import jsonable
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.dp.evidence import read_state as read_dp_state
from gdpr_pipeline.engines import spark as spark_engine
from gdpr_pipeline.evidence.collect import EngineFacts, EvidenceResult, build

NOTES = [
    "Built on Apache Spark (dbt-spark). The guarantees below differ from a DuckDB build; "
    "docs/spark.md says why and what replaces each.",
    "No separate analytics file: the releases stay in the schema {releases} of the metastore, "
    "and readers are granted that schema only. There is no analytics.duckdb to hand out, and "
    "no release_metadata table: the releases listed here are this run's release models.",
    "No atomic publish: dbt-spark rebuilds each Parquet table by drop-then-create, one model "
    "at a time, so a failed build can leave some releases new and some old (Delta or Iceberg "
    "tables, or a blue/green schema swap, would make it atomic).",
    "Byte-level erasure means Parquet files rewritten: every build drops each table, deleting "
    "its old files, and writes new ones (the two append-only tables, the audit trail and the "
    "DP draw store, hold no identifier and no pseudonym); an erased subject is in no file of "
    "the warehouse afterwards. Old blocks on the storage itself (object-store versions, snapshots, replicas) "
    "are outside the engine's control.",
    "The audit trail is the Parquet table {trail}, with the same records and hash chain as on "
    "DuckDB; nothing in the table stops a second writer, so run one build at a time.",
    "Differential privacy: the same OpenDP mechanism draws the analytics noise, in the driver "
    "(spark-build's process, a dbt Python model run in its SparkSession), once per closed month; "
    "the ledger below is this warehouse's. Its noisy values differ from a DuckDB build's, which "
    "draws its own noise and keeps its own ledger: the two are separate releases, each spending "
    "its own budget.",
    "No model card: the trainer reads analytics.duckdb and is not ported to Spark.",
]


def _rows(spark: Any, sql: str) -> list[dict[str, Any]]:
    return [{k: jsonable(v) for k, v in row.asDict().items()} for row in spark.sql(sql).collect()]


def _published(trail: list[dict[str, Any]], manifest: dict[str, Any]) -> dict[str, Any]:
    """The release models of the last invocation, as release_metadata rows (built in it or not)."""
    runs = [r for r in trail if r["record_type"] == "invocation"]
    if not runs:
        return {"published": False}
    run = runs[-1]
    built = {
        r["unique_id"]: r
        for r in trail
        if r["invocation_id"] == run["invocation_id"] and r["record_type"] == "node"
    }
    releases = []
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model" or not node["config"]["meta"].get("release"):
            continue
        record = built.get(node["unique_id"])
        if record is None or record["status"] != "success":
            continue
        releases.append(
            {
                "release_name": node["alias"],
                "model_name": node["name"],
                "version": node.get("version"),
                "latest_version": node.get("latest_version"),
                "purpose": node["config"]["meta"].get("purpose"),
                "dbt_invocation_id": run["invocation_id"],
                "dbt_version": run["dbt_version"],
                "as_of": jsonable(run["as_of"]),
                "key_id": run["key_id"],
                "published_at": jsonable(record["ended_at"]),
            }
        )
    return {
        "published": True,
        "release_metadata": sorted(releases, key=lambda r: r["release_name"]),
    }


def spark_facts(paths: Paths, target: str) -> EngineFacts:
    settings = spark_engine.target_settings(spark_engine.profiles_dir([], paths.root), target)
    schema = settings["schema"]
    releases, quarantine = f"{schema}_releases", f"{schema}_quarantine"
    manifest_path = paths.target / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    spark = spark_engine.start_session(settings.get("server_side_parameters") or {})
    try:
        trail = read_spark_trail(spark, schema)
        analytics = _published(trail, manifest)
        if analytics["published"]:
            for key, table, order in (
                ("privacy_report", "release_privacy_report", "release_name"),
                ("funnel", "release_funnel", "purpose"),
            ):
                if spark.catalog.tableExists(f"{releases}.{table}"):
                    analytics[key] = _rows(
                        spark, f"select * from {releases}.{table} order by {order}"
                    )
        dp_state = {}
        if spark.catalog.tableExists(f"{schema}_privacy.dp_budget_ledger"):
            dp_state = {
                **read_dp_state(lambda sql: _rows(spark, sql), f"{schema}_privacy"),
                "ledger_home": "in this Spark warehouse's metastore",
            }
        counts = None  # as on DuckDB: no quarantine table yet (a seed-only run, say)
        if spark.catalog.tableExists(f"{quarantine}.quarantine_records"):
            counts = _rows(
                spark,
                "select source_table, rejection_reason, count(*) as rows "
                f"from {quarantine}.quarantine_records group by all "
                "order by source_table, rejection_reason",
            )
    finally:
        spark.stop()
    words = {"releases": releases, "trail": f"{schema}_audit.trail"}
    return EngineFacts(
        engine="spark",
        vault={"trail": trail, "quarantine": counts, "differential_privacy": dp_state},
        analytics=analytics,
        evidence_dir=paths.evidence / SPARK_EVIDENCE_SUBDIR,
        notes=[note.format(**words) for note in NOTES],
        model_card=False,
    )


def build_spark(paths: Paths, target: str, invocation_id: str | None = None) -> EvidenceResult:
    """evidence/spark/index.html and evidence.json for the latest Spark build (or
    `invocation_id`)."""
    return build(paths, docs=False, facts=spark_facts(paths, target), invocation_id=invocation_id)
