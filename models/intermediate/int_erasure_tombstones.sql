{#- The erasure tombstone. It keeps no subject_id: only the pseudonyms the erased subject had in
    each purpose's domain under the current key, so tests can prove none of them is left in a
    release without the warehouse keeping the identifier. -#}

with

erasure_requests as (

    select * from {{ ref('base_app__erasure_requests') }}

),

purposes as (

    select purpose from {{ ref('purposes') }}

),

tombstones as (

    select
        erasure_requests.request_id,
        purposes.purpose as pseudonym_domain,
        {{ pseudonymize('purposes.purpose', 'erasure_requests.subject_id') }} as subject_pseudonym,
        {{ pseudonym_key_id() }} as key_id,
        erasure_requests.received_at

    from erasure_requests
    cross join purposes

)

select * from tombstones
