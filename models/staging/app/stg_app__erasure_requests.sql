{#- The erasure tombstone. It is a table, not a view, and keeps no subject_id: only the
    pseudonyms the erased subject had in each purpose's domain under the current key, so tests
    can prove none of them is left in a release without the warehouse keeping the identifier. -#}
{{ config(materialized='table') }}

{%- set raw = raw_file('erasure_requests') -%}

with

source as (

    select * from {{ raw.relation }}

),

purposes as (

    select purpose from {{ ref('purposes') }}

),

parsed as (

    select
        request_id,
        subject_id,
        {{ parse_or_fail('received_at', 'timestamp', raw.path) }} as received_at
    from source
    where subject_id is not null

),

tombstones as (

    select
        parsed.request_id,
        purposes.purpose as pseudonym_domain,
        {{ pseudonymize('purposes.purpose', 'parsed.subject_id') }} as subject_pseudonym,
        {{ pseudonym_key_id() }} as key_id,
        parsed.received_at

    from parsed
    cross join purposes

)

select * from tombstones
