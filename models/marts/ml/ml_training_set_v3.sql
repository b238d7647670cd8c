{#- Training set v3 (latest): one recoding for the whole release (full-domain generalization
    over a lattice of band levels); every column but the pseudonym and key_id counts in k. -#}

with

released as (

    select * from {{ ref('int_ml_training_released') }}

),

final as (

    select
        subject_pseudonym,
        key_id,
        age_band,
        income_band,
        country_group,
        purchases_12m_band,
        categories_12m_band,
        spend_12m_band,
        has_purchase_next_90d
    from released

)

select * from final
