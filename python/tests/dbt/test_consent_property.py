"""Property test: the consent SQL agrees with a small, independent Python statement of the rules.

The rules below are written from issue 3 and docs/consent_rules.md, not from the SQL. The three
consent models are compiled once by dbt (as_of set to a sentinel) and each generated example
runs their compiled SQL in an in-memory DuckDB against its own input tables, created under the
relation names dbt compiled in, so no dbt build runs per example.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import astuple, dataclass
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import make_build

pytestmark = pytest.mark.dbt

MODELS = (
    "int_consent_events_classified",
    "int_consent_events_to_intervals",
    "int_subjects_purpose_eligibility",
)
AS_OF_SENTINEL = "2999-12-31 23:59:59"
BASE = dt.datetime(2026, 1, 1)
STEP = dt.timedelta(hours=12)  # coarse on purpose: events, expiries and as_of often coincide
KNOWN_SUBJECTS = ("S1", "S2", "S3")

# ---------------------------------------------------------------------------------------------
# The rules, stated independently of the SQL
# ---------------------------------------------------------------------------------------------

LABELS = ("1", "2", "2.0", "2.9", "02.09", "2.10", "3", "9", "10", "v3", "2024-05", "privacy-2.1")


def label_order(registry: dict[str, dt.date], label: str) -> dt.date | None:
    """Policy version labels are opaque: the registry (seed policy_versions) orders them by
    effective date; a label it does not hold has no place in the order."""
    return registry.get(label)


@dataclass(frozen=True)
class Event:
    event_id: str | None
    subject_id: str | None
    purpose: str | None
    action: str | None
    policy_version: str | None
    channel: str | None
    recorded_at: dt.datetime | None


@dataclass(frozen=True)
class Purpose:
    purpose: str
    lawful_basis: str
    consent_valid_days: int | None
    min_policy_version: str | None
    # The purpose's rows of the policy_versions seed: label -> effective date.
    versions: tuple[tuple[str, dt.date], ...] = ()

    @property
    def version_dates(self) -> dict[str, dt.date]:
        return dict(self.versions)


def _event_id_reason(
    row: Event, copies_by_id: dict[str | None, set[Event]], counted: Counter[Event]
) -> str | None:
    """The event id rules: present, not reused for another event, not an exact repeat."""
    if row.event_id is None:
        return "missing_event_id"
    if len(copies_by_id[row.event_id]) > 1:
        return "conflicting_event_id"
    if counted[row] > 1:
        return "duplicate_event"
    return None


def _unregistered_label(row: Event, purposes: dict[str, Purpose]) -> bool:
    """A grant on a purpose with a minimum needs a label the purpose's registry orders."""
    purpose = purposes.get(row.purpose or "")
    return (
        row.action == "grant"
        and purpose is not None
        and purpose.min_policy_version is not None
        and row.policy_version not in purpose.version_dates
    )


def _field_reason(
    row: Event, purposes: dict[str, Purpose], subjects: tuple[str, ...]
) -> str | None:
    """The field rules, in the documented order: the first that fails names the row."""
    rules = (
        ("missing_subject_id", row.subject_id is None),
        ("missing_recorded_at", row.recorded_at is None),
        ("unknown_purpose", row.purpose not in purposes),
        ("invalid_action", row.action not in ("grant", "withdraw")),
        ("unknown_subject", row.subject_id not in subjects),
        ("invalid_policy_version", row.action == "grant" and row.policy_version is None),
        ("unknown_policy_version", _unregistered_label(row, purposes)),
    )
    return next((reason for reason, fails in rules if fails), None)


def rejection_reasons(
    events: list[Event], registry: list[Purpose], subjects: tuple[str, ...]
) -> list[str | None]:
    """One reason per row: the first that applies, in the documented order."""
    purposes = {p.purpose: p for p in registry}
    copies_by_id: dict[str | None, set[Event]] = defaultdict(set)
    for row in events:
        copies_by_id[row.event_id].add(row)
    counted: Counter[Event] = Counter()
    reasons: list[str | None] = []
    for row in events:
        counted[row] += 1
        reasons.append(
            _event_id_reason(row, copies_by_id, counted) or _field_reason(row, purposes, subjects)
        )
    return reasons


def counts_for_consent(event: Event, purpose: Purpose) -> bool:
    """A withdraw always counts; a grant only under a label that took effect on or after the
    minimum's (an unregistered minimum lets no grant count)."""
    if event.action == "withdraw" or purpose.min_policy_version is None:
        return True
    dates = purpose.version_dates
    minimum = label_order(dates, purpose.min_policy_version)
    mine = label_order(dates, event.policy_version or "")
    return minimum is not None and mine is not None and mine >= minimum


