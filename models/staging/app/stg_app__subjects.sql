{%- set raw = raw_file('subjects') -%}

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
        source.subject_id,
        source.email,
        source.full_name,
        {{ require_pattern('source.country', '[A-Z]{2}', raw.path, 'an ISO 3166-1 alpha-2 code') }}
            as country_code,
        source.postcode,
        {{ parse_or_fail('source.annual_income_eur', 'decimal(14, 2)', raw.path) }}
            as annual_income_eur,
        {{ parse_or_fail('source.birth_date', 'date', raw.path) }} as birth_date,
        {{ parse_or_fail('source.created_at', 'timestamp', raw.path) }} as created_at

    {#- Erasure applies here, at the first layer: an erased subject never enters a relation. #}
    from source
    left join erased_subjects
        on source.subject_id = erased_subjects.subject_id
    where erased_subjects.subject_id is null

)

select * from renamed
