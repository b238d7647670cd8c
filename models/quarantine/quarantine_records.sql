{#- Rejected input rows, kept with the raw values and a reason code instead of being dropped.
    Rebuilt from the raw files on every build, so a subject erased since is gone here too. -#}

with

consent_events as (

    select * from {{ ref('int_consent_events_classified') }}
    where rejection_reason is not null

),

purchases as (

    select * from {{ ref('int_purchases_classified') }}
    where rejection_reason is not null

),

erasure_requests_unmatched as (

    {#- An erasure request that matches no subject of the raw subjects file exactly (no trimming,
        no case folding): the tombstone still keeps it, and the build warns. The raw subjects file,
        not stg_app__subjects: staging drops every erased subject. -#}
    select
        request_id,
        subject_id,
        received_at
    from {{ ref('base_app__erasure_requests') }}
    where
        subject_id not in (
            select raw_subjects.subject_id from {{ raw_file('subjects').relation }} as raw_subjects
            where raw_subjects.subject_id is not null
        )

),

unioned as (

    select
        'consent_events' as source_table,
        event_id as record_id,
        subject_id,
        rejection_reason,
        {{ json_record([
            'event_id', 'subject_id', 'purpose', 'action', 'recorded_at', 'policy_version', 'channel',
        ]) }} as raw_record
    from consent_events

    union all

    select
        'purchases' as source_table,
        purchase_id as record_id,
        subject_id,
        rejection_reason,
        {{ json_record([
            'purchase_id', 'subject_id', 'purchased_at', 'amount_eur', 'category',
        ]) }} as raw_record
    from purchases

    union all

    select
        'erasure_requests' as source_table,
        request_id as record_id,
        subject_id,
        'unknown_subject' as rejection_reason,
        {{ json_record(['request_id', 'subject_id', 'received_at']) }} as raw_record
    from erasure_requests_unmatched

)

select * from unioned
