"""Data-subject rights: access reports, erasure checks, and models to retrain.

- `subject_report`: everything the warehouse holds about one subject (Art. 15 and 20), read
  from the vault and checked against the published release, with the pseudonym per domain
  computed from the key.
- `models_status`: which trained models contain subjects who have since withdrawn, whose
  consent has expired, or who were erased (Art. 7(3), 17).
- `request_erasure`, `verify_erasure`, `compact_vault`: record an erasure request in the raw
  file, prove after the next build that it reached every relation and the file bytes, and
  rewrite the vault so no freed block still holds the erased identifiers.

Nothing here writes the key or prints an identifier other than the one asked about.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from gdpr_pipeline import keys
from gdpr_pipeline.core.jsonenc import jsonable, utc_now
from gdpr_pipeline.core.paths import Paths
from gdpr_pipeline.core.warehouse import in_memory, open_analytics, open_vault, rows
from gdpr_pipeline.ml.registry import TrainedModel, trained_models

MODEL_PURPOSE = "model_training"
TRAINING_VIEW = "ml_training_set"


class RightsError(RuntimeError):
    """The request cannot be answered; the message says why."""


class UnknownSubject(RightsError):
    """The vault holds no subject with this id."""


class ErasedSubject(RightsError):
    """The subject was erased: only the tombstone (pseudonyms, no identifier) is left."""


# --- connections --------------------------------------------------------------------------


def _vault(paths: Paths) -> duckdb.DuckDBPyConnection:
    return open_vault(paths, error=RightsError)


def _analytics(paths: Paths) -> duckdb.DuckDBPyConnection:
    return open_analytics(paths, error=RightsError)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@dataclass(frozen=True)
class Release:
    """The published release of the training set: what models are compared with."""

    key_id: str
    as_of: str
    dbt_invocation_id: str
    pseudonyms: frozenset[str]


def current_release(paths: Paths) -> Release:
    with _analytics(paths) as con:
        row = con.execute(
            "select key_id, cast(as_of as varchar), dbt_invocation_id from release_metadata "
            "where model_name = ? and version = latest_version",
            [TRAINING_VIEW],
        ).fetchone()
        if row is None:
            raise RightsError(f"{paths.analytics_db} has no release of {TRAINING_VIEW}.")
        released = con.execute(f"select subject_pseudonym from {TRAINING_VIEW}").fetchall()
    return Release(row[0], row[1], row[2], frozenset(r[0] for r in released))


def key_for(paths: Paths, key_id: str) -> keys.Key | None:
    """The key with this id if one is within reach (in use, next, or retired); never a guess."""
    return keys.available_keys(paths.key_file).get(key_id)


# --- trained models -----------------------------------------------------------------------


@dataclass
class ModelStatus:
    """How a model's training subjects stand in the current release.

    Counted over the model's training pseudonyms, after the list is verified against the
    card's digest:
    - not_in_release: not in the current `ml_training_set` (any reason);
    - erased: in the tombstone (an erasure request), under the release's key;
    - withdrawn_or_expired: not in the release, not erased, and not eligible for
      model_training at the release's as_of: consent withdrawn or expired (or a grant that no
      longer counts);
    - suppressed_still_consenting: not in the release only because generalization suppressed
      them; their consent stands, so they do not force a retrain.
    must_retrain: erased + withdrawn_or_expired > 0, or the list fails verification. None
    when it cannot be told (another key and no way to compare).
    """

    model_id: str
    created_at: str | None
    view: str | None
    version: int | None
    key_id: str | None
    as_of: str | None
    training_subjects: int
    list_verified: bool
    compared_with: str | None = None
    still_released: int | None = None
    not_in_release: int | None = None
    erased: int | None = None
    withdrawn_or_expired: int | None = None
    suppressed_still_consenting: int | None = None
    must_retrain: bool | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _VaultView:
    """What the vault knows about model_training under the release's key."""

    eligible: dict[str, str]  # subject_id -> pseudonym, subjects eligible at as_of
    tombstone: frozenset[str]


