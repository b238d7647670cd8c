{#- Training set v2 (latest): spend generalized to a band, distinct categories added. -#}

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
        cast(categories_12m as integer) as categories_12m,
        {{ band('spend_12m_eur', [0, 100, 250, 500, 1000, 2500]) }} as spend_12m_band,
        has_purchase_next_90d
    from generalized

)

select * from final
