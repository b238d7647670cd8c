{#- Marketing audience: subjects with standing marketing consent, pseudonymized in the
    marketing domain (unlinkable to the training set without the key), with generalized
    targeting attributes at k-anonymity. -#}

with

candidates as (

    select * from {{ ref('int_marketing_audience_candidates') }}

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