def consent_stands(events: list[Event], at: dt.datetime, valid_days: int | None) -> bool:
    """The state at T is the action of the latest event at or before T (a withdraw wins a tie);
    no event means no consent; a grant stops counting valid_days after it was recorded."""
    past = [e for e in events if e.recorded_at <= at]
    if not past:
        return False
    latest = max(e.recorded_at for e in past)
    if any(e.action == "withdraw" for e in past if e.recorded_at == latest):
        return False
    return valid_days is None or at < latest + dt.timedelta(days=valid_days)


@dataclass(frozen=True)
class Interval:
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    close_reason: str | None
    grants_in_interval: int
    opened_by: frozenset[str]
    closed_by: frozenset[str]


def consent_intervals(
    events: list[Event], valid_days: int | None, as_of: dt.datetime
) -> list[Interval]:
    """The maximal runs of time in which consent stands, as [valid_from, valid_to); a run that
    ends after as_of still stands at as_of, so it has no close reason yet."""
    days = dt.timedelta(days=valid_days or 0)
    breakpoints = sorted(
        {e.recorded_at for e in events}
        | ({e.recorded_at + days for e in events} if valid_days is not None else set())
    )
    runs: list[list[Any]] = []
    for i, point in enumerate(breakpoints):
        if not consent_stands(events, point, valid_days):
            continue
        following = breakpoints[i + 1] if i + 1 < len(breakpoints) else None
        if runs and runs[-1][1] == point:
            runs[-1][1] = following
        else:
            runs.append([point, following])
    intervals = []
    for start, end in runs:
        withdraws_at_end = frozenset(
            e.event_id for e in events if e.action == "withdraw" and e.recorded_at == end
        )
        grant_times = {
            e.recorded_at
            for e in events
            if e.action == "grant"
            and start <= e.recorded_at
            and (end is None or e.recorded_at < end)
        }
        intervals.append(
            Interval(
                valid_from=start,
                valid_to=end,
                close_reason=None
                if end is None or end > as_of
                else "withdrawn"
                if withdraws_at_end
                else "expired",
                grants_in_interval=len(grant_times),
                opened_by=frozenset(
                    e.event_id for e in events if e.action == "grant" and e.recorded_at == start
                ),
                closed_by=withdraws_at_end,
            )
        )
    return intervals


def expected_results(
    events: list[Event], registry: list[Purpose], as_of: dt.datetime
) -> tuple[list[str | None], dict[tuple[str, str], list[Interval]], dict[tuple[str, str], Any]]:
    reasons = rejection_reasons(events, registry, KNOWN_SUBJECTS)
    valid = [
        e for e, r in zip(events, reasons, strict=True) if r is None and e.recorded_at <= as_of
    ]
    intervals: dict[tuple[str, str], list[Interval]] = {}
    eligibility: dict[tuple[str, str], Any] = {}
    for purpose in registry:
        for subject in KNOWN_SUBJECTS:
            mine = [e for e in valid if e.subject_id == subject and e.purpose == purpose.purpose]
            if purpose.lawful_basis == "consent":
                counting = [e for e in mine if counts_for_consent(e, purpose)]
                found = consent_intervals(counting, purpose.consent_valid_days, as_of)
                if found:
                    intervals[(subject, purpose.purpose)] = found
                standing = [
                    i
                    for i in found
                    if i.valid_from <= as_of and (i.valid_to is None or as_of < i.valid_to)
                ]
                assert len(standing) <= 1
                eligibility[(subject, purpose.purpose)] = (
                    (True, standing[0].valid_from, standing[0].valid_to, standing[0].opened_by)
                    if standing
                    else (False, None, None, frozenset({None}))
                )
            elif purpose.lawful_basis == "legitimate_interest":
                if not mine:
                    eligibility[(subject, purpose.purpose)] = (True, None, None, frozenset({None}))
                    continue
                latest = max(e.recorded_at for e in mine)
                at_latest = [e for e in mine if e.recorded_at == latest]
                objected = any(e.action == "withdraw" for e in at_latest)
                deciding = "withdraw" if objected else "grant"
                eligibility[(subject, purpose.purpose)] = (
                    not objected,
                    None,
                    None,
                    frozenset(e.event_id for e in at_latest if e.action == deciding),
                )
            else:
                eligibility[(subject, purpose.purpose)] = (True, None, None, frozenset({None}))
    return reasons, intervals, eligibility


