{#- Quasi-identifiers of the training set generalized to k-anonymity (k = var k_min) and
    l-diversity of the label (l = var l_min), counted per person. Level 0 uses the fine bands,
    level 1 the coarse bands and one country group for all; subjects that fit neither are
    suppressed and counted in release_privacy_report. -#}

with

candidates as (

    select * from {{ ref('int_ml_training_candidates') }}

),

{{ generalize_to_k(
    source='candidates',
    subject_column='subject_pseudonym',
    ladder=[
        {
            'age_band': band('age_years', var('age_band_edges')),
            'income_band': band('annual_income_eur', var('income_band_edges_eur')),
            'country_group': 'country_group',
        },
        {
            'age_band': band('age_years', var('age_band_edges_coarse')),
            'income_band': band('annual_income_eur', var('income_band_edges_eur_coarse')),
            'country_group': "'Europe'",
        },
    ],
    k=var('k_min'),
    sensitive_column='cast(has_purchase_next_90d as string)',
    l=var('l_min'),
) }},

final as (

    select
        candidates.subject_pseudonym,
        candidates.key_id,
        generalized.age_band,
        generalized.income_band,
        generalized.country_group,
        generalized.generalization_level,
        candidates.purchases_12m,
        candidates.spend_12m_eur,
        candidates.categories_12m,
        candidates.has_purchase_next_90d
    from candidates
    inner join generalized
        on candidates.subject_pseudonym = generalized.subject_key

)

select * from final
