{#- The link between identifiers and pseudonyms, per purpose domain, for eligible subjects.
    It lives in the vault; releases carry only the pseudonym. Computed once per build and
    stored, so no one who reads a release needs the key. -#}

with

eligible as (

    select
        subject_id,
        purpose
    from {{ ref('int_subjects_purpose_eligibility') }}
    where is_eligible

),

pseudonymized as (

    select
        subject_id,
        purpose as pseudonym_domain,
        {{ pseudonymize('purpose', 'subject_id') }} as subject_pseudonym,
        {{ pseudonym_key_id() }} as key_id
    from eligible

)

select * from pseudonymized
