{#- The rows of ml_training_set v3: every candidate recoded at the one lattice node chosen in
    int_ml_training_lattice, minus the classes that node suppresses
    (macros/policy/lattice_apply.sql). -#}

with

candidates as (

    select * from {{ ref('int_ml_training_candidates') }}

),

{{ lattice_apply(
    source='candidates',
    subject_column='subject_pseudonym',
    hierarchies=ml_training_hierarchies(),
    sensitive_column='has_purchase_next_90d',
    k=var('k_min'),
    l=var('l_min'),
    lattice_relation=ref('int_ml_training_lattice'),
) }},

final as (

    select
        candidates.subject_pseudonym,
        candidates.key_id,
        lattice_generalized.age_band,
        lattice_generalized.income_band,
        lattice_generalized.country_group,
        lattice_generalized.purchases_12m_band,
        lattice_generalized.categories_12m_band,
        lattice_generalized.spend_12m_band,
        candidates.has_purchase_next_90d
    from candidates
    inner join lattice_generalized
        on candidates.subject_pseudonym = lattice_generalized.subject_key

)

select * from final
