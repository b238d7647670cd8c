{#- The published draw of every closed month: each cell of the public key set as last noised.
    A month has one draw unless it was noised again on request (dp_renoise_periods). Noisy
    values only; the release thresholds them, release_privacy_report counts what it kept. -#}

with

draws as (

    select * from {{ ref('dp_analytics_cells_noised') }}

),

latest_draws as (

    select
        purchase_month,
        max(noised_at) as noised_at
    from draws
    group by purchase_month

),

final as (

    select
        draws.draw_id,
        draws.purpose,
        draws.mechanism,
        draws.purchase_month,
        draws.country_group,
        draws.category,
        draws.noisy_subjects,
        draws.noisy_purchases,
        draws.noisy_revenue_cents,
        draws.subjects_noise_scale,
        draws.purchases_noise_scale,
        draws.revenue_cents_noise_scale,
        draws.epsilon,
        draws.delta,
        draws.max_purchases_per_cell,
        draws.max_amount_eur,
        draws.max_cells_per_subject,
        draws.threshold,
        draws.is_renoise,
        draws.dbt_invocation_id,
        draws.as_of,
        draws.noised_at
    from draws
    inner join latest_draws
        on
            draws.purchase_month = latest_draws.purchase_month
            and draws.noised_at = latest_draws.noised_at

)

select * from final