def _vault_view(paths: Paths, release: Release) -> tuple[_VaultView | None, str | None]:
    """The vault's eligibility and tombstone, if the vault is there and from the same build."""
    if not paths.vault_db.exists():
        return None, "the vault is not available here, so suppression cannot be told apart"
    with _vault(paths) as con:
        vault_release = {
            r[0]
            for r in con.execute(
                f"select subject_pseudonym from releases.{TRAINING_VIEW}"
            ).fetchall()
        }
        eligible = dict(
            con.execute(
                "select subject_id, subject_pseudonym from intermediate.int_subject_pseudonyms "
                "where pseudonym_domain = ? and key_id = ?",
                [MODEL_PURPOSE, release.key_id],
            ).fetchall()
        )
        tombstone = frozenset(
            r[0]
            for r in con.execute(
                "select subject_pseudonym from intermediate.int_erasure_tombstones "
                "where pseudonym_domain = ? and key_id = ?",
                [MODEL_PURPOSE, release.key_id],
            ).fetchall()
        )
    if vault_release != release.pseudonyms:
        return None, (
            "the vault is from another build than the published release (a later build "
            "failed?), so only the release is used"
        )
    return _VaultView(eligible, tombstone), None


@dataclass(frozen=True)
class _Comparison:
    """The current release as seen under a model's key: what it is compared with."""

    released: set[str]
    eligible: set[str] | None  # None without the vault
    tombstone: set[str] | None  # None when the tombstone is under another key
    compared_with: str
    notes: tuple[str, ...] = ()


def _same_key_comparison(release: Release, vault: _VaultView | None) -> _Comparison:
    return _Comparison(
        released=set(release.pseudonyms),
        eligible=set(vault.eligible.values()) if vault else None,
        tombstone=set(vault.tombstone) if vault else None,
        compared_with=f"the current release (key id {release.key_id})",
    )


def _translated_comparison(
    model: TrainedModel, release: Release, vault: _VaultView | None, paths: Paths
) -> _Comparison | str:
    """The release translated into the model's key through the vault's subject ids, or why
    that cannot be done."""
    key = key_for(paths, model.key_id or "")
    if key is None or vault is None:
        return (
            f"trained under key id {model.key_id}, but the current release uses key id "
            f"{release.key_id}: comparing needs the previous key ({model.key_id}), which is "
            "not within reach. Run `models status` during a rotation, before `keys "
            "cutover`, or cut over with --keep-retired-key; otherwise retrain the model."
        )
    return _Comparison(
        released={
            keys.pseudonym(key.secret, model.domain, subject_id)
            for subject_id, current in vault.eligible.items()
            if current in release.pseudonyms
        },
        eligible={
            keys.pseudonym(key.secret, model.domain, subject_id) for subject_id in vault.eligible
        },
        tombstone=None,
        compared_with=(
            f"the current release (key id {release.key_id}), translated to the model's key "
            f"id {model.key_id} with the previous key"
        ),
        notes=(
            "the tombstone holds current-key pseudonyms only, so erased subjects are counted "
            "in withdrawn_or_expired",
        ),
    )


def _count_missing(status: ModelStatus, trained: set[str], comparison: _Comparison) -> None:
    """Why each training subject missing from the release is missing, and the verdict."""
    missing = trained - comparison.released
    status.still_released = len(trained & comparison.released)
    status.not_in_release = len(missing)
    if comparison.tombstone is not None:
        status.erased = len(missing & comparison.tombstone)
    if comparison.eligible is None:
        # Without the vault, a subject missing from the release may have been suppressed or
        # may have withdrawn; count it as a reason to retrain rather than guess.
        status.must_retrain = status.not_in_release > 0
        return
    status.suppressed_still_consenting = len(missing & comparison.eligible)
    status.withdrawn_or_expired = len(
        missing - comparison.eligible - (comparison.tombstone or set())
    )
    status.must_retrain = (status.erased or 0) + status.withdrawn_or_expired > 0


def model_status(
    model: TrainedModel, release: Release, vault: _VaultView | None, paths: Paths
) -> ModelStatus:
    p = model.provenance
    status = ModelStatus(
        model_id=model.model_id,
        created_at=model.card.get("created_at"),
        view=p.get("view"),
        version=p.get("version"),
        key_id=model.key_id,
        as_of=p.get("as_of"),
        training_subjects=int(p.get("training_subjects", 0)),
        list_verified=False,
    )
    problem = model.integrity_problem()
    if problem:
        status.notes.append(problem + "; the model cannot be audited: retrain it")
        status.must_retrain = True
        return status
    status.list_verified = True
    if model.key_id == release.key_id:
        comparison: _Comparison | str = _same_key_comparison(release, vault)
    else:
        comparison = _translated_comparison(model, release, vault, paths)
    if isinstance(comparison, str):
        status.notes.append(comparison)
        return status
    status.compared_with = comparison.compared_with
    status.notes.extend(comparison.notes)
    _count_missing(status, set(model.pseudonyms() or []), comparison)
    return status