# ---------------------------------------------------------------------------------------------
# The SQL, compiled once
# ---------------------------------------------------------------------------------------------


@dataclass
class CompiledModels:
    sql: dict[str, str]
    relations: dict[str, str]
    catalog: str


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> CompiledModels:
    build = make_build(tmp_path_factory.mktemp("consent_compile"))
    build.raw_dir.mkdir(parents=True)
    build.dbt("compile", "--select", " ".join(MODELS), dbt_vars={"as_of": AS_OF_SENTINEL})
    assert build.returncode == 0, build.output[-3000:]
    manifest = json.loads((build.target / "manifest.json").read_text())
    nodes = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] != "test"}
    sql = {name: nodes[name]["compiled_code"] for name in MODELS}
    assert AS_OF_SENTINEL in sql["int_consent_events_to_intervals"]
    assert AS_OF_SENTINEL in sql["int_subjects_purpose_eligibility"]
    names = (*MODELS, "stg_app__consent_events", "stg_app__subjects", "purposes", "policy_versions")
    relations = {name: nodes[name]["relation_name"] for name in names}
    catalog = nodes["purposes"]["database"]
    return CompiledModels(sql=sql, relations=relations, catalog=catalog)


@dataclass
class SqlResult:
    classified: list[tuple[Any, ...]]
    intervals: list[dict[str, Any]]
    eligibility: list[dict[str, Any]]


class ConsentSql:
    """An in-memory DuckDB holding the compiled models' inputs under their compiled names."""

    def __init__(self, models: CompiledModels) -> None:
        self.models = models
        self.con = duckdb.connect()
        self.con.execute(f"attach ':memory:' as \"{models.catalog}\"")
        for relation in models.relations.values():
            schema = relation.rsplit(".", 1)[0]
            self.con.execute(f"create schema if not exists {schema}")

    def run(self, events: list[Event], registry: list[Purpose], as_of: dt.datetime) -> SqlResult:
        rel = self.models.relations
        self.con.execute(
            f"create or replace table {rel['stg_app__consent_events']} (event_id varchar, "
            "subject_id varchar, purpose varchar, action varchar, policy_version varchar, "
            "channel varchar, recorded_at timestamp)"
        )
        if events:
            self.con.executemany(
                f"insert into {rel['stg_app__consent_events']} values (?, ?, ?, ?, ?, ?, ?)",
                [astuple(e) for e in events],
            )
        self.con.execute(f"create or replace table {rel['stg_app__subjects']} (subject_id varchar)")
        self.con.executemany(
            f"insert into {rel['stg_app__subjects']} values (?)", [(s,) for s in KNOWN_SUBJECTS]
        )
        self.con.execute(
            f"create or replace table {rel['purposes']} (purpose varchar, description varchar, "
            "lawful_basis varchar, consent_valid_days integer, min_policy_version varchar, "
            "retention_days integer, released_views varchar)"
        )
        self.con.executemany(
            f"insert into {rel['purposes']} values (?, 'generated', ?, ?, ?, 365, null)",
            [
                (p.purpose, p.lawful_basis, p.consent_valid_days, p.min_policy_version)
                for p in registry
            ],
        )
        self.con.execute(
            f"create or replace table {rel['policy_versions']} (purpose varchar, "
            "version_label varchar, effective_date date)"
        )
        versions = [(p.purpose, label, day) for p in registry for label, day in p.versions]
        if versions:
            self.con.executemany(f"insert into {rel['policy_versions']} values (?, ?, ?)", versions)
        as_of_text = as_of.strftime("%Y-%m-%d %H:%M:%S")
        for name in MODELS:
            sql = self.models.sql[name].replace(AS_OF_SENTINEL, as_of_text)
            self.con.execute(f"create or replace table {rel[name]} as {sql}")
        return SqlResult(
            classified=self.con.execute(
                "select event_id, subject_id, purpose, action, policy_version, channel, "
                f"recorded_at, rejection_reason from {rel['int_consent_events_classified']}"
            ).fetchall(),
            intervals=self._dicts(f"select * from {rel['int_consent_events_to_intervals']}"),
            eligibility=self._dicts(f"select * from {rel['int_subjects_purpose_eligibility']}"),
        )

    def _dicts(self, query: str) -> list[dict[str, Any]]:
        cursor = self.con.execute(query)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def consent_sql(compiled: CompiledModels) -> ConsentSql:
    return ConsentSql(compiled)


# ---------------------------------------------------------------------------------------------
# Generated event logs
# ---------------------------------------------------------------------------------------------

