{#- The link between identifiers and pseudonyms, per purpose domain, for eligible subjects.
    It lives in the vault; releases carry only the pseudonym. Computed once per build and
    stored, so no one who reads a release needs the key. Only for the purposes whose releases
    carry a pseudonym (subject_pseudonym in the registry's purpose_columns allowlist): a purpose
    that releases aggregates (analytics) gets none, which is data minimisation and, at 1M
    subjects, 0.94M fewer HMACs a build (docs/benchmarks.md). -#}

with

purposes_with_pseudonyms as (

    select purpose
    from {{ ref('purpose_columns') }}
    where column_name = 'subject_pseudonym'

),

eligible as (

    select
        subject_id,
        purpose
    from {{ ref('int_subjects_purpose_eligibility') }}
    where
        is_eligible
        and purpose in (
            select purposes_with_pseudonyms.purpose from purposes_with_pseudonyms
        )

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
