{%- set raw = raw_file('purchases') -%}

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

    select
        source.purchase_id,
        source.subject_id,
        source.category,
        {{ parse_or_fail('source.amount_eur', 'decimal(14, 2)', raw.path) }} as amount_eur,
        {{ parse_or_fail('source.purchased_at', 'timestamp', raw.path) }} as purchased_at

    from source
    left join erased_subjects
        on source.subject_id = erased_subjects.subject_id
    where erased_subjects.subject_id is null

)

select * from renamed
