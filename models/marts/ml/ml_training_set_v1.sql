{#- Training set v1 (deprecated): spend rounded to 10 EUR. -#}

with

generalized as (

    select * from {{ ref('int_ml_training_generalized') }}

),

final as (

    select
        subject_pseudonym,
        key_id,
        age_band,
        income_band,
        country_group,
        generalization_level,
        cast(purchases_12m as integer) as purchases_12m,
        cast(round(spend_12m_eur / 10) * 10 as decimal(14, 2)) as spend_12m_eur,
        has_purchase_next_90d
    from generalized

)

select * from final