@dataclass
class StatusReport:
    release: dict[str, Any] | None
    models: list[ModelStatus]
    notes: list[str]

    @property
    def exit_code(self) -> int:
        """0: every model is current; 1: a model must be retrained; 2: one cannot be told."""
        if any(m.must_retrain for m in self.models):
            return 1
        if any(m.must_retrain is None for m in self.models):
            return 2
        return 0


def models_status(paths: Paths) -> StatusReport:
    models = trained_models(paths)
    release = current_release(paths)
    vault, note = _vault_view(paths, release)
    return StatusReport(
        release={
            "key_id": release.key_id,
            "as_of": release.as_of,
            "dbt_invocation_id": release.dbt_invocation_id,
            "released_subjects": len(release.pseudonyms),
        },
        models=[model_status(m, release, vault, paths) for m in models],
        notes=[note] if note else [],
    )


# --- access report ------------------------------------------------------------------------


def _release_key(paths: Paths, release_key_id: str) -> keys.Key:
    key = key_for(paths, release_key_id)
    if key is None:
        in_use = keys.load_key(key_file=paths.key_file)
        raise RightsError(
            f"The published release was built with key id {release_key_id}; the key within "
            f"reach has key id {in_use.key_id}. Use the key the release was built with."
        )
    return key


def _tombstone_requests(
    con: duckdb.DuckDBPyConnection, key: keys.Key, subject_id: str
) -> list[dict[str, Any]]:
    pseudonyms = {
        keys.pseudonym(key.secret, domain, subject_id)
        for (domain,) in con.execute("select purpose from registry.purposes").fetchall()
    }
    return rows(
        con,
        "select distinct request_id, received_at from intermediate.int_erasure_tombstones "
        "where key_id = ? and list_contains(?, subject_pseudonym) order by received_at",
        [key.key_id, sorted(pseudonyms)],
    )


REPORT_TITLE = "GDPR Art. 15 access and Art. 20 portability: data held about one subject"
REPORT_NOTES = (
    "Pseudonyms are keyed HMAC-SHA256 values: pseudonymous, not anonymous.",
    "Consent events recorded after as_of do not count for this release.",
)
BY_SUBJECT = "where subject_id = ?"


@dataclass(frozen=True)
class SubjectReport:
    """Everything held about one subject (Art. 15 and 20); `as_dict` is the JSON document."""

    subject_id: str
    generated_at: str
    release: dict[str, Any]
    identity: dict[str, Any]
    consent: dict[str, Any]
    purchases: list[dict[str, Any]]
    quarantined_records: list[dict[str, Any]]
    purposes: list[dict[str, Any]]
    models: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return jsonable({"report": REPORT_TITLE, **asdict(self), "notes": list(REPORT_NOTES)})


def _identity(vault: duckdb.DuckDBPyConnection, key: keys.Key, subject_id: str) -> dict[str, Any]:
    """The subject's row in the vault; an erased or unknown subject is refused, by name only."""
    found = rows(vault, f"select * from staging.stg_app__subjects {BY_SUBJECT}", [subject_id])
    if found:
        return found[0]
    requests = _tombstone_requests(vault, key, subject_id)
    if requests:
        first = requests[0]
        raise ErasedSubject(
            f"Subject {subject_id} has been erased (request {first['request_id']}, "
            f"received {first['received_at']}): the warehouse holds no data about it, "
            "only a tombstone of its pseudonyms."
        )
    raise UnknownSubject(f"Subject {subject_id} is not known to the vault.")


def _consent(
    vault: duckdb.DuckDBPyConnection, subject_id: str, as_of: dt.datetime
) -> dict[str, Any]:
    """Consent events (valid and rejected), the intervals they make, and what stands at as_of."""
    events = rows(
        vault,
        "select event_id, purpose, action, policy_version, channel, recorded_at, "
        "rejection_reason, rejection_reason is null as is_valid, "
        f"recorded_at > ? as is_after_as_of from intermediate.int_consent_events_classified "
        f"{BY_SUBJECT} order by recorded_at nulls last, event_id",
        [as_of, subject_id],
    )
    intervals = rows(
        vault,
        "select purpose, opened_by_event_id, closed_by_event_id, close_reason, "
        "policy_version, channel, grants_in_interval, valid_from, valid_to, "
        "valid_from <= ? and (valid_to is null or valid_to > ?) as stands_at_as_of "
        f"from intermediate.int_consent_events_to_intervals {BY_SUBJECT} "
        "order by purpose, valid_from",
        [as_of, as_of, subject_id],
    )
    current = rows(
        vault,
        "select purpose, lawful_basis, is_eligible, basis_event_id, consent_valid_from, "
        f"consent_valid_to from intermediate.int_subjects_purpose_eligibility {BY_SUBJECT}",
        [subject_id],
    )
    return {"events": events, "intervals": intervals, "current": current}


