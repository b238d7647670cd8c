{#- The raw erasure requests, typed. Ephemeral (dbt_project.yml): it is inlined into the models
    that read it, the staging models (which drop every requesting subject) and the tombstone, so
    no relation of the vault holds an erased subject's id. -#}

{%- set raw = raw_file('erasure_requests') -%}

with

source as (

    select * from {{ raw.relation }}

),

renamed as (

    select
        request_id,
        subject_id,
        {{ parse_or_fail('received_at', 'timestamp', raw.path) }} as received_at

    from source
    where subject_id is not null

)

select * from renamed
