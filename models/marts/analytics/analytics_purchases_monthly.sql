{#- Aggregates only: the analytics purpose gets no row per subject. A cell with fewer than
    k_min distinct subjects is suppressed; release_privacy_report counts the suppressed cells. -#}

with

cells as (

    select * from {{ ref('int_purchases_aggregated_to_monthly_cells') }}

),

final as (

    select
        purchase_month,
        country_group,
        category,
        cast(subjects as integer) as subjects,
        cast(purchases as integer) as purchases,
        cast(revenue_eur as decimal(18, 2)) as revenue_eur
    from cells
    where subjects >= {{ var('k_min') }}

)

select * from final