def _purchases(vault: duckdb.DuckDBPyConnection, subject_id: str) -> list[dict[str, Any]]:
    return rows(
        vault,
        "select purchase_id, category, amount_eur, purchased_at, rejection_reason "
        f"from intermediate.int_purchases_classified {BY_SUBJECT} "
        "order by purchased_at, purchase_id",
        [subject_id],
    )


def _quarantined(vault: duckdb.DuckDBPyConnection, subject_id: str) -> list[dict[str, Any]]:
    return rows(
        vault,
        "select source_table, record_id, rejection_reason, raw_record "
        f"from quarantine.quarantine_records {BY_SUBJECT} order by source_table, record_id",
        [subject_id],
    )


@dataclass(frozen=True)
class _PurposeContext:
    """What every purpose entry of one report is computed from."""

    subject_id: str
    key: keys.Key
    as_of: dt.datetime
    eligibility: dict[str, dict[str, Any]]  # purpose -> the subject's row at as_of
    valid_purchases: list[dict[str, Any]]
    vault_pseudonyms: dict[str, str]  # domain -> the vault's pseudonym of the subject
    pseudonymous_purposes: set[str]  # purposes whose allowlist releases subject_pseudonym
    releases: list[dict[str, Any]]  # release_metadata
    per_subject: set[str]  # released relations with a row per subject


def _purpose_context(
    vault: duckdb.DuckDBPyConnection,
    analytics: duckdb.DuckDBPyConnection,
    *,
    subject_id: str,
    key: keys.Key,
    as_of: dt.datetime,
    consent: dict[str, Any],
    purchases: list[dict[str, Any]],
) -> _PurposeContext:
    vault_pseudonyms = dict(
        vault.execute(
            "select pseudonym_domain, subject_pseudonym from "
            "intermediate.int_subject_pseudonyms where subject_id = ? and key_id = ?",
            [subject_id, key.key_id],
        ).fetchall()
    )
    pseudonymous_purposes = {
        r[0]
        for r in vault.execute(
            "select distinct purpose from registry.purpose_columns "
            "where column_name = 'subject_pseudonym'"
        ).fetchall()
    }
    releases = rows(
        analytics,
        "select release_name, model_name, version, latest_version, purpose "
        "from release_metadata order by release_name",
    )
    per_subject = {
        r[0]
        for r in analytics.execute(
            "select table_name from information_schema.columns "
            "where column_name = 'subject_pseudonym'"
        ).fetchall()
    }
    return _PurposeContext(
        subject_id=subject_id,
        key=key,
        as_of=as_of,
        eligibility={row["purpose"]: row for row in consent["current"]},
        valid_purchases=[p for p in purchases if p["rejection_reason"] is None],
        vault_pseudonyms=vault_pseudonyms,
        pseudonymous_purposes=pseudonymous_purposes,
        releases=releases,
        per_subject=per_subject,
    )


def _released_view(
    analytics: duckdb.DuckDBPyConnection,
    release: dict[str, Any],
    pseudonym: str | None,
    *,
    counts_in_aggregates: bool,
) -> dict[str, Any]:
    """One released relation of the purpose, and whether the subject is in it."""
    view = {
        "release": release["release_name"],
        "model": release["model_name"],
        "version": release["version"],
        "is_latest": release["version"] == release["latest_version"],
        "row_per_subject": release["row_per_subject"],
    }
    if view["row_per_subject"]:
        count = analytics.execute(
            f"select count(*) from {_quote(release['release_name'])} where subject_pseudonym = ?",
            [pseudonym],
        ).fetchone()[0]
        view["subject_present"] = count > 0
    else:
        view["subject_present"] = None
        view["note"] = (
            "aggregates only, no row per subject; the subject's purchases in the "
            "retention window count, up to the contribution bounds, towards "
            "differentially private (noisy) cells of closed months"
            if counts_in_aggregates
            else "aggregates only; none of the subject's data is in them"
        )
    return view


