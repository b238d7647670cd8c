"""Evidence a data-protection officer can review, written to evidence/ after every run.

`build` gathers what was declared (the purposes registry, the column classifications and
exposures in dbt's manifest, the model card) and what was observed (the hash-chained audit
trail in the vault, the published release metadata, the privacy report, the funnel, the
quarantine) into evidence/evidence.json and a self-contained evidence/index.html (no scripts,
no external resources). Each run is also kept under evidence/runs/<invocation_id>/, with the
model card it saw; its evidence.json records the audit chain's head, an anchor that
`verify` checks on later runs. The dbt docs, with the lineage from the sources to the model
exposure, are generated offline into evidence/docs/index.html (`dbt docs generate --static`:
one file that opens from disk).

Nothing here needs the key except regenerating the docs, which opens the vault through dbt; the
vault and the analytics database are opened read-only, and only aggregates leave them.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from gdpr_pipeline.audit import (
    AuditTrailError,
    VerifyResult,
    connect_vault,
    read_anchors,
    read_trail,
    verify,
    verify_records,
    verify_spark,
)
from gdpr_pipeline.core.dbt import run_dbt, upstream
from gdpr_pipeline.core.jsonenc import jsonable, utc_now
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.core.raw_files import raw_row_counts
from gdpr_pipeline.core.registry import purpose_columns, purposes
from gdpr_pipeline.core.warehouse import open_analytics, rows, rows_if_present
from gdpr_pipeline.dp import evidence as dp_evidence
from gdpr_pipeline.evidence.render import render
from gdpr_pipeline.ml.registry import latest_model
from gdpr_pipeline.policy import CLASSES as PERSONAL_DATA_CLASSES
from gdpr_pipeline.policy import personal_data_class

__all__ = [
    "AuditTrailError",
    "EngineFacts",
    "EvidenceResult",
    "InvocationNotFound",
    "VerifyResult",
    "build",
    "collect",
    "generate_docs",
    "verify",
    "verify_spark",
]

SCHEMA = "gdpr_pipeline.evidence/1"
DOCS_DIR = "docs"
RUNS_DIR = "runs"
# The dbt commands whose invocation is "the build" the page presents by default: the ones that
# build the releases and publish them (macros/publish/publish_analytics.sql).
BUILDING_COMMANDS = ("build", "run", "retry")
CONTROLLER_PLACEHOLDER = "[Controller: legal name, address, contact. To be completed by the DPO.]"
DPO_PLACEHOLDER = "[Data protection officer: name and contact. To be completed.]"
DATA_SUBJECTS = "Customers of the source application (synthetic demo data in this repository)."
TRANSFERS = "None declared: all processing runs in this warehouse. [Confirm.]"
LAWFUL_BASIS_ARTICLE = {
    "consent": "Art. 6(1)(a) GDPR, consent",
    "contract": "Art. 6(1)(b) GDPR, contract",
    "legal_obligation": "Art. 6(1)(c) GDPR, legal obligation",
    "legitimate_interest": "Art. 6(1)(f) GDPR, legitimate interests",
}


@dataclass(frozen=True)
class EngineFacts:
    """What `collect` reads from the warehouse, read by another engine than DuckDB's files
    (evidence/spark_facts.py): the same shapes as _vault_facts and _analytics_facts, where the
    evidence of that engine's runs is kept, and what the page must say differs there."""

    engine: str
    vault: dict[str, Any]
    analytics: dict[str, Any]
    evidence_dir: Path
    notes: list[str]
    model_card: bool = True  # False: the trainer does not read this engine's releases


@dataclass(frozen=True)
class EvidenceResult:
    html: Path
    json: Path
    run_dir: Path
    invocation_id: str | None
    verify: VerifyResult | None
    docs: Path | None


# --- reading ---------------------------------------------------------------------------------


def _load_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _dbt_project_var(paths: Paths, name: str) -> Any:
    project = yaml.safe_load((paths.root / "dbt_project.yml").read_text())
    return (project.get("vars") or {}).get(name)


