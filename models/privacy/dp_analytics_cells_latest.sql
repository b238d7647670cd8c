{#- The published draw of every closed month: each cell of the public key set as last noised.
    A month has one draw unless it was noised again on request (dp_renoise_periods). Noisy
    values only; the release thresholds them, release_privacy_report counts what it kept. -#}

with

draws as (

    select * from {{ ref('dp_analytics_cells_noised_on_spark' if target.type == 'spark' else 'dp_analytics_cells_noised') }}

),

latest_draws as (

    select purchase_month, max(noised_at) as noised_at
    from draws
    group by purchase_month

),

final as (

    select draws.*
    from draws
    inner join latest_draws
        on draws.purchase_month = latest_draws.purchase_month
        and draws.noised_at = latest_draws.noised_at

)

select * from final