def _retention(
    context: _PurposeContext, retention_days: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The purpose's retention window at as_of, and the subject's valid purchases inside it."""
    as_of = context.as_of
    data_used_from = as_of - dt.timedelta(days=retention_days)
    in_window = [p for p in context.valid_purchases if data_used_from <= p["purchased_at"] < as_of]
    retention = {
        "retention_days": retention_days,
        "as_of": as_of,
        "data_used_from": data_used_from,
        "rule": "data recorded before data_used_from is not used for the purpose",
        "note": "purchase counts matter only to purposes whose releases read "
        "purchases (model_training features, analytics aggregates)",
        "purchases_in_window": len(in_window),
        "purchases_before_window": sum(
            1 for p in context.valid_purchases if p["purchased_at"] < data_used_from
        ),
    }
    return retention, in_window


def _purpose_entry(
    analytics: duckdb.DuckDBPyConnection, context: _PurposeContext, purpose: dict[str, Any]
) -> dict[str, Any]:
    """One purpose: the subject's consent, pseudonym, released views and retention window.
    A purpose whose releases carry no pseudonym (subject_pseudonym is not in its allowlist)
    has none: the vault makes none for it, so the report computes none either."""
    name = purpose["purpose"]
    releases = [r for r in context.releases if r["purpose"] == name]
    carries_pseudonym = name in context.pseudonymous_purposes or any(
        r["release_name"] in context.per_subject for r in releases
    )
    pseudonym = (
        keys.pseudonym(context.key.secret, name, context.subject_id) if carries_pseudonym else None
    )
    eligibility = context.eligibility.get(name, {})
    retention, in_window = _retention(context, int(purpose["retention_days"]))
    views = [
        _released_view(
            analytics,
            {**release, "row_per_subject": release["release_name"] in context.per_subject},
            pseudonym,
            counts_in_aggregates=bool(eligibility.get("is_eligible") and in_window),
        )
        for release in releases
    ]
    in_vault = context.vault_pseudonyms.get(name)
    entry: dict[str, Any] = {
        "purpose": name,
        "description": purpose["description"],
        "lawful_basis": purpose["lawful_basis"],
        "is_eligible_at_as_of": eligibility.get("is_eligible"),
        "basis_event_id": eligibility.get("basis_event_id"),
        "consent_valid_from": eligibility.get("consent_valid_from"),
        "consent_valid_to": eligibility.get("consent_valid_to"),
        "pseudonym_domain": name,
        "pseudonym": pseudonym,
        "pseudonym_matches_vault": in_vault == pseudonym if in_vault is not None else None,
        "released_views": views,
        "in_released_views": [v["release"] for v in views if v["subject_present"]],
        "retention": retention,
    }
    if pseudonym is None:
        entry["pseudonym_note"] = (
            "this purpose releases no pseudonym (subject_pseudonym is not in its "
            "purpose_columns allowlist), so none is made for it"
        )
    return entry


def _model_entry(paths: Paths, model: TrainedModel, subject_id: str) -> dict[str, Any]:
    """One trained model, and whether the subject was among its training subjects."""
    entry: dict[str, Any] = {
        "model_id": model.model_id,
        "created_at": model.card.get("created_at"),
        "view": model.provenance.get("view"),
        "version": model.provenance.get("version"),
        "key_id": model.key_id,
        "as_of": model.provenance.get("as_of"),
    }
    model_key = key_for(paths, model.key_id or "")
    problem = model.integrity_problem()
    if problem:
        entry["trained_on_subject"] = None
        entry["note"] = problem
    elif model_key is None:
        entry["trained_on_subject"] = None
        entry["note"] = f"trained under key id {model.key_id}, which is not within reach"
    else:
        mine = keys.pseudonym(model_key.secret, model.domain, subject_id)
        entry["trained_on_subject"] = mine in set(model.pseudonyms() or [])
    return entry


def subject_report(paths: Paths, subject_id: str) -> SubjectReport:
    """Everything held about one subject: identity, consent, purposes, models."""
    release = current_release(paths)
    key = _release_key(paths, release.key_id)
    as_of = dt.datetime.fromisoformat(release.as_of)
    with _vault(paths) as vault, _analytics(paths) as analytics:
        identity = _identity(vault, key, subject_id)
        consent = _consent(vault, subject_id, as_of)
        purchases = _purchases(vault, subject_id)
        quarantined = _quarantined(vault, subject_id)
        context = _purpose_context(
            vault,
            analytics,
            subject_id=subject_id,
            key=key,
            as_of=as_of,
            consent=consent,
            purchases=purchases,
        )
        purposes = [
            _purpose_entry(analytics, context, purpose)
            for purpose in rows(
                vault,
                "select purpose, description, lawful_basis, consent_valid_days, retention_days "
                "from registry.purposes order by purpose",
            )
        ]
    return SubjectReport(
        subject_id=subject_id,
        generated_at=utc_now(),
        release={
            "as_of": as_of,
            "key_id": release.key_id,
            "dbt_invocation_id": release.dbt_invocation_id,
        },
        identity=identity,
        consent=consent,
        purchases=purchases,
        quarantined_records=quarantined,
        purposes=purposes,
        models=[_model_entry(paths, model, subject_id) for model in trained_models(paths)],
    )


# --- erasure ------------------------------------------------------------------------------


def request_erasure(
    raw_dir: Path,
    subject_id: str,
    *,
    request_id: str | None = None,
    received_at: dt.datetime | None = None,
    allow_unknown: bool = False,
) -> str:
    """Append an erasure request to the raw erasure_requests file (csv or parquet).

    In production the source application writes this file; this is for the demo and tests.
    The next build erases the subject from every relation; returns the request id. An id that
    matches no subject of the raw subjects file exactly (no trimming, no case folding) is
    refused unless `allow_unknown`: 'S1 ' erases nobody, and would look done."""
    if not allow_unknown and not raw_subject_exists(raw_dir, subject_id):
        raise UnknownSubject(
            f"No subject has the id {subject_id!r} in {raw_dir}/subjects (ids are compared "
            "exactly, with no trimming or case folding). Check the id, or pass --allow-unknown "
            "to record the request anyway (the build quarantines it as unknown_subject)."
        )
    received = (received_at or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0)
    request_id = request_id or f"ER-{received:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    csv_path, parquet_path = raw_dir / "erasure_requests.csv", raw_dir / "erasure_requests.parquet"
    if csv_path.exists():
        text = csv_path.read_text(encoding="utf-8")
        with csv_path.open("a", encoding="utf-8", newline="") as handle:
            if text and not text.endswith("\n"):
                handle.write("\n")
            csv.writer(handle, lineterminator="\n").writerow(
                [request_id, subject_id, received.isoformat(sep=" ")]
            )
    elif parquet_path.exists():
        table = pq.read_table(parquet_path)
        row = {"request_id": [request_id], "subject_id": [subject_id], "received_at": [received]}
        added = pa.Table.from_pydict(row).cast(pa.schema([table.schema.field(n) for n in row]))
        for name in table.column_names:
            if name not in row:
                added = added.append_column(name, pa.nulls(1, table.schema.field(name).type))
        tmp = parquet_path.with_name(parquet_path.name + ".tmp")
        pq.write_table(pa.concat_tables([table, added.select(table.column_names)]), tmp)
        os.replace(tmp, parquet_path)
    else:
        raise RightsError(f"No erasure_requests.csv or erasure_requests.parquet in {raw_dir}.")
    return request_id


def raw_subject_exists(raw_dir: Path, subject_id: str) -> bool:
    """Whether the raw subjects file (csv or parquet) holds this exact subject_id."""
    for suffix, reader in ((".csv", "read_csv"), (".parquet", "read_parquet")):
        path = raw_dir / f"subjects{suffix}"
        if path.exists():
            options = ", all_varchar = true, header = true" if suffix == ".csv" else ""
            with in_memory() as con:
                found = con.execute(
                    f"select count(*) from {reader}(?{options}) where subject_id = ?",
                    [str(path), subject_id],
                ).fetchone()[0]
            return found > 0
    raise RightsError(f"No subjects.csv or subjects.parquet in {raw_dir}.")


def relations_containing(
    con: duckdb.DuckDBPyConnection, needles: Iterable[str]
) -> dict[str, list[str]]:
    """`schema.relation.column` -> the needles found in it, over every column (cast to text)
    of every table and view in the database. Nothing is excluded."""
    needles = sorted(set(needles))
    relations = con.execute(
        "select schema_name, table_name from duckdb_tables() where not internal "
        "union all select schema_name, view_name from duckdb_views() where not internal "
        "order by all"
    ).fetchall()
    hits: dict[str, list[str]] = {}
    for schema, relation in relations:
        qualified = f"{_quote(schema)}.{_quote(relation)}"
        columns = [r[0] for r in con.execute(f"describe {qualified}").fetchall()]
        probes = [(column, needle) for column in columns for needle in needles]
        if not probes:
            continue
        found = con.execute(
            "select "
            + ", ".join(
                f"coalesce(bool_or(contains(lower(cast({_quote(column)} as varchar)), "
                f"${i + 1})), false)"
                for i, (column, _) in enumerate(probes)
            )
            + f" from {qualified}",
            [needle.lower() for _, needle in probes],
        ).fetchone()
        for (column, needle), hit in zip(probes, found, strict=True):
            if hit:
                hits.setdefault(f"{schema}.{relation}.{column}", []).append(needle)
    return hits


def file_occurrences(path: Path, needles: dict[str, bytes]) -> dict[str, int]:
    """How often each byte string occurs in a file's raw bytes."""
    data = path.read_bytes()
    return {name: data.count(needle) for name, needle in needles.items()}


def pseudonym_needles(secret: bytes, domains: Iterable[str], subject_id: str) -> dict[str, bytes]:
    """A subject's pseudonyms as they could sit in a file: lowercase and uppercase hex text,
    and the 32 raw bytes of the digest."""
    needles: dict[str, bytes] = {}
    for domain in domains:
        hexa = keys.pseudonym(secret, domain, subject_id)
        needles[f"{domain}:hex"] = hexa.encode()
        needles[f"{domain}:HEX"] = hexa.upper().encode()
        needles[f"{domain}:raw32"] = bytes.fromhex(hexa)
    return needles


def _previous_release_occurrences(
    paths: Paths, domains: list[str], subject_id: str
) -> dict[str, dict[str, int]]:
    """The subject's bytes in each release kept aside by a rotation (its id, and its
    pseudonyms under that release's key when the key is within reach)."""
    previous = {}
    for kept in sorted(paths.warehouse.glob("analytics.previous-*.duckdb")):
        kept_key = key_for(
            paths, kept.name.removeprefix("analytics.previous-").removesuffix(".duckdb")
        )
        kept_needles = {"subject_id": subject_id.encode()}
        if kept_key is not None:
            kept_needles.update(pseudonym_needles(kept_key.secret, domains, subject_id))
        previous[kept.name] = {k: v for k, v in file_occurrences(kept, kept_needles).items() if v}
    return previous


def _erasure_problems(outcome: dict[str, Any], key_id: str) -> list[str]:
    """What still stands between the subject and a complete erasure, with what to do."""
    problems = []
    if not outcome["tombstone_requests"]:
        problems.append(
            "no erasure request for this subject in the tombstone (key id "
            f"{key_id}); append one to the raw erasure_requests and rebuild"
        )
    if (
        outcome["vault_relations_holding_subject_id"]
        or outcome["analytics_relations_holding_subject"]
        or outcome["analytics_file_occurrences"]
    ):
        problems.append("the subject is still in a relation or in analytics.duckdb: rebuild")
    if any(outcome["previous_release_files"].values()):
        problems.append(
            "a previous release kept for a key rotation still holds the subject: "
            "finish the rotation with `gdpr-pipeline keys cutover`"
        )
    if outcome["leftover_publishing_files"]:
        problems.append(
            f"an interrupted publish left {', '.join(outcome['leftover_publishing_files'])} (it "
            "may hold the subject's pseudonyms): the next dbt build removes it"
        )
    vault_bytes = outcome["vault_file_freed_copies"]
    if vault_bytes:
        problems.append(
            f"vault.duckdb still holds {vault_bytes} freed copies of the subject id: "
            "run `gdpr-pipeline erasure compact-vault`"
        )
    return problems


def _unmatched_erasure_requests(con: duckdb.DuckDBPyConnection, subject_id: str) -> int:
    """Erasure requests for this exact id that matched no subject (the build quarantines them)."""
    return con.execute(
        "select count(*) from quarantine.quarantine_records where source_table = "
        "'erasure_requests' and rejection_reason = 'unknown_subject' and subject_id = ?",
        [subject_id],
    ).fetchone()[0]


def _subject_in_vault(con: duckdb.DuckDBPyConnection, subject_id: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from staging.stg_app__subjects where subject_id = ?", [subject_id]
        ).fetchone()[0]
    )