version = st.sampled_from(LABELS) | st.sampled_from(["2.1", "v9", "2024-06", "999999999"])
# Values each rule must reject (or, for a withdraw's version, must not reject).
ODD = {
    "event_id": [None],
    "subject_id": ["S9", " S1", "s1", None],
    "purpose": ["EXP", "exp ", " ver", "newsletter", "", None],
    "action": ["Grant", "GRANT", "revoke", "grant ", "", None],
    "policy_version": [None, "", "v2", "2.", "2..1", " 2.0", "2.0 ", "V3", "1234567890"],
    "recorded_at": [None],
}
times = st.integers(0, 10).map(lambda k: BASE + k * STEP)


@st.composite
def policy_versions(draw: st.DrawFn) -> tuple[tuple[str, dt.date], ...]:
    """Some labels with effective dates in any order (ties too): the registry decides, not the
    label's text."""
    labels = draw(st.lists(st.sampled_from(LABELS), unique=True, max_size=len(LABELS)))
    return tuple(
        (label, dt.date(2020, 1, 1) + dt.timedelta(days=draw(st.integers(0, 5))))
        for label in labels
    )


@st.composite
def registries(draw: st.DrawFn) -> list[Purpose]:
    exp_versions = draw(policy_versions())
    expiring = Purpose(
        "exp",
        "consent",
        draw(st.sampled_from([0, 1, 2, 3, 3])),
        draw(st.sampled_from([None, None, *[label for label, _ in exp_versions[:2]]])),
        exp_versions,
    )
    ver_versions = draw(policy_versions())
    versioned = Purpose(
        "ver",
        "consent",
        draw(st.none() | st.integers(1, 3)),
        # Mostly a registered label; now and then one the registry lacks (nothing counts).
        draw(st.sampled_from([label for label, _ in ver_versions] * 4 + ["2.1"])),
        ver_versions,
    )
    other = Purpose(
        "oth",
        draw(st.sampled_from(["legitimate_interest"] * 4 + ["consent", "contract"])),
        None,
        None,
    )
    return [expiring, versioned, other][: draw(st.sampled_from([1, 2, 3, 3, 3]))]


@st.composite
def event_logs(draw: st.DrawFn) -> tuple[list[Purpose], list[Event], dt.datetime]:
    """A small log where the interesting cases are common: ties at one instant, events exactly
    at an expiry, repeated event_ids, odd values, and as_of on or next to an event."""
    registry = draw(registries())
    days = {p.purpose: p.consent_valid_days for p in registry}
    events: list[Event] = []
    for i in range(draw(st.integers(0, 20))):
        fresh = Event(
            event_id=f"e{i:02d}",
            subject_id=draw(st.sampled_from(["S1", "S1", "S1", "S2", "S2", "S3"])),
            purpose=draw(st.sampled_from(list(days))),
            action=draw(st.sampled_from(["grant", "grant", "withdraw"])),
            policy_version=draw(version),
            channel=draw(st.sampled_from(["web", "app", None])),
            recorded_at=draw(times),
        )
        if draw(st.integers(0, 4)) == 0:
            field = draw(st.sampled_from(sorted(ODD)))
            fresh = dataclasses.replace(fresh, **{field: draw(st.sampled_from(ODD[field]))})
        kind = draw(st.sampled_from(["fresh", "fresh", "same_instant", "at_expiry"]))
        earlier = draw(st.sampled_from(events)) if events else None
        if kind == "same_instant" and earlier is not None:
            # The other action, for the same subject and purpose, at the same instant.
            other = "withdraw" if earlier.action == "grant" else "grant"
            fresh = dataclasses.replace(
                fresh,
                subject_id=earlier.subject_id,
                purpose=earlier.purpose,
                action=other,
                recorded_at=earlier.recorded_at,
            )
        elif kind == "at_expiry" and earlier is not None and earlier.recorded_at is not None:
            valid_days = days.get(earlier.purpose) if earlier.purpose is not None else None
            if valid_days is not None:
                fresh = dataclasses.replace(
                    fresh,
                    subject_id=earlier.subject_id,
                    purpose=earlier.purpose,
                    recorded_at=earlier.recorded_at + dt.timedelta(days=valid_days),
                )
        events.append(fresh)
    # Repeated event_ids: exact copies (duplicates) and copies that differ (conflicts).
    for _ in range(draw(st.integers(0, 3)) if events else 0):
        original = draw(st.sampled_from(events))
        if draw(st.booleans()):
            events.append(original)
        else:
            other = draw(st.sampled_from(events))
            events.append(dataclasses.replace(other, event_id=original.event_id))
    events = list(draw(st.permutations(events)))
    instants = [e.recorded_at for e in events if e.recorded_at is not None]
    instants += [
        e.recorded_at + dt.timedelta(days=days[e.purpose])
        for e in events
        if e.recorded_at is not None and days.get(e.purpose or "") is not None
    ]
    anchor = draw(
        st.sampled_from(instants) | st.integers(-2, 14).map(lambda k: BASE + k * STEP)
        if instants
        else st.integers(-2, 14).map(lambda k: BASE + k * STEP)
    )
    as_of = anchor + dt.timedelta(seconds=draw(st.sampled_from([0, 0, 1, -1])))
    return registry, events, as_of