def _vault_facts(paths: Paths, manifest: dict[str, Any]) -> dict[str, Any]:
    """The audit trail and the quarantine counts, from the vault opened read-only."""
    quarantine_node = manifest.get("nodes", {}).get("model.gdpr_pipeline.quarantine_records", {})
    relation = quarantine_node.get("relation_name") or "quarantine.quarantine_records"
    with connect_vault(paths) as con:
        trail = read_trail(con)
        try:
            counts = rows(
                con,
                f"select source_table, rejection_reason, count(*) as rows from {relation} "
                "group by all order by source_table, rejection_reason",
            )
            quarantine = jsonable(counts)
        except duckdb.Error:
            quarantine = None
    return {"trail": trail, "quarantine": quarantine}


def _analytics_facts(paths: Paths) -> dict[str, Any]:
    """The published release metadata, privacy report and funnel (aggregates only)."""
    if not paths.analytics_db.exists():
        return {"published": False}
    with open_analytics(paths, error=AuditTrailError) as con:
        return {
            "published": True,
            "release_metadata": jsonable(
                rows(con, "select * from release_metadata order by release_name")
            ),
            "privacy_report": jsonable(
                rows(con, "select * from release_privacy_report order by release_name")
            ),
            "funnel": jsonable(rows(con, "select * from release_funnel order by purpose")),
            "privacy_risk": jsonable(
                rows_if_present(
                    con, "release_privacy_risk", "select * from release_privacy_risk order by risk"
                )
            ),
        }


def _latest_model_card(paths: Paths) -> tuple[dict[str, Any] | None, Path | None]:
    model = latest_model(paths)
    return (model.card, model.directory) if model else (None, None)


# --- assembling ------------------------------------------------------------------------------


class InvocationNotFound(ValueError):
    """--invocation names no invocation of the audit trail."""


def _chosen_invocation(
    invocations: list[dict[str, Any]], invocation_id: str | None
) -> dict[str, Any] | None:
    """The invocation the page is about: the one asked for, else the latest that built
    (BUILDING_COMMANDS), else none. A `dbt test`, `seed` or `snapshot` never stands in for the
    build: the page lists it under other invocations instead."""
    if invocation_id is not None:
        for record in invocations:
            if record["invocation_id"] == invocation_id:
                return record
        known = ", ".join(r["invocation_id"] for r in invocations[-3:]) or "none"
        raise InvocationNotFound(
            f"invocation {invocation_id} is not in the audit trail (the latest: {known})"
        )
    building = [r for r in invocations if r["command"] in BUILDING_COMMANDS]
    return building[-1] if building else None