def _unknown_subject_problems(unmatched: int, known: bool) -> list[str]:
    """An id no subject has is never reported as erased."""
    if unmatched:
        return [
            f"unknown subject: {unmatched} erasure request(s) name this id, but no subject has "
            "it exactly (quarantined as unknown_subject; ids are compared with no trimming or "
            "case folding), so nobody was erased"
        ]
    if not known:
        return ["unknown subject: no subject and no erasure request has this id"]
    return []


def verify_erasure(paths: Paths, subject_id: str) -> dict[str, Any]:
    """Proof that an erased subject is gone: no relation of either database holds its id or
    any of its pseudonyms, no byte of analytics.duckdb (or a previous release kept during a
    rotation) holds them, the tombstone does, and the vault file holds no freed copy."""
    release = current_release(paths)
    key = _release_key(paths, release.key_id)
    with _vault(paths) as vault:
        domains = [r[0] for r in vault.execute("select purpose from registry.purposes").fetchall()]
        requests = _tombstone_requests(vault, key, subject_id)
        pseudonyms = [keys.pseudonym(key.secret, d, subject_id) for d in domains]
        vault_hits = relations_containing(vault, [subject_id])
        unmatched = _unmatched_erasure_requests(vault, subject_id)
        known = bool(requests) or _subject_in_vault(vault, subject_id)
    with _analytics(paths) as analytics:
        analytics_hits = relations_containing(analytics, [subject_id, *pseudonyms])
    needles = {
        **pseudonym_needles(key.secret, domains, subject_id),
        "subject_id": subject_id.encode(),
    }
    analytics_bytes = {k: v for k, v in file_occurrences(paths.analytics_db, needles).items() if v}
    previous = _previous_release_occurrences(paths, domains, subject_id)
    vault_bytes = file_occurrences(paths.vault_db, {"subject_id": subject_id.encode()})[
        "subject_id"
    ]
    outcome = {
        "subject_id": subject_id,
        "release": {"as_of": release.as_of, "key_id": release.key_id},
        "tombstone_requests": requests,
        "vault_relations_holding_subject_id": vault_hits,
        "analytics_relations_holding_subject": analytics_hits,
        "analytics_file_occurrences": analytics_bytes,
        "analytics_file_bytes_scanned": paths.analytics_db.stat().st_size,
        "previous_release_files": previous,
        "vault_file_freed_copies": vault_bytes,
        # A publish interrupted by a crash leaves a partial file with pseudonyms; the next dbt
        # start removes it (engines/duckdb_plugin.py), until then it counts here.
        "leftover_publishing_files": sorted(
            p.name for p in paths.warehouse.glob("analytics.duckdb.publishing*")
        ),
        "unknown_subject": bool(unmatched) or not known,
    }
    problems = _unknown_subject_problems(unmatched, known) + _erasure_problems(outcome, key.key_id)
    outcome["problems"] = problems
    outcome["ok"] = not problems
    return jsonable(outcome)