# ---------------------------------------------------------------------------------------------
# The property
# ---------------------------------------------------------------------------------------------

EXAMPLES = 200


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=event_logs())
def test_consent_sql_matches_the_rules(
    consent_sql: ConsentSql, case: tuple[list[Purpose], list[Event], dt.datetime]
) -> None:
    registry, events, as_of = case
    reasons, intervals, eligibility = expected_results(events, registry, as_of)
    result = consent_sql.run(events, registry, as_of)

    for reason in set(reasons):
        event(f"row reason: {reason}")
    for found in intervals.values():
        for interval in found:
            event(f"interval closed: {interval.close_reason}")
            if interval.grants_in_interval > 1:
                event("interval merges renewals")
    consent = {p.purpose for p in registry if p.lawful_basis == "consent"}
    eligible = Counter(
        ("consent" if key[1] in consent else "other", value[0])
        for key, value in eligibility.items()
    )
    event(f"some subject has standing consent at as_of: {eligible['consent', True] > 0}")
    event(f"some subject objected (not eligible, not consent): {eligible['other', False] > 0}")

    # Classification: every input row once, with the reason of the rules.
    expected_rows = Counter((*astuple(e), r) for e, r in zip(events, reasons, strict=True))
    assert Counter(result.classified) == expected_rows

    # Intervals: the same runs, closed for the same reason, with a matching opening grant.
    counting = {e.event_id: e for e, r in zip(events, reasons, strict=True) if r is None}
    got: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in result.intervals:
        got[(row["subject_id"], row["purpose"])].append(row)
    assert set(got) == set(intervals), (got, intervals)
    for key, expected in intervals.items():
        rows = sorted(got[key], key=lambda r: r["valid_from"])
        assert [
            (r["valid_from"], r["valid_to"], r["close_reason"], r["grants_in_interval"])
            for r in rows
        ] == [(i.valid_from, i.valid_to, i.close_reason, i.grants_in_interval) for i in expected], (
            key
        )
        for row, interval in zip(rows, expected, strict=True):
            assert row["opened_by_event_id"] in interval.opened_by
            opening = counting[row["opened_by_event_id"]]
            assert (row["policy_version"], row["channel"]) == (
                opening.policy_version,
                opening.channel,
            )
            if interval.close_reason == "withdrawn":
                assert row["closed_by_event_id"] in interval.closed_by
            else:
                assert row["closed_by_event_id"] is None

    # Eligibility at as_of: one row per known subject and purpose.
    got_eligibility = {(r["subject_id"], r["purpose"]): r for r in result.eligibility}
    assert len(got_eligibility) == len(result.eligibility) == len(eligibility)
    for key, (eligible, valid_from, valid_to, basis) in eligibility.items():
        row = got_eligibility[key]
        assert (row["is_eligible"], row["consent_valid_from"], row["consent_valid_to"]) == (
            eligible,
            valid_from,
            valid_to,
        ), key
        assert row["basis_event_id"] in basis, key


def test_version_order_of_the_statement() -> None:
    """The Python statement itself orders labels by the registry, as docs/consent_rules.md
    defines: the text of a label plays no part."""
    registry = {
        "v3": dt.date(2024, 1, 1),
        "2024-05": dt.date(2024, 5, 1),
        "10": dt.date(2020, 1, 1),
    }
    purpose = Purpose("p", "consent", None, "v3", tuple(registry.items()))
    grant = Event("e", "S1", "p", "grant", "2024-05", None, BASE)
    assert counts_for_consent(grant, purpose)
    assert not counts_for_consent(dataclasses.replace(grant, policy_version="10"), purpose)
    assert label_order(registry, "9") is None
    anything = Purpose("q", "consent", None, None)
    assert counts_for_consent(dataclasses.replace(grant, policy_version="privacy-2.1"), anything)
