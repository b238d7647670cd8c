{#- Every consent event, with the reason it is rejected (null when it is valid). Rejected
    events go to the quarantine; valid ones feed the consent intervals. One reason per event:
    the first that applies, in the order below. -#}

with

events as {{ not_materialized() }} (

    select * from {{ ref('stg_app__consent_events') }}

),

purposes as (

    select
        purpose,
        min_policy_version
    from {{ ref('purposes') }}

),

policy_versions as (

    select
        purpose,
        version_label
    from {{ ref('policy_versions') }}

),

subjects as (

    select subject_id from {{ ref('stg_app__subjects') }}

),

repeated_event_ids as (

    select event_id
    from events
    where event_id is not null
    group by event_id
    having count(*) > 1

),

copies_counted as (

    {#- Counting copies needs windows over every row, the costliest step of the model; an
        event_id that occurs once has one row, one identical row and is its first copy, so
        the windows run on the rows of repeated event_ids alone. Same result. #}
    select
        events.*,
        1 as rows_with_event_id,
        1 as identical_rows,
        1 as copy_number
    from events
    where
        not exists (
            select 1 from repeated_event_ids
            where repeated_event_ids.event_id = events.event_id
        )

    union all

    select
        events.*,
        count(*) over (partition by events.event_id) as rows_with_event_id,
        count(*) over (
            partition by
                events.event_id, events.subject_id, events.purpose, events.action,
                events.recorded_at, events.policy_version, events.channel
        ) as identical_rows,
        row_number() over (
            partition by
                events.event_id, events.subject_id, events.purpose, events.action,
                events.recorded_at, events.policy_version, events.channel
            order by events.event_id
        ) as copy_number
    from events
    where exists (
        select 1 from repeated_event_ids
        where repeated_event_ids.event_id = events.event_id
    )

),

copies_flagged as (

    {#- Whether the subject is known, spelled per engine (macros/cross_engine/). #}
    {{ known_subject_flagged('copies_counted', 'subjects') }}

),

classified as (

    select
        copies_flagged.event_id,
        copies_flagged.subject_id,
        copies_flagged.purpose,
        copies_flagged.action,
        copies_flagged.policy_version,
        copies_flagged.channel,
        case
            when copies_flagged.event_id is null then 'missing_event_id'
            when copies_flagged.rows_with_event_id > copies_flagged.identical_rows
                then 'conflicting_event_id'
            when copies_flagged.copy_number > 1 then 'duplicate_event'
            when copies_flagged.subject_id is null then 'missing_subject_id'
            when copies_flagged.recorded_at is null then 'missing_recorded_at'
            when purposes.purpose is null then 'unknown_purpose'
            when copies_flagged.action is null or copies_flagged.action not in ('grant', 'withdraw')
                then 'invalid_action'
            when not copies_flagged.is_known_subject then 'unknown_subject'
            {#- Only a grant needs a version; a withdraw takes effect whatever version the
                client recorded. Labels are opaque ('2.1', 'v3', '2024-05'): a purpose with no
                minimum takes any label, one with a minimum only a label its registry orders. #}
            when copies_flagged.action = 'grant' and copies_flagged.policy_version is null
                then 'invalid_policy_version'
            {#- An existence test, not a left join: DuckDB built that join's hash table on the
                3M events (all their columns) instead of the policy_versions seed's rows
                (docs/benchmarks.md). #}
            when
                copies_flagged.action = 'grant'
                and coalesce(purposes.min_policy_version, '') <> ''
                and not exists (
                    select 1 from policy_versions
                    where
                        policy_versions.purpose = copies_flagged.purpose
                        and policy_versions.version_label = copies_flagged.policy_version
                )
                then 'unknown_policy_version'
        end as rejection_reason,
        copies_flagged.recorded_at

    from copies_flagged
    left join purposes
        on copies_flagged.purpose = purposes.purpose

)

select * from classified