def compact_vault(paths: Paths) -> tuple[int, int]:
    """Rewrite vault.duckdb into a new file and rename it into place, so no freed block keeps
    the bytes of rows a rebuild dropped (erased subjects). Run it when no build is running.
    Returns the file size before and after."""
    if not paths.vault_db.exists():
        raise RightsError(f"{paths.vault_db} does not exist.")
    before = paths.vault_db.stat().st_size
    fresh = paths.vault_db.with_name(paths.vault_db.name + ".compacting")
    for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
        leftover.unlink(missing_ok=True)
    with in_memory() as con:
        con.execute(f"attach {_literal(paths.vault_db)} as vault (read_only)")
        con.execute(f"attach {_literal(fresh)} as vault_compacting")
        con.execute("copy from database vault to vault_compacting")
        con.execute("detach vault_compacting")
        con.execute("detach vault")
    os.replace(fresh, paths.vault_db)
    paths.vault_db.with_name(paths.vault_db.name + ".wal").unlink(missing_ok=True)
    return before, paths.vault_db.stat().st_size


def render_status(report: StatusReport) -> str:
    """models status as text for a terminal."""
    lines = []
    if report.release:
        r = report.release
        lines.append(
            f"Current release of {TRAINING_VIEW}: key id {r['key_id']}, as_of {r['as_of']}, "
            f"{r['released_subjects']} subjects."
        )
    lines += [f"Note: {note}" for note in report.notes]
    if not report.models:
        lines.append("No trained models under artifacts/models/.")
    for m in report.models:
        verdict = {True: "MUST RETRAIN", False: "ok", None: "CANNOT TELL"}[m.must_retrain]
        lines.append(
            f"{m.model_id}: {verdict}  (key id {m.key_id}, as_of {m.as_of}, "
            f"{m.training_subjects} training subjects, list "
            f"{'verified' if m.list_verified else 'NOT verified'})"
        )
        if m.not_in_release is not None:
            lines.append(
                f"    not in the current release: {m.not_in_release} = erased "
                f"{_count(m.erased)} + withdrawn or expired {_count(m.withdrawn_or_expired)} + "
                f"suppressed but still consenting {_count(m.suppressed_still_consenting)}"
            )
        lines += [f"    {note}" for note in m.notes]
    return "\n".join(lines)


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)
