{#- Whether each subject may be processed for each purpose at as_of, and on what basis.
    consent: a consent interval contains as_of.
    legitimate_interest: unless the subject objected (Art. 21): the latest valid event for
    the purpose at or before as_of is a withdraw.
    contract / legal_obligation: every subject the purpose's processing covers. -#}

with

subjects as (

    select subject_id from {{ ref('stg_app__subjects') }}

),

purposes as (

    select
        purpose,
        lawful_basis
    from {{ ref('purposes') }}

),

intervals as (

    select * from {{ ref('int_consent_events_to_intervals') }}

),

events as (

    {#- Only a legitimate-interest purpose reads the latest event (an objection); consent
        purposes read the intervals. Ranking only those events keeps the window small. #}
    select events.*
    from {{ ref('int_consent_events_classified') }} as events
    inner join purposes
        on events.purpose = purposes.purpose
    where
        events.rejection_reason is null
        and events.recorded_at <= {{ as_of() }}
        and purposes.lawful_basis = 'legitimate_interest'

),

standing_consent as (

    select
        subject_id,
        purpose,
        opened_by_event_id,
        valid_from,
        valid_to
    from intervals
    where
        valid_from <= {{ as_of() }}
        and (valid_to is null or valid_to > {{ as_of() }})

),

latest_events as (

    select * from (
        select
            *,
            row_number() over (
                partition by subject_id, purpose
                order by
                    recorded_at desc, case action when 'withdraw' then 0 else 1 end, event_id desc
            ) as recency
        from events
    ) as ranked
    where recency = 1

),

eligibility as (

    select
        subjects.subject_id,
        purposes.purpose,
        purposes.lawful_basis,
        case purposes.lawful_basis
            when 'consent' then standing_consent.opened_by_event_id
            when 'legitimate_interest' then latest_events.event_id
        end as basis_event_id,
        case purposes.lawful_basis
            when 'consent' then standing_consent.subject_id is not null
            when 'legitimate_interest' then coalesce(latest_events.action, 'none') <> 'withdraw'
            else true
        end as is_eligible,
        standing_consent.valid_from as consent_valid_from,
        standing_consent.valid_to as consent_valid_to

    from subjects
    cross join purposes
    left join standing_consent
        on
            subjects.subject_id = standing_consent.subject_id
            and purposes.purpose = standing_consent.purpose
    left join latest_events
        on
            subjects.subject_id = latest_events.subject_id
            and purposes.purpose = latest_events.purpose

)

select * from eligibility