def _other_invocations(
    invocations: list[dict[str, Any]], run: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Invocations after the page's own that built nothing it shows, newest first."""
    after = run["seq"] if run else -1
    return [
        {k: jsonable(r[k]) for k in ("invocation_id", "command", "status", "started_at")}
        for r in reversed(invocations)
        if r["seq"] > after
    ]


def _run_records(
    trail: list[dict[str, Any]], invocation_id: str | None = None
) -> tuple[dict | None, list[dict], list[dict]]:
    """The chosen invocation's record (_chosen_invocation), its node results and its tests."""
    invocations = [r for r in trail if r["record_type"] == "invocation"]
    run = _chosen_invocation(invocations, invocation_id)
    if run is None:
        return None, [], []
    results = [
        r for r in trail if r["invocation_id"] == run["invocation_id"] and r["seq"] > run["seq"]
    ]
    # Result messages stay in the vault: an error can quote the input value that failed.
    clean = [{k: jsonable(v) for k, v in r.items() if k != "message"} for r in results]
    return (
        {k: jsonable(v) for k, v in run.items()},
        [r for r in clean if r["record_type"] == "node"],
        [r for r in clean if r["record_type"] == "test"],
    )


def _publish_record(trail: list[dict[str, Any]], run: dict | None) -> dict[str, Any] | None:
    """What the publish step recorded for this invocation: published, or not and why."""
    if not run:
        return None
    records = [
        r
        for r in trail
        if r["record_type"] == "publish" and r["invocation_id"] == run["invocation_id"]
    ]
    if not records:
        return None
    return {"status": records[-1]["status"], "message": records[-1]["message"]}


def _tests(tests: list[dict[str, Any]], manifest: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    out = []
    for record in tests:
        node = nodes.get(record["unique_id"], {})
        metadata = node.get("test_metadata") or {}
        parents = (node.get("depends_on") or {}).get("nodes") or [None]
        attached = node.get("attached_node") or node.get("model") or parents[0]
        out.append(
            {
                "unique_id": record["unique_id"],
                "name": record["node_name"],
                "test": metadata.get("name")
                or ("unit test" if record["resource_type"] == "unit_test" else "singular test"),
                "on": attached,
                "column": node.get("column_name"),
                "severity": (node.get("config") or {}).get("severity"),
                "description": (node.get("description") or "").strip(),
                "status": record["status"],
                "failures": record["failures"],
                "execution_ms": record["execution_ms"],
                "audit_seq": record["seq"],
            }
        )
    order = {"error": 0, "fail": 1, "runtime error": 1, "skipped": 2, "warn": 3}
    return sorted(out, key=lambda t: (order.get(t["status"], 9), t["name"]))


def _run_results_check(paths: Paths, run: dict[str, Any] | None, tests: list[dict]) -> dict:
    """Do dbt's own run_results.json and the audit trail agree on this run's tests?"""
    results = _load_json(paths.target / "run_results.json")
    if not results or not run:
        return {"checked": False, "reason": "no target/run_results.json"}
    invocation = results.get("metadata", {}).get("invocation_id")
    if invocation != run["invocation_id"]:
        return {
            "checked": False,
            "reason": f"target/run_results.json is from invocation {invocation}, not this run",
        }
    reported = {
        r["unique_id"]: r["status"]
        for r in results.get("results", [])
        if r["unique_id"].split(".")[0] in ("test", "unit_test")
    }
    audited = {t["unique_id"]: t["status"] for t in tests}
    differ = sorted(
        uid for uid in reported.keys() | audited.keys() if reported.get(uid) != audited.get(uid)
    )
    return {"checked": True, "agree": not differ, "differences": differ, "tests": len(reported)}


def _nodes_by_name(manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    by_name: dict[str, list[dict[str, Any]]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "model":
            by_name.setdefault(node["name"], []).append(node)
    return by_name


def _categories(nodes: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Columns of the given nodes grouped by meta.personal_data class."""
    classes: dict[str, set[str]] = {}
    for node in nodes:
        for column in (node.get("columns") or {}).values():
            classes.setdefault(personal_data_class(column) or "unclassified", set()).add(
                column["name"]
            )
    order = {c: i for i, c in enumerate(PERSONAL_DATA_CLASSES)}
    return {k: sorted(v) for k, v in sorted(classes.items(), key=lambda kv: order.get(kv[0], 99))}


def _key_id(analytics: dict[str, Any], run: dict[str, Any] | None) -> str | None:
    """The key id of the published releases (all of them, if they somehow differ)."""
    key_ids = sorted(
        {r["key_id"] for r in analytics.get("release_metadata", []) if r.get("key_id")}
    )
    if len(key_ids) == 1:
        return key_ids[0]
    return ", ".join(key_ids) or (run or {}).get("key_id")


def _released_views(purpose: dict[str, str]) -> list[str]:
    views = re.split(r"[;,\s]+", (purpose.get("released_views") or "").strip())
    return [v for v in views if v]


def _recipients(exposures: list[dict[str, Any]], view_ids: set[str]) -> list[str]:
    """The exposures that read the purpose's views, then the analytics database's readers."""
    recipients = [
        f"{e.get('label') or e['name']} ({e['type']}; owner: {(e.get('owner') or {}).get('name')})"
        for e in exposures
        if view_ids & set((e.get("depends_on") or {}).get("nodes", []))
    ]
    recipients.append(
        "Internal readers of the analytics database (analytics.duckdb), which holds no "
        "direct identifiers."
    )
    return recipients


def _k_anonymity_line(view: str, report: dict[str, Any]) -> str:
    line = (
        f"k-anonymity on {view}: k required {report['k_required']}, achieved "
        f"{report['k_achieved']} over ({report['quasi_identifiers']})"
    )
    if report.get("l_required") is not None:
        line += f"; l-diversity required {report['l_required']}, achieved {report['l_achieved']}"
    return line + "."


def _safeguards(
    purpose: dict[str, str],
    *,
    allowed_columns: int,
    view_nodes: list[dict[str, Any]],
    key_id: str | None,
    privacy: dict[str, dict[str, Any]],
) -> list[str]:
    """Art. 32 measures for one purpose, as the build enforces them."""
    domains = sorted(
        {(n.get("config") or {}).get("meta", {}).get("pseudonym_domain") for n in view_nodes}
        - {None}
    )
    safeguards = [
        "Purpose limitation and consent filtering: a row is released only for subjects with "
        f"standing {purpose['purpose']} consent (or no objection, for legitimate interest) "
        "at as_of.",
        f"Data minimization: only the {allowed_columns} columns "
        "allow-listed for this purpose (seed purpose_columns) may be released.",
    ]
    if domains:
        safeguards.append(
            "Pseudonymization: keyed HMAC-SHA256 pseudonyms in the domain "
            f"{', '.join(domains)}, key id {key_id} (the key itself is held outside the "
            "warehouse). Pseudonymous data is still personal data."
        )
    safeguards += [
        _k_anonymity_line(view, privacy[view])
        for view in _released_views(purpose)
        if privacy.get(view)
    ]
    safeguards.append(
        "Erasure requests are applied before any processing; a test fails the build if an "
        "erased subject appears in a release."
    )
    safeguards.append(
        "Every build is recorded in a hash-chained audit trail in the vault; the analytics "
        "database is replaced atomically, and only when the whole build succeeded."
    )
    return safeguards


def _model_summary(card: dict[str, Any] | None, purpose: str) -> dict[str, Any] | None:
    """The latest model, when it was trained for this purpose."""
    if not card or (card.get("purpose") or {}).get("purpose") != purpose:
        return None
    provenance = card.get("provenance") or {}
    return {
        "model_id": card.get("model_id"),
        "algorithm": card.get("algorithm"),
        "trained_on": f"{provenance.get('relation')} (version {provenance.get('version')})",
        "dbt_invocation_id": provenance.get("dbt_invocation_id"),
        "rows": provenance.get("rows"),
    }


def _activity(
    purpose: dict[str, str],
    *,
    view_nodes: list[dict[str, Any]],
    recipients: list[str],
    safeguards: list[str],
    model: dict[str, Any] | None,
) -> dict[str, Any]:
    """One processing activity of the record: a purpose, as declared and as released."""
    return {
        "purpose": purpose["purpose"],
        "description": purpose["description"],
        "lawful_basis": purpose["lawful_basis"],
        "lawful_basis_article": LAWFUL_BASIS_ARTICLE.get(
            purpose["lawful_basis"], purpose["lawful_basis"]
        ),
        "consent_valid_days": purpose.get("consent_valid_days") or None,
        "min_policy_version": purpose.get("min_policy_version") or None,
        "released_views": _released_views(purpose),
        "released_view_ids": sorted(n["unique_id"] for n in view_nodes),
        "data_subjects": DATA_SUBJECTS,
        "categories_released": _categories(view_nodes),
        "recipients": recipients,
        "transfers": TRANSFERS,
        "retention": (
            f"Input data older than {purpose['retention_days']} days before as_of is not "
            f"used; released views are rebuilt on every run."
        ),
        "retention_days": int(purpose["retention_days"]) if purpose.get("retention_days") else None,
        "safeguards": safeguards,
        "model": model,
    }


def _art30(
    paths: Paths,
    manifest: dict[str, Any],
    analytics: dict[str, Any],
    run: dict[str, Any] | None,
    card: dict[str, Any] | None,
) -> dict[str, Any]:
    """The record of processing activities (Art. 30(1) GDPR), one activity per purpose."""
    by_name = _nodes_by_name(manifest)
    allowed = purpose_columns(paths.purpose_columns_seed)
    privacy = {r["release_name"]: r for r in analytics.get("privacy_report", [])}
    key_id = _key_id(analytics, run)
    sources = list(manifest.get("sources", {}).values())
    exposures = list(manifest.get("exposures", {}).values())
    activities = []
    for purpose in purposes(paths):
        view_nodes = [n for v in _released_views(purpose) for n in by_name.get(v, [])]
        activities.append(
            _activity(
                purpose,
                view_nodes=view_nodes,
                recipients=_recipients(exposures, {n["unique_id"] for n in view_nodes}),
                safeguards=_safeguards(
                    purpose,
                    allowed_columns=len(allowed.get(purpose["purpose"], [])),
                    view_nodes=view_nodes,
                    key_id=key_id,
                    privacy=privacy,
                ),
                model=_model_summary(card, purpose["purpose"]),
            )
        )
    return {
        "controller": CONTROLLER_PLACEHOLDER,
        "dpo": DPO_PLACEHOLDER,
        "categories_collected": _categories(sources),
        "sources": sorted(f"{s['source_name']}.{s['name']}" for s in sources),
        "key_id": key_id,
        "activities": activities,
    }


def _raw_counts(paths: Paths, run: dict[str, Any] | None) -> tuple[dict[str, int], str | None]:
    dbt_vars = json.loads((run or {}).get("dbt_vars") or "{}")
    raw_dir = dbt_vars.get("raw_dir") or _dbt_project_var(paths, "raw_dir") or "data/raw"
    path = Path(raw_dir) if Path(raw_dir).is_absolute() else paths.root / raw_dir
    if not path.is_dir():
        return {}, None
    return raw_row_counts(path), str(path)


def _funnel(paths: Paths, analytics: dict[str, Any], run: dict[str, Any] | None) -> dict:
    raw, raw_dir = _raw_counts(paths, run)
    purposes = []
    for row in analytics.get("funnel", []):
        stages = []
        if "subjects" in raw:
            stages.append(
                {"stage": "raw", "label": "raw subjects (raw file)", "subjects": raw["subjects"]}
            )
        stages += [
            {"stage": "input", "label": "after erasure", "subjects": row["input_subjects"]},
            {
                "stage": "eligible",
                "label": "eligible (consent / no objection)",
                "subjects": row["eligible_subjects"],
            },
            {
                "stage": "minimized",
                "label": "minimized (allowed columns)",
                "subjects": row["minimized_subjects"],
            },
            {
                "stage": "released",
                "label": "released (k-anonymous)",
                "subjects": row["released_subjects"],
            },
        ]
        purposes.append(
            {
                "purpose": row["purpose"],
                "erasure_requests": row["erasure_requests"],
                "aggregate_only": row["released_subjects"] is None,
                "stages": stages,
            }
        )
    return {"raw_dir": raw_dir, "raw_counts": raw, "purposes": purposes}


def _lineage(manifest: dict[str, Any], nodes: list[dict[str, Any]], docs: str | None) -> dict:
    exposures = []
    observed = {n["unique_id"]: n for n in nodes}
    all_nodes = {
        **manifest.get("nodes", {}),
        **manifest.get("sources", {}),
        **manifest.get("exposures", {}),
    }
    for uid, exposure in sorted(manifest.get("exposures", {}).items()):
        chain = []
        for step in upstream(manifest, uid):
            node = all_nodes[step]
            seen = observed.get(step, {})
            chain.append(
                {
                    "unique_id": step,
                    "resource_type": node["resource_type"],
                    "name": node["name"] + (f" v{node['version']}" if node.get("version") else ""),
                    "personal_data": sorted(
                        {
                            personal_data_class(c) or "unclassified"
                            for c in (node.get("columns") or {}).values()
                        }
                    ),
                    "status": seen.get("status"),
                    "rows": seen.get("rows_affected"),
                }
            )
        exposures.append(
            {
                "unique_id": uid,
                "name": exposure["name"],
                "label": exposure.get("label"),
                "type": exposure.get("type"),
                "owner": (exposure.get("owner") or {}).get("name"),
                "depends_on": (exposure.get("depends_on") or {}).get("nodes", []),
                "upstream": chain,
            }
        )
    return {"docs": docs, "exposures": exposures}


def _earlier_runs(evidence_dir: Path, current: str | None) -> list[dict[str, Any]]:
    runs = []
    for path in evidence_dir.glob(f"{RUNS_DIR}/*/evidence.json"):
        data = _load_json(path)
        if not data or path.parent.name == current:
            continue
        run = data.get("run") or {}
        runs.append(
            {
                "invocation_id": path.parent.name,
                "command": run.get("command"),
                "status": run.get("status"),
                "started_at": run.get("started_at"),
                "tests": data.get("test_summary"),
                "href": f"{RUNS_DIR}/{path.parent.name}/index.html",
            }
        )
    return sorted(runs, key=lambda r: r.get("started_at") or "", reverse=True)


def collect(
    paths: Paths,
    *,
    docs: str | None = None,
    docs_error: str | None = None,
    facts: EngineFacts | None = None,
    invocation_id: str | None = None,
) -> tuple[dict[str, Any], VerifyResult]:
    """Everything the evidence page shows, as one JSON-ready dict, and the chain's check.
    Without `facts`, from the DuckDB vault and analytics files. The page is about the latest
    building invocation, or `invocation_id` (_chosen_invocation)."""
    manifest = _load_json(paths.target / "manifest.json") or {}
    vault = facts.vault if facts else _vault_facts(paths, manifest)
    evidence_dir = facts.evidence_dir if facts else paths.evidence
    trail = vault["trail"]
    check = verify_records(trail, read_anchors(evidence_dir))
    run, nodes, test_records = _run_records(trail, invocation_id)
    invocations = [r for r in trail if r["record_type"] == "invocation"]
    tests = _tests(test_records, manifest)
    analytics = facts.analytics if facts else _analytics_facts(paths)
    card, model_dir = _latest_model_card(paths) if not facts or facts.model_card else (None, None)
    published = sorted({r["dbt_invocation_id"] for r in analytics.get("release_metadata", [])})
    erasure_tests = [t for t in tests if t["test"] == "no_erased_subject"]
    funnel = _funnel(paths, analytics, run)
    head = trail[-1] if trail else None
    floor = (
        (manifest.get("nodes", {}).get("seed.gdpr_pipeline.purposes", {}).get("config", {}))
        .get("meta", {})
        .get("privacy_floor")
    )
    data = {
        "schema": SCHEMA,
        "engine": {"name": facts.engine, "notes": facts.notes} if facts else {"name": "duckdb"},
        "generated_at": utc_now(),
        "project_root": str(paths.root),
        "run": run,
        "nodes": nodes,
        "tests": tests,
        "test_summary": dict(Counter(t["status"] for t in tests)),
        "node_summary": dict(Counter(n["status"] for n in nodes)),
        "run_results_check": _run_results_check(paths, run, tests),
        "publish": _publish_record(trail, run),
        # The floors of k_min and l_min (purposes registry config); lowering them shows here.
        "privacy_floor": floor,
        "published": {
            "available": analytics.get("published", False),
            "invocation_ids": published,
            "is_this_run": bool(run) and published == [run["invocation_id"]],
            "releases": analytics.get("release_metadata", []),
        },
        "audit": {
            **check.as_dict(),
            "anchor": {
                "seq": head["seq"],
                "record_hash": head["record_hash"],
                "genesis_hash": trail[0]["record_hash"],
            }
            if head
            else None,
        },
        "art30": _art30(paths, manifest, analytics, run, card),
        "funnel": funnel,
        "privacy": {
            "releases": analytics.get("privacy_report", []),
            "risks": analytics.get("privacy_risk", []),
            "quarantine": vault["quarantine"],
            "erasures": {
                "requests_applied": (
                    funnel["purposes"][0]["erasure_requests"] if funnel["purposes"] else None
                ),
                "tests": [
                    {"name": t["name"], "status": t["status"], "failures": t["failures"]}
                    for t in erasure_tests
                ],
            },
        },
        "differential_privacy": dp_evidence.facts(
            paths,
            _dbt_project_var(paths, "governance_count_rounding"),
            vault.get("differential_privacy"),
        ),
        "model_card": card,
        "model_dir": str(model_dir) if model_dir else None,
        "lineage": {**_lineage(manifest, nodes, docs), "docs_error": docs_error},
        "earlier_runs": _earlier_runs(evidence_dir, run["invocation_id"] if run else None),
        "other_invocations": _other_invocations(invocations, run),
    }
    return data, check


# --- docs and writing ------------------------------------------------------------------------


def generate_docs(paths: Paths, destination: Path) -> tuple[Path | None, str | None]:
    """`dbt docs generate --static` into a scratch target; keep only the one-file site.

    A scratch target keeps target/run_results.json the build's own. The static page embeds
    the manifest and catalog (names, types, descriptions, SQL; no data), so it opens from disk
    with no server and no network.
    """
    # Compile with the build's own vars (raw_dir, as_of), so docs describe the run they sit beside.
    results = paths.target / "run_results.json"
    build_vars = (
        json.loads(results.read_text()).get("args", {}).get("vars") if results.exists() else None
    )
    with tempfile.TemporaryDirectory(prefix="gdpr-docs-") as scratch:
        completed = run_dbt(
            paths,
            ["docs", "generate", "--static", "--target-path", scratch, "--log-path", scratch],
            dbt_vars=build_vars or None,
            capture=True,
        )
        page = Path(scratch) / "static_index.html"
        if completed.returncode != 0 or not page.exists():
            tail = (completed.stdout + completed.stderr).strip().splitlines()[-3:]
            return None, "dbt docs generate failed: " + " | ".join(tail)
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, destination / "index.html")
    return destination / "index.html", None


def build(
    paths: Paths,
    *,
    docs: bool = True,
    facts: EngineFacts | None = None,
    invocation_id: str | None = None,
) -> EvidenceResult:
    """Write evidence/index.html and evidence/evidence.json for the latest building invocation
    (or `invocation_id`); keep it in runs/. With `facts` (another engine), into
    facts.evidence_dir; the dbt docs are then not built (they compile against DuckDB)."""
    out = facts.evidence_dir if facts else paths.evidence
    out.mkdir(parents=True, exist_ok=True)
    docs_page, docs_error = (None, "not generated (docs=False)")
    if facts:
        docs, docs_error = False, f"not generated for {facts.engine} (the docs compile on DuckDB)"
    if docs:
        docs_page, docs_error = generate_docs(paths, out / DOCS_DIR)
    elif (out / DOCS_DIR / "index.html").exists():
        docs_page, docs_error = out / DOCS_DIR / "index.html", None
    data, check = collect(
        paths,
        docs=f"{DOCS_DIR}/index.html" if docs_page else None,
        docs_error=docs_error,
        facts=facts,
        invocation_id=invocation_id,
    )
    invocation = (data["run"] or {}).get("invocation_id") or "no-run"
    run_dir = out / RUNS_DIR / invocation
    run_dir.mkdir(parents=True, exist_ok=True)
    earlier = _load_json(run_dir / "evidence.json")
    if not check.ok and earlier and (earlier.get("audit") or {}).get("anchor"):
        # Never let a broken chain overwrite the head this run recorded when it was intact.
        data["audit"]["anchor"] = earlier["audit"]["anchor"]
    if data["model_dir"]:
        for name in ("model_card.json", "model_card.md"):
            source = Path(data["model_dir"]) / name
            if source.exists():
                shutil.copyfile(source, run_dir / name)
    payload = json.dumps(data, indent=2, default=str) + "\n"
    (run_dir / "evidence.json").write_text(payload)
    (run_dir / "index.html").write_text(render(data, prefix="../../", card_href=""))
    (out / "evidence.json").write_text(payload)
    (out / "index.html").write_text(render(data, prefix="", card_href=f"{RUNS_DIR}/{invocation}/"))
    return EvidenceResult(
        html=out / "index.html",
        json=out / "evidence.json",
        run_dir=run_dir,
        invocation_id=(data["run"] or {}).get("invocation_id"),
        verify=check,
        docs=docs_page,
    )
