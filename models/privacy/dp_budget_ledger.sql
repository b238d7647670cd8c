{#- The privacy budget ledger: one row per release of a period (a month noised once, or again
    on request), with the epsilon and delta it spent, the dbt invocation that drew it, and the
    running total per purpose against the cap. Derived from the append-only draw store, so it
    keeps every spend, re-noisings included. -#}

with

draws as (

    select distinct
        draw_id,
        purpose,
        mechanism,
        purchase_month,
        epsilon,
        delta,
        is_renoise,
        dbt_invocation_id,
        as_of,
        noised_at
    from {{ ref('dp_analytics_cells_noised') }}

),

parameters as (

    select
        purpose,
        epsilon_cap
    from {{ ref('int_dp_release_parameters') }}

),

final as (

    select
        draws.draw_id,
        draws.purpose,
        draws.mechanism,
        draws.dbt_invocation_id,
        draws.purchase_month as period,
        draws.epsilon,
        draws.delta,
        sum(draws.epsilon) over (
            partition by draws.purpose
            order by draws.noised_at, draws.purchase_month
            rows between unbounded preceding and current row
        ) as epsilon_spent_total,
        parameters.epsilon_cap,
        draws.is_renoise,
        draws.as_of,
        draws.noised_at
    from draws
    left join parameters
        on draws.purpose = parameters.purpose

)

select * from final
