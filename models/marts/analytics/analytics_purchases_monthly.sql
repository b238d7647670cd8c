{#- Aggregates only, and differentially private: every value is a noisy draw of OpenDP's
    discrete Laplace, made once per closed month and frozen (dp_analytics_cells_noised; the
    published draw is in dp_analytics_cells_latest). A cell is published when its noisy
    subject count reaches dp_threshold; the noise scale of each measure is published with it.
    The open month is not published. -#}

with

published as (

    select * from {{ ref('dp_analytics_cells_latest') }}
    where noisy_subjects >= threshold

),

final as (

    select
        purchase_month,
        country_group,
        category,
        cast(noisy_subjects as integer) as subjects,
        cast(noisy_purchases as integer) as purchases,
        cast(noisy_revenue_cents / 100.0 as decimal(18, 2)) as revenue_eur,
        cast(subjects_noise_scale as double) as subjects_noise_scale,
        cast(purchases_noise_scale as double) as purchases_noise_scale,
        cast(revenue_cents_noise_scale / 100.0 as double) as revenue_eur_noise_scale
    from published

)

select * from final
