{%- set raw = raw_file('consent_events') -%}

with

source as (

    select * from {{ raw.relation }}

),

erasure_requests as (

    select * from {{ ref('base_app__erasure_requests') }}

),

erased_subjects as (

    {#- Subjects with an erasure request, whatever its date: every staging model drops them, so
        an erased subject never enters any relation of either database. #}
    select distinct subject_id from erasure_requests

),

renamed as (

    {#- Values are kept as recorded (no trimming, no case folding): validation and the
        quarantine happen in int_consent_events_classified. #}
    select
        source.event_id,
        source.subject_id,
        source.purpose,
        source.action,
        source.policy_version,
        source.channel,
        {{ parse_or_fail('source.recorded_at', 'timestamp', raw.path) }} as recorded_at

    from source
    left join erased_subjects
        on source.subject_id = erased_subjects.subject_id
    where erased_subjects.subject_id is null

)

select * from renamed
