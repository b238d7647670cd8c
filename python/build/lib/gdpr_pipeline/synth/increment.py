"""Append an increment to generated raw data: what an append-only source delivers a day later.

The benchmark's incremental build and the incremental-equivalence test both read it; it writes
new Parquet files and never changes an existing row.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from gdpr_pipeline.core.raw_files import RAW_TABLES
from gdpr_pipeline.core.warehouse import in_memory
from gdpr_pipeline.synth.generate import DEFAULT_ANCHOR

INCREMENT_FRACTION = 0.01
DAY = 86_400  # seconds


def _draw(salt: str, modulus: int | str) -> str:
    """A deterministic pseudo-random integer in [0, modulus) for row number i."""
    return f"cast(hash(i, '{salt}') % ({modulus}) as bigint)"


def _before(anchor_sql: str, salt: str, seconds: int) -> str:
    """A timestamp between `seconds` and 1 second before the anchor."""
    return f"timestamp '{anchor_sql}' - to_seconds(1 + {_draw(salt, seconds)})"


@dataclass(frozen=True)
class _Plan:
    """What one increment appends, decided before any row is drawn."""

    src: dict[str, str]  # raw table -> its Parquet file
    anchor_sql: str
    tag: str
    living: int  # subjects not erased: new rows belong to them
    new_events: int
    same_instant: int
    new_purchases: int
    new_erasures: int


def _plan(
    con: duckdb.DuckDBPyConnection,
    source_dir: Path,
    *,
    fraction: float,
    seed: int,
    anchor: dt.datetime,
) -> _Plan:
    """The living subjects (a temp table) and how many rows of each kind to append."""
    src = {t: str(source_dir / f"{t}.parquet") for t in RAW_TABLES}
    con.execute(
        f"""
        create temp table living as
        select subject_id, row_number() over (order by subject_id) - 1 as position
        from read_parquet('{src["subjects"]}')
        where subject_id not in (
            select subject_id from read_parquet('{src["erasure_requests"]}'))
        """
    )
    counts = {
        t: con.execute(f"select count(*) from read_parquet('{src[t]}')").fetchone()[0]
        for t in RAW_TABLES
        if t != "subjects"
    }
    new_events = max(int(counts["consent_events"] * fraction), 10)
    return _Plan(
        src=src,
        anchor_sql=anchor.strftime("%Y-%m-%d %H:%M:%S"),
        tag=f"{seed:03d}",
        living=con.execute("select count(*) from living").fetchone()[0],
        new_events=new_events,
        same_instant=max(new_events // 10, 1),
        new_purchases=max(int(counts["purchases"] * fraction), 10),
        new_erasures=max(int(counts["erasure_requests"] * fraction), 2),
    )


def _picked(plan: _Plan, n: int, salt: str) -> str:
    """n rows (i, subject_id), each with a living subject drawn at random."""
    return f"""
            select t.i, living.subject_id
            from range({n}) as t(i)
            inner join living
                on living.position = cast(hash(t.i, '{salt}{plan.tag}') % {plan.living} as bigint)
        """


def _append_events(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    """New consent events, with the edge cases the incremental models must handle."""
    con.execute(
        f"""
        create temp table appended_events as
        with fresh as ({_picked(plan, plan.new_events - plan.same_instant, "event")})
        select
            'EI{plan.tag}' || lpad(cast(i as varchar), 10, '0') as event_id,
            subject_id,
            ['model_training', 'marketing', 'analytics'][1 + {_draw("p", 3)}] as purpose,
            case when {_draw("a", 5)} < 2 then 'withdraw' else 'grant' end as action,
            case
                when {_draw("late", 2)} = 0 then {_before(plan.anchor_sql, "t", 30 * DAY)}
                else {_before(plan.anchor_sql, "t", 3 * 365 * DAY)}
            end as recorded_at,
            ['1.0', '2.0', '2.1'][1 + {_draw("v", 3)}] as policy_version,
            ['web', 'app', 'email', 'call_center'][1 + {_draw("c", 4)}] as channel
        from fresh
        union all
        -- withdrawals recorded at exactly the time of an existing grant: withdraw wins
        select
            'EI{plan.tag}S' || lpad(cast(row_number() over (order by event_id) as varchar), 9, '0'),
            subject_id, purpose, 'withdraw', recorded_at, policy_version, channel
        from (
            select * from read_parquet('{plan.src["consent_events"]}')
            where action = 'grant' and subject_id in (select subject_id from living)
            order by hash(event_id, '{plan.tag}s')
            limit {plan.same_instant}
        )
        union all
        -- one exact repeat of an existing event (quarantined as a duplicate)
        (select event_id, subject_id, purpose, action, recorded_at, policy_version, channel
         from read_parquet('{plan.src["consent_events"]}')
         where event_id is not null and subject_id in (select subject_id from living)
         order by hash(event_id, '{plan.tag}r') limit 1)
        union all
        -- one reuse of an existing event_id with the other action (both become conflicting)
        (select event_id, subject_id, purpose,
                case action when 'grant' then 'withdraw' else 'grant' end,
                recorded_at, policy_version, channel
         from read_parquet('{plan.src["consent_events"]}')
         where event_id is not null and action in ('grant', 'withdraw')
           and subject_id in (select subject_id from living)
         order by hash(event_id, '{plan.tag}c') limit 1)
        """
    )


def _append_purchases(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    """New purchases, in the label window and late, and one reused purchase_id."""
    con.execute(
        f"""
        create temp table appended_purchases as
        with fresh as ({_picked(plan, plan.new_purchases, "purchase")})
        select
            'PI{plan.tag}' || lpad(cast(i as varchar), 11, '0') as purchase_id,
            subject_id,
            case
                when {_draw("w", 2)} = 0 then {_before(plan.anchor_sql, "t", 90 * DAY)}
                else {_before(plan.anchor_sql, "t", 3 * 365 * DAY)}
            end as purchased_at,
            cast(5 + {_draw("m", 30000)} / 100 as decimal(12, 2)) as amount_eur,
            ['books', 'electronics', 'fashion', 'grocery', 'home', 'sports', 'toys',
             'travel'][1 + {_draw("k", 8)}] as category
        from fresh
        union all
        -- an existing purchase_id again, a day earlier: the earlier copy now counts
        (select purchase_id, subject_id, purchased_at - interval 1 day, amount_eur, category
         from read_parquet('{plan.src["purchases"]}')
         where subject_id in (select subject_id from living)
         order by hash(purchase_id, '{plan.tag}d') limit 1)
        """
    )


def _append_erasures(con: duckdb.DuckDBPyConnection, plan: _Plan) -> None:
    """New erasure requests, one per subject."""
    con.execute(
        f"""
        create temp table appended_erasures as
        with fresh as ({_picked(plan, plan.new_erasures, "erasure")})
        select distinct on (subject_id)
            'RI{plan.tag}' || lpad(cast(i as varchar), 8, '0') as request_id,
            subject_id,
            {_before(plan.anchor_sql, "t", DAY)} as received_at
        from fresh
        """
    )


def _write(con: duckdb.DuckDBPyConnection, plan: _Plan, out_dir: Path) -> dict[str, int]:
    """Each raw file with its appended rows at the end; returns the rows appended per file."""
    appended = {}
    for table, new in (
        ("consent_events", "appended_events"),
        ("purchases", "appended_purchases"),
        ("erasure_requests", "appended_erasures"),
    ):
        target = out_dir / f"{table}.parquet"
        partial = target.with_name(target.name + ".partial")
        con.execute(
            f"""
            copy (
                select * from read_parquet('{plan.src[table]}')
                union all by name
                select * from {new}
            ) to '{partial}' (format parquet, compression zstd)
            """
        )
        partial.replace(target)
        appended[table] = con.execute(f"select count(*) from {new}").fetchone()[0]
    shutil.copyfile(plan.src["subjects"], out_dir / "subjects.parquet")
    return appended


def append_increment(
    source_dir: Path,
    out_dir: Path,
    *,
    fraction: float = INCREMENT_FRACTION,
    seed: int = 7,
    anchor: dt.datetime = DEFAULT_ANCHOR,
) -> dict[str, int]:
    """Copy the raw files to `out_dir` with `fraction` more rows appended at their end.

    New rows belong to existing subjects and are what an append-only source delivers later:
    consent events (grants and withdrawals; recent ones, late-arriving ones recorded years ago,
    withdrawals recorded at the same instant as an existing grant, one exact repeat and one
    conflicting reuse of an existing event_id), purchases (in the label window and late ones,
    one reusing an existing purchase_id at an earlier time) and erasure requests. Existing
    rows are unchanged and keep their order; the same arguments give the same rows.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with in_memory() as con:
        con.execute("set enable_progress_bar = false")
        plan = _plan(con, source_dir, fraction=fraction, seed=seed, anchor=anchor)
        _append_events(con, plan)
        _append_purchases(con, plan)
        _append_erasures(con, plan)
        return _write(con, plan, out_dir)
