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

)

select * from unioned
