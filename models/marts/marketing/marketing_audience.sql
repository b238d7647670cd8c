{#- Marketing audience: subjects with standing marketing consent, pseudonymized in the
    marketing domain (unlinkable to the training set without the key), with generalized
    targeting attributes at k-anonymity. -#}

with

eligible as (

    select subject_id
    from {{ ref('int_subjects_purpose_eligibility') }}
    where purpose = 'marketing' and is_eligible

),

pseudonyms as (

    select subject_id, subject_pseudonym, key_id
    from {{ ref('int_subject_pseudonyms') }}
    where pseudonym_domain = 'marketing'

),

subjects as (

    select * from {{ ref('stg_app__subjects') }}

),

country_groups as (

    select * from {{ ref('country_groups') }}

),

candidates as (

    select
        pseudonyms.subject_pseudonym,
        pseudonyms.key_id,
        coalesce(country_groups.country_group, 'Other') as country_group,
        {{ age_in_years('subjects.birth_date', as_of()) }} as age_years
    from eligible
    inner join pseudonyms
        on eligible.subject_id = pseudonyms.subject_id
    inner join subjects
        on eligible.subject_id = subjects.subject_id
    left join country_groups
        on subjects.country_code = country_groups.country_code

),

{{ generalize_to_k(
    source='candidates',
    subject_column='subject_pseudonym',
    ladder=[
        {'age_band': band('age_years', var('age_band_edges')), 'country_group': 'country_group'},
        {'age_band': band('age_years', var('age_band_edges_coarse')), 'country_group': "'Europe'"},
    ],
    k=var('k_min'),
) }},

final as (

    select
        candidates.subject_pseudonym,
        candidates.key_id,
        generalized.age_band,
        generalized.country_group,
        generalized.generalization_level
    from candidates
    inner join generalized
        on candidates.subject_pseudonym = generalized.subject_key

)

select * from final
