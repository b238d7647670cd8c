{#- Incremental by subject on DuckDB (macros/incremental/): a build
    recomputes the intervals of every subject whose valid events changed since the last build
    (new, late or newly rejected events, erasure) and keeps the others; a change of as_of, of
    the purposes registry or of this model's code recomputes everyone. -#}
{{ config(
    materialized=incremental_by_subject_materialization(),
    incremental_strategy='replace_subjects',
    unique_key='subject_id',
    on_schema_change='fail',
    meta={'incremental_by_subject': {
        'inputs': [{
            'model': 'int_consent_events_classified',
            'columns': ['event_id', 'purpose', 'action', 'policy_version', 'channel', 'recorded_at'],
            'where': 'rejection_reason is null and recorded_at <= {as_of}',
        }],
        'rules': ['purposes', 'policy_versions'],
    }},
    pre_hook="{{ prepare_subject_changes() }}",
    post_hook="{{ record_subject_inputs() }}",
) }}

{#- Consent intervals: one row per subject, purpose and interval in which consent stood.
    Rules (README, "Consent rules"; each has a unit test):
    - the state at time T is the action of the latest counting event recorded at or before T;
    - a grant and a withdraw with the same recorded_at: withdraw wins;
    - a repeated event_id counts once (duplicates are quarantined upstream);
    - a grant stops counting consent_valid_days after it was recorded;
    - a grant under a policy_version label that took effect before the purpose's
      min_policy_version (registry policy_versions, by effective_date) does not count;
    - an interval that expires after as_of still stands: it has no close_reason yet;
    - events recorded after as_of are ignored, so an earlier as_of rebuilds an earlier state;
    - erased subjects never reach this model (staging drops them), so their consent is gone.
    Back-to-back grants (a renewal before expiry) merge into one interval. -#}

with

valid_events as (

    select * from {{ ref('int_consent_events_classified') }}
    where
        rejection_reason is null
        and recorded_at <= {{ as_of() }}
        and {{ changed_subjects_only('subject_id') }}

),

policy_versions as (

    select
        purpose,
        version_label,
        effective_date
    from {{ ref('policy_versions') }}

),

purposes as (

    {#- A minimum the registry does not order leaves min_effective_date null: no grant counts
        (fail closed), and the data test assert_min_policy_version_is_registered fails. #}
    select
        purposes.purpose,
        purposes.consent_valid_days,
        purposes.min_policy_version,
        minimum.effective_date as min_effective_date
    from {{ ref('purposes') }} as purposes
    left join policy_versions as minimum
        on
            purposes.purpose = minimum.purpose
            and purposes.min_policy_version = minimum.version_label
    where purposes.lawful_basis = 'consent'

),

counting_events as (

    select
        valid_events.event_id,
        valid_events.subject_id,
        valid_events.purpose,
        valid_events.action,
        valid_events.policy_version,
        valid_events.channel,
        purposes.consent_valid_days,
        valid_events.recorded_at
    from valid_events
    inner join purposes
        on valid_events.purpose = purposes.purpose
    left join policy_versions as versions
        on
            valid_events.purpose = versions.purpose
            and valid_events.policy_version = versions.version_label
    where not (
        valid_events.action = 'grant'
        and coalesce(purposes.min_policy_version, '') <> ''
        and (
            versions.effective_date is null
            or purposes.min_effective_date is null
            or versions.effective_date < purposes.min_effective_date
        )
    )

),

decisive_events as (

    {#- One event per instant: a withdraw recorded at the same time as a grant wins. #}
    select * from (
        select
            *,
            row_number() over (
                partition by subject_id, purpose, recorded_at
                order by case action when 'withdraw' then 0 else 1 end, event_id desc
            ) as rank_at_instant
        from counting_events
    ) as ranked
    where rank_at_instant = 1

),

sequenced as (

    {#- One window over each subject's and purpose's decisive events: the next event closes a
        grant's segment; the previous one says whether this grant continues an island (a
        renewal recorded before the previous grant expired). #}
    select
        *,
        lead(event_id) over by_time as next_event_id,
        lead(action) over by_time as next_action,
        lead(recorded_at) over by_time as next_recorded_at,
        lag(action) over by_time as previous_action,
        lag(expires_at) over by_time as previous_expires_at
    from (
        select
            *,
            case
                when
                    consent_valid_days is not null
                    then {{ add_days('recorded_at', 'consent_valid_days') }}
            end as expires_at
        from decisive_events
    ) as with_expiry
    window by_time as (partition by subject_id, purpose order by recorded_at)

),

grant_segments as (

    select
        subject_id,
        purpose,
        event_id as opened_by_event_id,
        policy_version,
        channel,
        next_event_id,
        next_action,
        next_recorded_at,
        recorded_at as valid_from,
        expires_at,
        {#- The previous segment ends where this one starts (segments_closed: its valid_to is
            this recorded_at) exactly when the previous decisive event is a grant that had not
            expired by now. -#}
        coalesce(
            previous_action = 'grant'
            and (previous_expires_at is null or recorded_at <= previous_expires_at),
            false
        ) as continues_island
    from sequenced
    where action = 'grant'

),

segments_closed as (

    select
        subject_id,
        purpose,
        opened_by_event_id,
        policy_version,
        channel,
        case
            when
                next_recorded_at is not null
                and (expires_at is null or next_recorded_at <= expires_at)
                then next_event_id
        end as closed_by_event_id,
        case
            when
                next_recorded_at is not null
                and (expires_at is null or next_recorded_at <= expires_at)
                then case next_action when 'withdraw' then 'withdrawn' else 'renewed' end
            when expires_at is not null and expires_at <= {{ as_of() }} then 'expired'
        end as close_reason,
        continues_island,
        valid_from,
        case
            when next_recorded_at is null then expires_at
            when expires_at is null then next_recorded_at
            when next_recorded_at < expires_at then next_recorded_at
            else expires_at
        end as valid_to
    from grant_segments

),

non_empty_segments as (

    {#- A purpose with consent_valid_days = 0 never lets a grant stand. #}
    select * from segments_closed
    where valid_to is null or valid_to > valid_from

),

single_segment_intervals as (

    {#- Most intervals are one grant: it starts an island and is not renewed. They are
        intervals as they stand, so only the segments of renewed grants go through the island
        windows and joins below (the query took 4.7 instead of 6.0 CPU-seconds at 1M
        subjects, docs/benchmarks.md). A segment is empty only when consent_valid_days <= 0, and then
        every segment of that purpose is, so dropping empty ones leaves these flags true. -#}
    select
        subject_id,
        purpose,
        opened_by_event_id,
        closed_by_event_id,
        close_reason,
        policy_version,
        channel,
        cast(1 as bigint) as grants_in_interval,
        valid_from,
        valid_to
    from non_empty_segments
    where not continues_island and coalesce(close_reason, '') <> 'renewed'

),

renewed_segments as (

    select * from non_empty_segments
    where continues_island or coalesce(close_reason, '') = 'renewed'

),

islands_marked as (

    select
        *,
        sum(case when previous_valid_to = valid_from then 0 else 1 end) over (
            partition by subject_id, purpose order by valid_from
            rows between unbounded preceding and current row
        ) as island_number
    from (
        select
            *,
            lag(valid_to)
                over (partition by subject_id, purpose order by valid_from)
                as previous_valid_to
        from renewed_segments
    ) as renewed_segments

),

island_bounds as (

    select
        subject_id,
        purpose,
        island_number,
        min(valid_from) as first_valid_from,
        max(valid_from) as last_valid_from,
        count(*) as grants_in_interval
    from islands_marked
    group by subject_id, purpose, island_number

),

intervals as (

    select
        first_segment.subject_id,
        first_segment.purpose,
        first_segment.opened_by_event_id,
        last_segment.closed_by_event_id,
        last_segment.close_reason,
        first_segment.policy_version,
        first_segment.channel,
        island_bounds.grants_in_interval,
        first_segment.valid_from,
        last_segment.valid_to
    from island_bounds
    inner join islands_marked as first_segment
        on
            island_bounds.subject_id = first_segment.subject_id
            and island_bounds.purpose = first_segment.purpose
            and island_bounds.first_valid_from = first_segment.valid_from
    inner join islands_marked as last_segment
        on
            island_bounds.subject_id = last_segment.subject_id
            and island_bounds.purpose = last_segment.purpose
            and island_bounds.last_valid_from = last_segment.valid_from

    union all

    select * from single_segment_intervals

)

select * from intervals
